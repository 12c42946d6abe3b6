import type { ReactNode } from "react";
import { explain } from "../../lib/errors";
import { cn } from "../../lib/utils";

/**
 * An API error as a person should read it: what it means, the server's words, and the request id for support.
 * `hints` says what a code means on this page, before the app-wide hints.
 */
export function ErrorMessage({
  error,
  className,
  hints,
}: {
  error: unknown;
  className?: string;
  hints?: Partial<Record<string, string>>;
}) {
  if (!error) return null;
  const e = explain(error);
  const title = hints?.[e.code] ?? e.title;
  return (
    <div role="alert" className={cn("rounded-md border border-red-200 bg-red-50 p-3 text-sm text-red-800", className)}>
      <p className="font-medium">{title}</p>
      {e.detail && e.detail !== title && <p>{e.detail}</p>}
      <p className="mt-1 text-xs text-red-600">
        code {e.code}
        {e.requestId && <> · request {e.requestId}</>}
      </p>
    </div>
  );
}

export function Notice({ children, tone = "info" }: { children: ReactNode; tone?: "info" | "good" | "warn" }) {
  const tones = {
    info: "border-sky-200 bg-sky-50 text-sky-900",
    good: "border-emerald-200 bg-emerald-50 text-emerald-900",
    warn: "border-amber-200 bg-amber-50 text-amber-900",
  };
  return (
    <div role="status" className={cn("rounded-md border p-3 text-sm", tones[tone])}>
      {children}
    </div>
  );
}

export function Loading({ label = "Loading" }: { label?: string }) {
  return (
    <div role="status" aria-live="polite" className="flex items-center gap-2 p-4 text-sm text-slate-500">
      <span className="h-4 w-4 animate-spin rounded-full border-2 border-slate-300 border-t-slate-700" />
      {label}…
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="rounded-lg border border-dashed border-slate-300 p-6 text-center text-sm text-slate-600">
      <p className="font-medium text-slate-800">{title}</p>
      {children && <div className="mt-2">{children}</div>}
    </div>
  );
}

export function Progress({ value, label }: { value: number; label: string }) {
  const pct = Math.round(Math.max(0, Math.min(1, value)) * 100);
  return (
    <div className="w-full">
      <div
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={pct}
        className="h-2 w-full overflow-hidden rounded bg-slate-200"
      >
        <div className="h-full bg-sky-600 transition-all" style={{ width: `${pct}%` }} />
      </div>
      <p className="mt-1 text-xs text-slate-500">
        {label}: {pct}%
      </p>
    </div>
  );
}

export function PageHeader({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="mb-4 flex flex-wrap items-center justify-between gap-2">
      <h1 className="text-xl font-semibold">{title}</h1>
      {children && <div className="flex flex-wrap items-center gap-2">{children}</div>}
    </div>
  );
}
