import { Check, Lock, LockOpen } from "lucide-react";
import { Link } from "react-router";
import type { Schemas } from "../../lib/api";
import { useOrg } from "../../lib/session";
import { Badge, StatusBadge, type Tone } from "../ui/badge";
import { Button } from "../ui/button";

export type SlotAction = "approve" | "lock" | "unlock";

/** What an editor can do from the grid; absent for viewers. */
export interface GridEditing {
  selected: ReadonlySet<string>;
  onToggle: (slotId: string) => void;
  /** `slot` as this cell shows it: approving sends its version. */
  onAction: (action: SlotAction, slot: Schemas["SlotView"]) => void;
  busy: boolean;
}

function confidenceTone(confidence: number): Tone {
  if (confidence >= 0.7) return "good";
  if (confidence >= 0.4) return "warn";
  return "bad";
}

export function ConfidenceBadge({ confidence }: { confidence: number | null | undefined }) {
  if (confidence == null) {
    return (
      <Badge aria-label="Confidence unknown" title="Confidence unknown">
        –
      </Badge>
    );
  }
  const percent = `${Math.round(confidence * 100)}%`;
  return (
    <Badge tone={confidenceTone(confidence)} aria-label={`Confidence ${percent}`} title={`Confidence ${percent}`}>
      {percent}
    </Badge>
  );
}

/**
 * One slot of the month: its time, status, confidence, lock, and the hook
 * linking to the slot; the rationale shows on hover and under "Why".
 * `name` labels the controls (the hook, or where the slot sits when it has none).
 */
export function SlotCell({
  slot,
  name,
  time,
  editing,
}: {
  slot: Schemas["SlotView"];
  name: string;
  time: string;
  editing?: GridEditing;
}) {
  const org = useOrg();
  const isDraft = slot.status === "draft";
  return (
    <div
      title={slot.rationale || undefined}
      className="min-w-0 space-y-1.5 rounded-md border border-slate-200 bg-white p-2 text-xs"
    >
      <div className="flex flex-wrap items-center gap-1.5">
        {editing && isDraft && (
          <input
            type="checkbox"
            aria-label={`Select ${name}`}
            className="h-4 w-4 accent-slate-900"
            checked={editing.selected.has(slot.id)}
            onChange={() => editing.onToggle(slot.id)}
          />
        )}
        <time dateTime={slot.scheduled_at} className="font-medium text-slate-600">
          {time}
        </time>
        <StatusBadge status={slot.status} />
        <ConfidenceBadge confidence={slot.confidence} />
        {slot.locked && <Lock size={12} role="img" aria-label="Locked" className="text-slate-500" />}
        {editing && (
          <div className="ml-auto flex gap-1">
            {isDraft && (
              <Button
                size="sm"
                variant="outline"
                className="h-6 px-1.5"
                aria-label={`Approve ${name}`}
                title="Approve"
                disabled={editing.busy}
                onClick={() => editing.onAction("approve", slot)}
              >
                <Check size={14} />
              </Button>
            )}
            <Button
              size="sm"
              variant="outline"
              className="h-6 px-1.5"
              aria-label={`${slot.locked ? "Unlock" : "Lock"} ${name}`}
              title={slot.locked ? "Unlock: regeneration may redraft it" : "Lock: regeneration leaves it alone"}
              disabled={editing.busy}
              onClick={() => editing.onAction(slot.locked ? "unlock" : "lock", slot)}
            >
              {slot.locked ? <LockOpen size={14} /> : <Lock size={14} />}
            </Button>
          </div>
        )}
      </div>
      <Link to={`/orgs/${org.orgId}/slots/${slot.id}`} className="line-clamp-3 text-sm break-words hover:underline">
        {slot.hook || <em className="text-slate-400">Not drafted yet</em>}
      </Link>
      {slot.rationale && (
        <details>
          <summary className="cursor-pointer text-slate-500">Why</summary>
          <p className="mt-1 text-slate-700">{slot.rationale}</p>
        </details>
      )}
    </div>
  );
}
