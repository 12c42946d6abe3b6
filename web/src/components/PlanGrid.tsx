import { cn } from "../lib/utils";

export interface SlotSummary {
  id: string;
  day_index: number;
  slot_index: number;
  scheduled_at: string;
  status: string;
  hook: string;
  format: string;
  confidence: number | null;
  rationale: string;
  locked: boolean;
}

function confidenceClass(c: number | null): string {
  if (c === null) return "bg-slate-100 text-slate-500";
  if (c >= 0.7) return "bg-emerald-100 text-emerald-800";
  if (c >= 0.4) return "bg-amber-100 text-amber-800";
  return "bg-red-100 text-red-800";
}

/** The month at a glance: a row per day, a cell per slot with its hook,
 *  status and confidence; the rationale shows on hover. */
export function PlanGrid({ slots }: { slots: SlotSummary[] }) {
  const days = new Map<number, SlotSummary[]>();
  for (const slot of slots) days.set(slot.day_index, [...(days.get(slot.day_index) ?? []), slot]);
  return (
    <div className="mt-3 max-h-96 overflow-y-auto">
      <table className="w-full table-fixed border-collapse text-xs">
        <tbody>
          {[...days.entries()]
            .sort(([a], [b]) => a - b)
            .map(([day, cells]) => (
              <tr key={day} className="border-t border-slate-100 align-top">
                <th className="w-12 py-1 pr-2 text-left font-medium text-slate-500">Day {day + 1}</th>
                {cells
                  .sort((a, b) => a.slot_index - b.slot_index)
                  .map((slot) => (
                    <td key={slot.id} className="p-1" title={slot.rationale}>
                      <div className="rounded border border-slate-200 p-1">
                        <div className="flex items-center justify-between gap-1">
                          <span className="text-slate-500">
                            {new Date(slot.scheduled_at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}
                            {slot.locked && " 🔒"}
                          </span>
                          <span
                            aria-label="confidence"
                            className={cn("rounded px-1 font-semibold", confidenceClass(slot.confidence))}
                          >
                            {slot.confidence === null ? "–" : `${Math.round(slot.confidence * 100)}%`}
                          </span>
                        </div>
                        <p className="mt-1 line-clamp-2">{slot.hook || <em className="text-slate-400">empty</em>}</p>
                        <p className="text-slate-400">{slot.status}</p>
                      </div>
                    </td>
                  ))}
              </tr>
            ))}
        </tbody>
      </table>
    </div>
  );
}
