import { useMutation, useQuery } from "@tanstack/react-query";
import { useLocation } from "react-router";
import { CONNECTING_ORG_KEY } from "../App";
import { TikTokAccountCard } from "../components/dashboard/TikTokAccountCard";
import { Button } from "../components/ui/button";
import { Empty, ErrorMessage, Loading, Notice, PageHeader } from "../components/ui/feedback";
import { call, client } from "../lib/api";
import { useOrg } from "../lib/session";
import type { TikTokLanding } from "./TikTokCallback";

export function TikTok() {
  const org = useOrg();
  // Set by the callback page after the person linked an account or declined.
  const landing = (useLocation().state ?? null) as TikTokLanding | null;
  const accounts = useQuery({
    queryKey: ["org", org.orgId, "tiktok", "accounts"],
    queryFn: () => call(client.GET("/api/orgs/{org_id}/tiktok/accounts", { params: { path: { org_id: org.orgId } } })),
  });
  const connect = useMutation({
    mutationFn: () => call(client.POST("/api/orgs/{org_id}/tiktok/connect", { params: { path: { org_id: org.orgId } } })),
    onSuccess: ({ authorize_url }) => {
      // The callback page (/tiktok/callback) leads back here if nothing can be linked.
      sessionStorage.setItem(CONNECTING_ORG_KEY, org.orgId);
      window.location.assign(authorize_url);
    },
  });
  return (
    <div className="space-y-4">
      <PageHeader title="TikTok">
        {org.can("manage_credentials") && (
          <Button disabled={connect.isPending} onClick={() => connect.mutate()}>
            Connect TikTok account
          </Button>
        )}
      </PageHeader>
      <p className="text-sm text-slate-600">Each project posts to the TikTok account chosen in its settings.</p>
      {landing?.tiktokLinked && (
        <Notice tone="good">
          {`TikTok account ${landing.tiktokLinked.reconnected ? "reconnected" : "connected"}: ${landing.tiktokLinked.name}`}
        </Notice>
      )}
      {landing?.tiktokCancelled && (
        <Notice>Nothing was linked; TikTok was asked to withdraw the access it granted.</Notice>
      )}
      <ErrorMessage error={connect.error} />
      {accounts.isPending && <Loading />}
      <ErrorMessage error={accounts.error} />
      {accounts.data?.length === 0 && (
        <Empty title="No TikTok account connected">
          {org.can("manage_credentials")
            ? "Connect an account so approved videos can be posted."
            : "An admin of this organisation can connect one."}
        </Empty>
      )}
      {accounts.data && accounts.data.length > 0 && (
        <div className="grid gap-4 md:grid-cols-2">
          {accounts.data.map((account) => (
            <TikTokAccountCard key={account.id} account={account} />
          ))}
        </div>
      )}
    </div>
  );
}
