import { useQuery } from "@tanstack/react-query";
import { useOrg } from "../../lib/session";
import { Card, CardTitle } from "../ui/card";
import { ErrorMessage, Loading } from "../ui/feedback";
import { Meter } from "../ui/meter";
import { formatDollars } from "./forms";
import { usageQuery } from "./queries";

/** The project's use of each budget: LLM spend and video seconds this month, posts today. */
export function UsageCard({ projectId }: { projectId: string }) {
  const org = useOrg();
  const usage = useQuery(usageQuery(org.orgId, projectId));
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
            title="LLM spend this month"
            used={usage.data.llm_cost_micros_this_month}
            limit={usage.data.monthly_llm_budget_micros}
            format={formatDollars}
          />
          <Meter
            title="Video seconds this month"
            used={usage.data.video_seconds_this_month}
            limit={usage.data.monthly_video_seconds_budget}
            format={(seconds) => `${seconds.toLocaleString()} s`}
          />
          <Meter
            title="Posts today"
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
