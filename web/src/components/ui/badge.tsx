import type { HTMLAttributes } from "react";
import { cn } from "../../lib/utils";

const tones = {
  neutral: "bg-slate-100 text-slate-700",
  good: "bg-emerald-100 text-emerald-800",
  warn: "bg-amber-100 text-amber-800",
  bad: "bg-red-100 text-red-800",
  info: "bg-sky-100 text-sky-800",
};

export type Tone = keyof typeof tones;

export function Badge({ tone = "neutral", className, ...props }: HTMLAttributes<HTMLSpanElement> & { tone?: Tone }) {
  return (
    <span
      className={cn("inline-flex items-center rounded px-1.5 py-0.5 text-xs font-medium whitespace-nowrap", tones[tone], className)}
      {...props}
    />
  );
}

/** The tone of a slot or run status, used everywhere a status shows. */
export function statusTone(status: string): Tone {
  if (["published", "sent_to_inbox", "completed", "rendered", "connected", "active", "done"].includes(status)) return "good";
  if (["failed", "dead_letter", "blocked_by_policy", "revoked", "disconnected", "terminated", "timed_out"].includes(status)) return "bad";
  if (["waiting_for_approval", "reauthorize", "draft", "pending"].includes(status)) return "warn";
  if (["rendering", "publishing", "running", "drafting", "scheduled", "publish_approved", "approved"].includes(status))
    return "info";
  return "neutral";
}

export function StatusBadge({ status }: { status: string }) {
  return <Badge tone={statusTone(status)}>{status.replaceAll("_", " ")}</Badge>;
}
