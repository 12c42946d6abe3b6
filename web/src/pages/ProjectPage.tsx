import { useQuery } from "@tanstack/react-query";
import { ArrowLeft } from "lucide-react";
import { Link, useParams } from "react-router";
import { PerformanceCard } from "../components/project/PerformanceCard";
import { PlansCard } from "../components/project/PlansCard";
import { ProjectSettings } from "../components/project/ProjectSettings";
import { PromptLibrary } from "../components/project/PromptLibrary";
import { PromptProposals } from "../components/project/PromptProposals";
import { projectQuery } from "../components/project/queries";
import { UsageCard } from "../components/project/UsageCard";
import { WeeklySummaryCard } from "../components/project/WeeklySummaryCard";
import { Badge } from "../components/ui/badge";
import { ErrorMessage, Loading, PageHeader } from "../components/ui/feedback";
import { useOrg } from "../lib/session";

export function ProjectPage() {
  const org = useOrg();
  const { projectId = "" } = useParams();
  const project = useQuery(projectQuery(org.orgId, projectId));
  if (project.isPending) return <Loading />;
  if (project.error) return <ErrorMessage error={project.error} />;
  const p = project.data;
  return (
    <div className="space-y-4">
      <Link to={`/orgs/${org.orgId}/projects`} className="inline-flex items-center gap-1 text-sm text-slate-600 underline">
        <ArrowLeft size={14} /> All projects
      </Link>
      <PageHeader title={p.name}>
        {p.autopilot && <Badge tone="info">Autopilot</Badge>}
        <span className="text-sm text-slate-500">
          {p.timezone} · {p.posting_times.join(", ")}
        </span>
      </PageHeader>
      <div className="grid items-start gap-4 lg:grid-cols-2">
        <PlansCard project={p} />
        <UsageCard projectId={p.id} />
      </div>
      <WeeklySummaryCard projectId={p.id} />
      <PerformanceCard projectId={p.id} />
      <ProjectSettings key={p.id} project={p} />
      <PromptProposals projectId={p.id} />
      <PromptLibrary projectId={p.id} />
    </div>
  );
}
