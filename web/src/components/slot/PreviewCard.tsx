import { useQuery } from "@tanstack/react-query";
import { call, client, type Schemas } from "../../lib/api";
import { useOrg } from "../../lib/session";
import { Button } from "../ui/button";
import { Card, CardTitle } from "../ui/card";
import { ErrorMessage, Loading, Notice, Progress } from "../ui/feedback";
import { slotKeys, slotPath, useSlotMutation } from "./slotApi";

type Slot = Schemas["SlotView"];

const POLL_MS = 1000;

/**
 * A quick 540x960 look at the slot's current content (same scenes, captions,
 * voice and music as the final video), before anyone approves or renders it.
 */
export function PreviewCard({ slot }: { slot: Slot }) {
  const org = useOrg();
  const path = slotPath(org.orgId, slot.id);
  const preview = useQuery({
    // Keyed by the content version: an edit asks for the new content's preview.
    queryKey: [...slotKeys(org.orgId, slot.id).slot, "preview", slot.version],
    queryFn: () => call(client.GET("/api/orgs/{org_id}/slots/{slot_id}/preview", path)),
    refetchInterval: (query) => (query.state.data?.status === "rendering" ? POLL_MS : false),
  });
  const start = useSlotMutation(slot.id, () => call(client.POST("/api/orgs/{org_id}/slots/{slot_id}/preview", path)));
  // A highlight's slot is its clip; an empty slot has nothing to say yet.
  if (slot.clip_asset_id || !slot.script.trim()) return null;
  const view = preview.data;
  const canMake = org.can("edit_content") && view && (view.status === "none" || view.status === "failed");
  return (
    <Card className="space-y-3">
      <CardTitle>Preview</CardTitle>
      {!view ? (
        preview.error ? <ErrorMessage error={preview.error} /> : <Loading label="Loading the preview" />
      ) : (
        <>
          {view.status === "rendering" && <Progress label="Previewing" value={view.progress ?? 0} />}
          {view.status === "ready" && view.video && (
            <video
              key={view.video.id}
              controls
              preload="metadata"
              aria-label="Preview video"
              src={view.video.direct_url ?? view.video.url}
              className="mx-auto aspect-[9/16] max-h-[50vh] w-full max-w-[14rem] rounded bg-black"
            />
          )}
          {view.status === "none" && (
            <p className="text-sm text-slate-600">
              A fast, low-resolution cut of this content with its scenes, captions, voice and music.
            </p>
          )}
          {view.status === "failed" && (
            <Notice tone="warn">The last preview failed: {view.error ?? "the reason is in its run"}.</Notice>
          )}
          {canMake && (
            <Button variant="outline" disabled={start.isPending} onClick={() => start.mutate()}>
              Make a preview
            </Button>
          )}
          {start.error && <ErrorMessage error={start.error} />}
        </>
      )}
    </Card>
  );
}
