import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import type { Schemas } from "../../lib/api";
import { useOrg } from "../../lib/session";
import { formatDollars } from "../project/forms";
import { usageQuery } from "../project/queries";
import { Card, CardTitle } from "../ui/card";
import { ErrorMessage, Loading } from "../ui/feedback";
import { Meter } from "../ui/meter";

const count = new Intl.NumberFormat("en-US");

function formatSeconds(seconds: number) {
  return `${count.format(seconds)} s`;
}

/** Every project's spend this month and posts today against its budgets. */
export function UsageCard({ projects }: { projects: Schemas["ProjectView"][] }) {
  return (
    <Card className="lg:col-span-2">
      <CardTitle>Usage</CardTitle>
      <div className="grid gap-4 md:grid-cols-2">
        {projects.map((project) => (
          <ProjectUsage key={project.id} project={project} />
        ))}
      </div>
    </Card>
  );
}

function ProjectUsage({ project }: { project: Schemas["ProjectView"] }) {
  const { orgId } = useOrg();
  const usage = useQuery(usageQuery(orgId, project.id));
  return (
    <section aria-label={`Usage of ${project.name}`} className="space-y-3 rounded-md border border-slate-100 p-3">
      <h3 className="font-medium">
        <Link className="underline" to={`/orgs/${orgId}/projects/${project.id}`}>
          {project.name}
        </Link>
      </h3>
      {usage.isPending && <Loading />}
      <ErrorMessage error={usage.error} />
      {usage.data && (
        <ul className="space-y-3">
          <Meter
            title="LLM spend this month"
            progressLabel={`LLM spend of ${project.name}`}
            used={usage.data.llm_cost_micros_this_month}
            limit={usage.data.monthly_llm_budget_micros}
            format={formatDollars}
          />
          <Meter
            title="Video rendered this month"
            progressLabel={`Video seconds of ${project.name}`}
            used={usage.data.video_seconds_this_month}
            limit={usage.data.monthly_video_seconds_budget}
            format={formatSeconds}
          />
          <Meter
            title="Posts today"
            progressLabel={`Posts today of ${project.name}`}
            used={usage.data.publishes_today}
            limit={usage.data.posts_per_day_budget}
            format={count.format}
          />
        </ul>
      )}
    </section>
  );
}
