import { useInfiniteQuery } from "@tanstack/react-query";
import { ClipsSection } from "../components/media/ClipsSection";
import { KnowledgeSection } from "../components/media/KnowledgeSection";
import { UploadsSection } from "../components/media/UploadsSection";
import { VideoCard } from "../components/media/VideoCard";
import { Button } from "../components/ui/button";
import { Empty, ErrorMessage, Loading, PageHeader } from "../components/ui/feedback";
import { client, cursorPage } from "../lib/api";
import { useOrg } from "../lib/session";

/** Videos per page; "Load more videos" asks for the next one. */
export const VIDEOS_PAGE = 48;

/** The org's media: rendered slot videos, the clips cut from imports, its own uploads, and its knowledge. */
export function Library() {
  const { orgId } = useOrg();
  const videos = useInfiniteQuery({
    queryKey: ["org", orgId, "videos"],
    queryFn: ({ pageParam }) =>
      cursorPage(
        client.GET("/api/orgs/{org_id}/videos", {
          params: { path: { org_id: orgId }, query: { limit: VIDEOS_PAGE, cursor: pageParam ?? undefined } },
        }),
      ),
    initialPageParam: null as string | null,
    getNextPageParam: (page) => page.next ?? undefined,
  });
  const items = videos.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <div className="space-y-8">
      <PageHeader title="Library" />
      <section aria-labelledby="videos-heading">
        <h2 id="videos-heading" className="mb-3 text-lg font-semibold">
          Rendered videos
        </h2>
        {videos.isPending && <Loading />}
        <ErrorMessage error={videos.error} />
        {videos.isSuccess && items.length === 0 && (
          <Empty title="No rendered videos yet">Approved slots appear here once their video is rendered.</Empty>
        )}
        {items.length > 0 && (
          <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3 xl:grid-cols-4">
            {items.map((video) => (
              <VideoCard key={`${video.slot_id}-${video.render_version}`} video={video} />
            ))}
          </div>
        )}
        {videos.hasNextPage && (
          <div className="mt-4">
            <Button variant="outline" onClick={() => videos.fetchNextPage()} disabled={videos.isFetchingNextPage}>
              {videos.isFetchingNextPage ? "Loading…" : "Load more videos"}
            </Button>
          </div>
        )}
      </section>
      <ClipsSection />
      <UploadsSection />
      <KnowledgeSection />
    </div>
  );
}
