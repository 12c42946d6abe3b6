import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { CredentialsSummaryCard } from "../components/dashboard/CredentialsSummaryCard";
import { RecentRunsCard } from "../components/dashboard/RecentRunsCard";
import { TikTokSummaryCard } from "../components/dashboard/TikTokSummaryCard";
import { UsageCard } from "../components/dashboard/UsageCard";
import { StatusCard } from "../components/StatusCard";
import { Empty, ErrorMessage, Loading, PageHeader } from "../components/ui/feedback";
import { call, client } from "../lib/api";
import { useOrg } from "../lib/session";

export function Dashboard() {
  const org = useOrg();
  const projects = useQuery({
    queryKey: ["org", org.orgId, "projects"],
    queryFn: () => call(client.GET("/api/orgs/{org_id}/projects", { params: { path: { org_id: org.orgId } } })),
  });
  return (
    <div>
      <PageHeader title="Dashboard" />
      <div className="grid gap-4 lg:grid-cols-2">
        {projects.isPending && <Loading />}
        <ErrorMessage error={projects.error} className="lg:col-span-2" />
        {projects.data?.length === 0 && (
          <div className="lg:col-span-2">
            <Empty title="No projects yet">
              <Link className="underline" to={`/orgs/${org.orgId}/projects`}>
                Create your first project
              </Link>
            </Empty>
          </div>
        )}
        {projects.data && projects.data.length > 0 && <UsageCard projects={projects.data} />}
        <TikTokSummaryCard />
        {org.can("manage_credentials") && <CredentialsSummaryCard />}
        <RecentRunsCard />
        <StatusCard />
      </div>
    </div>
  );
}
