import { call, client, type Schemas } from "../../lib/api";
import { useOrg } from "../../lib/session";
import { StatusBadge } from "../ui/badge";
import { Button } from "../ui/button";
import { Card, CardTitle } from "../ui/card";
import { ErrorMessage, Notice } from "../ui/feedback";
import { slotPath, useSlotMutation } from "./slotApi";

/** The slot's way to TikTok: stage, publication, failure and retry, and the actions that start or stop it. */
export function PipelineCard({
  slot,
  pipeline,
  rendering,
}: {
  slot: Schemas["SlotView"];
  pipeline: Schemas["PipelineView"];
  rendering: boolean;
}) {
  const org = useOrg();
  const path = slotPath(org.orgId, slot.id);
  const schedule = useSlotMutation(slot.id, () =>
    call(client.POST("/api/orgs/{org_id}/slots/{slot_id}/schedule", path)),
  );
  const retry = useSlotMutation(slot.id, () => call(client.POST("/api/orgs/{org_id}/slots/{slot_id}/retry", path)));
  const startRender = useSlotMutation(slot.id, () =>
    call(client.POST("/api/orgs/{org_id}/slots/{slot_id}/render", path)),
  );
  const cancelRender = useSlotMutation(slot.id, () =>
    call(client.DELETE("/api/orgs/{org_id}/slots/{slot_id}/render", path)),
  );
  const canEdit = org.can("edit_content");
  const running = pipeline.run.status === "running";
  const failed = pipeline.stage === "failed" || pipeline.slot_status === "failed";
  // Temporal answers "unknown" for a run that never started, too.
  const started = pipeline.stage != null || pipeline.run.status !== "unknown";
  const publication = pipeline.publication;
  // Sent to the inbox, the post is the creator's to finish; nothing is left to schedule.
  const inInbox = slot.status === "sent_to_inbox" || publication?.status === "sent_to_inbox";
  const done = slot.status === "published" || inInbox;
  return (
    <Card className="space-y-3">
      <CardTitle>Pipeline</CardTitle>
      <dl className="grid grid-cols-[auto_1fr] items-center gap-x-3 gap-y-1 text-sm">
        <dt className="text-slate-500">Stage</dt>
        <dd>
          <StatusBadge status={pipeline.stage ?? "not_scheduled"} />
        </dd>
        <dt className="text-slate-500">Run</dt>
        <dd>{pipeline.run.status}</dd>
        <dt className="text-slate-500">Publication</dt>
        <dd>{publication ? <StatusBadge status={publication.status} /> : "not yet"}</dd>
      </dl>
      {publication?.fail_reason && <p className="text-sm break-words text-red-700">TikTok: {publication.fail_reason}</p>}
      {inInbox && (
        <Notice tone="info">
          The video is in the creator's TikTok inbox: they finish and post it in the TikTok app. Reelpilot posts
          nothing more for this slot.
        </Notice>
      )}
      {failed && (
        <div className="space-y-2">
          <Notice tone="warn">The pipeline failed: {pipeline.error ?? "no reason was recorded"}</Notice>
          {canEdit && (
            <Button onClick={() => retry.mutate()} disabled={retry.isPending}>
              Retry
            </Button>
          )}
        </div>
      )}
      {started && (
        <a className="inline-block text-sm underline" href={pipeline.run.temporal_ui_url} target="_blank" rel="noreferrer">
          Open run in Temporal
        </a>
      )}
      {canEdit && (
        <div className="flex flex-wrap gap-2">
          {!running && !failed && !done && slot.status !== "empty" && (
            <Button onClick={() => schedule.mutate()} disabled={schedule.isPending}>
              Schedule for TikTok
            </Button>
          )}
          {!running && (slot.status === "approved" || slot.status === "rendered") && (
            <Button variant="outline" onClick={() => startRender.mutate()} disabled={startRender.isPending}>
              Render video
            </Button>
          )}
          {rendering && (
            <Button variant="destructive" onClick={() => cancelRender.mutate()} disabled={cancelRender.isPending}>
              Cancel render
            </Button>
          )}
        </div>
      )}
      <ErrorMessage error={schedule.error} />
      <ErrorMessage error={retry.error} />
      <ErrorMessage error={startRender.error} />
      <ErrorMessage error={cancelRender.error} />
    </Card>
  );
}
