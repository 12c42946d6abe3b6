import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ArrowLeft } from "lucide-react";
import { useEffect, useRef, useState } from "react";
import { Link, useParams } from "react-router";
import { PlanGrid, byDay } from "../components/calendar/PlanGrid";
import { draftedFraction, isDrafting, planKey, planQuery } from "../components/calendar/planQuery";
import { SlotCounts } from "../components/calendar/SlotCounts";
import type { GridEditing, SlotAction } from "../components/calendar/SlotCell";
import { projectQuery } from "../components/project/queries";
import { StatusBadge } from "../components/ui/badge";
import { Button } from "../components/ui/button";
import { Empty, ErrorMessage, Loading, Notice, PageHeader, Progress } from "../components/ui/feedback";
import { call, client, type Schemas } from "../lib/api";
import { useOrg } from "../lib/session";

export function Calendar() {
  const org = useOrg();
  const { planId = "" } = useParams();
  const plan = useQuery(planQuery(org.orgId, planId));
  if (plan.isPending) return <Loading />;
  if (plan.error) return <ErrorMessage error={plan.error} />;
  return <PlanCalendar plan={plan.data} />;
}

function PlanCalendar({ plan }: { plan: Schemas["PlanView"] }) {
  const org = useOrg();
  const queries = useQueryClient();
  const drafting = isDrafting(plan);
  const slotsKey = [...planKey(org.orgId, plan.id), "slots"];
  const slots = useQuery({
    queryKey: slotsKey,
    queryFn: () =>
      call(
        client.GET("/api/orgs/{org_id}/plans/{plan_id}/slots", {
          params: { path: { org_id: org.orgId, plan_id: plan.id } },
        }),
      ),
    refetchInterval: drafting ? 1000 : false,
  });
  const project = useQuery(projectQuery(org.orgId, plan.project_id));

  // The last batch can land between two polls: ask for the slots once more when drafting ends.
  const wasDrafting = useRef(drafting);
  useEffect(() => {
    if (wasDrafting.current && !drafting) {
      void queries.invalidateQueries({ queryKey: [...planKey(org.orgId, plan.id), "slots"] });
    }
    wasDrafting.current = drafting;
  }, [drafting, queries, org.orgId, plan.id]);

  const refresh = () => queries.invalidateQueries({ queryKey: planKey(org.orgId, plan.id) });
  const regenerate = useMutation({
    mutationFn: () =>
      call(
        client.POST("/api/orgs/{org_id}/plans/{plan_id}/regenerate", {
          params: { path: { org_id: org.orgId, plan_id: plan.id } },
        }),
      ),
    onSuccess: refresh,
  });
  const canEdit = org.can("edit_content");

  return (
    <div className="space-y-4">
      <Link
        to={`/orgs/${org.orgId}/projects/${plan.project_id}`}
        className="inline-flex items-center gap-1 text-sm text-slate-600 underline"
      >
        <ArrowLeft size={14} /> Back to {project.data?.name ?? "project"}
      </Link>
      <PageHeader title={`Month from ${plan.start_date}`}>
        <StatusBadge status={plan.status} />
      </PageHeader>
      <SlotCounts counts={plan.slot_counts} />
      {drafting && <Progress label="Drafting" value={draftedFraction(plan)} />}
      {plan.status === "failed" && !drafting && (
        <Notice tone="warn">
          <p className="font-medium">Drafting failed</p>
          <p>{plan.failure ?? "The run stopped without saying why."}</p>
          {canEdit && (
            <Button className="mt-2" size="sm" disabled={regenerate.isPending} onClick={() => regenerate.mutate()}>
              Try again
            </Button>
          )}
        </Notice>
      )}
      {plan.drafted_offline && (
        <Notice tone="warn">
          <p className="font-medium">Drafted by a small offline model ({plan.drafted_by})</p>
          <p>
            These drafts are placeholders, not posts. Connect a model for real drafts: set LLM_API_KEY for OpenRouter
            (or another OpenAI-compatible API) and draft the month again.
          </p>
        </Notice>
      )}
      {plan.brief && plan.brief.series.length > 0 && <SeriesPanel brief={plan.brief} />}
      <ErrorMessage error={regenerate.error} />
      {slots.isPending ? (
        <Loading label="Loading slots" />
      ) : slots.error ? (
        <ErrorMessage error={slots.error} />
      ) : slots.data.length === 0 ? (
        <Empty title="No slots yet">{drafting && "The month is being laid out."}</Empty>
      ) : canEdit ? (
        <EditableGrid
          plan={plan}
          slots={slots.data}
          timeZone={project.data?.timezone}
          onRegenerate={plan.status === "ready" && !drafting ? () => regenerate.mutate() : undefined}
          regenerating={regenerate.isPending}
        />
      ) : (
        <PlanGrid
          slots={slots.data}
          startDate={plan.start_date}
          slotsPerDay={plan.slots_per_day}
          timeZone={project.data?.timezone}
        />
      )}
    </div>
  );
}

/** The grid for editors: selecting and approving drafts, locking, regenerating. */
function EditableGrid({
  plan,
  slots,
  timeZone,
  onRegenerate,
  regenerating,
}: {
  plan: Schemas["PlanView"];
  slots: Schemas["SlotView"][];
  timeZone?: string;
  onRegenerate?: () => void;
  regenerating: boolean;
}) {
  const org = useOrg();
  const queries = useQueryClient();
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  // Grid order; a selected slot that stopped being a draft (approved elsewhere) drops out.
  const drafts = byDay(slots)
    .flatMap(([, cells]) => cells)
    .filter((slot) => slot.status === "draft");
  const chosen = drafts.filter((slot) => selected.has(slot.id));

  const refresh = () => queries.invalidateQueries({ queryKey: planKey(org.orgId, plan.id) });
  // Each approval carries the version the grid shows; a 409 stale_version
  // means the slot changed since, and the refetch below shows what it is now.
  const approve = useMutation({
    mutationFn: (seen: Schemas["SlotView"][]) =>
      call(
        client.POST("/api/orgs/{org_id}/plans/{plan_id}/approve", {
          params: { path: { org_id: org.orgId, plan_id: plan.id } },
          body: { slots: seen.map((slot) => ({ id: slot.id, version: slot.version })) },
        }),
      ),
    onSuccess: () => setSelected(new Set()),
    onSettled: () => {
      void queries.invalidateQueries({ queryKey: ["org", org.orgId, "slot"] });
      return refresh();
    },
  });
  const slotAction = useMutation({
    mutationFn: ({ action, slot }: { action: SlotAction; slot: Schemas["SlotView"] }) => {
      const path = { params: { path: { org_id: org.orgId, slot_id: slot.id } } };
      if (action === "approve") {
        return call(client.POST("/api/orgs/{org_id}/slots/{slot_id}/approve", { ...path, body: { version: slot.version } }));
      }
      if (action === "lock") return call(client.POST("/api/orgs/{org_id}/slots/{slot_id}/lock", path));
      return call(client.POST("/api/orgs/{org_id}/slots/{slot_id}/unlock", path));
    },
    onSettled: (_slot, _error, { slot }) => {
      void queries.invalidateQueries({ queryKey: ["org", org.orgId, "slot", slot.id] });
      return refresh();
    },
  });

  const editing: GridEditing = {
    selected,
    onToggle: (slotId) => {
      const next = new Set(selected);
      if (!next.delete(slotId)) next.add(slotId);
      setSelected(next);
    },
    onAction: (action, slot) => slotAction.mutate({ action, slot }),
    busy: slotAction.isPending || approve.isPending,
  };

  return (
    <div className="space-y-3">
      <div className="sticky top-0 z-10 flex flex-wrap items-center gap-2 bg-slate-50/95 py-2">
        <Button
          variant="outline"
          size="sm"
          disabled={drafts.length === 0}
          onClick={() => setSelected(new Set(drafts.map((slot) => slot.id)))}
        >
          Select all drafts
        </Button>
        {chosen.length > 0 && (
          <Button variant="ghost" size="sm" onClick={() => setSelected(new Set())}>
            Clear selection
          </Button>
        )}
        <Button size="sm" disabled={chosen.length === 0 || approve.isPending} onClick={() => approve.mutate(chosen)}>
          Approve selected ({chosen.length})
        </Button>
        {onRegenerate && (
          <Button
            variant="outline"
            size="sm"
            disabled={regenerating}
            onClick={() => {
              if (window.confirm("Redraft every slot that is neither locked nor approved?")) onRegenerate();
            }}
          >
            Regenerate unlocked
          </Button>
        )}
      </div>
      <ErrorMessage error={approve.error} />
      <ErrorMessage error={slotAction.error} />
      <PlanGrid
        slots={slots}
        startDate={plan.start_date}
        slotsPerDay={plan.slots_per_day}
        timeZone={timeZone}
        editing={editing}
      />
    </div>
  );
}

const CHOICE: Record<Schemas["Choice"], string> = { format: "format", hashtag: "hashtag", posting_time: "posting time" };

/** The creative agent's series for the month, and the rising choices in the project's results it built on. */
function SeriesPanel({ brief }: { brief: Schemas["Brief"] }) {
  return (
    <section aria-label="Series this month" className="rounded-md border border-slate-200 bg-white p-3 text-sm">
      <h2 className="font-semibold">Series this month</h2>
      <ul className="mt-2 grid gap-2 sm:grid-cols-2 lg:grid-cols-3">
        {brief.series.map((s) => (
          <li key={s.name} className="rounded bg-slate-50 p-2">
            <p className="font-medium">{s.name}</p>
            <p className="text-slate-600">{s.angle}</p>
            <p className="text-xs text-slate-500">Days {s.days.join(", ")}</p>
          </li>
        ))}
      </ul>
      {brief.trends.rising.length > 0 && (
        <p className="mt-2 text-slate-600">
          Rising in your results:{" "}
          {brief.trends.rising
            .map((r) => `${r.value} (${CHOICE[r.choice]}, ${r.earlier_avg_views} → ${r.recent_avg_views} views)`)
            .join("; ")}
        </p>
      )}
    </section>
  );
}
