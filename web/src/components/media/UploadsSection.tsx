import { useInfiniteQuery, useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { call, client, cursorPage, type Schemas } from "../../lib/api";
import { useOrg } from "../../lib/session";
import { formatBytes } from "../slot/format";
import { Button } from "../ui/button";
import { Card } from "../ui/card";
import { Empty, ErrorMessage, Loading } from "../ui/feedback";
import { Field, Input } from "../ui/input";

/** Uploads per page; "Load more uploads" asks for the next one. */
export const UPLOADS_PAGE = 24;

/** What the library takes for scenes and music. */
const LIBRARY_TYPES = "image/jpeg,image/png,video/mp4,video/quicktime,audio/mpeg,audio/wav";

/** "Pasta, pot" -> ["pasta", "pot"]. */
const tagsOf = (text: string) =>
  text
    .split(",")
    .map((tag) => tag.trim())
    .filter(Boolean);

/**
 * The org's own media: images and clips that slots' scenes find by their
 * file name and tags, and music tracks. Editors upload and retag them.
 */
export function UploadsSection() {
  const org = useOrg();
  const queries = useQueryClient();
  const key = ["org", org.orgId, "uploads"];
  const uploads = useInfiniteQuery({
    queryKey: key,
    queryFn: ({ pageParam }) =>
      cursorPage(
        client.GET("/api/orgs/{org_id}/uploads", {
          params: { path: { org_id: org.orgId }, query: { limit: UPLOADS_PAGE, cursor: pageParam ?? undefined } },
        }),
      ),
    initialPageParam: null as string | null,
    getNextPageParam: (page) => page.next ?? undefined,
  });
  const items = uploads.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <section aria-labelledby="uploads-heading" className="space-y-3">
      <h2 id="uploads-heading" className="text-lg font-semibold">
        Your media
      </h2>
      <p className="text-sm text-slate-600">
        Scenes that ask for footage or a still find your images and clips by their file name and tags.
      </p>
      {org.can("edit_content") && <UploadForm onUploaded={() => queries.invalidateQueries({ queryKey: key })} />}
      {uploads.isPending && <Loading label="Loading your media" />}
      <ErrorMessage error={uploads.error} />
      {uploads.isSuccess && items.length === 0 && (
        <Empty title="No media yet">Upload images, clips or music; tag them with what they show.</Empty>
      )}
      {items.length > 0 && (
        <ul aria-label="Uploads" className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3">
          {items.map((asset) => (
            <UploadCard key={asset.id} asset={asset} />
          ))}
        </ul>
      )}
      {uploads.hasNextPage && (
        <Button variant="outline" onClick={() => uploads.fetchNextPage()} disabled={uploads.isFetchingNextPage}>
          {uploads.isFetchingNextPage ? "Loading…" : "Load more uploads"}
        </Button>
      )}
    </section>
  );
}

function UploadForm({ onUploaded }: { onUploaded: () => void }) {
  const { orgId } = useOrg();
  const [file, setFile] = useState<File | null>(null);
  const [tags, setTags] = useState("");
  const upload = useMutation({
    mutationFn: (chosen: File) =>
      call(
        client.POST("/api/orgs/{org_id}/uploads", {
          params: { path: { org_id: orgId }, query: { name: chosen.name, tags: tagsOf(tags).join(",") || undefined } },
          // The API takes the raw bytes, typed by their content type.
          body: chosen as never,
          bodySerializer: (body) => body,
          headers: { "content-type": chosen.type || "application/octet-stream" },
        }),
      ),
    onSuccess: () => {
      setTags("");
      onUploaded();
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (file) upload.mutate(file);
  };
  return (
    <form onSubmit={submit} className="grid gap-2 sm:grid-cols-[1fr_1fr_auto] sm:items-end">
      <Field label="File" hint="JPEG, PNG, MP4, QuickTime, MP3 or WAV">
        {(id) => <Input id={id} type="file" accept={LIBRARY_TYPES} onChange={(e) => setFile(e.target.files?.[0] ?? null)} />}
      </Field>
      <Field label="Tags" hint="Comma-separated, e.g. pasta, kitchen">
        {(id) => <Input id={id} value={tags} onChange={(e) => setTags(e.target.value)} />}
      </Field>
      <Button type="submit" disabled={!file || upload.isPending}>
        Upload
      </Button>
      {upload.error && <ErrorMessage error={upload.error} className="sm:col-span-3" />}
    </form>
  );
}

function UploadCard({ asset }: { asset: Schemas["AssetView"] }) {
  const org = useOrg();
  const queries = useQueryClient();
  const [tags, setTags] = useState(asset.tags.join(", "));
  const retag = useMutation({
    mutationFn: () =>
      call(
        client.PATCH("/api/orgs/{org_id}/assets/{asset_id}", {
          params: { path: { org_id: org.orgId, asset_id: asset.id } },
          body: { tags: tagsOf(tags) },
        }),
      ),
    onSuccess: () => queries.invalidateQueries({ queryKey: ["org", org.orgId, "uploads"] }),
  });
  const label = asset.name ?? asset.content_type;
  return (
    <li aria-label={`Upload: ${label}`}>
      <Card className="space-y-2 p-3">
        {asset.content_type.startsWith("image/") && (
          <img src={asset.url} alt={label} className="h-32 w-full rounded object-cover" />
        )}
        <p className="truncate text-sm font-medium">{label}</p>
        <p className="text-xs text-slate-500">
          {asset.content_type} · {formatBytes(asset.size_bytes)}
        </p>
        {org.can("edit_content") ? (
          <form
            className="flex gap-2"
            onSubmit={(e) => {
              e.preventDefault();
              retag.mutate();
            }}
          >
            <Input aria-label={`Tags of ${label}`} value={tags} onChange={(e) => setTags(e.target.value)} />
            <Button type="submit" variant="outline" disabled={retag.isPending}>
              Save tags
            </Button>
          </form>
        ) : (
          <p className="text-xs">{asset.tags.length ? asset.tags.join(", ") : "No tags"}</p>
        )}
        {retag.error && <ErrorMessage error={retag.error} />}
      </Card>
    </li>
  );
}
