import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Schemas } from "../lib/api";
import { fakeApi, renderPage } from "../test/render";
import { Analytics } from "./Analytics";

function point(captured_at: string, views: number, likes: number, comments: number, shares: number): Schemas["MetricPoint"] {
  return { captured_at, view_count: views, like_count: likes, comment_count: comments, share_count: shares };
}

function post(slot: string, hook: string, points: Schemas["MetricPoint"][]): Schemas["PostMetrics"] {
  return {
    slot_id: slot,
    project_id: "p1",
    hook,
    publication: { status: "published", privacy_level: "PUBLIC_TO_EVERYONE", published_at: "2025-05-01T10:00:00Z" },
    points,
  };
}

const posts = [
  post("slot-1", "Three knife tricks", [
    point("2025-05-01T12:00:00Z", 1000, 10, 1, 0),
    point("2025-05-02T12:00:00Z", 4000, 300, 20, 7),
  ]),
  post("slot-2", "Pasta in 60 seconds", [
    point("2025-05-01T12:00:00Z", 200, 5, 0, 1),
    point("2025-05-02T12:00:00Z", 500, 40, 3, 2),
    point("2025-05-03T12:00:00Z", 900, 60, 4, 3),
  ]),
  post("slot-3", "Just published", []),
];

function renderAnalytics() {
  return renderPage(<Analytics />, { url: "/orgs/org-1/analytics", path: "/orgs/:orgId/analytics", role: "viewer" });
}

describe("Analytics", () => {
  it("totals the latest snapshot of every post, not every snapshot", async () => {
    fakeApi({ "GET /api/orgs/org-1/analytics": posts });
    renderAnalytics();
    expect(await screen.findByRole("group", { name: "Views" })).toHaveTextContent("4,900");
    expect(screen.getByRole("group", { name: "Likes" })).toHaveTextContent("360");
    expect(screen.getByRole("group", { name: "Comments" })).toHaveTextContent("24");
    expect(screen.getByRole("group", { name: "Shares" })).toHaveTextContent("10");
    expect(screen.getByRole("heading", { name: "Views over time" })).toBeInTheDocument();
  });

  it("lists each post with its latest numbers and snapshot count", async () => {
    fakeApi({ "GET /api/orgs/org-1/analytics": posts });
    renderAnalytics();
    const link = await screen.findByRole("link", { name: "Pasta in 60 seconds" });
    expect(link).toHaveAttribute("href", "/orgs/org-1/slots/slot-2");
    const cells = within(link.closest("tr")!).getAllByRole("cell").map((c) => c.textContent);
    expect(cells.slice(2)).toEqual(["public to everyone", "900", "60", "4", "3", "3"]);

    const fresh = screen.getByRole("link", { name: "Just published" }).closest("tr")!;
    expect(within(fresh).getAllByRole("cell").map((c) => c.textContent).slice(3)).toEqual(["—", "—", "—", "—", "0"]);
  });

  it("shows what worked in each project with posts", async () => {
    fakeApi({
      "GET /api/orgs/org-1/analytics": posts,
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

  it("says when nothing has been published yet", async () => {
    fakeApi({ "GET /api/orgs/org-1/analytics": [] });
    renderAnalytics();
    expect(await screen.findByText("No published posts yet")).toBeInTheDocument();
  });
});
