import { useMutation, useQuery } from "@tanstack/react-query";
import { useSearchParams } from "react-router";
import { CONNECTING_ORG_KEY } from "../App";
import { TikTokAccountCard } from "../components/dashboard/TikTokAccountCard";
import { Button } from "../components/ui/button";
import { Empty, ErrorMessage, Loading, Notice, PageHeader } from "../components/ui/feedback";
import { call, client } from "../lib/api";
import { useOrg } from "../lib/session";

const CONNECT_ERRORS: Record<string, string> = {
  expired_link: "The connection link expired; try again",
  access_denied: "Access was denied on TikTok",
};

export function TikTok() {
  const org = useOrg();
  const [params] = useSearchParams();
  const accounts = useQuery({
    queryKey: ["org", org.orgId, "tiktok", "accounts"],
    queryFn: () => call(client.GET("/api/orgs/{org_id}/tiktok/accounts", { params: { path: { org_id: org.orgId } } })),
  });
  const connect = useMutation({
    mutationFn: () => call(client.POST("/api/orgs/{org_id}/tiktok/connect", { params: { path: { org_id: org.orgId } } })),
    onSuccess: ({ authorize_url }) => {
      // TikTok returns to `/`, which uses this to come back to this organisation.
      sessionStorage.setItem(CONNECTING_ORG_KEY, org.orgId);
      window.location.assign(authorize_url);
    },
  });
  const connectedId = params.get("tiktok_connected");
  const errorCode = params.get("tiktok_error");
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
      {connectedId && <Notice tone="good">TikTok account connected</Notice>}
      {errorCode && (
        <div role="alert" className="rounded-md border border-red-200 bg-red-50 p-3 text-sm text-red-800">
          <p className="font-medium">{CONNECT_ERRORS[errorCode] ?? "TikTok could not be connected"}</p>
          <p className="mt-1 text-xs text-red-600">code {errorCode}</p>
        </div>
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
