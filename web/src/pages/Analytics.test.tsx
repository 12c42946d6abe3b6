import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { Schemas } from "../lib/api";
import { fakeApi, renderPage } from "../test/render";
import { Analytics, rangeOf } from "./Analytics";

const ANALYTICS = "GET /api/orgs/org-1/analytics";

function point(captured_at: string, views: number, likes: number, comments: number, shares: number): Schemas["MetricPoint"] {
  return { captured_at, view_count: views, like_count: likes, comment_count: comments, share_count: shares };
}

function post(slot: string, hook: string, points: Schemas["MetricPoint"][], snapshots = points.length): Schemas["PostMetrics"] {
  return {
    slot_id: slot,
    project_id: "p1",
    hook,
    publication: { status: "published", privacy_level: "PUBLIC_TO_EVERYONE", published_at: "2025-05-01T10:00:00Z" },
    latest: points[points.length - 1] ?? null,
    snapshots,
    points,
  };
}

const knives = post("slot-1", "Three knife tricks", [
  point("2025-05-01T12:00:00Z", 1000, 10, 1, 0),
  point("2025-05-02T12:00:00Z", 4000, 300, 20, 7),
]);
const pasta = post(
  "slot-2",
  "Pasta in 60 seconds",
  [point("2025-05-01T12:00:00Z", 200, 5, 0, 1), point("2025-05-02T12:00:00Z", 500, 40, 3, 2), point("2025-05-03T12:00:00Z", 900, 60, 4, 3)],
  4,
);
const fresh = post("slot-3", "Just published", []);

/** The API's answer: the range's totals and days, and one page of posts. */
function view(items: Schemas["PostMetrics"][], next_cursor: string | null = null, post_count = items.length): Schemas["AnalyticsView"] {
  return {
    from: "2025-04-04",
    to: "2025-05-03",
    post_count,
    totals: { view_count: 4900, like_count: 360, comment_count: 24, share_count: 10 },
    days: [
      { day: "2025-05-01", view_count: 1200, like_count: 15, comment_count: 1, share_count: 1 },
      { day: "2025-05-02", view_count: 4500, like_count: 340, comment_count: 23, share_count: 9 },
    ],
    project_ids: ["p1"],
    posts: { items, next_cursor },
  };
}

function renderAnalytics() {
  return renderPage(<Analytics />, { url: "/orgs/org-1/analytics", path: "/orgs/:orgId/analytics", role: "viewer" });
}

describe("Analytics", () => {
  it("shows the range's totals as the API sums them", async () => {
    fakeApi({ [ANALYTICS]: view([knives, pasta, fresh]) });
    renderAnalytics();
    expect(await screen.findByRole("group", { name: "Views" })).toHaveTextContent("4,900");
    expect(screen.getByRole("group", { name: "Likes" })).toHaveTextContent("360");
    expect(screen.getByRole("group", { name: "Comments" })).toHaveTextContent("24");
    expect(screen.getByRole("group", { name: "Shares" })).toHaveTextContent("10");
    expect(screen.getByRole("heading", { name: "Views over time" })).toBeInTheDocument();
    expect(screen.getByRole("heading", { name: "Top posts over time" })).toBeInTheDocument();
    expect(screen.getByText("2025-04-04 to 2025-05-03 (UTC)")).toBeInTheDocument();
  });

  it("lists each post with its latest numbers and snapshot count in the range", async () => {
    fakeApi({ [ANALYTICS]: view([knives, pasta, fresh]) });
    renderAnalytics();
    const link = await screen.findByRole("link", { name: "Pasta in 60 seconds" });
    expect(link).toHaveAttribute("href", "/orgs/org-1/slots/slot-2");
    const cells = within(link.closest("tr")!).getAllByRole("cell").map((c) => c.textContent);
    expect(cells.slice(2)).toEqual(["public to everyone", "900", "60", "4", "3", "4"]);

    const row = screen.getByRole("link", { name: "Just published" }).closest("tr")!;
    expect(within(row).getAllByRole("cell").map((c) => c.textContent).slice(3)).toEqual(["—", "—", "—", "—", "0"]);
  });

  it("asks for the last 30 days first and for the range a preset picks", async () => {
    const asked: { from: string | null; to: string | null }[] = [];
    fakeApi({
      [ANALYTICS]: (_body: unknown, url: URL) => {
        asked.push({ from: url.searchParams.get("from"), to: url.searchParams.get("to") });
        return view([knives]);
      },
    });
    renderAnalytics();
    await screen.findByRole("link", { name: "Three knife tricks" });
    expect(asked[0]).toEqual(rangeOf(30));
    expect(screen.getByRole("button", { name: "Last 30 days" })).toHaveAttribute("aria-pressed", "true");

    await userEvent.click(screen.getByRole("button", { name: "Last 7 days" }));
    await waitFor(() => expect(asked.at(-1)).toEqual(rangeOf(7)));
    await userEvent.click(screen.getByRole("button", { name: "Last 90 days" }));
    await waitFor(() => expect(asked.at(-1)).toEqual(rangeOf(90)));
    expect(screen.getByRole("button", { name: "Last 90 days" })).toHaveAttribute("aria-pressed", "true");
  });

  it("counts range days in UTC, the last one included", () => {
    expect(rangeOf(7, new Date("2025-05-03T23:30:00Z"))).toEqual({ from: "2025-04-27", to: "2025-05-03" });
    expect(rangeOf(1, new Date("2025-05-03T00:10:00Z"))).toEqual({ from: "2025-05-03", to: "2025-05-03" });
  });

  it("loads the next page of posts from its cursor", async () => {
    fakeApi({
      [ANALYTICS]: (_body: unknown, url: URL) =>
        url.searchParams.get("cursor") === "posts-2" ? view([pasta], null, 2) : view([knives], "posts-2", 2),
    });
    renderAnalytics();
    await screen.findByRole("link", { name: "Three knife tricks" });
    expect(screen.queryByRole("link", { name: "Pasta in 60 seconds" })).toBeNull();
    expect(screen.getByText("Showing 1 of 2 posts")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Load more posts" }));
    expect(await screen.findByRole("link", { name: "Pasta in 60 seconds" })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Load more posts" })).toBeNull();
  });

  it("shows what worked in each project with posts", async () => {
    fakeApi({
      [ANALYTICS]: view([knives, pasta]),
      "GET /api/orgs/org-1/projects": [{ id: "p1", name: "Kitchen hacks" }],
      "GET /api/orgs/org-1/projects/p1/performance": {
        posts_measured: 2,
        best: [
          {
            slot_id: "slot-1",
            hook: "Three knife tricks",
            format: "tutorial",
            posting_time: "19:00",
            views: 4000,
            likes: 300,
            comments: 20,
            shares: 7,
            engagement: 0.08,
          },
        ],
        weakest: [],
        by_format: { tutorial: { posts: 2, avg_views: 2450, avg_engagement: 0.08 } },
        by_posting_time: { "19:00": { posts: 2, avg_views: 2450, avg_engagement: 0.08 } },
      },
    });
    renderAnalytics();
    expect(await screen.findByRole("heading", { name: "What worked in Kitchen hacks" })).toBeInTheDocument();
    const best = await screen.findByRole("region", { name: "Best posts" });
    expect(best).toHaveTextContent("4,000 views · 8.0% engagement · tutorial at 19:00");
  });

  it("says when nothing was published in the range", async () => {
    fakeApi({ [ANALYTICS]: { ...view([]), days: [], project_ids: [] } });
    renderAnalytics();
    expect(await screen.findByText("No published posts in the last 30 days")).toBeInTheDocument();
  });
});
