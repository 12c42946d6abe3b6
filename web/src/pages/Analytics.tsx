import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { PerformanceCard } from "../components/project/PerformanceCard";
import { ViewsChart } from "../components/dashboard/ViewsChart";
import { Card, CardTitle } from "../components/ui/card";
import { Empty, ErrorMessage, Loading, PageHeader } from "../components/ui/feedback";
import { call, client, type Schemas } from "../lib/api";
import { useOrg } from "../lib/session";

type Point = Schemas["MetricPoint"];

const METRICS = [
  { label: "Views", key: "view_count" },
  { label: "Likes", key: "like_count" },
  { label: "Comments", key: "comment_count" },
  { label: "Shares", key: "share_count" },
] as const;

const number = new Intl.NumberFormat("en-US");

/** Snapshots are cumulative counts, oldest first: the last one is the post's current total. */
function latest(post: Schemas["PostMetrics"]): Point | undefined {
  return post.points[post.points.length - 1];
}

function formatPrivacy(level: string | null | undefined) {
  return level ? level.toLowerCase().replaceAll("_", " ") : "—";
}

export function Analytics() {
  const { orgId } = useOrg();
  const analytics = useQuery({
    queryKey: ["org", orgId, "analytics"],
    queryFn: () => call(client.GET("/api/orgs/{org_id}/analytics", { params: { path: { org_id: orgId } } })),
    // Snapshots arrive in the background (schedule or "Refresh metrics").
    refetchInterval: 10_000,
  });
  const posts = analytics.data ?? [];
  const total = (key: (typeof METRICS)[number]["key"]) => posts.reduce((sum, post) => sum + (latest(post)?.[key] ?? 0), 0);
  return (
    <div>
      <PageHeader title="Analytics" />
      {analytics.isPending && <Loading />}
      <ErrorMessage error={analytics.error} />
      {analytics.data?.length === 0 && (
        <Empty title="No published posts yet">Metrics appear here once a video is published on TikTok.</Empty>
      )}
      {posts.length > 0 && (
        <div className="space-y-4">
          <div className="grid grid-cols-2 gap-3 sm:grid-cols-4">
            {METRICS.map((metric) => (
              <Card key={metric.key} role="group" aria-label={metric.label} className="p-3">
                <p className="text-xs text-slate-500">{metric.label}</p>
                <p className="text-2xl font-semibold">{number.format(total(metric.key))}</p>
              </Card>
            ))}
          </div>
          <Card>
            <CardTitle>Views over time</CardTitle>
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
          <ProjectResults projectIds={[...new Set(posts.map((p) => p.project_id))]} />
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
  const now = latest(post);
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
      <td className="p-3 text-right tabular-nums">{post.points.length}</td>
    </tr>
  );
}
