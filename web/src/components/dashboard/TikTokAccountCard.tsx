import { useMutation, useQueryClient } from "@tanstack/react-query";
import { call, client, type Schemas } from "../../lib/api";
import { useOrg } from "../../lib/session";
import { Badge, StatusBadge } from "../ui/badge";
import { Button } from "../ui/button";
import { Card } from "../ui/card";
import { ErrorMessage, Notice } from "../ui/feedback";

/** A connected (or once connected) TikTok account with what the caller's role may do to it. */
export function TikTokAccountCard({ account }: { account: Schemas["AccountView"] }) {
  const org = useOrg();
  const queries = useQueryClient();
  const path = { org_id: org.orgId, account_id: account.id };
  const disconnect = useMutation({
    mutationFn: () => call(client.DELETE("/api/orgs/{org_id}/tiktok/accounts/{account_id}", { params: { path } })),
    onSuccess: () => queries.invalidateQueries({ queryKey: ["org", org.orgId, "tiktok"] }),
  });
  const refreshMetrics = useMutation({
    mutationFn: () =>
      call(client.POST("/api/orgs/{org_id}/tiktok/accounts/{account_id}/refresh-metrics", { params: { path } })),
  });
  const confirmDisconnect = () => {
    if (window.confirm(`Disconnect ${account.display_name}? Reelpilot can no longer post to it or read its metrics.`)) {
      disconnect.mutate();
    }
  };
  const connected = account.status === "connected";
  const scopes = account.scopes.split(/[,\s]+/).filter(Boolean);
  return (
    <Card className="space-y-3">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h2 className="font-semibold break-words">{account.display_name}</h2>
        <StatusBadge status={account.status} />
      </div>
      <dl className="grid gap-x-3 gap-y-1 text-sm sm:grid-cols-[auto_1fr]">
        <dt className="text-slate-500">Open id</dt>
        <dd className="font-mono text-xs break-all">{account.open_id}</dd>
        <dt className="text-slate-500">Scopes</dt>
        <dd className="flex flex-wrap gap-1">
          {scopes.map((scope) => (
            <Badge key={scope}>{scope}</Badge>
          ))}
        </dd>
        <dt className="text-slate-500">Token expires</dt>
        <dd>{new Date(account.access_expires_at).toLocaleString()}</dd>
      </dl>
      {account.status === "reauthorize" && (
        <Notice tone="warn">TikTok no longer accepts this account's token; an admin needs to connect it again.</Notice>
      )}
      {refreshMetrics.isSuccess && (
        <Notice tone="good">Refreshing metrics; the new numbers appear in Analytics in a moment.</Notice>
      )}
      <ErrorMessage error={refreshMetrics.error} />
      <ErrorMessage error={disconnect.error} />
      <div className="flex flex-wrap gap-2">
        {connected && org.can("edit_content") && (
          <Button variant="outline" size="sm" disabled={refreshMetrics.isPending} onClick={() => refreshMetrics.mutate()}>
            Refresh metrics
          </Button>
        )}
        {account.status !== "disconnected" && org.can("manage_credentials") && (
          <Button variant="destructive" size="sm" disabled={disconnect.isPending} onClick={confirmDisconnect}>
            Disconnect
          </Button>
        )}
      </div>
    </Card>
  );
}
