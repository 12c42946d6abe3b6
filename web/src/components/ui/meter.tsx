import { Progress } from "./feedback";

/** One budget: what is used of its limit ("no limit" when there is none), with a bar when limited. */
export function Meter({
  title,
  progressLabel = title,
  used,
  limit,
  format,
}: {
  title: string;
  /** The progress bar's accessible name, when the title alone is ambiguous on the page. */
  progressLabel?: string;
  used: number;
  limit: number | null | undefined;
  format: (n: number) => string;
}) {
  return (
    <li className="space-y-1">
      <div className="flex flex-wrap justify-between gap-x-2 text-sm">
        <span className="font-medium">{title}</span>
        <span>
          {format(used)} {limit == null ? <span className="text-slate-500">· no limit</span> : <>of {format(limit)}</>}
        </span>
      </div>
      {/* A zero budget allows nothing, so it shows as used up. */}
      {limit != null && <Progress label={progressLabel} value={limit > 0 ? used / limit : 1} />}
    </li>
  );
}
