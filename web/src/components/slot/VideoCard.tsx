import { useState } from "react";
import type { Schemas } from "../../lib/api";
import { Card, CardTitle } from "../ui/card";
import { Empty, Notice, Progress } from "../ui/feedback";
import { formatBytes, formatDuration } from "./format";

type Render = Schemas["RenderView"];

/** The render: its progress while it runs, then the video to watch. */
export function VideoCard({ render }: { render: Render }) {
  const rendering = render.status === "rendering";
  return (
    <Card className="space-y-3">
      <CardTitle>Video</CardTitle>
      {rendering && <Progress label="Rendering" value={render.progress ?? 0} />}
      {render.video ? (
        // Keyed so a new render's video starts without the old one's duration.
        <RenderedVideo key={render.video.id} video={render.video} thumbnail={render.thumbnail ?? null} />
      ) : (
        !rendering && <Empty title="No video yet">An approved slot can be rendered into a vertical video.</Empty>
      )}
      {render.error && !rendering && <Notice tone="warn">The last render failed: {render.error}</Notice>}
    </Card>
  );
}

function RenderedVideo({ video, thumbnail }: { video: Schemas["AssetView"]; thumbnail: Schemas["AssetView"] | null }) {
  // The asset does not carry its duration; the player learns it from the file's metadata.
  const [duration, setDuration] = useState<number | null>(null);
  return (
    <div className="space-y-1">
      <video
        controls
        preload="metadata"
        aria-label="Rendered video"
        src={video.direct_url ?? video.url}
        poster={thumbnail?.url}
        onLoadedMetadata={(e) => setDuration(e.currentTarget.duration)}
        className="mx-auto aspect-[9/16] max-h-[70vh] w-full max-w-xs rounded bg-black"
      />
      <p className="text-center text-xs text-slate-500">
        {duration !== null && Number.isFinite(duration) && `${formatDuration(duration)} · `}
        {formatBytes(video.size_bytes)}
      </p>
    </div>
  );
}
