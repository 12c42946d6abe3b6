import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { call, client, type Schemas } from "../../lib/api";
import { useOrg } from "../../lib/session";
import { StatusBadge } from "../ui/badge";
import { Card, CardTitle } from "../ui/card";
import { ErrorMessage, Loading, Progress } from "../ui/feedback";

const SHOWN = 5;

/** The newest work of the queue; the queue page has the rest. */
export function RecentRunsCard() {
  const { orgId } = useOrg();
  const queue = useQuery({
    // Its own key: the queue page's cache holds pages, this one only the newest few.
    queryKey: ["org", orgId, "queue", "recent"],
    queryFn: () =>
      call(client.GET("/api/orgs/{org_id}/queue", { params: { path: { org_id: orgId }, query: { limit: SHOWN } } })),
  });
  const items = queue.data?.items;
  return (
    <Card>
      <CardTitle>Recent runs</CardTitle>
      {queue.isPending && <Loading />}
      <ErrorMessage error={queue.error} />
      {items?.length === 0 && <p className="text-sm text-slate-600">Nothing running or waiting.</p>}
      {items && items.length > 0 && (
        <ul className="divide-y divide-slate-100">
          {items.slice(0, SHOWN).map((item) => (
            <RunRow key={`${item.run.workflow_id}-${item.slot_id ?? item.plan_id}`} item={item} />
          ))}
        </ul>
      )}
      <Link className="mt-3 inline-block text-sm underline" to={`/orgs/${orgId}/queue`}>
        Open the queue
      </Link>
    </Card>
  );
}

function RunRow({ item }: { item: Schemas["QueueItem"] }) {
  const { orgId } = useOrg();
  const target = item.slot_id ? `/orgs/${orgId}/slots/${item.slot_id}` : `/orgs/${orgId}/plans/${item.plan_id}`;
  return (
    <li className="space-y-1 py-2 text-sm">
      <div className="flex items-start justify-between gap-2">
        <Link className="min-w-0 break-words hover:underline" to={target}>
          {item.title}
        </Link>
        <StatusBadge status={item.state} />
      </div>
      {item.progress !== null && item.progress !== undefined && (
        <Progress value={item.progress} label={`Progress of ${item.title}`} />
      )}
    </li>
  );
}
