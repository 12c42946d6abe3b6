import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useNavigate, useSearchParams } from "react-router";
import { CONNECTING_ORG_KEY } from "../App";
import { Badge } from "../components/ui/badge";
import { Button } from "../components/ui/button";
import { ErrorMessage, Loading, Notice } from "../components/ui/feedback";
import { ApiError, call, client, type Schemas } from "../lib/api";
import { AuthFrame } from "./auth/AuthFrame";

/** What the codes of this flow mean, before the app-wide hints. */
export const CONNECT_HINTS: Record<string, string> = {
  not_your_connection:
    "This TikTok link was started by someone else. Only the person who clicked “Connect TikTok account” can finish it; to link an account yourself, start from your organisation's TikTok page.",
  invalid_state: "This TikTok link has expired or was already used. Start connecting again from the TikTok page.",
};

/** What TikTok's own `?error=` codes mean (the API passes them on). */
const TIKTOK_ERRORS: Record<string, string> = {
  access_denied: "Access was denied on TikTok, so no account was linked.",
  missing_code: "TikTok sent no authorization code back, so no account was linked.",
};

/** What each TikTok scope lets Reelpilot do. */
const SCOPES: Record<string, string> = {
  "user.info.basic": "see the account's name and avatar",
  "user.info.profile": "see the account's profile",
  "user.info.stats": "see follower and like counts",
  "video.list": "see the account's public videos and their metrics",
  "video.publish": "post videos to the account",
  "video.upload": "send videos to the account's TikTok inbox as drafts",
};

/** What the TikTok page shows after this one sends the person there. */
export interface TikTokLanding {
  tiktokLinked?: { name: string; reconnected: boolean };
  tiktokCancelled?: boolean;
}

/**
 * `/tiktok/callback`: where the API sends the browser back from TikTok's
 * consent page. The person who started the connection sees which TikTok
 * account consented and links it to the organisation, or declines.
 */
export function TikTokCallback() {
  const [params] = useSearchParams();
  const state = params.get("state");
  const code = params.get("code");
  const refused = params.get("error");
  const navigate = useNavigate();
  const queries = useQueryClient();

  // A query keyed by the state, not an effect: asked once however often the
  // page mounts (StrictMode mounts it twice), never retried nor refetched.
  // The server answers the same for a repeated exchange of one state anyway.
  const exchange = useQuery({
    queryKey: ["tiktok", "connection", state],
    queryFn: () =>
      call(client.POST("/api/tiktok/connections/exchange", { body: { state: state ?? "", code: code ?? "" } })),
    enabled: !refused && !!state && !!code,
    staleTime: Infinity,
    retry: false,
    retryOnMount: false,
    refetchOnWindowFocus: false,
    refetchOnReconnect: false,
  });
  const pending = exchange.data;

  const leave = (orgId: string, landing: TikTokLanding) => {
    sessionStorage.removeItem(CONNECTING_ORG_KEY);
    void queries.invalidateQueries({ queryKey: ["org", orgId, "tiktok"] });
    navigate(`/orgs/${orgId}/tiktok`, { replace: true, state: landing });
  };
  const confirm = useMutation({
    mutationFn: (state: string) => call(client.POST("/api/tiktok/connections/confirm", { body: { state } })),
    onSuccess: (account) => {
      if (!pending) return;
      leave(pending.org_id, {
        tiktokLinked: { name: account.display_name || account.open_id, reconnected: !!pending.reconnects_account_id },
      });
    },
  });
  const cancel = useMutation({
    mutationFn: (state: string) => call(client.POST("/api/tiktok/connections/cancel", { body: { state } })),
    onSuccess: () => {
      if (pending) leave(pending.org_id, { tiktokCancelled: true });
    },
  });

  // Where to go back to when nothing can be linked: the organisation this
  // tab started connecting from, if it did.
  const backOrg = pending?.org_id ?? sessionStorage.getItem(CONNECTING_ORG_KEY);
  const back = (
    <p className="mt-4 text-sm">
      {backOrg ? (
        <Link className="underline" to={`/orgs/${backOrg}/tiktok`}>
          Back to TikTok accounts
        </Link>
      ) : (
        <Link className="underline" to="/">
          Back to Reelpilot
        </Link>
      )}
    </p>
  );

  if (refused) {
    const error = new ApiError(400, refused, "TikTok sent the browser back without access.", null);
    return (
      <AuthFrame title="Connect TikTok">
        <ErrorMessage
          error={error}
          hints={{ [refused]: TIKTOK_ERRORS[refused] ?? "TikTok could not connect the account." }}
        />
        {back}
      </AuthFrame>
    );
  }
  if (!state || !code) {
    return (
      <AuthFrame title="Connect TikTok">
        <Notice tone="warn">
          This link is incomplete: TikTok sends you here after you connect an account. Start again from your
          organisation's TikTok page.
        </Notice>
        {back}
      </AuthFrame>
    );
  }
  if (exchange.error) {
    return (
      <AuthFrame title="Connect TikTok">
        <ErrorMessage error={exchange.error} hints={CONNECT_HINTS} />
        {back}
      </AuthFrame>
    );
  }
  if (!pending) {
    return (
      <AuthFrame title="Connect TikTok">
        <Loading label="Asking TikTok which account consented" />
      </AuthFrame>
    );
  }
  const busy = confirm.isPending || cancel.isPending || confirm.isSuccess || cancel.isSuccess;
  return (
    <AuthFrame title="Connect TikTok">
      <PendingConnection pending={pending} />
      <div className="mt-4 space-y-3">
        <ErrorMessage error={confirm.error} hints={CONNECT_HINTS} />
        <ErrorMessage error={cancel.error} hints={CONNECT_HINTS} />
        <div className="flex flex-wrap gap-2">
          <Button disabled={busy} onClick={() => confirm.mutate(state)}>
            {confirm.isPending ? "Linking…" : "Link account"}
          </Button>
          <Button variant="outline" disabled={busy} onClick={() => cancel.mutate(state)}>
            Cancel
          </Button>
        </div>
      </div>
      {back}
    </AuthFrame>
  );
}

function PendingConnection({ pending }: { pending: Schemas["PendingConnectionView"] }) {
  const name = pending.display_name || pending.open_id;
  const scopes = pending.scopes.split(/[,\s]+/).filter(Boolean);
  return (
    <div className="space-y-3 text-sm">
      <h2 className="text-base break-words">
        Link TikTok account <strong>{name}</strong> to <strong>{pending.org_name}</strong>?
      </h2>
      <p className="text-slate-600">
        Open id <span className="font-mono text-xs break-all">{pending.open_id}</span>
      </p>
      <div>
        <h3 className="font-medium">TikTok granted Reelpilot</h3>
        {scopes.length === 0 ? (
          <p className="text-slate-600">No permissions.</p>
        ) : (
          <ul aria-label="Permissions granted" className="mt-1 space-y-1">
            {scopes.map((scope) => (
              <li key={scope} className="flex flex-wrap items-center gap-1.5">
                <Badge>{scope}</Badge>
                {SCOPES[scope] && <span className="text-slate-600">{SCOPES[scope]}</span>}
              </li>
            ))}
          </ul>
        )}
      </div>
      {pending.reconnects_account_id && (
        <Notice>
          This TikTok account is already linked to {pending.org_name}: linking it again reconnects it with these
          permissions, and the projects that post to it keep doing so.
        </Notice>
      )}
    </div>
  );
}
