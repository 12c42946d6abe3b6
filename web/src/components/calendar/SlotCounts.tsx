import { Badge, statusTone } from "../ui/badge";

// The pipeline's order, so counts read as progress from left to right.
const ORDER = ["empty", "draft", "approved", "rendering", "rendered", "publish_approved", "publishing", "published", "failed"];

const LABELS: Record<string, string> = { empty: "not drafted", draft: "drafts" };

const rank = (status: string) => (ORDER.includes(status) ? ORDER.indexOf(status) : ORDER.length);

/** A plan's slots counted by status, e.g. "12 drafts · 3 approved". */
export function SlotCounts({ counts }: { counts: Record<string, number> }) {
  const statuses = Object.keys(counts)
    .filter((status) => counts[status] > 0)
    .sort((a, b) => rank(a) - rank(b));
  if (statuses.length === 0) return <p className="text-sm text-slate-500">No slots yet</p>;
  return (
    <ul aria-label="Slot counts" className="flex flex-wrap gap-1.5">
      {statuses.map((status) => (
        <li key={status}>
          <Badge tone={statusTone(status)}>
            {counts[status]} {LABELS[status] ?? status.replaceAll("_", " ")}
          </Badge>
        </li>
      ))}
    </ul>
  );
}
