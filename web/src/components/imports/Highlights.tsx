import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import { call, client, type Schemas } from "../../lib/api";
import { useOrg } from "../../lib/session";
import { Button } from "../ui/button";
import { Card, CardTitle } from "../ui/card";
import { Empty, ErrorMessage, Loading, Notice } from "../ui/feedback";
import { Checkbox, Field, Select } from "../ui/input";
import { formatClock, type Import } from "./format";
import { importKey, importPath } from "./queries";

type Highlight = Schemas["HighlightView"];

/** A plan can take highlights once drafted; its slots still to come are the free ones. */
const placeable = (plan: { status: Schemas["PlanStatus"] }) => plan.status === "ready";

/**
 * The import's highlights, each a 9:16 clip to watch with its hook, why it
 * was chosen and the words said; editors pick some and make them slots of a
 * plan of the import's project.
 */
export function Highlights({ item }: { item: Import }) {
  const org = useOrg();
  const highlights = useQuery({
    queryKey: [...importKey(org.orgId, item.id), "highlights"],
    queryFn: () => call(client.GET("/api/orgs/{org_id}/imports/{import_id}/highlights", importPath(org.orgId, item.id))),
  });
  const [chosen, setChosen] = useState<string[]>([]);
  const toggle = (id: string) => setChosen((ids) => (ids.includes(id) ? ids.filter((x) => x !== id) : [...ids, id]));
  const canEdit = org.can("edit_content");
  return (
    <Card className="space-y-3">
      <CardTitle>Highlights</CardTitle>
      {highlights.isPending ? (
        <Loading label="Loading the highlights" />
      ) : highlights.error ? (
        <ErrorMessage error={highlights.error} />
      ) : highlights.data.length === 0 ? (
        <Empty title="No highlights">Nothing in this video makes a short of 15 to 60 seconds on its own.</Empty>
      ) : (
        <>
          <ul aria-label="Highlights" className="grid gap-3 sm:grid-cols-2 xl:grid-cols-3">
            {highlights.data.map((h, n) => (
              <HighlightCard
                key={h.id}
                highlight={h}
                number={n + 1}
                chosen={chosen.includes(h.id)}
                onToggle={canEdit && h.clip && !h.slot_id ? () => toggle(h.id) : undefined}
              />
            ))}
          </ul>
          {canEdit && (
            <MakeSlots
              item={item}
              chosen={chosen}
              free={highlights.data.filter((h) => h.clip && !h.slot_id).length}
              onDone={() => setChosen([])}
            />
          )}
        </>
      )}
    </Card>
  );
}

function HighlightCard({
  highlight: h,
  number,
  chosen,
  onToggle,
}: {
  highlight: Highlight;
  number: number;
  chosen: boolean;
  onToggle?: () => void;
}) {
  const { orgId } = useOrg();
  const span = `${formatClock(h.start_ms)}–${formatClock(h.end_ms)}`;
  return (
    <li aria-label={`Highlight ${number}: ${h.hook}`} className="space-y-2 rounded-md border border-slate-200 p-2">
      {h.clip ? (
        <video
          controls
          preload="metadata"
          aria-label={`Clip of highlight ${number}`}
          src={h.clip.direct_url ?? h.clip.url}
          className="mx-auto aspect-[9/16] max-h-80 rounded bg-black"
        />
      ) : (
        <p className="text-xs text-slate-500">The clip is being cut.</p>
      )}
      <p className="font-medium">{h.hook}</p>
      <p className="text-xs text-slate-500">
        <time>{span}</time> · {Math.round((h.end_ms - h.start_ms) / 1000)} s
      </p>
      <p className="text-sm text-slate-600">{h.reason}</p>
      <blockquote className="border-l-2 border-slate-200 pl-2 text-sm text-slate-700">“{h.quote}”</blockquote>
      {h.slot_id ? (
        <Link to={`/orgs/${orgId}/slots/${h.slot_id}`} className="text-sm underline">
          In a slot
        </Link>
      ) : (
        onToggle && <Checkbox label="Make it a slot" checked={chosen} onChange={onToggle} />
      )}
    </li>
  );
}

/** The plan picker and the button; says where the highlights went, and which found no free slot. */
function MakeSlots({
  item,
  chosen,
  free,
  onDone,
}: {
  item: Import;
  chosen: string[];
  free: number;
  onDone: () => void;
}) {
  const { orgId } = useOrg();
  const queries = useQueryClient();
  const plans = useQuery({
    queryKey: ["org", orgId, "project", item.project_id, "plans"],
    queryFn: () =>
      call(
        client.GET("/api/orgs/{org_id}/projects/{project_id}/plans", {
          params: { path: { org_id: orgId, project_id: item.project_id } },
        }),
      ),
  });
  const ready = (plans.data ?? []).filter(placeable);
  const [planId, setPlanId] = useState<string | null>(null);
  const plan = planId ?? ready[0]?.id ?? null;
  const make = useMutation({
    mutationFn: (highlightIds: string[]) =>
      call(
        client.POST("/api/orgs/{org_id}/imports/{import_id}/slots", {
          ...importPath(orgId, item.id),
          body: { plan_id: plan!, highlight_ids: highlightIds },
        }),
      ),
    onSuccess: () => {
      onDone();
      return queries.invalidateQueries({ queryKey: [...importKey(orgId, item.id), "highlights"] });
    },
  });
  if (plans.isPending) return <Loading label="Loading the plans" />;
  if (plans.error) return <ErrorMessage error={plans.error} />;
  if (ready.length === 0) {
    return (
      <Notice>
        Highlights become slots of a month plan. Draft a plan for this project first, then come back.
      </Notice>
    );
  }
  const made = make.data;
  const placedNow = made?.placed.filter((p) => p.new).length ?? 0;
  return (
    <div className="space-y-2 border-t border-slate-100 pt-3">
      <div className="flex flex-wrap items-end gap-2">
        <Field label="Into the plan" hint="Free slots still to come: empty ones first, then unlocked drafts.">
          {(id) => (
            <Select id={id} value={plan ?? ""} onChange={(e) => setPlanId(e.target.value)}>
              {ready.map((p) => (
                <option key={p.id} value={p.id}>
                  Month from {p.start_date}
                </option>
              ))}
            </Select>
          )}
        </Field>
        <Button disabled={chosen.length === 0 || make.isPending} onClick={() => make.mutate(chosen)}>
          {chosen.length > 1 ? `Make ${chosen.length} slots` : "Make a slot"}
        </Button>
        <Button variant="outline" disabled={free === 0 || make.isPending} onClick={() => make.mutate([])}>
          Make slots of all
        </Button>
      </div>
      {make.error && <ErrorMessage error={make.error} />}
      {made && (
        <div role="status" aria-label="Slots made" className="space-y-1 text-sm">
          <p>
            {placedNow === 1 ? "1 highlight is now a slot" : `${placedNow} highlights are now slots`}
            {made.placed.length > 0 && ", drafts to approve like any other:"}
          </p>
          <ul className="list-inside list-disc">
            {made.placed
              .filter((p) => p.new)
              .map((p) => (
                <li key={p.slot.id}>
                  <Link to={`/orgs/${orgId}/slots/${p.slot.id}`} className="underline">
                    {p.slot.hook}
                  </Link>{" "}
                  <span className="text-slate-500">({new Date(p.slot.scheduled_at).toLocaleString()})</span>
                </li>
              ))}
          </ul>
          {made.no_free_slot.length > 0 && (
            <Notice tone="warn">
              {made.no_free_slot.length === 1
                ? "1 highlight found no free slot in this plan"
                : `${made.no_free_slot.length} highlights found no free slot in this plan`}
              ; choose another plan or free a slot.
            </Notice>
          )}
        </div>
      )}
    </div>
  );
}
