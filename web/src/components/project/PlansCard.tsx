import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router";
import { call, client, type Schemas } from "../../lib/api";
import { useOrg } from "../../lib/session";
import { draftedFraction, isDrafting, planQuery } from "../calendar/planQuery";
import { SlotCounts } from "../calendar/SlotCounts";
import { StatusBadge } from "../ui/badge";
import { Button } from "../ui/button";
import { Card, CardTitle } from "../ui/card";
import { Empty, ErrorMessage, Loading, Progress } from "../ui/feedback";
import { Field, Input } from "../ui/input";
import { projectKey } from "./queries";

/** Today's date where the project posts: a plan's start date is a day in the project's time zone. */
function todayIn(timeZone: string): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(
    new Date(),
  );
}

/** The project's month plans and, for editors, generating a new one. */
export function PlansCard({ project }: { project: Schemas["ProjectView"] }) {
  const org = useOrg();
  const plans = useQuery({
    queryKey: [...projectKey(org.orgId, project.id), "plans"],
    queryFn: () =>
      call(
        client.GET("/api/orgs/{org_id}/projects/{project_id}/plans", {
          params: { path: { org_id: org.orgId, project_id: project.id } },
        }),
      ),
  });
  return (
    <Card className="space-y-3">
      <CardTitle>Month plans</CardTitle>
      {org.can("edit_content") && <GenerateMonth project={project} />}
      {plans.isPending ? (
        <Loading label="Loading plans" />
      ) : plans.error ? (
        <ErrorMessage error={plans.error} />
      ) : plans.data.length === 0 ? (
        <Empty title="No month plans yet">A plan drafts 30 days of posts, one per posting time.</Empty>
      ) : (
        <ul className="divide-y divide-slate-100">
          {plans.data.map((plan) => (
            <PlanRow key={plan.id} summary={plan} />
          ))}
        </ul>
      )}
    </Card>
  );
}

function GenerateMonth({ project }: { project: Schemas["ProjectView"] }) {
  const org = useOrg();
  const navigate = useNavigate();
  const queries = useQueryClient();
  const [startDate, setStartDate] = useState(() => todayIn(project.timezone));
  const generate = useMutation({
    mutationFn: () =>
      call(
        client.POST("/api/orgs/{org_id}/projects/{project_id}/plans", {
          params: { path: { org_id: org.orgId, project_id: project.id } },
          body: { start_date: startDate },
        }),
      ),
    onSuccess: (started) => {
      void queries.invalidateQueries({ queryKey: [...projectKey(org.orgId, project.id), "plans"] });
      navigate(`/orgs/${org.orgId}/plans/${started.plan_id}`);
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    generate.mutate();
  };
  return (
    <form onSubmit={submit} className="space-y-2">
      <div className="flex flex-wrap items-end gap-2">
        <Field label="Start date">
          {(id) => (
            <Input id={id} type="date" required value={startDate} onChange={(e) => setStartDate(e.target.value)} />
          )}
        </Field>
        <Button type="submit" disabled={generate.isPending}>
          Generate month
        </Button>
      </div>
      <ErrorMessage error={generate.error} />
    </form>
  );
}

/** A plan of the list; its counts and progress come from the plan itself, polled while it drafts. */
function PlanRow({ summary }: { summary: Schemas["PlanSummary"] }) {
  const org = useOrg();
  const plan = useQuery(planQuery(org.orgId, summary.id));
  const status = plan.data?.status ?? summary.status;
  const failure = plan.data ? plan.data.failure : summary.failure;
  return (
    <li className="space-y-2 py-3">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <Link to={`/orgs/${org.orgId}/plans/${summary.id}`} className="font-medium underline">
          Month from {summary.start_date}
        </Link>
        <StatusBadge status={status} />
      </div>
      {plan.data && <SlotCounts counts={plan.data.slot_counts} />}
      {plan.data && isDrafting(plan.data) && <Progress label="Drafting" value={draftedFraction(plan.data)} />}
      {status === "failed" && failure && <p className="text-sm text-red-700">{failure}</p>}
      <ErrorMessage error={plan.error} />
    </li>
  );
}
