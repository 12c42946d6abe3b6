import { Play } from "lucide-react";
import { useState } from "react";
import { Link } from "react-router";
import type { Schemas } from "../../lib/api";
import { useOrg } from "../../lib/session";
import { StatusBadge } from "../ui/badge";
import { Card } from "../ui/card";

/** "m:ss" of a video length in milliseconds. */
function formatDuration(ms: number) {
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}

/** A rendered video: its thumbnail until someone presses Play, then the player. */
export function VideoCard({ video }: { video: Schemas["VideoView"] }) {
  const { orgId } = useOrg();
  const [playing, setPlaying] = useState(false);
  // With the S3 backend the object store serves the bytes directly instead of the API.
  const thumbnail = video.thumbnail && (video.thumbnail.direct_url ?? video.thumbnail.url);
  return (
    <Card className="flex flex-col gap-3 p-3">
      <div className="relative aspect-[9/16] max-h-[28rem] w-full overflow-hidden rounded-md bg-slate-900">
        {playing ? (
          <video
            controls
            autoPlay
            preload="metadata"
            aria-label={`Video: ${video.hook}`}
            src={video.video.direct_url ?? video.video.url}
            className="h-full w-full object-contain"
          />
        ) : (
          <>
            {thumbnail && <img src={thumbnail} alt={video.hook} className="h-full w-full object-contain" />}
            <button
              type="button"
              aria-label={`Play ${video.hook}`}
              onClick={() => setPlaying(true)}
              className="absolute inset-0 flex items-center justify-center bg-black/20 text-white hover:bg-black/40 focus-visible:outline-2 focus-visible:outline-white"
            >
              <Play size={40} fill="currentColor" />
            </button>
          </>
        )}
      </div>
      <p className="font-medium break-words">{video.hook}</p>
      <dl className="grid grid-cols-[auto_1fr] items-center gap-x-3 gap-y-1 text-sm">
        <dt className="text-slate-500">Duration</dt>
        <dd>{video.duration_ms === null || video.duration_ms === undefined ? "—" : formatDuration(video.duration_ms)}</dd>
        <dt className="text-slate-500">Slot</dt>
        <dd>
          <StatusBadge status={video.slot_status} />
        </dd>
        <dt className="text-slate-500">TikTok</dt>
        <dd>{video.publication ? <StatusBadge status={video.publication.status} /> : "Not posted"}</dd>
      </dl>
      <Link className="mt-auto text-sm underline" to={`/orgs/${orgId}/slots/${video.slot_id}`}>
        Open slot
      </Link>
    </Card>
  );
}
