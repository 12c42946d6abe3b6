import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { call, client } from "../../lib/api";
import { useOrg } from "../../lib/session";
import { StatusBadge } from "../ui/badge";
import { Card, CardTitle } from "../ui/card";
import { ErrorMessage, Loading } from "../ui/feedback";

/** The org's TikTok accounts that can post (or need reconnecting). */
export function TikTokSummaryCard() {
  const { orgId } = useOrg();
  const accounts = useQuery({
    queryKey: ["org", orgId, "tiktok", "accounts"],
    queryFn: () => call(client.GET("/api/orgs/{org_id}/tiktok/accounts", { params: { path: { org_id: orgId } } })),
  });
  const linked = accounts.data?.filter((a) => a.status !== "disconnected") ?? [];
  return (
    <Card>
      <CardTitle>TikTok</CardTitle>
      {accounts.isPending && <Loading />}
      <ErrorMessage error={accounts.error} />
      {accounts.data && linked.length === 0 && <p className="text-sm text-slate-600">No TikTok account connected</p>}
      {linked.length > 0 && (
        <ul className="space-y-1 text-sm">
          {linked.map((account) => (
            <li key={account.id} className="flex flex-wrap items-center gap-2">
              <span className="font-medium">{account.display_name}</span>
              <StatusBadge status={account.status} />
            </li>
          ))}
        </ul>
      )}
      <Link className="mt-3 inline-block text-sm underline" to={`/orgs/${orgId}/tiktok`}>
        {linked.length === 0 ? "Connect TikTok" : "Manage TikTok accounts"}
      </Link>
    </Card>
  );
}
