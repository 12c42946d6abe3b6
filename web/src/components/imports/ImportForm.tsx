import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRef, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { call, client, type Schemas } from "../../lib/api";
import { useOrg } from "../../lib/session";
import { fieldError } from "../project/forms";
import { projectsKey } from "../project/queries";
import { Button } from "../ui/button";
import { Card, CardTitle } from "../ui/card";
import { ErrorMessage, Loading, Notice } from "../ui/feedback";
import { Checkbox, Field, Input, Select } from "../ui/input";
import {
  IMPORT_FILE_TYPES,
  LANGUAGES,
  MAX_TRANSLATIONS,
  MAX_UPLOAD_BYTES,
  importName,
  normalizeUrl,
  uploadType,
  type Import,
} from "./format";
import { rememberImport } from "./queries";

type Source = "url" | "file";

/** What this page says for an error code, before the app-wide hints. */
const HINTS = { budget_exceeded: "The transcription budget of this project is used up." };

/** The file input says this itself, without asking the API. */
class TooLarge extends Error {}

/** `aria-describedby` of a `Field`'s control: its error, else its hint. */
function describedBy(id: string, { hint, error }: { hint?: string; error?: string }) {
  return error ? `${id}-error` : hint ? `${id}-hint` : undefined;
}

/** Starts an import from a link or an uploaded file (editors and up); it then heads the list. */
export function ImportForm() {
  const { orgId } = useOrg();
  const queries = useQueryClient();
  const projects = useQuery({
    queryKey: projectsKey(orgId),
    queryFn: () => call(client.GET("/api/orgs/{org_id}/projects", { params: { path: { org_id: orgId } } })),
  });
  const [source, setSource] = useState<Source>("url");
  const [url, setUrl] = useState("");
  const [file, setFile] = useState<File | null>(null);
  // A new key empties the file input after an import started.
  const [fileKey, setFileKey] = useState(0);
  const [chosenProject, setChosenProject] = useState("");
  const [languages, setLanguages] = useState<string[]>([]);
  const [phase, setPhase] = useState<"uploading" | "starting">("starting");
  const [started, setStarted] = useState<Import | null>(null);
  // The last upload, so trying again after a refusal does not send the same file twice.
  const uploaded = useRef<{ file: File; assetId: string } | null>(null);

  const projectId = chosenProject || projects.data?.[0]?.id || "";

  const start = useMutation({
    mutationFn: async (): Promise<Import> => {
      const body: Schemas["NewImportInput"] = { project_id: projectId, translate_to: languages };
      if (source === "file" && file) {
        body.upload_asset_id = await upload(file);
      } else {
        body.url = normalizeUrl(url);
      }
      setPhase("starting");
      return call(client.POST("/api/orgs/{org_id}/imports", { params: { path: { org_id: orgId } }, body }));
    },
    onSuccess: (item) => {
      rememberImport(queries, orgId, item, "top");
      setStarted(item);
      setUrl("");
      setFile(null);
      setFileKey((k) => k + 1);
    },
  });

  async function upload(file: File): Promise<string> {
    if (uploaded.current?.file === file) return uploaded.current.assetId;
    if (file.size > MAX_UPLOAD_BYTES) throw new TooLarge("The file is larger than 200 MB, the most an upload may be.");
    setPhase("uploading");
    const asset = await call(
      client.POST("/api/orgs/{org_id}/uploads", {
        params: { path: { org_id: orgId } },
        // The API takes the raw bytes, typed by their content type.
        body: file as never,
        bodySerializer: (body) => body,
        headers: { "content-type": uploadType(file) },
      }),
    );
    uploaded.current = { file, assetId: asset.id };
    return asset.id;
  }

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setStarted(null);
    start.mutate();
  };
  const toggle = (code: string, on: boolean) =>
    setLanguages((now) => (on ? [...now, code] : now.filter((c) => c !== code)));

  if (projects.isPending) return <Loading label="Loading projects" />;
  if (projects.error) return <ErrorMessage error={projects.error} />;
  if (projects.data.length === 0) {
    return (
      <Notice tone="warn">
        An import belongs to a project.{" "}
        <Link className="underline" to={`/orgs/${orgId}/projects`}>
          Create a project
        </Link>{" "}
        first (admins and owners can).
      </Notice>
    );
  }

  const tooLarge = start.error instanceof TooLarge ? start.error.message : undefined;
  const errors = {
    url: fieldError(start.error, "url"),
    file: tooLarge ?? fieldError(start.error, "upload_asset_id"),
    project: fieldError(start.error, "project_id"),
    languages: fieldError(start.error, "translate_to"),
  };
  const urlHint = "A YouTube video or any page with a video on it.";
  const fileHint = "MP4, QuickTime, MP3 or WAV, up to 200 MB.";
  const busy = start.isPending;
  const ready = source === "url" ? url.trim() !== "" : file !== null;
  return (
    <Card>
      <CardTitle>New import</CardTitle>
      <form onSubmit={submit} aria-label="New import" className="max-w-3xl space-y-4">
        <fieldset className="space-y-2">
          <legend className="mb-1 text-sm font-medium">Source</legend>
          <div className="flex flex-wrap gap-4 text-sm">
            <label className="flex items-center gap-2">
              <input
                type="radio"
                name="import-source"
                className="accent-slate-900"
                checked={source === "url"}
                onChange={() => setSource("url")}
              />
              A link
            </label>
            <label className="flex items-center gap-2">
              <input
                type="radio"
                name="import-source"
                className="accent-slate-900"
                checked={source === "file"}
                onChange={() => setSource("file")}
              />
              A file from this computer
            </label>
          </div>
          {source === "url" ? (
            <Field label="Video or page URL" hint={urlHint} error={errors.url}>
              {(id) => (
                <Input
                  id={id}
                  type="text"
                  inputMode="url"
                  autoComplete="url"
                  placeholder="https://www.youtube.com/watch?v=…"
                  maxLength={2048}
                  required
                  value={url}
                  aria-invalid={errors.url ? true : undefined}
                  aria-describedby={describedBy(id, { hint: urlHint, error: errors.url })}
                  onChange={(e) => setUrl(e.target.value)}
                />
              )}
            </Field>
          ) : (
            <Field label="Video or audio file" hint={fileHint} error={errors.file}>
              {(id) => (
                <Input
                  key={fileKey}
                  id={id}
                  type="file"
                  accept={IMPORT_FILE_TYPES}
                  className="h-auto py-1.5"
                  aria-invalid={errors.file ? true : undefined}
                  aria-describedby={describedBy(id, { hint: fileHint, error: errors.file })}
                  onChange={(e) => setFile(e.target.files?.[0] ?? null)}
                />
              )}
            </Field>
          )}
        </fieldset>
        <Field label="Project" error={errors.project}>
          {(id) => (
            <Select
              id={id}
              value={projectId}
              aria-invalid={errors.project ? true : undefined}
              aria-describedby={describedBy(id, { error: errors.project })}
              onChange={(e) => setChosenProject(e.target.value)}
            >
              {projects.data.map((project) => (
                <option key={project.id} value={project.id}>
                  {project.name}
                </option>
              ))}
            </Select>
          )}
        </Field>
        <fieldset aria-describedby="import-languages-note">
          <legend className="mb-1 text-sm font-medium">Translate to (optional)</legend>
          <div className="grid grid-cols-2 gap-1 sm:grid-cols-5">
            {LANGUAGES.map(({ code, name }) => {
              const on = languages.includes(code);
              return (
                <Checkbox
                  key={code}
                  label={name}
                  checked={on}
                  disabled={!on && languages.length >= MAX_TRANSLATIONS}
                  onChange={(e) => toggle(code, e.target.checked)}
                />
              );
            })}
          </div>
          <p id="import-languages-note" className={errors.languages ? "mt-1 text-xs text-red-700" : "mt-1 text-xs text-slate-500"}>
            {errors.languages ?? `Up to ${MAX_TRANSLATIONS} languages; the spoken one is transcribed anyway.`}
          </p>
        </fieldset>
        {!tooLarge && <ErrorMessage error={start.error} hints={HINTS} />}
        {started && <Notice tone="good">Started: {importName(started)}</Notice>}
        <Button type="submit" disabled={busy || !ready}>
          {busy ? (phase === "uploading" ? "Uploading…" : "Starting…") : "Import"}
        </Button>
      </form>
    </Card>
  );
}
