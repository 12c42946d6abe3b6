import { useQuery } from "@tanstack/react-query";
import { VideoCard } from "../components/media/VideoCard";
import { Empty, ErrorMessage, Loading, PageHeader } from "../components/ui/feedback";
import { call, client } from "../lib/api";
import { useOrg } from "../lib/session";

export function Library() {
  const { orgId } = useOrg();
  const videos = useQuery({
    queryKey: ["org", orgId, "videos"],
    queryFn: () => call(client.GET("/api/orgs/{org_id}/videos", { params: { path: { org_id: orgId } } })),
  });
  return (
    <div>
      <PageHeader title="Library" />
      {videos.isPending && <Loading />}
      <ErrorMessage error={videos.error} />
      {videos.data?.length === 0 && (
        <Empty title="No rendered videos yet">Approved slots appear here once their video is rendered.</Empty>
      )}
      {videos.data && videos.data.length > 0 && (
        <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3 xl:grid-cols-4">
          {videos.data.map((video) => (
            <VideoCard key={`${video.slot_id}-${video.render_version}`} video={video} />
          ))}
        </div>
      )}
    </div>
  );
}
