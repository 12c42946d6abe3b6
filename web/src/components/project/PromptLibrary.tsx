import { useQuery } from "@tanstack/react-query";
import { call, client } from "../../lib/api";
import { useOrg } from "../../lib/session";
import { Card, CardTitle } from "../ui/card";
import { Empty, ErrorMessage, Loading } from "../ui/feedback";
import { projectKey } from "./queries";

const KINDS: Record<string, string> = { brand_voice: "Brand voice", instructions: "Instructions" };

/** Every version of the project's prompts, newest first per kind; each plan records the versions it used. */
export function PromptLibrary({ projectId }: { projectId: string }) {
  const org = useOrg();
  const prompts = useQuery({
    queryKey: [...projectKey(org.orgId, projectId), "prompts"],
    queryFn: () =>
      call(
        client.GET("/api/orgs/{org_id}/projects/{project_id}/prompts", {
          params: { path: { org_id: org.orgId, project_id: projectId } },
        }),
      ),
  });
  return (
    <Card>
      <CardTitle>Prompt library</CardTitle>
      {prompts.isPending ? (
        <Loading label="Loading prompts" />
      ) : prompts.error ? (
        <ErrorMessage error={prompts.error} />
      ) : prompts.data.length === 0 ? (
        <Empty title="No prompt versions yet">Saving a brand voice adds its first version.</Empty>
      ) : (
        <ul className="divide-y divide-slate-100">
          {prompts.data.map((prompt) => (
            <li key={prompt.id} className="py-2">
              <details>
                <summary className="cursor-pointer text-sm">
                  <span className="font-medium">{KINDS[prompt.kind] ?? prompt.kind}</span> v{prompt.version}
                  <span className="text-slate-500"> · {new Date(prompt.created_at).toLocaleString()}</span>
                </summary>
                <pre className="mt-2 rounded bg-slate-50 p-2 text-xs break-words whitespace-pre-wrap">{prompt.body}</pre>
              </details>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}
