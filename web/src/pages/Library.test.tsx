import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { Schemas } from "../lib/api";
import { fakeApi, renderPage, reply } from "../test/render";
import { CLIPS_PAGE } from "../components/media/ClipsSection";
import { Library, VIDEOS_PAGE } from "./Library";

function asset(kind: string, url: string, direct_url: string | null): Schemas["AssetView"] {
  return {
    id: `${kind}-${url}`,
    tags: [],
    kind,
    content_type: kind === "video" ? "video/mp4" : "image/jpeg",
    size_bytes: 1000,
    created_at: "2025-05-01T10:00:00Z",
    url,
    direct_url,
    url_expires_at: "2025-05-01T11:00:00Z",
  };
}

function video(hook: string, slot: string, extra: Partial<Schemas["VideoView"]>): Schemas["VideoView"] {
  return {
    slot_id: slot,
    project_id: "p1",
    plan_id: "plan-1",
    hook,
    caption: "caption",
    day_index: 0,
    slot_index: 0,
    scheduled_at: "2025-05-02T10:00:00Z",
    slot_status: "rendered",
    render_version: 1,
    duration_ms: 27_400,
    video: asset("video", `/api/assets/${slot}/video`, null),
    thumbnail: asset("thumbnail", `/api/assets/${slot}/thumb`, null),
    publication: null,
    ...extra,
  };
}

const videos = [
  video("Three knife tricks", "slot-1", {
    video: asset("video", "/api/assets/slot-1/video", "https://s3.example/v1.mp4?X-Amz-Signature=abc"),
    slot_status: "published",
    publication: { status: "published", published_at: "2025-05-02T10:00:00Z" },
  }),
  video("Pasta in 60 seconds", "slot-2", {}),
];

function renderLibrary() {
  return renderPage(<Library />, { url: "/orgs/org-1/library", path: "/orgs/:orgId/library", role: "viewer" });
}

describe("Library", () => {
  it("shows each video's thumbnail, status and slot link", async () => {
    fakeApi({ "GET /api/orgs/org-1/videos": videos });
    renderLibrary();
    expect(await screen.findByAltText("Pasta in 60 seconds")).toHaveAttribute("src", "/api/assets/slot-2/thumb");
    const card = screen.getByText("Three knife tricks").parentElement!;
    expect(within(card).getByText("0:27")).toBeInTheDocument();
    expect(within(card).getAllByText("published")).toHaveLength(2);
    expect(within(card).getByRole("link", { name: "Open slot" })).toHaveAttribute("href", "/orgs/org-1/slots/slot-1");
  });

  it("plays a video from its signed link when Play is pressed", async () => {
    fakeApi({ "GET /api/orgs/org-1/videos": videos });
    renderLibrary();
    expect(screen.queryByLabelText("Video: Three knife tricks")).toBeNull();
    await userEvent.click(await screen.findByRole("button", { name: "Play Three knife tricks" }));
    const player = screen.getByLabelText("Video: Three knife tricks");
    expect(player.tagName).toBe("VIDEO");
    expect(player).toHaveAttribute("src", "https://s3.example/v1.mp4?X-Amz-Signature=abc");
    expect(player).toHaveAttribute("controls");
    expect(player).toHaveAttribute("preload", "metadata");
    expect(screen.queryByAltText("Three knife tricks")).toBeNull();

    await userEvent.click(screen.getByRole("button", { name: "Play Pasta in 60 seconds" }));
    expect(screen.getByLabelText("Video: Pasta in 60 seconds")).toHaveAttribute("src", "/api/assets/slot-2/video");
  });

  it("says when nothing has been rendered yet", async () => {
    fakeApi({ "GET /api/orgs/org-1/videos": [] });
    renderLibrary();
    expect(await screen.findByText("No rendered videos yet")).toBeInTheDocument();
  });

  it("loads the next page of videos from the X-Next-Cursor header", async () => {
    const asked: string[] = [];
    fakeApi({
      "GET /api/orgs/org-1/videos": (_: unknown, url: URL) => {
        asked.push(url.search);
        return url.searchParams.get("cursor") === "videos-2"
          ? [videos[1]]
          : reply(200, [videos[0]], { "x-next-cursor": "videos-2" });
      },
    });
    renderLibrary();
    expect(await screen.findByText("Three knife tricks")).toBeInTheDocument();
    expect(screen.queryByText("Pasta in 60 seconds")).toBeNull();
    await userEvent.click(screen.getByRole("button", { name: "Load more videos" }));
    expect(await screen.findByText("Pasta in 60 seconds")).toBeInTheDocument();
    expect(screen.getByText("Three knife tricks")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Load more videos" })).toBeNull();
    expect(asked).toEqual([`?limit=${VIDEOS_PAGE}`, `?limit=${VIDEOS_PAGE}&cursor=videos-2`]);
  });
});

function clip(id: string, extra: Partial<Schemas["HighlightView"]> = {}): Schemas["ClipView"] {
  return {
    import_id: "imp-1",
    project_id: "p1",
    import_title: "Knife skills masterclass",
    highlight: {
      id,
      start_ms: 65_000,
      end_ms: 90_000,
      hook: `Hook ${id}`,
      reason: "A tip that stands alone",
      quote: "Hold the knife like this.",
      clip: asset("clip", `/api/media/${id}.mp4`, null),
      slot_id: null,
      ...extra,
    },
  };
}

describe("Library: clips from imports", () => {
  it("plays each clip, names the import it came from and links its slot or says it has none", async () => {
    fakeApi({
      "GET /api/orgs/org-1/videos": [],
      "GET /api/orgs/org-1/clips": [clip("h1", { slot_id: "slot-7" }), clip("h2")],
    });
    renderLibrary();
    const list = await screen.findByRole("list", { name: "Clips" });
    const first = within(list).getByRole("listitem", { name: "Clip: Hook h1" });
    const player = within(first).getByLabelText("Clip: Hook h1", { selector: "video" });
    expect(player).toHaveAttribute("src", "/api/media/h1.mp4");
    expect(within(first).getByText(/1:05–1:30 of/)).toBeInTheDocument();
    expect(within(first).getByRole("link", { name: "Knife skills masterclass" })).toHaveAttribute(
      "href",
      "/orgs/org-1/imports/imp-1",
    );
    expect(within(first).getByRole("link", { name: "Open slot" })).toHaveAttribute("href", "/orgs/org-1/slots/slot-7");
    const second = within(list).getByRole("listitem", { name: "Clip: Hook h2" });
    expect(within(second).getByText("Not in a slot yet: make it one from its import.")).toBeInTheDocument();
  });

  it("says when no import has been cut into clips, and pages with the cursor", async () => {
    const asked: string[] = [];
    fakeApi({
      "GET /api/orgs/org-1/videos": [],
      "GET /api/orgs/org-1/clips": (_: unknown, url: URL) => {
        asked.push(url.search);
        return url.searchParams.get("cursor") ? [clip("h2")] : reply(200, [clip("h1")], { "x-next-cursor": "c2" });
      },
    });
    renderLibrary();
    await userEvent.click(await screen.findByRole("button", { name: "Load more clips" }));
    expect(await screen.findByRole("listitem", { name: "Clip: Hook h2" })).toBeInTheDocument();
    expect(asked).toEqual([`?limit=${CLIPS_PAGE}`, `?limit=${CLIPS_PAGE}&cursor=c2`]);
  });

  it("explains an empty list of clips", async () => {
    fakeApi({ "GET /api/orgs/org-1/videos": [], "GET /api/orgs/org-1/clips": [] });
    renderLibrary();
    expect(await screen.findByText("No clips yet")).toBeInTheDocument();
  });
});

describe("Library: your media", () => {
  const upload = (name: string, tags: string[]): Schemas["AssetView"] => ({
    ...asset("upload", `/${name}`, null),
    id: `upload-${name}`,
    content_type: "image/png",
    name,
    tags,
  });

  it("uploads a file with its name and tags, and retags an upload", async () => {
    let sent = new URLSearchParams();
    const calls = fakeApi({
      "GET /api/orgs/org-1/videos": [],
      "GET /api/orgs/org-1/clips": [],
      "GET /api/orgs/org-1/uploads": [upload("pot.png", ["pasta"])],
      "POST /api/orgs/org-1/uploads": (_: unknown, url: URL) => {
        sent = url.searchParams;
        return upload("board.png", ["kitchen", "wood"]);
      },
      "PATCH /api/orgs/org-1/assets/upload-pot.png": upload("pot.png", ["pasta", "pot"]),
    });
    renderPage(<Library />, { url: "/orgs/org-1/library", path: "/orgs/:orgId/library", role: "editor" });
    const card = await screen.findByRole("listitem", { name: "Upload: pot.png" });
    const tags = within(card).getByLabelText("Tags of pot.png");
    expect(tags).toHaveValue("pasta");
    await userEvent.clear(tags);
    await userEvent.type(tags, "pasta, pot");
    await userEvent.click(within(card).getByRole("button", { name: "Save tags" }));
    await waitFor(() => expect(calls.find((c) => c.method === "PATCH")?.body).toEqual({ tags: ["pasta", "pot"] }));

    // The fake API reads bodies as JSON, so the "image" is a JSON string.
    await userEvent.upload(screen.getByLabelText("File"), new File(['"png"'], "board.png", { type: "image/png" }));
    await userEvent.type(screen.getByLabelText("Tags"), "kitchen, wood");
    await userEvent.click(screen.getByRole("button", { name: "Upload" }));
    await waitFor(() => expect(sent.get("tags")).toBe("kitchen,wood"));
    expect(sent.get("name")).toBe("board.png");
  });

  it("shows a viewer the tags without a way to change them", async () => {
    fakeApi({
      "GET /api/orgs/org-1/videos": [],
      "GET /api/orgs/org-1/clips": [],
      "GET /api/orgs/org-1/uploads": [upload("pot.png", ["pasta", "pot"])],
    });
    renderLibrary();
    const card = await screen.findByRole("listitem", { name: "Upload: pot.png" });
    expect(within(card).getByText("pasta, pot")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Upload" })).not.toBeInTheDocument();
  });
});

describe("Library: knowledge", () => {
  const document: Schemas["DocumentView"] = {
    id: "doc-1",
    project_id: null,
    name: "voice.md",
    content_type: "text/markdown",
    size_bytes: 2048,
    chunks: 2,
    created_at: "2025-05-01T10:00:00Z",
  };
  const hit = (extra: Partial<Schemas["Hit"]>): Schemas["Hit"] => ({
    source: "document",
    source_id: "doc-1",
    position: 0,
    project_id: null,
    text: "We cook fast weeknight dinners for tired parents.",
    meta: { name: "voice.md" } as never,
    score: 0.03,
    similarity: 0.62,
    ...extra,
  });

  it("searches by meaning and shows where each result comes from", async () => {
    let asked = "";
    let searches = 0;
    fakeApi({
      "GET /api/orgs/org-1/videos": [],
      "GET /api/orgs/org-1/clips": [],
      "GET /api/orgs/org-1/uploads": [],
      "GET /api/orgs/org-1/knowledge/documents": [document],
      "GET /api/orgs/org-1/knowledge/search": (_: unknown, url: URL) => {
        asked = url.searchParams.get("q") ?? "";
        searches += 1;
        return {
          hits: [
            hit({}),
            hit({
              source: "slot",
              source_id: "slot-9",
              text: "One pan pasta\nHeat one pan...",
              meta: { status: "published", scheduled_at: "2025-04-03T17:00:00Z", views: 12400 } as never,
              similarity: 0.55,
            }),
          ],
        };
      },
    });
    renderLibrary();
    expect(await screen.findByText(/voice\.md · 2\.0 KB · 2 parts/)).toBeInTheDocument();
    await userEvent.type(screen.getByLabelText("Search knowledge"), "speedy evening meals");
    await userEvent.click(screen.getByRole("button", { name: "Search" }));
    const results = await screen.findByRole("list", { name: "Knowledge results" });
    await waitFor(() => expect(asked).toBe("speedy evening meals"));
    const items = within(results).getAllByRole("listitem");
    expect(items[0]).toHaveTextContent("Brand document · voice.md · similarity 0.62");
    expect(items[1]).toHaveTextContent("Slot · 2025-04-03 · published · 12,400 views · similarity 0.55");
    // The same words again search again: what was just added may be indexed by now.
    await userEvent.click(screen.getByRole("button", { name: "Search" }));
    await waitFor(() => expect(searches).toBe(2));
    // A viewer searches but does not add or remove documents.
    expect(screen.queryByRole("button", { name: "Add document" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Remove voice.md" })).not.toBeInTheDocument();
  });

  it("lets an editor add a Markdown document and remove one", async () => {
    let added = new URLSearchParams();
    const calls = fakeApi({
      "GET /api/orgs/org-1/videos": [],
      "GET /api/orgs/org-1/clips": [],
      "GET /api/orgs/org-1/uploads": [],
      "GET /api/orgs/org-1/knowledge/documents": [document],
      "POST /api/orgs/org-1/knowledge/documents": (_: unknown, url: URL) => {
        added = url.searchParams;
        return reply(201, { document: { ...document, id: "doc-2", name: "faq.md" }, indexing: { workflow_id: "w", status: "running", temporal_ui_url: "" } });
      },
      "DELETE /api/orgs/org-1/knowledge/documents/doc-1": reply(204, null),
    });
    renderPage(<Library />, { url: "/orgs/org-1/library", path: "/orgs/:orgId/library", role: "editor" });
    // The fake API reads bodies as JSON, so the document is a JSON string.
    await userEvent.upload(await screen.findByLabelText("Document"), new File(['"# FAQ"'], "faq.md", { type: "" }));
    await userEvent.click(screen.getByRole("button", { name: "Add document" }));
    await waitFor(() => expect(added.get("name")).toBe("faq.md"));
    await userEvent.click(await screen.findByRole("button", { name: "Remove voice.md" }));
    await waitFor(() => expect(calls.some((c) => c.method === "DELETE")).toBe(true));
  });
});
