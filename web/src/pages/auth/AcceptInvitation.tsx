import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Link, useNavigate, useSearchParams } from "react-router";
import { Button } from "../../components/ui/button";
import { ErrorMessage, Notice } from "../../components/ui/feedback";
import { call, client } from "../../lib/api";
import { useMe } from "../../lib/session";
import { AuthFrame } from "./AuthFrame";

export function AcceptInvitation() {
  const [params] = useSearchParams();
  const token = params.get("token");
  const me = useMe();
  const navigate = useNavigate();
  const queries = useQueryClient();
  const accept = useMutation({
    mutationFn: (token: string) => call(client.POST("/api/invitations/accept", { body: { token } })),
    onSuccess: async (org) => {
      // The org layout admits only orgs listed in ["me"], so it must be fresh before going there.
      await queries.invalidateQueries({ queryKey: ["me"], refetchType: "all" });
      navigate(`/orgs/${org.id}`, { replace: true });
    },
  });
  return (
    <AuthFrame title="Join an organisation">
      {!token ? (
        <Notice tone="warn">This link has no token. Open the link from the invitation email again.</Notice>
      ) : (
        <div className="space-y-3">
          <p className="text-sm text-slate-600">
            {me.data && <>You are signed in as {me.data.email}. </>}
            The invitation must have been sent to the address you are signed in with.
          </p>
          <ErrorMessage error={accept.error} />
          <Button className="w-full" onClick={() => accept.mutate(token)} disabled={accept.isPending}>
            {accept.isPending ? "Joining…" : "Accept invitation"}
          </Button>
        </div>
      )}
      <p className="mt-4 text-sm">
        <Link className="underline" to="/">
          Back to Reelpilot
        </Link>
      </p>
    </AuthFrame>
  );
}
