import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { Schemas } from "../lib/api";
import { apiError, fakeApi, renderPage } from "../test/render";
import { Queue } from "./Queue";

const QUEUE = "GET /api/orgs/org-1/queue";

function item(overrides: Partial<Schemas["QueueItem"]>): Schemas["QueueItem"] {
  return {
    kind: "slot",
    state: "running",
    project_id: "project-1",
    plan_id: "plan-1",
    slot_id: "slot-1",
    title: "A hook",
    day_index: 2,
    slot_index: 0,
    scheduled_at: "2025-10-14T16:00:00Z",
    stage: null,
    progress: null,
    reason: null,
    retry: null,
    updated_at: "2025-10-12T09:30:00Z",
    slot_status: "rendering",
    run: { workflow_id: "wf-1", status: "running", temporal_ui_url: "http://temporal.test/wf-1" },
    ...overrides,
  };
}

const rendering = item({ slot_id: "slot-r", title: "Rendering hook", stage: "rendering", progress: 0.42 });
const drafting = item({ kind: "plan", slot_id: null, plan_id: "plan-d", title: "Month from 2025-11-01", progress: 0.5 });
const waiting = item({ slot_id: "slot-w", title: "Waiting hook", state: "waiting_for_approval", stage: "waiting_for_approval" });
const failedPlan = item({
  kind: "plan",
  slot_id: null,
  plan_id: "plan-f",
  title: "Month from 2025-12-01",
  state: "failed",
  reason: "the model answered nonsense",
  retry: "regenerate",
});
const failedRender = item({ slot_id: "slot-fr", title: "Render broke", state: "failed", reason: "ffmpeg died", retry: "render" });
const deadLetter = item({ slot_id: "slot-dl", title: "TikTok said no", state: "dead_letter", reason: "spam_risk", retry: "pipeline" });

const ALL = [rendering, drafting, waiting, failedPlan, failedRender, deadLetter];

/** One page of the queue as the API answers it. */
function page(items: Schemas["QueueItem"][], next_cursor: string | null = null, total = items.length): Schemas["QueuePage"] {
  return { items, next_cursor, total };
}

const renderQueue = (role: "viewer" | "editor" = "editor") =>
  renderPage(<Queue />, { url: "/orgs/org-1/queue", path: "/orgs/:orgId/queue", role });

describe("Queue", () => {
  it("lists the work with links, progress and runs, and filters it by state", async () => {
    fakeApi({ [QUEUE]: page(ALL) });
    renderQueue();

    const slotLink = await screen.findByRole("link", { name: "Rendering hook" });
    expect(slotLink).toHaveAttribute("href", "/orgs/org-1/slots/slot-r");
    expect(screen.getByRole("link", { name: "Month from 2025-11-01" })).toHaveAttribute("href", "/orgs/org-1/plans/plan-d");
    expect(screen.getAllByRole("progressbar", { name: "Rendering" })[0]).toHaveAttribute("aria-valuenow", "42");
    expect(screen.getByRole("progressbar", { name: "Drafting" })).toHaveAttribute("aria-valuenow", "50");
    const runs = screen.getAllByRole("link", { name: "Temporal run" });
    expect(runs).toHaveLength(ALL.length);
    expect(runs[0]).toHaveAttribute("href", "http://temporal.test/wf-1");
    expect(runs[0]).toHaveAttribute("target", "_blank");

    const all = screen.getByRole("button", { name: "All" });
    expect(all).toHaveAttribute("aria-pressed", "true");
    expect(all).toHaveTextContent("6");
    const failed = screen.getByRole("button", { name: "Failed" });
    expect(failed).toHaveTextContent("2");
    expect(screen.getByRole("button", { name: "Dead letters" })).toHaveTextContent("1");

    await userEvent.click(failed);
    expect(failed).toHaveAttribute("aria-pressed", "true");
    expect(all).toHaveAttribute("aria-pressed", "false");
    const titles = screen.getAllByRole("listitem").map((li) => within(li).getAllByRole("link")[0].textContent);
    expect(titles).toEqual(["Month from 2025-12-01", "Render broke"]);
    expect(screen.getByText("ffmpeg died")).toBeInTheDocument();

    await userEvent.click(screen.getByRole("button", { name: "Scheduled" }));
    expect(screen.getByText("Nothing in this list")).toBeInTheDocument();
  });

  it("retries each kind of failure through the endpoint that restarts it", async () => {
    const calls = fakeApi({
      [QUEUE]: page(ALL),
      "POST /api/orgs/org-1/plans/plan-f/regenerate": { plan_id: "plan-f", created: false, run: rendering.run },
      "POST /api/orgs/org-1/slots/slot-fr/render": { slot_id: "slot-fr", status: "rendering", version: 2 },
      "POST /api/orgs/org-1/slots/slot-dl/retry": { slot_id: "slot-dl", slot_status: "rendered", run: rendering.run },
    });
    renderQueue();

    const posts = () => calls.filter((c) => c.method === "POST").map((c) => c.path);
    await userEvent.click(await screen.findByRole("button", { name: "Retry Month from 2025-12-01" }));
    await userEvent.click(screen.getByRole("button", { name: "Retry Render broke" }));
    await userEvent.click(screen.getByRole("button", { name: "Retry TikTok said no" }));
    await waitFor(() => expect(posts()).toHaveLength(3));
    expect(posts()).toEqual([
      "/api/orgs/org-1/plans/plan-f/regenerate",
      "/api/orgs/org-1/slots/slot-fr/render",
      "/api/orgs/org-1/slots/slot-dl/retry",
    ]);
    // Only failed items offer a retry.
    expect(screen.getAllByRole("button", { name: /^Retry / })).toHaveLength(3);
  });

  it("shows a refused retry with its code on that item", async () => {
    fakeApi({
      [QUEUE]: page([deadLetter, failedRender]),
      "POST /api/orgs/org-1/slots/slot-dl/retry": apiError(409, "conflict", "only failed slots are retried"),
    });
    renderQueue();
    await userEvent.click(await screen.findByRole("button", { name: "Retry TikTok said no" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("only failed slots are retried");
    expect(alert).toHaveTextContent("code conflict");
    expect(within(screen.getAllByRole("listitem")[0]).getByRole("alert")).toBe(alert);
  });

  it("offers a viewer no retry", async () => {
    fakeApi({ [QUEUE]: page(ALL) });
    renderQueue("viewer");
    await screen.findByRole("link", { name: "TikTok said no" });
    expect(screen.queryByRole("button", { name: /Retry/ })).not.toBeInTheDocument();
  });

  it("says when nothing is going on", async () => {
    fakeApi({ [QUEUE]: page([]) });
    renderQueue();
    expect(await screen.findByText("Nothing running or waiting")).toBeInTheDocument();
  });

  it("asks for the first page and loads the next one from its cursor on Load more", async () => {
    const asked: string[] = [];
    fakeApi({
      [QUEUE]: (_body: unknown, url: URL) => {
        asked.push(url.search);
        return url.searchParams.get("cursor") === "page-2"
          ? page([deadLetter], null, 3)
          : page([rendering, waiting], "page-2", 3);
      },
    });
    renderQueue();
    await screen.findByRole("link", { name: "Waiting hook" });
    expect(screen.queryByRole("link", { name: "TikTok said no" })).toBeNull();
    expect(screen.getByText("Showing 2 of 3")).toBeInTheDocument();
    expect(asked[0]).toBe("?limit=50");

    await userEvent.click(screen.getByRole("button", { name: "Load more" }));
    expect(await screen.findByRole("link", { name: "TikTok said no" })).toBeInTheDocument();
    const titles = screen.getAllByRole("listitem").map((li) => within(li).getAllByRole("link")[0].textContent);
    expect(titles).toEqual(["Rendering hook", "Waiting hook", "TikTok said no"]);
    expect(screen.queryByRole("button", { name: "Load more" })).toBeNull();
    expect(screen.getByRole("button", { name: "All" })).toHaveTextContent("3");
    expect(asked).toContain("?limit=50&cursor=page-2");
  });

  it("says when Temporal did not answer for an item's run", async () => {
    fakeApi({ [QUEUE]: page([item({ run: { workflow_id: "wf-1", status: "unknown", temporal_ui_url: "http://t/wf-1" } })]) });
    renderQueue();
    expect(await screen.findByText(/Run status unknown/)).toBeInTheDocument();
  });
});
