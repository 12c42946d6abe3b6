import { queryOptions } from "@tanstack/react-query";
import { call, client, type Schemas } from "../../lib/api";

/**
 * Still drafting: the plan says so, or its run is going (a regeneration
 * starts the run before the workflow marks the plan as drafting).
 */
export function isDrafting(plan: Schemas["PlanView"]): boolean {
  return plan.status === "pending" || plan.status === "drafting" || plan.run.status === "running";
}

export function draftedFraction(plan: Schemas["PlanView"]): number {
  return plan.batches_total > 0 ? plan.batches_done / plan.batches_total : 0;
}

export const planKey = (orgId: string, planId: string) => ["org", orgId, "plan", planId] as const;

/** A plan with its slot counts and progress, asked again every second while it drafts. */
export function planQuery(orgId: string, planId: string) {
  return queryOptions({
    queryKey: planKey(orgId, planId),
    queryFn: () =>
      call(client.GET("/api/orgs/{org_id}/plans/{plan_id}", { params: { path: { org_id: orgId, plan_id: planId } } })),
    refetchInterval: (query) => (query.state.data && isDrafting(query.state.data) ? 1000 : false),
  });
}
