import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { call, client } from "../../lib/api";
import { useOrg } from "../../lib/session";
import { Button } from "../ui/button";
import { Card, CardTitle } from "../ui/card";
import { ErrorMessage, Loading, Notice } from "../ui/feedback";
import { projectKey } from "./queries";

/** The analytics agent's weekly summary: what worked and what to try next, newest week first. */
export function WeeklySummaryCard({ projectId }: { projectId: string }) {
  const org = useOrg();
  const queries = useQueryClient();
  const key = [...projectKey(org.orgId, projectId), "summaries"];
  const path = { params: { path: { org_id: org.orgId, project_id: projectId } } };
  const summaries = useQuery({
    queryKey: key,
    queryFn: () => call(client.GET("/api/orgs/{org_id}/projects/{project_id}/summaries", path)),
  });
  const now = useMutation({
    mutationFn: () => call(client.POST("/api/orgs/{org_id}/projects/{project_id}/summaries", path)),
    // The run takes a moment; look again shortly after.
    onSuccess: () => setTimeout(() => queries.invalidateQueries({ queryKey: key }), 3000),
  });
  const [latest, ...earlier] = summaries.data ?? [];
  return (
    <Card className="space-y-3">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <CardTitle>This week</CardTitle>
        {org.can("edit_content") && (
          <Button size="sm" variant="outline" onClick={() => now.mutate()} disabled={now.isPending}>
            Summarise now
          </Button>
        )}
      </div>
      {summaries.isPending ? (
        <Loading label="Loading the weekly summary" />
      ) : summaries.error ? (
        <ErrorMessage error={summaries.error} />
      ) : !latest ? (
        <p className="text-sm text-slate-600">
          Every week the analytics agent sums up what worked and what to try next, once posts have results.
        </p>
      ) : (
        <div className="space-y-2 text-sm">
          <p className="font-medium">
            Week of {latest.week_start}: {latest.summary.headline}
          </p>
          {latest.summary.worked.length > 0 && (
            <div>
              <p className="text-xs font-medium tracking-wide text-slate-500 uppercase">What worked</p>
              <ul className="list-disc pl-5">
                {latest.summary.worked.map((line) => (
                  <li key={line}>{line}</li>
                ))}
              </ul>
            </div>
          )}
          <div>
            <p className="text-xs font-medium tracking-wide text-slate-500 uppercase">Try next</p>
            <ul className="list-disc pl-5">
              {latest.summary.try_next.map((line) => (
                <li key={line}>{line}</li>
              ))}
            </ul>
          </div>
          {earlier.length > 0 && (
            <p className="text-xs text-slate-500">Earlier weeks: {earlier.map((s) => s.week_start).join(", ")}</p>
          )}
        </div>
      )}
      {now.isSuccess && <Notice tone="info">Summing up this week; it appears here in a moment.</Notice>}
      <ErrorMessage error={now.error} />
    </Card>
  );
}
