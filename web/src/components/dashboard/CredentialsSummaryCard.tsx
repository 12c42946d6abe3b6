import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { call, client } from "../../lib/api";
import { useOrg } from "../../lib/session";
import { Badge } from "../ui/badge";
import { Card, CardTitle } from "../ui/card";
import { ErrorMessage, Loading } from "../ui/feedback";

/** Active credentials and rotations waiting for confirmation (admins and owners only). */
export function CredentialsSummaryCard() {
  const { orgId } = useOrg();
  const credentials = useQuery({
    queryKey: ["org", orgId, "credentials"],
    queryFn: () => call(client.GET("/api/orgs/{org_id}/credentials", { params: { path: { org_id: orgId } } })),
  });
  const active = credentials.data?.filter((c) => c.status === "active").length ?? 0;
  const pending = credentials.data?.filter((c) => c.pending).length ?? 0;
  return (
    <Card>
      <CardTitle>Credentials</CardTitle>
      {credentials.isPending && <Loading />}
      <ErrorMessage error={credentials.error} />
      {credentials.data && (
        <div className="flex flex-wrap items-center gap-2 text-sm">
          <span>{active === 1 ? "1 active credential" : `${active} active credentials`}</span>
          {pending > 0 && (
            <Badge tone="warn">{pending === 1 ? "1 rotation pending" : `${pending} rotations pending`}</Badge>
          )}
        </div>
      )}
      <Link className="mt-3 inline-block text-sm underline" to={`/orgs/${orgId}/credentials`}>
        Manage credentials
      </Link>
    </Card>
  );
}
