import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Schemas } from "../lib/api";
import { fakeApi, renderPage } from "../test/render";
import { Dashboard } from "./Dashboard";

const ready = { ready: true, failed: [], checks: { postgres: { ok: true } } };

const usage: Schemas["UsageView"] = {
  llm_cost_micros_this_month: 1_250_000,
  monthly_llm_budget_micros: 5_000_000,
  video_seconds_this_month: 754,
  monthly_video_seconds_budget: null,
  publishes_today: 2,
  posts_per_day_budget: 3,
  publishes_this_month: 5,
  llm_cost_micros_per_post: 250_000,
  asr_seconds_this_month: 0,
  monthly_asr_seconds_budget: null,
};

const queueItem = (n: number) => ({
  kind: "slot",
  state: n === 1 ? "running" : "scheduled",
  project_id: "p1",
  plan_id: "plan-1",
  slot_id: `slot-${n}`,
  title: `Hook number ${n}`,
  progress: n === 1 ? 0.4 : null,
  updated_at: "2025-05-01T10:00:00Z",
  run: { workflow_id: `wf-${n}`, status: "running", temporal_ui_url: "http://temporal" },
});

function api(overrides: Record<string, unknown> = {}) {
  return fakeApi({
    "GET /api/orgs/org-1/projects": [{ id: "p1", name: "Cooking" }],
    "GET /api/orgs/org-1/projects/p1/usage": usage,
    "GET /api/orgs/org-1/tiktok/accounts": [],
    "GET /api/orgs/org-1/credentials": [
      { id: "c1", status: "active", pending: { version: 2, fingerprint: "sha256:ab", last4: "abcd" } },
      { id: "c2", status: "active", pending: null },
      { id: "c3", status: "revoked", pending: null },
    ],
    "GET /api/orgs/org-1/queue": { items: [1, 2, 3, 4, 5, 6].map(queueItem), next_cursor: "more", total: 9 },
    "GET /readyz": ready,
    ...overrides,
  });
}

describe("Dashboard", () => {
  it("shows each project's usage against its budgets", async () => {
    api();
    renderPage(<Dashboard />, { url: "/orgs/org-1", path: "/orgs/:orgId" });
    const cooking = await screen.findByRole("region", { name: "Usage of Cooking" });
    expect(await within(cooking).findByText("$1.25 of $5.00")).toBeInTheDocument();
    expect(within(cooking).getByRole("progressbar", { name: "LLM spend of Cooking" })).toHaveAttribute("aria-valuenow", "25");
    expect(within(cooking).getByText("Video rendered this month").closest("li")).toHaveTextContent("754 s · no limit");
    expect(within(cooking).queryByRole("progressbar", { name: "Video seconds of Cooking" })).toBeNull();
    expect(within(cooking).getByText("2 of 3")).toBeInTheDocument();
    expect(within(cooking).getByRole("progressbar", { name: "Posts today of Cooking" })).toHaveAttribute("aria-valuenow", "67");
  });

  it("invites a new organisation to create its first project", async () => {
    const calls = api({ "GET /api/orgs/org-1/projects": [] });
    renderPage(<Dashboard />, { url: "/orgs/org-1", path: "/orgs/:orgId" });
    const link = await screen.findByRole("link", { name: "Create your first project" });
    expect(link).toHaveAttribute("href", "/orgs/org-1/projects");
    expect(screen.queryByRole("heading", { name: "Usage" })).toBeNull();
    expect(calls.some((c) => c.path.endsWith("/usage"))).toBe(false);
  });

  it("lists the five newest runs and links to the queue", async () => {
    const limits: (string | null)[] = [];
    api({
      "GET /api/orgs/org-1/queue": (_body: unknown, url: URL) => {
        limits.push(url.searchParams.get("limit"));
        return { items: [1, 2, 3, 4, 5, 6].map(queueItem), next_cursor: "more", total: 9 };
      },
    });
    renderPage(<Dashboard />, { url: "/orgs/org-1", path: "/orgs/:orgId" });
    expect(await screen.findByRole("link", { name: "Hook number 5" })).toHaveAttribute("href", "/orgs/org-1/slots/slot-5");
    expect(screen.queryByText("Hook number 6")).toBeNull();
    expect(screen.getByRole("progressbar", { name: "Progress of Hook number 1" })).toHaveAttribute("aria-valuenow", "40");
    expect(screen.getByRole("link", { name: "Open the queue" })).toHaveAttribute("href", "/orgs/org-1/queue");
    expect(limits[0]).toBe("5");
  });

  it("says when no TikTok account is connected, and shows connected ones", async () => {
    api();
    const { unmount } = renderPage(<Dashboard />, { url: "/orgs/org-1", path: "/orgs/:orgId" });
    expect(await screen.findByText("No TikTok account connected")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Connect TikTok" })).toHaveAttribute("href", "/orgs/org-1/tiktok");
    unmount();

    api({
      "GET /api/orgs/org-1/tiktok/accounts": [
        { id: "a1", display_name: "Chef Ana", status: "connected" },
        { id: "a2", display_name: "Old account", status: "disconnected" },
      ],
    });
    renderPage(<Dashboard />, { url: "/orgs/org-1", path: "/orgs/:orgId" });
    expect(await screen.findByText("Chef Ana")).toBeInTheDocument();
    expect(screen.getByText("connected")).toBeInTheDocument();
    expect(screen.queryByText("Old account")).toBeNull();
  });

  it("summarises credentials for admins and hides them from editors", async () => {
    api();
    const { unmount } = renderPage(<Dashboard />, { url: "/orgs/org-1", path: "/orgs/:orgId", role: "admin" });
    expect(await screen.findByText("2 active credentials")).toBeInTheDocument();
    expect(screen.getByText("1 rotation pending")).toBeInTheDocument();
    unmount();

    const calls = api();
    renderPage(<Dashboard />, { url: "/orgs/org-1", path: "/orgs/:orgId", role: "editor" });
    await screen.findByRole("heading", { name: "Recent runs" });
    expect(screen.queryByRole("heading", { name: "Credentials" })).toBeNull();
    expect(calls.some((c) => c.path.endsWith("/credentials"))).toBe(false);
  });
});
