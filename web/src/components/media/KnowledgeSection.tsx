import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { call, client, type Schemas } from "../../lib/api";
import { useOrg } from "../../lib/session";
import { formatBytes } from "../slot/format";
import { Button } from "../ui/button";
import { Card } from "../ui/card";
import { Empty, ErrorMessage, Loading } from "../ui/feedback";
import { Field, Input } from "../ui/input";

/** What each kind of knowledge is called on a result. */
const SOURCE_LABEL: Record<Schemas["Source"], string> = {
  slot: "Slot",
  transcript: "Import",
  document: "Brand document",
};

/** Where a result comes from, in words: a slot's date and results, an import's title, a document's name. */
function origin(hit: Schemas["Hit"]): string {
  const meta = hit.meta as Record<string, unknown>;
  if (hit.source === "document") return String(meta.name ?? "");
  if (hit.source === "transcript") return String(meta.title ?? "an import");
  const when = typeof meta.scheduled_at === "string" ? meta.scheduled_at.slice(0, 10) : "";
  const views = typeof meta.views === "number" ? ` · ${meta.views.toLocaleString()} views` : "";
  return `${when} · ${String(meta.status ?? "")}${views}`;
}

/**
 * The org's knowledge: what it said before, what its imports say and what
 * its brand documents say, searched by meaning and words; drafting reads
 * the same. Editors add brand documents (text, Markdown or PDF).
 */
export function KnowledgeSection() {
  const org = useOrg();
  const [text, setText] = useState("");
  const [query, setQuery] = useState("");
  const results = useQuery({
    queryKey: ["org", org.orgId, "knowledge", query],
    enabled: query.length > 0,
    queryFn: () =>
      call(
        client.GET("/api/orgs/{org_id}/knowledge/search", {
          params: { path: { org_id: org.orgId }, query: { q: query, limit: 10 } },
        }),
      ),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const asked = text.trim();
    // The same words again search again (what was just added may be indexed by now).
    if (asked === query) void results.refetch();
    else setQuery(asked);
  };
  const hits = results.data?.hits ?? [];
  return (
    <section aria-labelledby="knowledge-heading" className="space-y-3">
      <h2 id="knowledge-heading" className="text-lg font-semibold">
        Knowledge
      </h2>
      <p className="text-sm text-slate-600">
        Drafts draw on what you said before, what worked, what your imports say and what your brand documents say.
        Search it by meaning: the words need not match.
      </p>
      <form role="search" onSubmit={submit} className="flex gap-2">
        <Input aria-label="Search knowledge" value={text} onChange={(e) => setText(e.target.value)} className="flex-1" />
        <Button type="submit" disabled={!text.trim()}>
          Search
        </Button>
      </form>
      {results.isFetching && <Loading label="Searching" />}
      <ErrorMessage error={results.error} />
      {results.isSuccess && hits.length === 0 && <Empty title="Nothing found">Try other words.</Empty>}
      {hits.length > 0 && (
        <ol aria-label="Knowledge results" className="space-y-2">
          {hits.map((hit) => (
            <li key={`${hit.source}-${hit.source_id}-${hit.position}`}>
              <Card className="space-y-1 p-3">
                <p className="text-xs text-slate-500">
                  {SOURCE_LABEL[hit.source]} · {origin(hit)}
                  {hit.similarity != null && ` · similarity ${hit.similarity.toFixed(2)}`}
                </p>
                <p className="whitespace-pre-line text-sm">{hit.text}</p>
              </Card>
            </li>
          ))}
        </ol>
      )}
      <Documents />
    </section>
  );
}

function Documents() {
  const org = useOrg();
  const queries = useQueryClient();
  const key = ["org", org.orgId, "documents"];
  const documents = useQuery({
    queryKey: key,
    queryFn: () => call(client.GET("/api/orgs/{org_id}/knowledge/documents", { params: { path: { org_id: org.orgId } } })),
  });
  const refresh = () => queries.invalidateQueries({ queryKey: ["org", org.orgId] });
  const remove = useMutation({
    mutationFn: (id: string) =>
      call(
        client.DELETE("/api/orgs/{org_id}/knowledge/documents/{document_id}", {
          params: { path: { org_id: org.orgId, document_id: id } },
        }),
      ),
    onSuccess: refresh,
  });
  return (
    <div className="space-y-2">
      <h3 className="font-medium">Brand documents</h3>
      {org.can("edit_content") && <DocumentForm onAdded={refresh} />}
      {documents.isPending && <Loading label="Loading documents" />}
      <ErrorMessage error={documents.error ?? remove.error} />
      {documents.isSuccess && documents.data.length === 0 && (
        <Empty title="No brand documents yet">Add your voice guide, product facts or FAQ as text, Markdown or PDF.</Empty>
      )}
      {documents.data && documents.data.length > 0 && (
        <ul aria-label="Brand documents" className="space-y-1">
          {documents.data.map((doc: Schemas["DocumentView"]) => (
            <li key={doc.id} className="flex items-center justify-between gap-2 text-sm">
              <span>
                {doc.name} · {formatBytes(doc.size_bytes)} · {doc.chunks} {doc.chunks === 1 ? "part" : "parts"}
              </span>
              {org.can("edit_content") && (
                <Button variant="outline" size="sm" onClick={() => remove.mutate(doc.id)} aria-label={`Remove ${doc.name}`}>
                  Remove
                </Button>
              )}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function DocumentForm({ onAdded }: { onAdded: () => void }) {
  const { orgId } = useOrg();
  const [file, setFile] = useState<File | null>(null);
  const add = useMutation({
    mutationFn: (chosen: File) =>
      call(
        client.POST("/api/orgs/{org_id}/knowledge/documents", {
          params: { path: { org_id: orgId }, query: { name: chosen.name } },
          body: chosen as never,
          bodySerializer: (body) => body,
          headers: { "content-type": documentType(chosen) },
        }),
      ),
    onSuccess: onAdded,
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (file) add.mutate(file);
  };
  return (
    <form onSubmit={submit} className="flex items-end gap-2">
      <Field label="Document" hint="Text, Markdown or PDF, at most 1 MiB">
        {(id) => (
          <Input id={id} type="file" accept=".txt,.md,.pdf,text/plain,text/markdown,application/pdf" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
        )}
      </Field>
      <Button type="submit" disabled={!file || add.isPending}>
        Add document
      </Button>
      {add.error && <ErrorMessage error={add.error} />}
    </form>
  );
}

/** The Content-Type of a brand document: browsers often leave Markdown's empty. */
function documentType(file: File): string {
  if (file.name.endsWith(".md")) return "text/markdown";
  if (file.name.toLowerCase().endsWith(".pdf")) return "application/pdf";
  return file.type || "text/plain";
}
