import { queryOptions } from "@tanstack/react-query";
import { call, client } from "../../lib/api";

export const projectKey = (orgId: string, projectId: string) => ["org", orgId, "project", projectId] as const;

/** One project; the project page and the calendar (for its name and time zone) share it. */
export function projectQuery(orgId: string, projectId: string) {
  return queryOptions({
    queryKey: projectKey(orgId, projectId),
    queryFn: () =>
      call(
        client.GET("/api/orgs/{org_id}/projects/{project_id}", {
          params: { path: { org_id: orgId, project_id: projectId } },
        }),
      ),
  });
}

/** A project's usage against its budgets; the project page and the dashboard share it. */
export function usageQuery(orgId: string, projectId: string) {
  return queryOptions({
    queryKey: [...projectKey(orgId, projectId), "usage"],
    queryFn: () =>
      call(
        client.GET("/api/orgs/{org_id}/projects/{project_id}/usage", {
          params: { path: { org_id: orgId, project_id: projectId } },
        }),
      ),
  });
}

export const projectsKey = (orgId: string) => ["org", orgId, "projects"] as const;
