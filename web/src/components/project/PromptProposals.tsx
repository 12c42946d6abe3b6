import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { call, client, type Schemas } from "../../lib/api";
import { useOrg } from "../../lib/session";
import { Button } from "../ui/button";
import { Card, CardTitle } from "../ui/card";
import { ErrorMessage } from "../ui/feedback";
import { projectKey } from "./queries";

/** The prompt engineering agent's pending revisions of the instructions, for an admin to accept or dismiss. */
export function PromptProposals({ projectId }: { projectId: string }) {
  const org = useOrg();
  const proposals = useQuery({
    queryKey: [...projectKey(org.orgId, projectId), "prompt-proposals"],
    queryFn: () =>
      call(
        client.GET("/api/orgs/{org_id}/projects/{project_id}/prompt-proposals", {
          params: { path: { org_id: org.orgId, project_id: projectId } },
        }),
      ),
  });
  const pending = (proposals.data ?? []).filter((p) => p.status === "pending");
  if (pending.length === 0) return proposals.error ? <ErrorMessage error={proposals.error} /> : null;
  return (
    <Card className="space-y-3">
      <CardTitle>Proposed instructions</CardTitle>
      <ul className="space-y-3">
        {pending.map((p) => (
          <li key={p.id}>
            <Proposal projectId={projectId} proposal={p} />
          </li>
        ))}
      </ul>
    </Card>
  );
}

function Proposal({ projectId, proposal }: { projectId: string; proposal: Schemas["ProposalView"] }) {
  const org = useOrg();
  const queries = useQueryClient();
  const path = { params: { path: { org_id: org.orgId, proposal_id: proposal.id } } };
  const refresh = () => queries.invalidateQueries({ queryKey: projectKey(org.orgId, projectId) });
  const accept = useMutation({
    mutationFn: () => call(client.POST("/api/orgs/{org_id}/prompt-proposals/{proposal_id}/accept", path)),
    onSuccess: refresh,
  });
  const dismiss = useMutation({
    mutationFn: () => call(client.POST("/api/orgs/{org_id}/prompt-proposals/{proposal_id}/dismiss", path)),
    onSuccess: refresh,
  });
  return (
    <div className="space-y-2 text-sm">
      <p>
        <span className="font-medium">Revises instructions v{proposal.based_on_version}:</span> {proposal.rationale}
      </p>
      <details>
        <summary className="cursor-pointer text-slate-600">Read the proposed instructions</summary>
        <pre className="mt-2 rounded bg-slate-50 p-2 text-xs break-words whitespace-pre-wrap">{proposal.body}</pre>
      </details>
      {org.can("manage_projects") ? (
        <div className="flex flex-wrap gap-2">
          <Button size="sm" onClick={() => accept.mutate()} disabled={accept.isPending || dismiss.isPending}>
            Use these instructions
          </Button>
          <Button size="sm" variant="outline" onClick={() => dismiss.mutate()} disabled={accept.isPending || dismiss.isPending}>
            Dismiss
          </Button>
        </div>
      ) : (
        <p className="text-slate-500">An admin decides whether the next month uses them.</p>
      )}
      <ErrorMessage error={accept.error} />
      <ErrorMessage error={dismiss.error} />
    </div>
  );
}
