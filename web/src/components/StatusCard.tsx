import { useEffect, useState } from "react";
import { fetchReadiness, type Readiness } from "../lib/api";
import { Card, CardTitle } from "./ui/card";

const LABELS: Record<string, string> = {
  postgres: "PostgreSQL",
  temporal: "Temporal",
  storage: "Storage",
  secret_store: "Secret store",
};

export function StatusCard({ load = fetchReadiness }: { load?: () => Promise<Readiness> }) {
  const [report, setReport] = useState<Readiness | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let alive = true;
    const tick = () =>
      load()
        .then((r) => alive && (setReport(r), setError(null)))
        .catch(() => alive && setError("The API is not reachable."));
    tick();
    const timer = setInterval(tick, 5000);
    return () => {
      alive = false;
      clearInterval(timer);
    };
  }, [load]);

  return (
    <Card>
      <CardTitle>System status</CardTitle>
      {error && <p role="alert" className="text-sm text-red-700">{error}</p>}
      {!report && !error && <p className="text-sm text-slate-500">Checking…</p>}
      {report && (
        <ul className="space-y-1 text-sm">
          {Object.entries(report.checks).map(([name, check]) => (
            <li key={name} className="flex items-center gap-2">
              <span
                aria-label={check.ok ? "ok" : "failing"}
                className={check.ok ? "h-2 w-2 rounded-full bg-emerald-500" : "h-2 w-2 rounded-full bg-red-500"}
              />
              <span className="font-medium">{LABELS[name] ?? name}</span>
              {!check.ok && <span className="text-red-700">{check.error}</span>}
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}
