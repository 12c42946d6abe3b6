import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useParams } from "react-router";
import { BackgroundCard } from "../components/slot/BackgroundCard";
import { ContentCard } from "../components/slot/ContentCard";
import { PipelineCard } from "../components/slot/PipelineCard";
import { PolicyCard } from "../components/slot/PolicyCard";
import { PreviewCard } from "../components/slot/PreviewCard";
import { PublishedCard } from "../components/slot/PublishedCard";
import { PublishGate } from "../components/slot/PublishGate";
import { ScenesCard } from "../components/slot/ScenesCard";
import { slotKeys, slotPath } from "../components/slot/slotApi";
import { VideoCard } from "../components/slot/VideoCard";
import { Card } from "../components/ui/card";
import { ErrorMessage, Loading, PageHeader } from "../components/ui/feedback";
import { call, client, type Schemas } from "../lib/api";
import { useOrg } from "../lib/session";

const POLL_MS = 1000;

/** One slot: its content, background, pipeline, video, publish gate and, once posted, its metrics. */
export function SlotDetail() {
  const org = useOrg();
  const { slotId = "" } = useParams();
  const queries = useQueryClient();
  const keys = slotKeys(org.orgId, slotId);
  const path = slotPath(org.orgId, slotId);
  // The version the slot had when "AI improve" started; the redraft bumps it.
  const [improvingFrom, setImprovingFrom] = useState<number | null>(null);
  const isImproving = (slot: Schemas["SlotView"]) => improvingFrom !== null && slot.version <= improvingFrom;

  // React Query asks this after every answer and on every render, so work in
  // flight seen in any one of the three answers keeps all three fresh.
  const pollWhileInFlight = () => {
    const slot = queries.getQueryData<Schemas["SlotView"]>(keys.slot);
    const render = queries.getQueryData<Schemas["RenderView"]>(keys.render);
    const pipeline = queries.getQueryData<Schemas["PipelineView"]>(keys.pipeline);
    const inFlight =
      slot?.status === "rendering" ||
      slot?.status === "publishing" ||
      (slot !== undefined && isImproving(slot)) ||
      render?.status === "rendering" ||
      pipeline?.run.status === "running";
    return inFlight ? POLL_MS : false;
  };
  const slot = useQuery({
    queryKey: keys.slot,
    queryFn: () => call(client.GET("/api/orgs/{org_id}/slots/{slot_id}", path)),
    refetchInterval: pollWhileInFlight,
  });
  const render = useQuery({
    queryKey: keys.render,
    queryFn: () => call(client.GET("/api/orgs/{org_id}/slots/{slot_id}/render", path)),
    refetchInterval: pollWhileInFlight,
  });
  const pipeline = useQuery({
    queryKey: keys.pipeline,
    queryFn: () => call(client.GET("/api/orgs/{org_id}/slots/{slot_id}/pipeline", path)),
    refetchInterval: pollWhileInFlight,
  });

  if (!slot.data) return slot.error ? <ErrorMessage error={slot.error} /> : <Loading />;
  const canEdit = org.can("edit_content");
  const stage = pipeline.data?.stage;
  const publication = pipeline.data?.publication ?? null;
  const rendering = slot.data.status === "rendering" || render.data?.status === "rendering";
  const published = slot.data.status === "published" || publication?.status === "published";
  return (
    <div>
      <PageHeader title={slot.data.hook || "Untitled slot"} />
      <div className="grid gap-4 lg:grid-cols-2">
        <div className="min-w-0 space-y-4">
          <ContentCard
            slot={slot.data}
            waitingForApproval={stage === "waiting_for_approval" || stage === "blocked_by_policy"}
            improving={isImproving(slot.data)}
            onImproveStarted={setImprovingFrom}
          />
          <ScenesCard slot={slot.data} />
          <PreviewCard slot={slot.data} />
          {canEdit && <BackgroundCard slot={slot.data} />}
        </div>
        <div className="min-w-0 space-y-4">
          <PolicyCard slot={slot.data} />
          {pipeline.data ? (
            <PipelineCard slot={slot.data} pipeline={pipeline.data} rendering={rendering} />
          ) : (
            <Card>{pipeline.error ? <ErrorMessage error={pipeline.error} /> : <Loading label="Loading the pipeline" />}</Card>
          )}
          {render.data ? (
            <VideoCard render={render.data} />
          ) : (
            <Card>{render.error ? <ErrorMessage error={render.error} /> : <Loading label="Loading the video" />}</Card>
          )}
          {/* After the video: TikTok asks that the person sees what they post. */}
          {canEdit && stage === "waiting_for_publish_approval" && <PublishGate slotId={slotId} />}
          {published && <PublishedCard slotId={slotId} publication={publication} />}
        </div>
      </div>
    </div>
  );
}
