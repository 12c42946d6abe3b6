import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { call, client, type Schemas } from "../../lib/api";
import { useOrg } from "../../lib/session";
import { Card, CardTitle } from "../ui/card";
import { ErrorMessage, Loading, Progress } from "../ui/feedback";

const dollars = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });
const count = new Intl.NumberFormat("en-US");

/** Budgets are stored in micro-dollars (1 000 000 = $1). */
function formatMicros(micros: number) {
  return dollars.format(micros / 1_000_000);
}

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
  const usage = useQuery({
    // The same key as the project page's usage card, so both share the cache.
    queryKey: ["org", orgId, "project", project.id, "usage"],
    queryFn: () =>
      call(
        client.GET("/api/orgs/{org_id}/projects/{project_id}/usage", {
          params: { path: { org_id: orgId, project_id: project.id } },
        }),
      ),
  });
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
        <>
          <Meter
            label={`LLM spend of ${project.name}`}
            title="LLM spend this month"
            used={usage.data.llm_cost_micros_this_month}
            limit={usage.data.monthly_llm_budget_micros}
            format={formatMicros}
          />
          <Meter
            label={`Video seconds of ${project.name}`}
            title="Video rendered this month"
            used={usage.data.video_seconds_this_month}
            limit={usage.data.monthly_video_seconds_budget}
            format={formatSeconds}
          />
          <Meter
            label={`Posts today of ${project.name}`}
            title="Posts today"
            used={usage.data.publishes_today}
            limit={usage.data.posts_per_day_budget}
            format={count.format}
          />
        </>
      )}
    </section>
  );
}

function Meter({
  label,
  title,
  used,
  limit,
  format,
}: {
  label: string;
  title: string;
  used: number;
  limit?: number | null;
  format: (n: number) => string;
}) {
  // `null` (or absent) budgets are unlimited.
  const limited = limit !== null && limit !== undefined;
  return (
    <div className="space-y-1">
      <div className="flex flex-wrap justify-between gap-x-2 text-sm">
        <span className="text-slate-600">{title}</span>
        <span className="font-medium">
          {format(used)} {limited ? `of ${format(limit)}` : <span className="font-normal text-slate-500">(no limit)</span>}
        </span>
      </div>
      {limited && <Progress value={limit > 0 ? used / limit : 1} label={label} />}
    </div>
  );
}
