import { useQuery } from "@tanstack/react-query";
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { call, client, type Schemas } from "../../lib/api";
import { useOrg } from "../../lib/session";
import { StatusBadge } from "../ui/badge";
import { Card, CardTitle } from "../ui/card";
import { Empty, ErrorMessage, Loading } from "../ui/feedback";
import { formatDateTime } from "./format";
import { slotKeys, slotPath } from "./slotApi";

const METRICS_POLL_MS = 5000;

/** The post on TikTok and how it does. */
export function PublishedCard({
  slotId,
  publication,
}: {
  slotId: string;
  publication: Schemas["PublicationView"] | null;
}) {
  const { orgId } = useOrg();
  const metrics = useQuery({
    queryKey: slotKeys(orgId, slotId).metrics,
    queryFn: () => call(client.GET("/api/orgs/{org_id}/slots/{slot_id}/metrics", slotPath(orgId, slotId))),
    refetchInterval: METRICS_POLL_MS,
  });
  return (
    <Card className="space-y-3">
      <CardTitle>On TikTok</CardTitle>
      {publication && (
        <dl className="grid grid-cols-[auto_1fr] items-center gap-x-3 gap-y-1 text-sm">
          <dt className="text-slate-500">Publication</dt>
          <dd>
            <StatusBadge status={publication.status} />
          </dd>
          {publication.public_post_id && (
            <>
              <dt className="text-slate-500">Post id</dt>
              <dd className="break-all">{publication.public_post_id}</dd>
            </>
          )}
          {publication.published_at && (
            <>
              <dt className="text-slate-500">Published</dt>
              <dd>{formatDateTime(publication.published_at)}</dd>
            </>
          )}
        </dl>
      )}
      {metrics.data ? (
        <Metrics points={metrics.data} />
      ) : metrics.error ? (
        <ErrorMessage error={metrics.error} />
      ) : (
        <Loading label="Loading metrics" />
      )}
    </Card>
  );
}

function Metrics({ points }: { points: Schemas["MetricPoint"][] }) {
  const latest = points.at(-1);
  if (!latest) return <Empty title="No metrics yet">TikTok's numbers arrive a little while after posting.</Empty>;
  const totals = [
    ["Views", latest.view_count],
    ["Likes", latest.like_count],
    ["Comments", latest.comment_count],
    ["Shares", latest.share_count],
  ] as const;
  const series = points.map((p) => ({ at: formatDateTime(p.captured_at), views: p.view_count, likes: p.like_count }));
  return (
    <div className="space-y-3">
      <dl aria-label="Latest metrics" className="grid grid-cols-2 gap-2 sm:grid-cols-4">
        {totals.map(([label, value]) => (
          <div key={label} className="rounded-md bg-slate-50 p-2">
            <dt className="text-xs text-slate-500">{label}</dt>
            <dd className="text-lg font-semibold">{value.toLocaleString()}</dd>
          </div>
        ))}
      </dl>
      <h3 className="text-sm font-semibold">Views over time</h3>
      <ResponsiveContainer width="100%" height={220}>
        <LineChart data={series} margin={{ top: 5, right: 10, bottom: 5, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
          <XAxis dataKey="at" tick={{ fontSize: 10 }} minTickGap={24} />
          <YAxis allowDecimals={false} tick={{ fontSize: 10 }} width={44} />
          <Tooltip />
          <Legend />
          <Line type="monotone" dataKey="views" name="Views" stroke="#0284c7" dot={false} />
          <Line type="monotone" dataKey="likes" name="Likes" stroke="#db2777" dot={false} />
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}
