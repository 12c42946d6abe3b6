import { useInfiniteQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { client, cursorPage, type Schemas } from "../../lib/api";
import { useOrg } from "../../lib/session";
import { formatClock } from "../imports/format";
import { Button } from "../ui/button";
import { Card } from "../ui/card";
import { Empty, ErrorMessage, Loading } from "../ui/feedback";

/** Clips per page; "Load more clips" asks for the next one. */
export const CLIPS_PAGE = 24;

/** The clips cut from the org's imports, newest first: each playable, with the import it came from and its slot. */
export function ClipsSection() {
  const { orgId } = useOrg();
  const clips = useInfiniteQuery({
    queryKey: ["org", orgId, "clips"],
    queryFn: ({ pageParam }) =>
      cursorPage(
        client.GET("/api/orgs/{org_id}/clips", {
          params: { path: { org_id: orgId }, query: { limit: CLIPS_PAGE, cursor: pageParam ?? undefined } },
        }),
      ),
    initialPageParam: null as string | null,
    getNextPageParam: (page) => page.next ?? undefined,
  });
  const items = clips.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <section aria-labelledby="clips-heading" className="space-y-3">
      <h2 id="clips-heading" className="text-lg font-semibold">
        Clips from imports
      </h2>
      {clips.isPending && <Loading label="Loading the clips" />}
      <ErrorMessage error={clips.error} />
      {clips.isSuccess && items.length === 0 && (
        <Empty title="No clips yet">
          An import cuts the best moments of a long video into vertical clips with captions; they appear here.
        </Empty>
      )}
      {items.length > 0 && (
        <ul aria-label="Clips" className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3 xl:grid-cols-4">
          {items.map((clip) => (
            <ClipCard key={clip.highlight.id} clip={clip} />
          ))}
        </ul>
      )}
      {clips.hasNextPage && (
        <Button variant="outline" onClick={() => clips.fetchNextPage()} disabled={clips.isFetchingNextPage}>
          {clips.isFetchingNextPage ? "Loading…" : "Load more clips"}
        </Button>
      )}
    </section>
  );
}

function ClipCard({ clip }: { clip: Schemas["ClipView"] }) {
  const { orgId } = useOrg();
  const h = clip.highlight;
  return (
    <li aria-label={`Clip: ${h.hook}`}>
      <Card className="flex h-full flex-col gap-2 p-3">
        {h.clip && (
          <video
            controls
            preload="metadata"
            aria-label={`Clip: ${h.hook}`}
            src={h.clip.direct_url ?? h.clip.url}
            className="aspect-[9/16] max-h-[28rem] w-full rounded-md bg-slate-900 object-contain"
          />
        )}
        <p className="font-medium break-words">{h.hook}</p>
        <p className="text-xs text-slate-500">
          {formatClock(h.start_ms)}–{formatClock(h.end_ms)} of{" "}
          <Link to={`/orgs/${orgId}/imports/${clip.import_id}`} className="underline">
            {clip.import_title ?? "the import"}
          </Link>
        </p>
        {h.slot_id ? (
          <Link className="mt-auto text-sm underline" to={`/orgs/${orgId}/slots/${h.slot_id}`}>
            Open slot
          </Link>
        ) : (
          <p className="mt-auto text-sm text-slate-600">Not in a slot yet: make it one from its import.</p>
        )}
      </Card>
    </li>
  );
}
