import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link } from "react-router";
import { call, client, type Schemas } from "../../lib/api";
import { useOrg } from "../../lib/session";
import { Button } from "../ui/button";
import { Card, CardTitle } from "../ui/card";
import { ErrorMessage, Loading } from "../ui/feedback";
import { projectKey } from "./queries";

type Average = Schemas["AverageView"];

const percent = (share: number) => `${(share * 100).toFixed(1)}%`;

/** What worked: the project's posts ranked by views; the next month's drafting is given the same summary. */
export function PerformanceCard({ projectId, title = "What worked" }: { projectId: string; title?: string }) {
  const org = useOrg();
  const performance = useQuery({
    queryKey: [...projectKey(org.orgId, projectId), "performance"],
    queryFn: () =>
      call(
        client.GET("/api/orgs/{org_id}/projects/{project_id}/performance", {
          params: { path: { org_id: org.orgId, project_id: projectId } },
        }),
      ),
  });
  return (
    <Card>
      <CardTitle>{title}</CardTitle>
      {performance.isPending ? (
        <Loading label="Loading results" />
      ) : performance.error ? (
        <ErrorMessage error={performance.error} />
      ) : performance.data.posts_measured === 0 ? (
        <p className="text-sm text-slate-600">
          No measured posts yet. Once posts have metrics, the next month is drafted knowing which ideas, formats and
          posting times did best.
        </p>
      ) : (
        <div className="space-y-4 text-sm">
          <p className="text-slate-600">
            From {performance.data.posts_measured} measured posts. The next month's drafts are told about these
            results and build on the best ones.
          </p>
          <Ranked title="Best posts" org={org.orgId} posts={performance.data.best} />
          {performance.data.weakest.length > 0 && (
            <Ranked title="Weakest posts" org={org.orgId} posts={performance.data.weakest} />
          )}
          <div className="grid gap-4 sm:grid-cols-2">
            <Averages title="By format" rows={performance.data.by_format} />
            <Averages title="By posting time" rows={performance.data.by_posting_time} />
          </div>
          {performance.data.proposed_posting_times && (
            <TimesProposal projectId={projectId} proposal={performance.data.proposed_posting_times} />
          )}
        </div>
      )}
    </Card>
  );
}

function Ranked({ title, org, posts }: { title: string; org: string; posts: Schemas["PostResultView"][] }) {
  return (
    <section aria-label={title}>
      <h3 className="mb-1 font-medium">{title}</h3>
      <ol className="space-y-1">
        {posts.map((p) => (
          <li key={p.slot_id} className="flex flex-wrap items-baseline justify-between gap-x-3">
            <Link className="min-w-0 break-words underline" to={`/orgs/${org}/slots/${p.slot_id}`}>
              {p.hook}
            </Link>
            <span className="text-slate-600">
              {p.views.toLocaleString()} views · {percent(p.engagement)} engagement · {p.format.replaceAll("_", " ")} at{" "}
              {p.posting_time}
            </span>
          </li>
        ))}
      </ol>
    </section>
  );
}

function Averages({ title, rows }: { title: string; rows: Record<string, Average> }) {
  return (
    <section aria-label={title}>
      <h3 className="mb-1 font-medium">{title}</h3>
      <table className="w-full text-left">
        <thead className="text-xs text-slate-500">
          <tr>
            <th className="font-normal"></th>
            <th className="font-normal">Posts</th>
            <th className="font-normal">Avg views</th>
          </tr>
        </thead>
        <tbody>
          {Object.entries(rows).map(([key, a]) => (
            <tr key={key}>
              <td>{key.replaceAll("_", " ")}</td>
              <td>{a.posts}</td>
              <td>{Math.round(a.avg_views).toLocaleString()}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** The scheduler's proposal: a weak posting time moved next to the best one, applied by an admin. */
function TimesProposal({ projectId, proposal }: { projectId: string; proposal: Schemas["TimesProposal"] }) {
  const org = useOrg();
  const queries = useQueryClient();
  const apply = useMutation({
    mutationFn: () =>
      call(
        client.PATCH("/api/orgs/{org_id}/projects/{project_id}", {
          params: { path: { org_id: org.orgId, project_id: projectId } },
          body: { posting_times: proposal.times },
        }),
      ),
    onSuccess: () => queries.invalidateQueries({ queryKey: projectKey(org.orgId, projectId) }),
  });
  return (
    <section aria-label="Proposed posting times" className="rounded-md bg-sky-50 p-3">
      <p>
        <span className="font-medium">Post at {proposal.times.join(", ")}?</span> {proposal.reason}.
      </p>
      {org.can("manage_projects") && (
        <Button className="mt-2" size="sm" onClick={() => apply.mutate()} disabled={apply.isPending}>
          Use these times
        </Button>
      )}
      <ErrorMessage error={apply.error} />
    </section>
  );
}
