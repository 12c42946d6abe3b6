import { useInfiniteQuery, useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import { formatDateTime, formatDayAndTime, humanize } from "../components/slot/format";
import { slotPath } from "../components/slot/slotApi";
import { StatusBadge } from "../components/ui/badge";
import { Button } from "../components/ui/button";
import { Card } from "../components/ui/card";
import { Empty, ErrorMessage, Loading, PageHeader, Progress } from "../components/ui/feedback";
import { call, client, type Schemas } from "../lib/api";
import { useOrg } from "../lib/session";

type QueueItem = Schemas["QueueItem"];
type QueueState = Schemas["QueueState"];

const POLL_MS = 2000;
/** Items per page; "Load more" asks for the next one. */
export const QUEUE_PAGE = 50;

const FILTERS: { label: string; state: QueueState | null }[] = [
  { label: "All", state: null },
  { label: "Running", state: "running" },
  { label: "Waiting for approval", state: "waiting_for_approval" },
  { label: "Scheduled", state: "scheduled" },
  { label: "Failed", state: "failed" },
  { label: "Dead letters", state: "dead_letter" },
];

const queueKey = (orgId: string) => ["org", orgId, "queue"];

/** Everything of the organisation that runs, waits or failed, with its Temporal run. */
export function Queue() {
  const { orgId } = useOrg();
  const [filter, setFilter] = useState<QueueState | null>(null);
  // Polls every page loaded so far; "Load more" adds the next one.
  const queue = useInfiniteQuery({
    queryKey: queueKey(orgId),
    queryFn: ({ pageParam }) =>
      call(
        client.GET("/api/orgs/{org_id}/queue", {
          params: { path: { org_id: orgId }, query: { limit: QUEUE_PAGE, cursor: pageParam ?? undefined } },
        }),
      ),
    initialPageParam: null as string | null,
    getNextPageParam: (page) => page.next_cursor ?? undefined,
    refetchInterval: POLL_MS,
  });
  if (!queue.data) {
    return (
      <div>
        <PageHeader title="Queue" />
        {queue.error ? <ErrorMessage error={queue.error} /> : <Loading />}
      </div>
    );
  }
  const items = uniqueItems(queue.data.pages.flatMap((page) => page.items));
  const total = queue.data.pages[0]?.total ?? items.length;
  const shown = filter === null ? items : items.filter((item) => item.state === filter);
  return (
    <div className="space-y-4">
      <PageHeader title="Queue" />
      <div role="group" aria-label="Show" className="flex flex-wrap gap-2">
        {FILTERS.map(({ label, state }) => {
          const count = state === null ? items.length : items.filter((item) => item.state === state).length;
          return (
            <Button
              key={label}
              size="sm"
              variant={filter === state ? "default" : "outline"}
              aria-pressed={filter === state}
              // The name stays the bare label; the count is read as its description.
              aria-label={label}
              aria-description={`${count} items`}
              onClick={() => setFilter(state)}
            >
              {label}
              <span className="rounded bg-slate-500/15 px-1 tabular-nums">{count}</span>
            </Button>
          );
        })}
      </div>
      {items.length === 0 ? (
        <Empty title="Nothing running or waiting" />
      ) : shown.length === 0 ? (
        <Empty title="Nothing in this list" />
      ) : (
        <ul className="space-y-2">
          {shown.map((item) => (
            <QueueRow key={itemKey(item)} item={item} />
          ))}
        </ul>
      )}
      {queue.hasNextPage && (
        <div className="flex flex-wrap items-center gap-3 text-sm text-slate-600">
          <span>
            Showing {items.length} of {total}
          </span>
          <Button size="sm" variant="outline" onClick={() => queue.fetchNextPage()} disabled={queue.isFetchingNextPage}>
            {queue.isFetchingNextPage ? "Loading…" : "Load more"}
          </Button>
        </div>
      )}
      <ErrorMessage error={queue.isFetchNextPageError ? queue.error : null} />
    </div>
  );
}

const itemKey = (item: QueueItem) => `${item.kind}-${item.slot_id ?? item.plan_id}`;

/** Pages fetched a moment apart can both hold an item that moved; it shows once. */
function uniqueItems(items: QueueItem[]): QueueItem[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const key = itemKey(item);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Starts a failed item again the way the API says it should be. */
function retryItem(orgId: string, item: QueueItem): Promise<unknown> {
  if (item.retry === "regenerate") {
    return call(
      client.POST("/api/orgs/{org_id}/plans/{plan_id}/regenerate", {
        params: { path: { org_id: orgId, plan_id: item.plan_id } },
      }),
    );
  }
  // Render and pipeline retries only come with slot items.
  const path = slotPath(orgId, item.slot_id ?? "");
  return item.retry === "render"
    ? call(client.POST("/api/orgs/{org_id}/slots/{slot_id}/render", path))
    : call(client.POST("/api/orgs/{org_id}/slots/{slot_id}/retry", path));
}

function QueueRow({ item }: { item: QueueItem }) {
  const org = useOrg();
  const queries = useQueryClient();
  const retry = useMutation({
    mutationFn: () => retryItem(org.orgId, item),
    onSuccess: () => queries.invalidateQueries({ queryKey: queueKey(org.orgId) }),
  });
  const href = item.slot_id ? `/orgs/${org.orgId}/slots/${item.slot_id}` : `/orgs/${org.orgId}/plans/${item.plan_id}`;
  const details = [
    item.stage && humanize(item.stage),
    item.day_index != null && item.scheduled_at && formatDayAndTime(item.day_index, item.scheduled_at),
  ].filter(Boolean);
  return (
    <li>
      <Card className="space-y-2 p-3">
        <div className="flex flex-wrap items-start justify-between gap-2">
          <Link to={href} className="min-w-0 font-medium break-words underline">
            {item.title}
          </Link>
          <StatusBadge status={item.state} />
        </div>
        {details.length > 0 && <p className="text-xs text-slate-600">{details.join(" · ")}</p>}
        {item.progress != null && (
          <Progress label={item.kind === "plan" ? "Drafting" : "Rendering"} value={item.progress} />
        )}
        {item.reason && <p className="text-sm break-words text-red-700">{item.reason}</p>}
        <div className="flex flex-wrap items-center gap-x-3 gap-y-1 text-xs text-slate-500">
          <a className="underline" href={item.run.temporal_ui_url} target="_blank" rel="noreferrer">
            Temporal run
          </a>
          <span>Updated {formatDateTime(item.updated_at)}</span>
          {item.run.status === "unknown" && <span>Run status unknown: Temporal did not answer in time</span>}
          {item.retry && org.can("edit_content") && (
            <Button
              size="sm"
              className="ml-auto"
              aria-label={`Retry ${item.title}`}
              onClick={() => retry.mutate()}
              disabled={retry.isPending}
            >
              Retry
            </Button>
          )}
        </div>
        <ErrorMessage error={retry.error} />
      </Card>
    </li>
  );
}
