import { useInfiniteQuery, useMutation, useQueryClient, type InfiniteData, type QueryClient } from "@tanstack/react-query";
import { ApiError, call, client, cursorPage } from "../../lib/api";
import { useOrg } from "../../lib/session";
import { isRunning, type Import } from "./format";

/** How often running imports are asked about. */
export const POLL_MS = 2000;
/** Imports per page; "Load more" asks for the next one. */
export const IMPORTS_PAGE = 20;

export const importsKey = (orgId: string) => ["org", orgId, "imports"] as const;
/** One import; its transcripts and searches live under it, so invalidating it refreshes them too. */
export const importKey = (orgId: string, importId: string) => ["org", orgId, "import", importId] as const;

export interface ImportsPage {
  items: Import[];
  next: string | null;
}
type ImportsData = InfiniteData<ImportsPage, string | null>;

export function importPath(orgId: string, importId: string) {
  return { params: { path: { org_id: orgId, import_id: importId } } };
}

/** The org's imports, most recently changed first; polled while any of them runs. */
export function useImports() {
  const { orgId } = useOrg();
  return useInfiniteQuery({
    queryKey: importsKey(orgId),
    queryFn: ({ pageParam }): Promise<ImportsPage> =>
      cursorPage(
        client.GET("/api/orgs/{org_id}/imports", {
          params: { path: { org_id: orgId }, query: { limit: IMPORTS_PAGE, cursor: pageParam ?? undefined } },
        }),
      ),
    initialPageParam: null as string | null,
    getNextPageParam: (page) => page.next ?? undefined,
    refetchInterval: (query) =>
      query.state.data?.pages.some((page) => page.items.some((item) => isRunning(item.status))) ? POLL_MS : false,
  });
}

/**
 * Imports of all pages loaded, each once: the list is ordered by last change,
 * so an import that changed between two page loads can be on both.
 */
export function uniqueImports(data: InfiniteData<ImportsPage, unknown> | undefined): Import[] {
  const seen = new Set<string>();
  return (data?.pages ?? [])
    .flatMap((page) => page.items)
    .filter((item) => {
      if (seen.has(item.id)) return false;
      seen.add(item.id);
      return true;
    });
}

/** Puts `item` at the top of the first page (a new import), or in its place (a changed one). */
export function rememberImport(queries: QueryClient, orgId: string, item: Import, where: "top" | "in_place") {
  queries.setQueryData<ImportsData>(importsKey(orgId), (data) => {
    if (!data) return data;
    const pages = data.pages.map((page, n) => {
      if (where === "in_place") {
        return { ...page, items: page.items.map((old) => (old.id === item.id ? { ...old, ...item } : old)) };
      }
      const rest = page.items.filter((old) => old.id !== item.id);
      return { ...page, items: n === 0 ? [item, ...rest] : rest };
    });
    return { ...data, pages };
  });
}

/** Cancel or Retry of one import (editors and up); the list and the import's page show the outcome at once. */
export function useImportAction(importId: string, action: "cancel" | "retry") {
  const { orgId } = useOrg();
  const queries = useQueryClient();
  const refresh = () =>
    Promise.all([
      queries.invalidateQueries({ queryKey: importsKey(orgId) }),
      queries.invalidateQueries({ queryKey: importKey(orgId, importId) }),
    ]);
  return useMutation({
    mutationFn: () =>
      action === "cancel"
        ? call(client.POST("/api/orgs/{org_id}/imports/{import_id}/cancel", importPath(orgId, importId)))
        : call(client.POST("/api/orgs/{org_id}/imports/{import_id}/retry", importPath(orgId, importId))),
    onSuccess: (item) => {
      rememberImport(queries, orgId, item, "in_place");
      // The answer carries no source video; the import's own page asks again for it.
      return refresh();
    },
    // The import moved on since it was shown (409 when it already ended): show where it is now.
    onError: (error) => (error instanceof ApiError && error.status === 409 ? refresh() : undefined),
  });
}
