import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import { DailyViewsChart } from "../components/dashboard/DailyViewsChart";
import { PerformanceCard } from "../components/project/PerformanceCard";
import { ViewsChart } from "../components/dashboard/ViewsChart";
import { Button } from "../components/ui/button";
import { Card, CardTitle } from "../components/ui/card";
import { Empty, ErrorMessage, Loading, PageHeader } from "../components/ui/feedback";
import { call, client, type Schemas } from "../lib/api";
import { useOrg } from "../lib/session";

const METRICS = [
  { label: "Views", key: "view_count" },
  { label: "Likes", key: "like_count" },
  { label: "Comments", key: "comment_count" },
  { label: "Shares", key: "share_count" },
] as const;

/** The ranges offered, in days up to and including today. */
export const RANGES = [7, 30, 90] as const;
type Range = (typeof RANGES)[number];
/** Posts per page of the table; "Load more posts" asks for the next one. */
export const POSTS_PAGE = 20;

const number = new Intl.NumberFormat("en-US");

function formatPrivacy(level: string | null | undefined) {
  return level ? level.toLowerCase().replaceAll("_", " ") : "—";
}

/** The range's first and last day as the API counts days: in UTC. */
export function rangeOf(days: number, now = new Date()): { from: string; to: string } {
  const day = (d: Date) => d.toISOString().slice(0, 10);
  const from = new Date(now.getTime() - (days - 1) * 86_400_000);
  return { from: day(from), to: day(now) };
}

export function Analytics() {
  const { orgId } = useOrg();
  const [days, setDays] = useState<Range>(30);
  const { from, to } = rangeOf(days);
  const analytics = useInfiniteQuery({
    queryKey: ["org", orgId, "analytics", from, to],
    queryFn: ({ pageParam }) =>
      call(
        client.GET("/api/orgs/{org_id}/analytics", {
          params: {
            path: { org_id: orgId },
            query: { from, to, limit: POSTS_PAGE, cursor: pageParam ?? undefined },
          },
        }),
      ),
    initialPageParam: null as string | null,
    getNextPageParam: (page) => page.posts.next_cursor ?? undefined,
    // Snapshots arrive in the background (schedule or "Refresh metrics").
    refetchInterval: 10_000,
  });
  // Totals, days and projects are the range's; every page repeats them.
  const summary = analytics.data?.pages[0];
  const posts = analytics.data?.pages.flatMap((page) => page.posts.items) ?? [];
  return (
    <div>
      <PageHeader title="Analytics" />
      <div role="group" aria-label="Range" className="mb-4 flex flex-wrap items-center gap-2">
        {RANGES.map((range) => (
          <Button
            key={range}
            size="sm"
            variant={days === range ? "default" : "outline"}
            aria-pressed={days === range}
            onClick={() => setDays(range)}
          >
            Last {range} days
          </Button>
        ))}
        {summary && (
          <span className="text-xs text-slate-500">
            {summary.from} to {summary.to} (UTC)
          </span>
        )}
      </div>
      {analytics.isPending && <Loading />}
      <ErrorMessage error={analytics.error} />
      {summary?.post_count === 0 && (
        <Empty title={`No published posts in the last ${days} days`}>
          Metrics appear here once a video is published on TikTok.
        </Empty>
      )}
      {summary && summary.post_count > 0 && (
        <div className="space-y-4">
          <div className="grid grid-cols-2 gap-3 sm:grid-cols-4">
            {METRICS.map((metric) => (
              <Card key={metric.key} role="group" aria-label={metric.label} className="p-3">
                <p className="text-xs text-slate-500">{metric.label}</p>
                <p className="text-2xl font-semibold">{number.format(summary.totals[metric.key])}</p>
              </Card>
            ))}
          </div>
          <Card>
            <CardTitle>Views over time</CardTitle>
            <DailyViewsChart days={summary.days} />
          </Card>
          <Card>
            <CardTitle>Top posts over time</CardTitle>
            <ViewsChart posts={posts} />
          </Card>
          <Card className="overflow-x-auto p-0">
            <table className="w-full min-w-[44rem] text-sm">
              <thead className="border-b border-slate-200 text-left text-xs text-slate-500">
                <tr>
                  <th className="p-3 font-medium">Post</th>
                  <th className="p-3 font-medium">Published</th>
                  <th className="p-3 font-medium">Privacy</th>
                  {METRICS.map((metric) => (
                    <th key={metric.key} className="p-3 text-right font-medium">
                      {metric.label}
                    </th>
                  ))}
                  <th className="p-3 text-right font-medium">Snapshots</th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {posts.map((post) => (
                  <PostRow key={post.slot_id} post={post} />
                ))}
              </tbody>
            </table>
          </Card>
          {analytics.hasNextPage && (
            <div className="flex flex-wrap items-center gap-3 text-sm text-slate-600">
              <span>
                Showing {posts.length} of {summary.post_count} posts
              </span>
              <Button
                size="sm"
                variant="outline"
                onClick={() => analytics.fetchNextPage()}
                disabled={analytics.isFetchingNextPage}
              >
                {analytics.isFetchingNextPage ? "Loading…" : "Load more posts"}
              </Button>
            </div>
          )}
          <ProjectResults projectIds={summary.project_ids} />
        </div>
      )}
    </div>
  );
}

/** Best and weakest posts, formats and posting times per project: what the next month learns from. */
function ProjectResults({ projectIds }: { projectIds: string[] }) {
  const { orgId } = useOrg();
  const projects = useQuery({
    queryKey: ["org", orgId, "projects"],
    queryFn: () => call(client.GET("/api/orgs/{org_id}/projects", { params: { path: { org_id: orgId } } })),
  });
  const names = new Map((projects.data ?? []).map((p) => [p.id, p.name]));
  return (
    <div className="grid items-start gap-4 lg:grid-cols-2">
      {projectIds.map((id) => (
        <PerformanceCard key={id} projectId={id} title={`What worked in ${names.get(id) ?? "this project"}`} />
      ))}
    </div>
  );
}

function PostRow({ post }: { post: Schemas["PostMetrics"] }) {
  const { orgId } = useOrg();
  const now = post.latest;
  const publishedAt = post.publication.published_at;
  return (
    <tr>
      <td className="max-w-64 p-3">
        <Link className="underline" to={`/orgs/${orgId}/slots/${post.slot_id}`}>
          {post.hook}
        </Link>
      </td>
      <td className="p-3 whitespace-nowrap">{publishedAt ? new Date(publishedAt).toLocaleString() : "—"}</td>
      <td className="p-3">{formatPrivacy(post.publication.privacy_level)}</td>
      {METRICS.map((metric) => (
        <td key={metric.key} className="p-3 text-right tabular-nums">
          {now ? number.format(now[metric.key]) : "—"}
        </td>
      ))}
      <td className="p-3 text-right tabular-nums">{post.snapshots}</td>
    </tr>
  );
}
