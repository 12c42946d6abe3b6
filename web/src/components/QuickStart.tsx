import { useState } from "react";
import { api, ApiError, type Plan, type Run } from "../lib/api";
import { PlanGrid, type SlotSummary } from "./PlanGrid";
import { Button } from "./ui/button";
import { Card, CardTitle } from "./ui/card";

function tomorrow(): string {
  const d = new Date(Date.now() + 24 * 3600 * 1000);
  return d.toISOString().slice(0, 10);
}

/** Creates an organisation, a project and its month plan, then follows the
 *  plan's workflow until the 30 x 3 grid is ready. */
export function QuickStart() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [plan, setPlan] = useState<Plan | null>(null);
  const [slots, setSlots] = useState<SlotSummary[]>([]);

  async function start() {
    setBusy(true);
    setError(null);
    try {
      const org = await api<{ id: string }>("/api/orgs", { method: "POST", body: JSON.stringify({ name: "My studio" }) });
      // The creator owns the org, so may create projects and plans in it.
      const project = await api<{ id: string }>(`/api/orgs/${org.id}/projects`, {
        method: "POST",
        body: JSON.stringify({ name: "First project", timezone: Intl.DateTimeFormat().resolvedOptions().timeZone }),
      });
      const started = await api<{ plan_id: string; run: Run }>(`/api/orgs/${org.id}/projects/${project.id}/plans`, {
        method: "POST",
        body: JSON.stringify({ start_date: tomorrow() }),
      });
      for (let i = 0; i < 3000; i++) {
        const current = await api<Plan>(`/api/orgs/${org.id}/plans/${started.plan_id}`);
        setPlan(current);
        setSlots(await api<SlotSummary[]>(`/api/orgs/${org.id}/plans/${started.plan_id}/slots`));
        if (current.status === "ready" || current.status === "failed") break;
        await new Promise((r) => setTimeout(r, 400));
      }
    } catch (e) {
      setError(e instanceof ApiError ? `${e.message} (${e.code}, request ${e.requestId})` : String(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Card className="sm:col-span-2">
      <CardTitle>Quick start</CardTitle>
      <p className="mb-3 text-sm text-slate-600">
        Creates an organisation and a project, then runs the month-plan workflow that lays out 30 days × 3 slots
        and drafts each one with the language model, a batch of days at a time.
      </p>
      <Button onClick={start} disabled={busy}>
        {busy ? "Working…" : "Create a month plan"}
      </Button>
      {error && <p role="alert" className="mt-3 text-sm text-red-700">{error}</p>}
      {plan && (
        <div className="mt-3 text-sm">
          <p>
            Plan from {plan.start_date}: <strong>{plan.status}</strong>,{" "}
            {Object.values(plan.slot_counts).reduce((a, b) => a + b, 0)} slots, {plan.batches_done} of {plan.batches_total}{" "}
            batches drafted
          </p>
          {plan.failure && <p className="text-red-700">{plan.failure}</p>}
          <a className="text-blue-700 underline" href={plan.run.temporal_ui_url} target="_blank" rel="noreferrer">
            Open the run in the Temporal UI
          </a>
          {slots.length > 0 && <PlanGrid slots={slots} />}
        </div>
      )}
    </Card>
  );
}
