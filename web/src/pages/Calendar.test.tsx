import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { aPlan, aProject, aSlot } from "../components/project/fixtures";
import type { Schemas } from "../lib/api";
import { apiError, fakeApi, renderPage } from "../test/render";
import { Calendar } from "./Calendar";

const PLAN = "GET /api/orgs/org-1/plans/plan-1";
const SLOTS = "GET /api/orgs/org-1/plans/plan-1/slots";

// Day 1: a locked draft (09:00) and an approved slot (19:00); day 2: a draft with an unknown confidence.
// Each at its own content version, which approving must send back.
const slots: Schemas["SlotView"][] = [
  aSlot(1, 0, { confidence: null, version: 7 }),
  aSlot(0, 1, { status: "approved", confidence: 0.35, version: 2 }),
  aSlot(0, 0, { locked: true, version: 4 }),
];

function api(overrides: Record<string, unknown> = {}) {
  return fakeApi({
    [PLAN]: aPlan(),
    [SLOTS]: slots,
    "GET /api/orgs/org-1/projects/proj-1": aProject(),
    ...overrides,
  });
}

function renderCalendar(role: "viewer" | "editor" = "editor") {
  return renderPage(<Calendar />, { url: "/orgs/org-1/plans/plan-1", path: "/orgs/:orgId/plans/:planId", role });
}

describe("Calendar", () => {
  it("says plainly when the small offline model drafted the month, and not otherwise", async () => {
    api({ [PLAN]: aPlan({ drafted_by: "SmolLM2-135M-Instruct", drafted_offline: true }) });
    renderCalendar("viewer");
    expect(await screen.findByText("Drafted by a small offline model (SmolLM2-135M-Instruct)")).toBeInTheDocument();
    expect(screen.getByText(/These drafts are placeholders, not posts/)).toBeInTheDocument();
  });

  it("shows the month's series and the rising choices they build on", async () => {
    const brief: Schemas["Brief"] = {
      prompt_version: 1,
      series: [
        { name: "Five-minute fixes", angle: "one problem, solved before the video ends", days: [1, 4, 7] },
        { name: "Pantry rescue", angle: "dinner from what is left", days: [2, 5] },
      ],
      trends: {
        recent_posts: 2,
        earlier_posts: 2,
        rising: [{ choice: "hashtag", value: "#pasta", recent_posts: 2, recent_avg_views: 5000, earlier_avg_views: 500 }],
      },
    };
    api({ [PLAN]: aPlan({ brief }) });
    renderCalendar("viewer");
    const panel = await screen.findByRole("region", { name: "Series this month" });
    expect(within(panel).getByText("Five-minute fixes")).toBeInTheDocument();
    expect(within(panel).getByText("Days 1, 4, 7")).toBeInTheDocument();
    expect(panel).toHaveTextContent("Rising in your results: #pasta (hashtag, 500 → 5000 views)");
  });

  it("shows no such notice for a real model's drafts", async () => {
    api();
    renderCalendar("viewer");
    await screen.findByRole("heading", { name: "Month from 2026-12-01" });
    expect(screen.queryByText(/small offline model/)).not.toBeInTheDocument();
  });

  it("lays out a row per day with each slot's time, status, confidence, lock, rationale and link", async () => {
    api();
    renderCalendar("viewer");
    expect(await screen.findByRole("heading", { name: "Month from 2026-12-01" })).toBeInTheDocument();
    expect(await screen.findByRole("link", { name: "Back to Sourdough Daily" })).toHaveAttribute(
      "href",
      "/orgs/org-1/projects/proj-1",
    );
    expect(screen.getByRole("list", { name: "Slot counts" })).toHaveTextContent("1 not drafted2 drafts1 approved");

    const firstDay = await screen.findByRole("listitem", { name: "Tue, Dec 1" });
    const hooks = within(firstDay).getAllByRole("link").map((link) => link.textContent);
    expect(hooks).toEqual(["Hook 0-0", "Hook 0-1"]);
    const first = within(firstDay).getByRole("link", { name: "Hook 0-0" });
    expect(first).toHaveAttribute("href", "/orgs/org-1/slots/slot-0-0");
    expect(within(firstDay).getByText("09:00")).toBeInTheDocument();
    expect(within(firstDay).getByText("19:00")).toBeInTheDocument();
    expect(within(firstDay).getByLabelText("Confidence 82%")).toHaveClass("bg-emerald-100");
    expect(within(firstDay).getByLabelText("Confidence 35%")).toHaveClass("bg-red-100");
    expect(within(firstDay).getAllByRole("img", { name: "Locked" })).toHaveLength(1);
    expect(first.closest("[title]")).toHaveAttribute("title", "Why 0-0");
    expect(within(firstDay).getAllByText("Why")).toHaveLength(2);

    const secondDay = screen.getByRole("listitem", { name: "Wed, Dec 2" });
    expect(within(secondDay).getByLabelText("Confidence unknown")).toBeInTheDocument();
  });

  it("gives a viewer no checkboxes and no approve, lock or regenerate buttons", async () => {
    api();
    renderCalendar("viewer");
    await screen.findByRole("link", { name: "Hook 0-0" });
    expect(screen.queryAllByRole("checkbox")).toHaveLength(0);
    expect(screen.queryByRole("button", { name: /approve|lock|regenerate|select/i })).not.toBeInTheDocument();
  });

  it("approves exactly the drafts an editor selected, each at the version shown", async () => {
    const calls = api({ "POST /api/orgs/org-1/plans/plan-1/approve": [] });
    renderCalendar("editor");
    await userEvent.click(await screen.findByRole("checkbox", { name: "Select Hook 1-0" }));
    await userEvent.click(screen.getByRole("checkbox", { name: "Select Hook 0-0" }));
    expect(screen.queryByRole("checkbox", { name: "Select Hook 0-1" })).not.toBeInTheDocument();

    await userEvent.click(screen.getByRole("button", { name: "Approve selected (2)" }));
    await screen.findByRole("button", { name: "Approve selected (0)" });
    const approve = calls.find((c) => c.method === "POST");
    expect(approve).toEqual({
      method: "POST",
      path: "/api/orgs/org-1/plans/plan-1/approve",
      body: {
        slots: [
          { id: "slot-0-0", version: 4 },
          { id: "slot-1-0", version: 7 },
        ],
      },
    });
    await waitFor(() => expect(calls.filter((c) => c.path.endsWith("/plan-1/slots")).length).toBeGreaterThan(1));
  });

  it("selects every draft and shows the API's refusal, keeping the selection", async () => {
    api({ "POST /api/orgs/org-1/plans/plan-1/approve": apiError(409, "conflict", "slot is no longer a draft") });
    renderCalendar("editor");
    await userEvent.click(await screen.findByRole("button", { name: "Select all drafts" }));
    await userEvent.click(screen.getByRole("button", { name: "Approve selected (2)" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("slot is no longer a draft");
    expect(alert).toHaveTextContent("req-test-1");
    expect(screen.getByRole("button", { name: "Approve selected (2)" })).toBeInTheDocument();
  });

  it("approves and locks a single slot from its cell, approving the version shown", async () => {
    const calls = api({
      "POST /api/orgs/org-1/slots/slot-1-0/approve": aSlot(1, 0, { status: "approved" }),
      "POST /api/orgs/org-1/slots/slot-1-0/lock": aSlot(1, 0, { locked: true }),
      "POST /api/orgs/org-1/slots/slot-0-0/unlock": aSlot(0, 0),
    });
    renderCalendar("editor");
    await userEvent.click(await screen.findByRole("button", { name: "Approve Hook 1-0" }));
    await userEvent.click(screen.getByRole("button", { name: "Lock Hook 1-0" }));
    await userEvent.click(screen.getByRole("button", { name: "Unlock Hook 0-0" }));
    await waitFor(() =>
      expect(calls.filter((c) => c.method === "POST").map((c) => c.path)).toEqual([
        "/api/orgs/org-1/slots/slot-1-0/approve",
        "/api/orgs/org-1/slots/slot-1-0/lock",
        "/api/orgs/org-1/slots/slot-0-0/unlock",
      ]),
    );
    expect(calls.find((c) => c.path.endsWith("/approve"))?.body).toEqual({ version: 7 });
    expect(calls.find((c) => c.path.endsWith("/lock"))?.body).toBeUndefined();
  });

  it("shows a stale_version refusal of a bulk approval and fetches the slots again, then sends the new version", async () => {
    // Someone edits Hook 1-0 after the grid loaded: the first approval is refused, the refetch shows the new content.
    let edited = false;
    let approvals = 0;
    const calls = api({
      [SLOTS]: () => (edited ? [aSlot(1, 0, { hook: "Hook 1-0, edited", version: 8 }), ...slots.slice(1)] : slots),
      "POST /api/orgs/org-1/plans/plan-1/approve": () => {
        approvals += 1;
        if (approvals === 1) {
          edited = true;
          return apiError(409, "stale_version", "slot slot-1-0 changed since version 7");
        }
        return [];
      },
    });
    renderCalendar("editor");
    await userEvent.click(await screen.findByRole("button", { name: "Select all drafts" }));
    await userEvent.click(screen.getByRole("button", { name: "Approve selected (2)" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("This slot changed since you opened it");
    expect(alert).toHaveTextContent("code stale_version");
    expect(await screen.findByRole("link", { name: "Hook 1-0, edited" })).toBeInTheDocument();

    await userEvent.click(screen.getByRole("button", { name: "Approve selected (2)" }));
    await screen.findByRole("button", { name: "Approve selected (0)" });
    expect(calls.filter((c) => c.path.endsWith("/plan-1/approve")).map((c) => c.body)).toEqual([
      { slots: [{ id: "slot-0-0", version: 4 }, { id: "slot-1-0", version: 7 }] },
      { slots: [{ id: "slot-0-0", version: 4 }, { id: "slot-1-0", version: 8 }] },
    ]);
  });

  it("shows a stale_version refusal of a single approval and fetches the slots again", async () => {
    let edited = false;
    const calls = api({
      [SLOTS]: () => (edited ? [aSlot(1, 0, { hook: "Hook 1-0, edited", version: 8 }), ...slots.slice(1)] : slots),
      "POST /api/orgs/org-1/slots/slot-1-0/approve": (body: unknown) => {
        if ((body as { version: number }).version === 7) {
          edited = true;
          return apiError(409, "stale_version", "the slot changed since version 7");
        }
        return aSlot(1, 0, { status: "approved", version: 9 });
      },
    });
    renderCalendar("editor");
    await userEvent.click(await screen.findByRole("button", { name: "Approve Hook 1-0" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("This slot changed since you opened it");
    await userEvent.click(await screen.findByRole("button", { name: "Approve Hook 1-0, edited" }));
    await waitFor(() =>
      expect(calls.filter((c) => c.path.endsWith("/slot-1-0/approve")).map((c) => c.body)).toEqual([
        { version: 7 },
        { version: 8 },
      ]),
    );
  });

  it("shows the drafting progress and polls until the plan is ready", async () => {
    let asked = 0;
    const calls = api({
      [PLAN]: () => {
        asked += 1;
        return asked === 1
          ? aPlan({ status: "drafting", batches_done: 1, batches_total: 4, run: { ...aPlan().run, status: "running" } })
          : aPlan();
      },
    });
    renderCalendar("viewer");
    expect(await screen.findByRole("progressbar", { name: "Drafting" })).toHaveAttribute("aria-valuenow", "25");
    expect(screen.getByText("drafting")).toBeInTheDocument();

    await waitFor(() => expect(screen.queryByRole("progressbar")).not.toBeInTheDocument(), { timeout: 3000 });
    expect(screen.getByText("ready")).toBeInTheDocument();
    // The slots are asked for again once drafting has ended, so the last batch shows.
    await waitFor(() => expect(calls.filter((c) => c.path.endsWith("/plan-1/slots")).length).toBeGreaterThan(1));
  });

  it("shows why drafting failed and lets an editor try again", async () => {
    const calls = api({
      [PLAN]: aPlan({ status: "failed", failure: "drafting days 1 to 7 failed: model timed out", run: { ...aPlan().run, status: "failed" } }),
      "POST /api/orgs/org-1/plans/plan-1/regenerate": { plan_id: "plan-1", created: false, run: aPlan().run },
    });
    renderCalendar("editor");
    expect(await screen.findByText("drafting days 1 to 7 failed: model timed out")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Regenerate unlocked" })).not.toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Try again" }));
    await waitFor(() =>
      expect(calls).toContainEqual({ method: "POST", path: "/api/orgs/org-1/plans/plan-1/regenerate", body: undefined }),
    );
  });

  it("offers a viewer no way to retry a failed plan", async () => {
    api({ [PLAN]: aPlan({ status: "failed", failure: "laying out the slots failed" }) });
    renderCalendar("viewer");
    expect(await screen.findByText("laying out the slots failed")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Try again" })).not.toBeInTheDocument();
  });

  it("regenerates the unlocked slots only after the editor confirms", async () => {
    const calls = api({
      "POST /api/orgs/org-1/plans/plan-1/regenerate": apiError(402, "budget_exceeded", "monthly LLM budget is used up"),
    });
    const confirm = vi.spyOn(window, "confirm").mockReturnValueOnce(false).mockReturnValueOnce(true);
    renderCalendar("editor");
    const regenerate = await screen.findByRole("button", { name: "Regenerate unlocked" });
    await userEvent.click(regenerate);
    expect(calls.some((c) => c.method === "POST")).toBe(false);

    await userEvent.click(regenerate);
    expect(await screen.findByRole("alert")).toHaveTextContent("monthly LLM budget is used up");
    expect(calls.filter((c) => c.method === "POST").map((c) => c.path)).toEqual([
      "/api/orgs/org-1/plans/plan-1/regenerate",
    ]);
    expect(confirm).toHaveBeenCalledTimes(2);
  });
});
