import { useQuery } from "@tanstack/react-query";
import { Plus } from "lucide-react";
import { useState } from "react";
import { Link } from "react-router";
import { NewProjectForm } from "../components/project/NewProjectForm";
import { projectsKey } from "../components/project/queries";
import { Badge } from "../components/ui/badge";
import { Button } from "../components/ui/button";
import { Card } from "../components/ui/card";
import { Empty, ErrorMessage, Loading, PageHeader } from "../components/ui/feedback";
import { call, client, type Schemas } from "../lib/api";
import { useOrg } from "../lib/session";

export function Projects() {
  const org = useOrg();
  const [creating, setCreating] = useState(false);
  const projects = useQuery({
    queryKey: projectsKey(org.orgId),
    queryFn: () => call(client.GET("/api/orgs/{org_id}/projects", { params: { path: { org_id: org.orgId } } })),
  });
  const canCreate = org.can("manage_projects");
  return (
    <div className="space-y-4">
      <PageHeader title="Projects">
        {canCreate && !creating && (
          <Button onClick={() => setCreating(true)}>
            <Plus size={16} /> New project
          </Button>
        )}
      </PageHeader>
      {creating && <NewProjectForm onCancel={() => setCreating(false)} />}
      {projects.isPending ? (
        <Loading />
      ) : projects.error ? (
        <ErrorMessage error={projects.error} />
      ) : projects.data.length === 0 ? (
        <Empty title="No projects yet">
          {canCreate
            ? "A project is one TikTok account's content: its niche, voice, posting times and budgets."
            : "An admin of this organisation can create one."}
        </Empty>
      ) : (
        <ul className="grid gap-3 sm:grid-cols-2 xl:grid-cols-3">
          {projects.data.map((project) => (
            <ProjectCard key={project.id} project={project} />
          ))}
        </ul>
      )}
    </div>
  );
}

function ProjectCard({ project }: { project: Schemas["ProjectView"] }) {
  const org = useOrg();
  return (
    <li>
      {/* The name links; its ::after stretches over the card so the whole card is clickable. */}
      <Card className="relative h-full space-y-2 transition-colors hover:border-slate-400">
        <div className="flex items-start justify-between gap-2">
          <h2 className="min-w-0 font-semibold break-words">
            <Link to={`/orgs/${org.orgId}/projects/${project.id}`} className="after:absolute after:inset-0">
              {project.name}
            </Link>
          </h2>
          {project.autopilot && <Badge tone="info">Autopilot</Badge>}
        </div>
        <p className="text-sm text-slate-600">{project.niche || "No niche set"}</p>
        <p className="text-xs text-slate-500">
          {project.timezone} · {project.posting_times.join(", ")}
        </p>
      </Card>
    </li>
  );
}
