import { act, fireEvent, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { formatClock, normalizeUrl, uploadType } from "../components/imports/format";
import { IMPORTS_PAGE, POLL_MS } from "../components/imports/queries";
import type { Schemas } from "../lib/api";
import type { Role } from "../lib/roles";
import { apiError, fakeApi, renderPage, reply } from "../test/render";
import { Imports } from "./Imports";

type Import = Schemas["ImportView"];

const IMPORTS = "/api/orgs/org-1/imports";
const PROJECTS = [
  { id: "p1", name: "Cooking" },
  { id: "p2", name: "Travel" },
];

function imp(id: string, extra: Partial<Import> = {}): Import {
  return {
    id,
    project_id: "p1",
    source_url: `https://www.youtube.com/watch?v=${id}`,
    upload_asset_id: null,
    status: "pending",
    progress: 0,
    title: null,
    duration_ms: null,
    language: null,
    translate_to: [],
    error: null,
    error_code: null,
    source: null,
    run: { workflow_id: `org-1:import:${id}`, status: "running", temporal_ui_url: `http://temporal/${id}` },
    created_at: "2025-05-01T10:00:00Z",
    updated_at: "2025-05-01T10:00:00Z",
    ...extra,
  };
}

const SOURCE: Schemas["AssetView"] = {
  id: "asset-1",
  tags: [],
  kind: "video",
  content_type: "video/mp4",
  size_bytes: 50_000_000,
  created_at: "2025-05-01T10:00:00Z",
  url: "/api/assets/asset-1",
  direct_url: "https://s3.example/source.mp4?X-Amz-Signature=abc",
  url_expires_at: "2999-01-01T00:00:00Z",
};

const READY = imp("imp-1", {
  status: "ready",
  progress: 1,
  title: "Knife skills masterclass",
  duration_ms: 3_725_000,
  language: "en",
  translate_to: ["de"],
  source: SOURCE,
  run: { workflow_id: "org-1:import:imp-1", status: "completed", temporal_ui_url: "http://temporal/imp-1" },
});

const segment = (start_ms: number, end_ms: number, text: string) => ({ start_ms, end_ms, text, words: [] });

const TRANSCRIPTS: Schemas["TranscriptView"][] = [
  {
    language: "en",
    kind: "spoken",
    engine: "whisper",
    segments: [
      segment(0, 4_000, "Welcome to the kitchen."),
      segment(65_000, 70_000, "Hold the knife like this."),
      segment(3_700_000, 3_705_000, "See you next time."),
    ],
  },
  {
    language: "de",
    kind: "translation",
    engine: "llm",
    segments: [segment(0, 4_000, "Willkommen in der Küche."), segment(130_000, 134_000, "Das Messer so halten.")],
  },
];

function renderImports(role: Role = "editor", url = "/orgs/org-1/imports") {
  return renderPage(<Imports />, { url, path: "/orgs/:orgId/imports/:importId?", role });
}

/** The list entry of the import called `name`. */
function row(name: string) {
  return screen.getByRole("link", { name }).closest("li")!;
}

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("Imports: starting one", () => {
  it("posts a link with the chosen project and languages and puts the new import at the top", async () => {
    let listed = [imp("old", { status: "ready", title: "An older import" })];
    const created = imp("new", { source_url: "https://youtu.be/abc", project_id: "p2", translate_to: ["de", "fr"] });
    const calls = fakeApi({
      "GET /api/orgs/org-1/projects": PROJECTS,
      [`GET ${IMPORTS}`]: () => listed,
      [`POST ${IMPORTS}`]: () => {
        listed = [created, ...listed];
        return reply(202, created);
      },
    });
    renderImports();
    expect(await screen.findByRole("link", { name: "An older import" })).toBeInTheDocument();
    const form = screen.getByRole("form", { name: "New import" });
    // The first project is chosen until another is.
    expect(within(form).getByLabelText("Project")).toHaveValue("p1");
    await userEvent.type(within(form).getByLabelText("Video or page URL"), "youtu.be/abc");
    await userEvent.selectOptions(within(form).getByLabelText("Project"), "Travel");
    await userEvent.click(within(form).getByLabelText("German"));
    await userEvent.click(within(form).getByLabelText("French"));
    await userEvent.click(within(form).getByRole("button", { name: "Import" }));

    await waitFor(() => expect(calls.filter((c) => c.method === "POST")).toHaveLength(1));
    expect(calls.find((c) => c.method === "POST")).toMatchObject({
      path: IMPORTS,
      body: { project_id: "p2", url: "https://youtu.be/abc", translate_to: ["de", "fr"] },
    });
    const first = (await screen.findByRole("link", { name: "https://youtu.be/abc" })).closest("li")!;
    expect(screen.getAllByRole("listitem")[0]).toBe(first);
    expect(within(first).getByText("Waiting to start…")).toBeInTheDocument();
    expect(within(first).getByText(/Translated to German, French/)).toBeInTheDocument();
    expect(within(form).getByLabelText("Video or page URL")).toHaveValue("");
  });

  it("uploads a chosen file, then imports the uploaded asset", async () => {
    const calls = fakeApi({
      "GET /api/orgs/org-1/projects": PROJECTS,
      [`GET ${IMPORTS}`]: [],
      "POST /api/orgs/org-1/uploads": { ...SOURCE, id: "upload-9", kind: "upload", content_type: "audio/mpeg" },
      [`POST ${IMPORTS}`]: reply(202, imp("up", { source_url: null, upload_asset_id: "upload-9" })),
    });
    renderImports();
    await userEvent.click(await screen.findByLabelText("A file from this computer"));
    // The fake API reads bodies as JSON, so the "audio" is a JSON string.
    const file = new File(['"mp3 bytes"'], "talk.mp3", { type: "" });
    await userEvent.upload(screen.getByLabelText("Video or audio file"), file);
    await userEvent.click(screen.getByRole("button", { name: "Import" }));
    await waitFor(() => expect(calls.find((c) => c.method === "POST" && c.path === IMPORTS)).toBeDefined());
    expect(calls.find((c) => c.path === "/api/orgs/org-1/uploads")?.body).toBe("mp3 bytes");
    expect(calls.find((c) => c.method === "POST" && c.path === IMPORTS)?.body).toEqual({
      project_id: "p1",
      translate_to: [],
      upload_asset_id: "upload-9",
    });
    expect(await screen.findByRole("link", { name: "Uploaded file" })).toBeInTheDocument();
  });

  it("shows a refused field's message next to it, with the code and request id", async () => {
    fakeApi({
      "GET /api/orgs/org-1/projects": PROJECTS,
      [`GET ${IMPORTS}`]: [],
      [`POST ${IMPORTS}`]: reply(422, {
        error: {
          code: "validation_failed",
          message: "url must be an http or https URL",
          request_id: "req-422",
          field: "url",
        },
      }),
    });
    renderImports();
    const input = await screen.findByLabelText("Video or page URL");
    await userEvent.type(input, "ftp://example.com/video");
    await userEvent.click(screen.getByRole("button", { name: "Import" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Please check the highlighted value.");
    expect(alert).toHaveTextContent("code validation_failed · request req-422");
    expect(input).toHaveAccessibleDescription("url must be an http or https URL");
    expect(input).toHaveAttribute("aria-invalid", "true");
  });

  it("says a used-up transcription budget is why nothing started", async () => {
    fakeApi({
      "GET /api/orgs/org-1/projects": PROJECTS,
      [`GET ${IMPORTS}`]: [],
      [`POST ${IMPORTS}`]: apiError(402, "budget_exceeded", "monthly transcription budget of 3600 s is used up"),
    });
    renderImports();
    await userEvent.type(await screen.findByLabelText("Video or page URL"), "https://youtu.be/abc");
    await userEvent.click(screen.getByRole("button", { name: "Import" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("The transcription budget of this project is used up.");
    expect(alert).toHaveTextContent("monthly transcription budget of 3600 s is used up");
    expect(alert).toHaveTextContent("request req-test-1");
  });
});

describe("Imports: the list", () => {
  it("shows a running import's stage and percentage, and Cancel posts to /cancel", async () => {
    let current = imp("run", { status: "transcribing", progress: 0.7, title: "Long talk", duration_ms: 754_000, language: "de" });
    const calls = fakeApi({
      "GET /api/orgs/org-1/projects": PROJECTS,
      [`GET ${IMPORTS}`]: () => [current],
      [`POST ${IMPORTS}/run/cancel`]: () => {
        current = { ...current, status: "cancelled" };
        return reply(202, current);
      },
    });
    renderImports();
    await screen.findByRole("link", { name: "Long talk" });
    const item = row("Long talk");
    expect(within(item).getByText("Transcribing: 70%")).toBeInTheDocument();
    expect(within(item).getByRole("progressbar", { name: "Transcribing" })).toHaveAttribute("aria-valuenow", "70");
    expect(within(item).getByText(/12:34 · Spoken: German/)).toBeInTheDocument();
    expect(within(item).queryByRole("button", { name: "Retry Long talk" })).toBeNull();

    await userEvent.click(within(item).getByRole("button", { name: "Cancel Long talk" }));
    await waitFor(() => expect(calls.some((c) => c.method === "POST" && c.path === `${IMPORTS}/run/cancel`)).toBe(true));
    expect(await within(row("Long talk")).findByText("Cancelled.")).toBeInTheDocument();
    expect(within(row("Long talk")).queryByRole("progressbar")).toBeNull();
    expect(within(row("Long talk")).getByRole("button", { name: "Retry Long talk" })).toBeInTheDocument();
  });

  it("names each running stage", async () => {
    fakeApi({
      "GET /api/orgs/org-1/projects": PROJECTS,
      [`GET ${IMPORTS}`]: [
        imp("a", { status: "fetching", progress: 0.4, title: "A" }),
        imp("b", { status: "translating", progress: 0.25, title: "B" }),
      ],
    });
    renderImports();
    expect(await screen.findByText("Downloading: 40%")).toBeInTheDocument();
    expect(screen.getByText("Translating: 25%")).toBeInTheDocument();
  });

  it("explains why an import failed, keeps the server's words, and Retry posts to /retry", async () => {
    let current = imp("bad", {
      status: "failed",
      title: "Private video",
      error_code: "address_refused",
      error: "the redirect led to 10.0.0.7, which is not public",
    });
    const calls = fakeApi({
      "GET /api/orgs/org-1/projects": PROJECTS,
      [`GET ${IMPORTS}`]: () => [current],
      [`POST ${IMPORTS}/bad/retry`]: () => {
        current = { ...current, status: "pending", error: null, error_code: null };
        return reply(202, current);
      },
    });
    renderImports();
    await screen.findByRole("link", { name: "Private video" });
    const item = row("Private video");
    expect(within(item).getByText("That address is not allowed: only public web addresses can be imported.")).toBeInTheDocument();
    expect(within(item).getByText("the redirect led to 10.0.0.7, which is not public")).toBeInTheDocument();
    expect(within(item).queryByRole("button", { name: /Cancel/ })).toBeNull();

    await userEvent.click(within(item).getByRole("button", { name: "Retry Private video" }));
    await waitFor(() => expect(calls.some((c) => c.method === "POST" && c.path === `${IMPORTS}/bad/retry`)).toBe(true));
    expect(await within(row("Private video")).findByText("Waiting to start…")).toBeInTheDocument();
    expect(within(row("Private video")).queryByText(/not public/)).toBeNull();
    expect(within(row("Private video")).getByRole("button", { name: "Cancel Private video" })).toBeInTheDocument();
  });

  it("shows why Retry was refused, with the request id", async () => {
    fakeApi({
      "GET /api/orgs/org-1/projects": PROJECTS,
      [`GET ${IMPORTS}`]: [imp("x", { status: "cancelled", title: "Stopped one" })],
      [`POST ${IMPORTS}/x/retry`]: apiError(409, "conflict", "the last run is still stopping"),
    });
    renderImports();
    await userEvent.click(await screen.findByRole("button", { name: "Retry Stopped one" }));
    const alert = await within(row("Stopped one")).findByRole("alert");
    expect(alert).toHaveTextContent("the last run is still stopping");
    expect(alert).toHaveTextContent("request req-test-1");
  });

  it("shows a viewer the imports but no form, Cancel or Retry", async () => {
    const calls = fakeApi({
      "GET /api/orgs/org-1/projects": PROJECTS,
      [`GET ${IMPORTS}`]: [
        imp("a", { status: "fetching", progress: 0.5, title: "Running one" }),
        imp("b", { status: "failed", error_code: "too_long", error: "4 h is longer than 3 h", title: "Failed one" }),
      ],
    });
    renderImports("viewer");
    await screen.findByRole("link", { name: "Running one" });
    expect(screen.getByText("The video is longer than an import may be.")).toBeInTheDocument();
    expect(screen.queryByRole("form", { name: "New import" })).toBeNull();
    expect(screen.queryByLabelText("Video or page URL")).toBeNull();
    expect(screen.queryAllByRole("button")).toEqual([]);
    expect(calls.every((c) => c.method === "GET")).toBe(true);
  });

  it("loads the next page from the X-Next-Cursor header", async () => {
    const asked: string[] = [];
    fakeApi({
      "GET /api/orgs/org-1/projects": PROJECTS,
      [`GET ${IMPORTS}`]: (_: unknown, url: URL) => {
        asked.push(url.search);
        return url.searchParams.get("cursor") === "imports-2"
          ? [imp("b", { status: "ready", title: "Second page" })]
          : reply(200, [imp("a", { status: "ready", title: "First page" })], { "x-next-cursor": "imports-2" });
      },
    });
    renderImports();
    await screen.findByRole("link", { name: "First page" });
    expect(screen.queryByRole("link", { name: "Second page" })).toBeNull();
    await userEvent.click(screen.getByRole("button", { name: "Load more imports" }));
    expect(await screen.findByRole("link", { name: "Second page" })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Load more imports" })).toBeNull();
    expect(asked).toEqual([`?limit=${IMPORTS_PAGE}`, `?limit=${IMPORTS_PAGE}&cursor=imports-2`]);
  });

  it("polls while an import runs and stops once none does", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    let answers = 0;
    fakeApi({
      "GET /api/orgs/org-1/projects": PROJECTS,
      [`GET ${IMPORTS}`]: () => {
        answers += 1;
        return [answers === 1 ? imp("a", { status: "fetching", progress: 0.1, title: "Talk" }) : { ...READY, id: "a", title: "Talk" }];
      },
    });
    renderImports("viewer");
    expect(await screen.findByText("Downloading: 10%")).toBeInTheDocument();
    await act(() => vi.advanceTimersByTimeAsync(POLL_MS + 100));
    expect(await screen.findByText("ready")).toBeInTheDocument();
    expect(screen.queryByRole("progressbar")).toBeNull();
    const seen = answers;
    await act(() => vi.advanceTimersByTimeAsync(POLL_MS * 3));
    expect(answers).toBe(seen);
  });

  it("opens an import from the list", async () => {
    fakeApi({
      "GET /api/orgs/org-1/projects": PROJECTS,
      [`GET ${IMPORTS}`]: [READY],
      [`GET ${IMPORTS}/imp-1`]: READY,
      [`GET ${IMPORTS}/imp-1/transcripts`]: TRANSCRIPTS,
    });
    renderImports("viewer");
    await userEvent.click(await screen.findByRole("link", { name: "Knife skills masterclass" }));
    expect(await screen.findByRole("heading", { level: 1, name: "Knife skills masterclass" })).toBeInTheDocument();
    expect(await screen.findByLabelText("Source: Knife skills masterclass")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "All imports" })).toHaveAttribute("href", "/orgs/org-1/imports");
  });
});

describe("Imports: a ready import", () => {
  function openReady(role: Role = "viewer") {
    const calls = fakeApi({
      [`GET ${IMPORTS}/imp-1`]: READY,
      [`GET ${IMPORTS}/imp-1/transcripts`]: TRANSCRIPTS,
      [`GET ${IMPORTS}/imp-1/highlights`]: [],
      [`GET ${IMPORTS}/imp-1/transcripts/search`]: (_: unknown, url: URL) =>
        url.searchParams.get("q") === "messer"
          ? [{ language: "de", start_ms: 130_000, end_ms: 134_000, text: "Das Messer so halten." }]
          : [],
    });
    const play = vi.spyOn(HTMLMediaElement.prototype, "play").mockResolvedValue(undefined);
    renderImports(role, "/orgs/org-1/imports/imp-1");
    return { calls, play };
  }

  it("plays the source from its signed link and lists the spoken transcript's segments with their times", async () => {
    openReady();
    const video = await screen.findByLabelText("Source: Knife skills masterclass");
    expect(video.tagName).toBe("VIDEO");
    expect(video).toHaveAttribute("src", SOURCE.direct_url);
    expect(video).toHaveAttribute("controls");
    expect(screen.getByText("1:02:05 · Spoken: English · Translated to German")).toBeInTheDocument();
    const tab = await screen.findByRole("tab", { name: "English (spoken)" });
    expect(tab).toHaveAttribute("aria-selected", "true");
    expect(screen.getByRole("tab", { name: "German (translation)" })).toHaveAttribute("aria-selected", "false");
    const panel = screen.getByRole("tabpanel", { name: "English (spoken)" });
    expect(within(panel).getByRole("button", { name: "0:00 Welcome to the kitchen." })).toBeInTheDocument();
    expect(within(panel).getByRole("button", { name: "1:05 Hold the knife like this." })).toBeInTheDocument();
    expect(within(panel).getByRole("button", { name: "1:01:40 See you next time." })).toBeInTheDocument();
    expect(await screen.findByText("Nothing in this video makes a short of 15 to 60 seconds on its own.")).toBeInTheDocument();
  });

  it("seeks the video to a clicked segment and plays it, and highlights the segment being said", async () => {
    const { play } = openReady();
    const video = (await screen.findByLabelText("Source: Knife skills masterclass")) as HTMLVideoElement;
    const segmentButton = await screen.findByRole("button", { name: "1:05 Hold the knife like this." });
    await userEvent.click(segmentButton);
    expect(video.currentTime).toBe(65);
    expect(play).toHaveBeenCalled();
    expect(segmentButton).toHaveAttribute("aria-current", "true");

    video.currentTime = 2;
    fireEvent.timeUpdate(video);
    expect(screen.getByRole("button", { name: "0:00 Welcome to the kitchen." })).toHaveAttribute("aria-current", "true");
    expect(segmentButton).not.toHaveAttribute("aria-current");

    // Between segments nothing is highlighted.
    video.currentTime = 30;
    fireEvent.timeUpdate(video);
    expect(screen.getByRole("tabpanel").querySelector("[aria-current]")).toBeNull();
  });

  it("switches to a translation with the keyboard and follows the same position in it", async () => {
    openReady();
    const video = (await screen.findByLabelText("Source: Knife skills masterclass")) as HTMLVideoElement;
    const spoken = await screen.findByRole("tab", { name: "English (spoken)" });
    video.currentTime = 131;
    spoken.focus();
    await userEvent.keyboard("{ArrowRight}");
    const german = screen.getByRole("tab", { name: "German (translation)" });
    expect(german).toHaveAttribute("aria-selected", "true");
    expect(german).toHaveFocus();
    const panel = screen.getByRole("tabpanel", { name: "German (translation)" });
    expect(within(panel).getByRole("button", { name: "2:10 Das Messer so halten." })).toHaveAttribute("aria-current", "true");
    expect(within(panel).queryByText("Hold the knife like this.")).toBeNull();
  });

  it("searches the transcripts after typing pauses and jumps to a match", async () => {
    const { calls } = openReady();
    const video = (await screen.findByLabelText("Source: Knife skills masterclass")) as HTMLVideoElement;
    await screen.findByRole("tab", { name: "English (spoken)" });
    await userEvent.type(screen.getByLabelText("Search the transcripts"), "messer");
    const matches = await screen.findByRole("list", { name: "Matches" });
    const searches = calls.filter((c) => c.path === `${IMPORTS}/imp-1/transcripts/search`);
    // Debounced: one request for the whole word, not one per letter.
    expect(searches).toHaveLength(1);
    expect(screen.getByText("1 match")).toBeInTheDocument();
    await userEvent.click(within(matches).getByRole("button", { name: "2:10 Das Messer so halten. (German)" }));
    expect(video.currentTime).toBe(130);
    // The match is in the German transcript, which opens there.
    expect(screen.getByRole("tab", { name: "German (translation)" })).toHaveAttribute("aria-selected", "true");

    await userEvent.clear(screen.getByLabelText("Search the transcripts"));
    await userEvent.type(screen.getByLabelText("Search the transcripts"), "nothing");
    expect(await screen.findByText("No matches for “nothing”.")).toBeInTheDocument();
  });

  it("shows a running import's stage without a transcript, and Cancel for an editor", async () => {
    const calls = fakeApi({
      [`GET ${IMPORTS}/imp-2`]: imp("imp-2", { status: "fetching", progress: 0.4, title: "Still coming" }),
      [`POST ${IMPORTS}/imp-2/cancel`]: reply(202, imp("imp-2", { status: "cancelled", title: "Still coming" })),
    });
    renderImports("editor", "/orgs/org-1/imports/imp-2");
    expect(await screen.findByText("Downloading: 40%")).toBeInTheDocument();
    expect(screen.getByText("The video and its transcript appear here once the import is ready.")).toBeInTheDocument();
    expect(screen.queryByRole("tablist")).toBeNull();
    expect(calls.some((c) => c.path.endsWith("/transcripts"))).toBe(false);
    await userEvent.click(screen.getByRole("button", { name: "Cancel Still coming" }));
    await waitFor(() => expect(calls.some((c) => c.method === "POST" && c.path === `${IMPORTS}/imp-2/cancel`)).toBe(true));
  });

  it("shows why the import could not be loaded", async () => {
    fakeApi({ [`GET ${IMPORTS}/nope`]: apiError(404, "not_found", "no such import") });
    renderImports("viewer", "/orgs/org-1/imports/nope");
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("no such import");
    expect(alert).toHaveTextContent("request req-test-1");
  });
});

const CLIP: Schemas["AssetView"] = { ...SOURCE, id: "clip-1", kind: "clip", size_bytes: 4_000_000, duration_ms: 20_000 };

function highlight(id: string, start_ms: number, extra: Partial<Schemas["HighlightView"]> = {}): Schemas["HighlightView"] {
  return {
    id,
    start_ms,
    end_ms: start_ms + 20_000,
    hook: `Hook ${id}`,
    reason: `Why ${id}`,
    quote: `Words of ${id}`,
    clip: { ...CLIP, id: `clip-${id}`, url: `/api/media/${id}.mp4`, direct_url: null },
    slot_id: null,
    ...extra,
  };
}

const PLAN = { id: "plan-1", start_date: "2031-03-02", status: "ready" };

function slotOf(id: string, hook: string) {
  return { id, hook, scheduled_at: "2031-03-02T09:00:00Z" };
}

describe("Imports: highlights", () => {
  function openHighlights(role: Role, extra: Record<string, unknown> = {}) {
    const calls = fakeApi({
      [`GET ${IMPORTS}/imp-1`]: READY,
      [`GET ${IMPORTS}/imp-1/transcripts`]: TRANSCRIPTS,
      [`GET ${IMPORTS}/imp-1/highlights`]: [
        highlight("h1", 65_000),
        highlight("h2", 600_000),
        highlight("h3", 1_200_000, { slot_id: "slot-9" }),
      ],
      "GET /api/orgs/org-1/projects/p1/plans": [PLAN, { ...PLAN, id: "plan-0", status: "drafting" }],
      ...extra,
    });
    renderImports(role, "/orgs/org-1/imports/imp-1");
    return calls;
  }

  it("shows each highlight's clip, hook, span, reason and words, and links the one already in a slot", async () => {
    openHighlights("viewer");
    const list = await screen.findByRole("list", { name: "Highlights" });
    const first = within(list).getByRole("listitem", { name: "Highlight 1: Hook h1" });
    expect(within(first).getByLabelText("Clip of highlight 1")).toHaveAttribute("src", "/api/media/h1.mp4");
    expect(within(first).getByText("1:05–1:25")).toBeInTheDocument();
    expect(within(first).getByText("Why h1")).toBeInTheDocument();
    expect(within(first).getByText("“Words of h1”")).toBeInTheDocument();
    const third = within(list).getByRole("listitem", { name: "Highlight 3: Hook h3" });
    expect(within(third).getByRole("link", { name: "In a slot" })).toHaveAttribute("href", "/orgs/org-1/slots/slot-9");
    // A viewer watches; only editors make slots.
    expect(screen.queryByRole("checkbox")).toBeNull();
    expect(screen.queryByRole("button", { name: /Make/ })).toBeNull();
  });

  it("makes the chosen highlights slots of a ready plan and says where they went and what found no room", async () => {
    const calls = openHighlights("editor", {
      [`POST ${IMPORTS}/imp-1/slots`]: {
        placed: [{ highlight_id: "h2", slot: slotOf("slot-1", "Hook h2"), new: true }],
        no_free_slot: ["h1"],
      },
    });
    const list = await screen.findByRole("list", { name: "Highlights" });
    const plan = await screen.findByLabelText("Into the plan");
    expect(within(plan).getAllByRole("option").map((o) => o.textContent)).toEqual(["Month from 2031-03-02"]);
    const make = screen.getByRole("button", { name: "Make a slot" });
    expect(make).toBeDisabled();
    await userEvent.click(within(within(list).getByRole("listitem", { name: "Highlight 2: Hook h2" })).getByRole("checkbox"));
    await userEvent.click(within(within(list).getByRole("listitem", { name: "Highlight 1: Hook h1" })).getByRole("checkbox"));
    await userEvent.click(screen.getByRole("button", { name: "Make 2 slots" }));
    const status = await screen.findByRole("status", { name: "Slots made" });
    expect(status).toHaveTextContent("1 highlight is now a slot");
    expect(within(status).getByRole("link", { name: "Hook h2" })).toHaveAttribute("href", "/orgs/org-1/slots/slot-1");
    expect(status).toHaveTextContent("1 highlight found no free slot in this plan");
    const post = calls.find((c) => c.method === "POST" && c.path === `${IMPORTS}/imp-1/slots`);
    expect(post?.body).toEqual({ plan_id: "plan-1", highlight_ids: ["h2", "h1"] });
    // The highlights are asked for again, to show which are in slots now.
    await waitFor(() => expect(calls.filter((c) => c.path === `${IMPORTS}/imp-1/highlights`).length).toBe(2));
  });

  it("sends all highlights with an empty list, and shows a refusal with its code", async () => {
    const calls = openHighlights("editor", {
      [`POST ${IMPORTS}/imp-1/slots`]: apiError(409, "conflict", "highlight 1 has no clip yet"),
    });
    await userEvent.click(await screen.findByRole("button", { name: "Make slots of all" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("highlight 1 has no clip yet");
    expect(alert).toHaveTextContent("code conflict");
    expect(calls.find((c) => c.method === "POST")?.body).toEqual({ plan_id: "plan-1", highlight_ids: [] });
  });

  it("asks for a drafted plan first when the project has none ready", async () => {
    openHighlights("editor", { "GET /api/orgs/org-1/projects/p1/plans": [] });
    expect(await screen.findByText(/Draft a plan for this project first/)).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Make/ })).toBeNull();
  });
});

describe("import helpers", () => {
  it("formats times, completes pasted links and names upload types", () => {
    expect(formatClock(0)).toBe("0:00");
    expect(formatClock(65_999)).toBe("1:05");
    expect(formatClock(3_725_000)).toBe("1:02:05");
    expect(normalizeUrl(" youtu.be/abc ")).toBe("https://youtu.be/abc");
    expect(normalizeUrl("http://example.com/v")).toBe("http://example.com/v");
    expect(uploadType(new File([], "a.MOV", { type: "" }))).toBe("video/quicktime");
    expect(uploadType(new File([], "a.wav", { type: "audio/x-wav" }))).toBe("audio/wav");
    expect(uploadType(new File([], "a.mp4", { type: "video/mp4" }))).toBe("video/mp4");
  });
});
