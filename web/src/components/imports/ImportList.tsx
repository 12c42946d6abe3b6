import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { call, client } from "../../lib/api";
import { useOrg } from "../../lib/session";
import { projectsKey } from "../project/queries";
import { formatDateTime } from "../slot/format";
import { Button } from "../ui/button";
import { Card } from "../ui/card";
import { Empty, ErrorMessage, Loading } from "../ui/feedback";
import { importName, type Import } from "./format";
import { ImportActions, ImportBadge, ImportFacts, ImportProgress } from "./ImportState";
import { uniqueImports, useImports } from "./queries";

/** The org's imports, most recently changed first, with their stage, outcome and actions. */
export function ImportList() {
  const { orgId } = useOrg();
  const imports = useImports();
  // Shared with the form; only for the project names.
  const projects = useQuery({
    queryKey: projectsKey(orgId),
    queryFn: () => call(client.GET("/api/orgs/{org_id}/projects", { params: { path: { org_id: orgId } } })),
  });
  const projectNames = new Map((projects.data ?? []).map((p) => [p.id, p.name]));
  const showProject = projectNames.size > 1;
  if (!imports.data) return imports.error ? <ErrorMessage error={imports.error} /> : <Loading label="Loading imports" />;
  const items = uniqueImports(imports.data);
  return (
    <section aria-labelledby="imports-heading" className="space-y-3">
      <h2 id="imports-heading" className="text-base font-semibold">
        Imports
      </h2>
      {items.length === 0 ? (
        <Empty title="Nothing imported yet">
          Paste a YouTube link or upload a video to get its transcript, translated if you like.
        </Empty>
      ) : (
        <ul className="space-y-2">
          {items.map((item) => (
            <ImportRow
              key={item.id}
              item={item}
              projectName={showProject ? projectNames.get(item.project_id) : undefined}
            />
          ))}
        </ul>
      )}
      {imports.hasNextPage && (
        <Button variant="outline" onClick={() => imports.fetchNextPage()} disabled={imports.isFetchingNextPage}>
          {imports.isFetchingNextPage ? "Loading…" : "Load more imports"}
        </Button>
      )}
      <ErrorMessage error={imports.isFetchNextPageError ? imports.error : null} />
    </section>
  );
}

function ImportRow({ item, projectName }: { item: Import; projectName?: string }) {
  const { orgId } = useOrg();
  const name = importName(item);
  return (
    <li>
      <Card className="space-y-2 p-3">
        <div className="flex flex-wrap items-start justify-between gap-2">
          <div className="min-w-0">
            <Link to={`/orgs/${orgId}/imports/${item.id}`} className="font-medium break-words underline">
              {name}
            </Link>
            {item.title && item.source_url && (
              <p className="truncate text-xs text-slate-500" title={item.source_url}>
                {item.source_url}
              </p>
            )}
          </div>
          <ImportBadge status={item.status} />
        </div>
        <ImportFacts item={item} projectName={projectName} />
        <ImportProgress item={item} />
        <div className="flex flex-wrap items-center gap-2 text-xs text-slate-500">
          <span>Started {formatDateTime(item.created_at)}</span>
          <ImportActions item={item} />
        </div>
      </Card>
    </li>
  );
}
