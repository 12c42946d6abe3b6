import { RotateCcw, Square } from "lucide-react";
import { useOrg } from "../../lib/session";
import { Badge, type Tone } from "../ui/badge";
import { Button } from "../ui/button";
import { ErrorMessage, Progress } from "../ui/feedback";
import { formatClock, importName, isRunning, languageName, reason, stageLabel, type Import } from "./format";
import { useImportAction } from "./queries";

function tone(status: Import["status"]): Tone {
  if (status === "ready") return "good";
  if (status === "failed") return "bad";
  if (status === "cancelled") return "neutral";
  if (status === "pending") return "warn";
  return "info";
}

export function ImportBadge({ status }: { status: Import["status"] }) {
  return <Badge tone={tone(status)}>{status.replaceAll("_", " ")}</Badge>;
}

/** Length, spoken language and translations, as far as they are known. */
export function ImportFacts({ item, projectName }: { item: Import; projectName?: string }) {
  const facts = [
    item.duration_ms != null && formatClock(item.duration_ms),
    item.language && `Spoken: ${languageName(item.language)}`,
    item.translate_to.length > 0 && `Translated to ${item.translate_to.map(languageName).join(", ")}`,
    projectName && `Project: ${projectName}`,
  ].filter(Boolean);
  if (facts.length === 0) return null;
  return <p className="text-xs text-slate-600">{facts.join(" · ")}</p>;
}

/** The stage and its progress while the import runs; why it stopped once it failed or was cancelled. */
export function ImportProgress({ item }: { item: Import }) {
  if (item.status === "pending") return <p className="text-sm text-slate-600">Waiting to start…</p>;
  if (isRunning(item.status)) return <Progress label={stageLabel(item.status)} value={item.progress} />;
  if (item.status === "failed") {
    return (
      <div className="text-sm break-words text-red-700">
        <p className="font-medium">{reason(item.error_code)}</p>
        {item.error && <p>{item.error}</p>}
      </div>
    );
  }
  if (item.status === "cancelled") {
    return (
      <p className="text-sm break-words text-slate-600">
        Cancelled.{item.error && <> {item.error}</>}
      </p>
    );
  }
  return null;
}

/**
 * Cancel while it runs, Retry once it failed or was cancelled: for editors and up.
 * Made for a `flex flex-wrap` row: the buttons go to its end, errors onto their own line.
 */
export function ImportActions({ item }: { item: Import }) {
  const org = useOrg();
  const cancel = useImportAction(item.id, "cancel");
  const retry = useImportAction(item.id, "retry");
  if (!org.can("edit_content")) return null;
  const name = importName(item);
  const stopped = item.status === "failed" || item.status === "cancelled";
  const running = isRunning(item.status);
  return (
    <>
      {(running || stopped) && (
        <span className="ml-auto flex flex-wrap gap-2">
          {running && (
            <Button
              size="sm"
              variant="outline"
              aria-label={`Cancel ${name}`}
              onClick={() => cancel.mutate()}
              disabled={cancel.isPending}
            >
              <Square size={14} aria-hidden /> Cancel
            </Button>
          )}
          {stopped && (
            <Button size="sm" aria-label={`Retry ${name}`} onClick={() => retry.mutate()} disabled={retry.isPending}>
              <RotateCcw size={14} aria-hidden /> Retry
            </Button>
          )}
        </span>
      )}
      <ErrorMessage error={cancel.error} className="basis-full" />
      <ErrorMessage error={retry.error} className="basis-full" />
    </>
  );
}
