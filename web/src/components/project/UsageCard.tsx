import { useQuery } from "@tanstack/react-query";
import { call, client } from "../../lib/api";
import { useOrg } from "../../lib/session";
import { Card, CardTitle } from "../ui/card";
import { ErrorMessage, Loading, Progress } from "../ui/feedback";
import { formatDollars } from "./forms";
import { projectKey } from "./queries";

/** The project's use of each budget: LLM spend and video seconds this month, posts today. */
export function UsageCard({ projectId }: { projectId: string }) {
  const org = useOrg();
  const usage = useQuery({
    queryKey: [...projectKey(org.orgId, projectId), "usage"],
    queryFn: () =>
      call(
        client.GET("/api/orgs/{org_id}/projects/{project_id}/usage", {
          params: { path: { org_id: org.orgId, project_id: projectId } },
        }),
      ),
  });
  return (
    <Card>
      <CardTitle>Usage against budgets</CardTitle>
      {usage.isPending ? (
        <Loading label="Loading usage" />
      ) : usage.error ? (
        <ErrorMessage error={usage.error} />
      ) : (
        <ul className="space-y-4">
          <Meter
            label="LLM spend this month"
            used={usage.data.llm_cost_micros_this_month}
            limit={usage.data.monthly_llm_budget_micros}
            format={formatDollars}
          />
          <Meter
            label="Video seconds this month"
            used={usage.data.video_seconds_this_month}
            limit={usage.data.monthly_video_seconds_budget}
            format={(seconds) => `${seconds.toLocaleString()} s`}
          />
          <Meter
            label="Posts today"
            used={usage.data.publishes_today}
            limit={usage.data.posts_per_day_budget}
            format={(posts) => posts.toLocaleString()}
          />
          <li className="flex flex-wrap justify-between gap-x-2 text-sm">
            <span className="font-medium">LLM cost per post this month</span>
            <span>
              {usage.data.llm_cost_micros_per_post == null
                ? "no posts yet"
                : `${formatDollars(usage.data.llm_cost_micros_per_post)} over ${usage.data.publishes_this_month} posts`}
            </span>
          </li>
        </ul>
      )}
    </Card>
  );
}

function Meter({
  label,
  used,
  limit,
  format,
}: {
  label: string;
  used: number;
  limit: number | null | undefined;
  format: (n: number) => string;
}) {
  return (
    <li className="space-y-1">
      <div className="flex flex-wrap justify-between gap-x-2 text-sm">
        <span className="font-medium">{label}</span>
        <span>
          {format(used)} {limit == null ? <span className="text-slate-500">· no limit</span> : <>of {format(limit)}</>}
        </span>
      </div>
      {/* A zero budget allows nothing, so it shows as used up. */}
      {limit != null && <Progress label={label} value={limit > 0 ? used / limit : 1} />}
    </li>
  );
}
