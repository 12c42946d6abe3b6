import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { Schemas } from "../lib/api";
import type { Role } from "../lib/roles";
import { apiError, fakeApi, renderPage } from "../test/render";
import { SlotDetail } from "./SlotDetail";

const SLOT = "/api/orgs/org-1/slots/slot-1";
const RUN = { workflow_id: "slot-1-pipeline", status: "running", temporal_ui_url: "http://temporal.test/slot-1" };
const NO_RUN = { ...RUN, status: "unknown" };

function slot(overrides: Partial<Schemas["SlotView"]> = {}): Schemas["SlotView"] {
  return {
    id: "slot-1",
    plan_id: "plan-1",
    day_index: 2,
    slot_index: 0,
    scheduled_at: "2025-10-14T16:00:00Z",
    status: "draft",
    hook: "Three pans you never need",
    script: "Start with the pan you use most.",
    caption: "Kitchen clutter, solved",
    hashtags: ["#cooking", "#kitchen"],
    format: "tutorial",
    confidence: 0.82,
    rationale: "Decluttering posts do well on weekdays",
    review_notes: [{ check: "similarity", reason: "close to day 1" }],
    locked: false,
    version: 3,
    prompt_versions: {},
    render_version: 0,
    shots: [],
    ...overrides,
  };
}

function render(overrides: Partial<Schemas["RenderView"]> = {}): Schemas["RenderView"] {
  return { slot_id: "slot-1", status: "draft", version: 0, ...overrides };
}

function pipeline(overrides: Partial<Schemas["PipelineView"]> = {}): Schemas["PipelineView"] {
  return { slot_id: "slot-1", slot_status: "draft", stage: null, run: NO_RUN, ...overrides };
}

function gate(overrides: Partial<Schemas["GateView"]> = {}): Schemas["GateView"] {
  return {
    creator_nickname: "Ana Cooks",
    creator_username: "anacooks",
    privacy_level_options: ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"],
    comment_disabled: false,
    duet_disabled: true,
    stitch_disabled: false,
    max_video_post_duration_sec: 600,
    video_duration_sec: 31,
    can_post: true,
    title: "Kitchen clutter, solved #cooking",
    consent_text: "By posting, you agree to TikTok's Music Usage Confirmation.",
    branded_consent_text: "By posting, you agree to TikTok's Branded Content Policy and Music Usage Confirmation.",
    post_mode: "direct",
    ...overrides,
  };
}

const video: Schemas["AssetView"] = {
  id: "video-1",
  tags: [],
  kind: "video",
  content_type: "video/mp4",
  size_bytes: 3_460_000,
  created_at: "2025-10-12T09:00:00Z",
  url: "/api/orgs/org-1/assets/video-1?sig=a",
  direct_url: "https://s3.test/video-1?sig=b",
  url_expires_at: "2025-10-12T10:00:00Z",
};
const thumbnail: Schemas["AssetView"] = { ...video, id: "thumb-1", kind: "thumbnail", url: "/thumb.jpg" };

/** The fake API of one slot; `routes` adds or overrides answers. */
function fakeSlot(routes: Record<string, unknown> = {}) {
  return fakeApi({
    [`GET ${SLOT}`]: slot(),
    [`GET ${SLOT}/render`]: render(),
    [`GET ${SLOT}/pipeline`]: pipeline(),
    [`GET ${SLOT}/preview`]: { slot_id: "slot-1", version: 3, status: "none" },
    ...routes,
  });
}

const renderSlot = (role: Role = "editor") =>
  renderPage(<SlotDetail />, { url: "/orgs/org-1/slots/slot-1", path: "/orgs/:orgId/slots/:slotId", role });

/** The slot, rendered and waiting at the publish gate. */
const atTheGate = (routes: Record<string, unknown> = {}) =>
  fakeSlot({
    [`GET ${SLOT}`]: slot({ status: "rendered", render_version: 1, video_asset_id: "video-1" }),
    [`GET ${SLOT}/render`]: render({ status: "rendered", version: 1, progress: 1, video, thumbnail }),
    [`GET ${SLOT}/pipeline`]: pipeline({ slot_status: "rendered", stage: "waiting_for_publish_approval", run: RUN }),
    [`GET ${SLOT}/publish-gate`]: gate(),
    ...routes,
  });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("SlotDetail content", () => {
  it("shows the slot's content with its confidence, notes and way back to the calendar", async () => {
    fakeSlot();
    renderSlot();
    expect(await screen.findByRole("heading", { level: 1, name: "Three pans you never need" })).toBeInTheDocument();
    expect(screen.getByText("Start with the pan you use most.")).toBeInTheDocument();
    expect(screen.getByText("#cooking #kitchen")).toBeInTheDocument();
    expect(screen.getByText("82%")).toBeInTheDocument();
    expect(screen.getByText("close to day 1")).toBeInTheDocument();
    expect(screen.getByText(/^Day 3 · /)).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Back to the calendar" })).toHaveAttribute("href", "/orgs/org-1/plans/plan-1");
  });

  it("approves a draft at the version shown, then offers to unapprove it", async () => {
    let status: Schemas["SlotStatus"] = "draft";
    const calls = fakeSlot({
      [`GET ${SLOT}`]: () => slot({ status }),
      [`POST ${SLOT}/approve`]: () => {
        status = "approved";
        return slot({ status });
      },
    });
    renderSlot();
    await userEvent.click(await screen.findByRole("button", { name: "Approve" }));
    expect(await screen.findByRole("button", { name: "Unapprove" })).toBeInTheDocument();
    expect(calls.filter((c) => c.method === "POST")).toEqual([{ method: "POST", path: `${SLOT}/approve`, body: { version: 3 } }]);
  });

  it("shows a stale_version refusal, fetches the slot again and approves the latest version", async () => {
    // An AI improve landed after the page loaded: version 3 is refused, the refetch shows version 4.
    let edited = false;
    const calls = fakeSlot({
      [`GET ${SLOT}`]: () => (edited ? slot({ script: "Keep one good pan.", version: 4 }) : slot()),
      [`POST ${SLOT}/approve`]: (body: unknown) => {
        if ((body as { version: number }).version !== 4) {
          edited = true;
          return apiError(409, "stale_version", "the slot changed since version 3");
        }
        return slot({ script: "Keep one good pan.", version: 5, status: "approved" });
      },
    });
    renderSlot();
    expect(await screen.findByText("Start with the pan you use most.")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Approve" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("This slot changed since you opened it; review the latest version before approving.");
    expect(alert).toHaveTextContent("code stale_version");
    expect(await screen.findByText("Keep one good pan.")).toBeInTheDocument();
    expect(screen.queryByText("Start with the pan you use most.")).not.toBeInTheDocument();

    await userEvent.click(screen.getByRole("button", { name: "Approve" }));
    await waitFor(() =>
      expect(calls.filter((c) => c.path === `${SLOT}/approve`).map((c) => c.body)).toEqual([{ version: 3 }, { version: 4 }]),
    );
  });

  it("saves an edit, warning that an approved slot returns to draft", async () => {
    const calls = fakeSlot({
      [`GET ${SLOT}`]: slot({ status: "approved" }),
      [`PATCH ${SLOT}`]: slot(),
    });
    renderSlot();
    await userEvent.click(await screen.findByRole("button", { name: "Edit" }));
    expect(screen.getByText(/returns this approved slot to draft/)).toBeInTheDocument();
    const hook = screen.getByLabelText("Hook");
    await userEvent.clear(hook);
    await userEvent.type(hook, "Two pans are enough");
    const hashtags = screen.getByLabelText("Hashtags");
    await userEvent.clear(hashtags);
    await userEvent.type(hashtags, "cooking, #quick meals");
    await userEvent.click(screen.getByRole("button", { name: "Save changes" }));
    await waitFor(() => expect(screen.queryByLabelText("Hook")).not.toBeInTheDocument());
    expect(calls.find((c) => c.method === "PATCH")?.body).toEqual({
      hook: "Two pans are enough",
      script: "Start with the pan you use most.",
      caption: "Kitchen clutter, solved",
      hashtags: ["#cooking", "#quick", "#meals"],
    });
  });

  it("shows a refused edit with its code and the field it concerns", async () => {
    fakeSlot({
      [`PATCH ${SLOT}`]: apiError(422, "validation_failed", "must be 5 to 150 characters"),
    });
    renderSlot();
    await userEvent.click(await screen.findByRole("button", { name: "Edit" }));
    await userEvent.click(screen.getByRole("button", { name: "Save changes" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("must be 5 to 150 characters");
    expect(alert).toHaveTextContent("code validation_failed");
    expect(alert).toHaveTextContent("req-test-1");
  });

  it("improves with the AI and polls until the slot's version grows", async () => {
    let readsSinceImprove: number | null = null;
    const calls = fakeSlot({
      [`GET ${SLOT}`]: () => {
        if (readsSinceImprove === null) return slot();
        readsSinceImprove += 1;
        // The redraft lands a little after the request.
        return readsSinceImprove < 2 ? slot() : slot({ version: 4, hook: "A funnier hook" });
      },
      [`POST ${SLOT}/improve`]: () => {
        readsSinceImprove = 0;
        return RUN;
      },
    });
    renderSlot();
    await userEvent.type(await screen.findByLabelText("Instruction"), "make it funnier");
    await userEvent.click(screen.getByRole("button", { name: "Improve" }));
    expect(await screen.findByText("Improving…")).toBeInTheDocument();
    expect(calls.find((c) => c.path === `${SLOT}/improve`)?.body).toEqual({ instruction: "make it funnier" });
    expect(await screen.findByRole("heading", { level: 1, name: "A funnier hook" }, { timeout: 3000 })).toBeInTheDocument();
    expect(screen.queryByText("Improving…")).not.toBeInTheDocument();
  });

  it("rejects a slot the pipeline waits to have approved", async () => {
    const calls = fakeSlot({
      [`GET ${SLOT}/pipeline`]: pipeline({ stage: "waiting_for_approval", run: { ...RUN, status: "completed" } }),
      [`POST ${SLOT}/reject`]: slot(),
    });
    renderSlot();
    await userEvent.type(await screen.findByLabelText("Reason"), "off brand");
    await userEvent.click(screen.getByRole("button", { name: "Reject" }));
    await waitFor(() => expect(calls.find((c) => c.path === `${SLOT}/reject`)?.body).toEqual({ reason: "off brand" }));
  });

  it("shows the scenes and saves edited ones, whose words become the script", async () => {
    const shots = [
      { text: "Start with the pan you use most.", visual: "footage", search: ["pan"] },
      { text: "Then give the rest away.", visual: "text_card", search: [] },
    ];
    const calls = fakeSlot({
      [`GET ${SLOT}`]: slot({ script: "Start with the pan you use most. Then give the rest away.", shots: shots as never }),
      [`PATCH ${SLOT}`]: slot(),
    });
    renderSlot();
    const card = (await screen.findByRole("heading", { name: "Scenes" })).closest("div")!.parentElement!;
    expect(within(card).getByText(/Scene 2 · Text card/)).toBeInTheDocument();
    expect(within(card).getByText(/finds “pan”/)).toBeInTheDocument();
    await userEvent.click(within(card).getByRole("button", { name: "Edit scenes" }));
    await userEvent.selectOptions(screen.getByLabelText("Scene 1 shows"), "still");
    const search = screen.getByLabelText("Scene 1 search words");
    await userEvent.clear(search);
    await userEvent.type(search, "frying  pan");
    await userEvent.click(screen.getByRole("button", { name: "Remove scene 2" }));
    const words = screen.getByLabelText("Scene 1 words");
    await userEvent.clear(words);
    await userEvent.type(words, "One good pan is all you need.");
    await userEvent.click(screen.getByRole("button", { name: "Save scenes" }));
    await waitFor(() =>
      expect(calls.find((c) => c.method === "PATCH")?.body).toEqual({
        shots: [{ text: "One good pan is all you need.", visual: "still", search: ["frying", "pan"] }],
      }),
    );
  });

  it("makes a preview of a draft and plays it once ready", async () => {
    let asked = 0;
    const ready = {
      slot_id: "slot-1",
      version: 3,
      status: "ready",
      progress: 1,
      video: { ...video, id: "preview-1", kind: "preview", url: "/preview.mp4", direct_url: null },
    };
    const calls = fakeSlot({
      [`GET ${SLOT}/preview`]: () => (asked++ < 1 ? { slot_id: "slot-1", version: 3, status: "none" } : asked < 3 ? { slot_id: "slot-1", version: 3, status: "rendering", progress: 0.4 } : ready),
      [`POST ${SLOT}/preview`]: { slot_id: "slot-1", version: 3, status: "rendering", progress: 0 },
    });
    renderSlot();
    await userEvent.click(await screen.findByRole("button", { name: "Make a preview" }));
    expect(await screen.findByLabelText("Preview video", {}, { timeout: 5000 })).toHaveAttribute("src", "/preview.mp4");
    expect(calls.filter((c) => c.method === "POST" && c.path.endsWith("/preview"))).toHaveLength(1);
    expect(screen.queryByRole("button", { name: "Make a preview" })).not.toBeInTheDocument();
  });

  it("says why the last preview failed and offers another", async () => {
    fakeSlot({
      [`GET ${SLOT}/preview`]: { slot_id: "slot-1", version: 3, status: "failed", error: "ffmpeg failed: broken image" },
    });
    renderSlot();
    expect(await screen.findByText(/The last preview failed: ffmpeg failed: broken image/)).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Make a preview" })).toBeInTheDocument();
  });

  it("shows a highlight's scenes without offering to edit them", async () => {
    fakeSlot({
      [`GET ${SLOT}`]: slot({ clip_asset_id: "clip-1", shots: [{ text: "Said in the clip.", visual: "footage", search: [] }] }),
    });
    renderSlot();
    await screen.findByRole("heading", { name: "Scenes" });
    expect(screen.queryByRole("button", { name: "Edit scenes" })).not.toBeInTheDocument();
  });

  it("uploads a background as raw bytes, named by its file, and chooses it", async () => {
    let named: string | null = null;
    const calls = fakeSlot({
      "POST /api/orgs/org-1/uploads": (_: unknown, url: URL) => {
        named = url.searchParams.get("name");
        return { ...video, id: "upload-1", kind: "upload", content_type: "image/png" };
      },
      [`PUT ${SLOT}/background`]: slot({ background_asset_id: "upload-1" }),
    });
    renderSlot();
    // The fake API reads bodies as JSON, so the "image" is a JSON string.
    const file = new File(['"png bytes"'], "bg.png", { type: "image/png" });
    await userEvent.upload(await screen.findByLabelText("Background image or clip"), file);
    await waitFor(() => expect(calls.find((c) => c.method === "PUT")?.body).toEqual({ asset_id: "upload-1" }));
    expect(calls.find((c) => c.path === "/api/orgs/org-1/uploads")?.body).toBe("png bytes");
    expect(named).toBe("bg.png");
  });
});

describe("SlotDetail roles", () => {
  it("shows a viewer no buttons at all, not even at the publish gate", async () => {
    const calls = atTheGate({ [`GET ${SLOT}`]: slot({ status: "draft" }) });
    renderSlot("viewer");
    await screen.findByRole("heading", { level: 1, name: "Three pans you never need" });
    await screen.findByLabelText("Rendered video");
    expect(screen.queryAllByRole("button")).toEqual([]);
    expect(screen.queryByLabelText("Background image or clip")).not.toBeInTheDocument();
    expect(calls.some((c) => c.path.endsWith("/publish-gate"))).toBe(false);
  });

  it("shows a viewer why the pipeline failed, without a retry", async () => {
    fakeSlot({
      [`GET ${SLOT}`]: slot({ status: "failed" }),
      [`GET ${SLOT}/pipeline`]: pipeline({ slot_status: "failed", stage: "failed", error: "TikTok: spam risk", run: { ...RUN, status: "failed" } }),
    });
    renderSlot("viewer");
    expect(await screen.findByText(/TikTok: spam risk/)).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Retry" })).not.toBeInTheDocument();
  });
});

describe("SlotDetail pipeline and video", () => {
  it("retries a failed pipeline and links its run in Temporal", async () => {
    const calls = fakeSlot({
      [`GET ${SLOT}`]: slot({ status: "failed" }),
      [`GET ${SLOT}/pipeline`]: pipeline({ slot_status: "failed", stage: "failed", error: "TikTok: spam risk", run: { ...RUN, status: "failed" } }),
      [`POST ${SLOT}/retry`]: pipeline({ stage: "rendering", run: RUN }),
    });
    renderSlot();
    const temporal = await screen.findByRole("link", { name: "Open run in Temporal" });
    expect(temporal).toHaveAttribute("href", "http://temporal.test/slot-1");
    expect(temporal).toHaveAttribute("target", "_blank");
    expect(temporal).toHaveAttribute("rel", "noreferrer");
    await userEvent.click(screen.getByRole("button", { name: "Retry" }));
    await waitFor(() => expect(calls.some((c) => c.method === "POST" && c.path === `${SLOT}/retry`)).toBe(true));
  });

  it("says a video sent to the creator's inbox is theirs to post, and offers no new schedule", async () => {
    fakeSlot({
      [`GET ${SLOT}`]: slot({ status: "sent_to_inbox", render_version: 1 }),
      [`GET ${SLOT}/pipeline`]: pipeline({
        slot_status: "sent_to_inbox",
        stage: "done",
        run: { ...RUN, status: "completed" },
        publication: { status: "sent_to_inbox", publish_id: "v_inbox~1" },
      }),
    });
    renderSlot();
    expect(await screen.findByText(/in the creator's TikTok inbox/)).toBeInTheDocument();
    expect(screen.getAllByText("sent to inbox").length).toBeGreaterThan(0);
    expect(screen.queryByRole("button", { name: "Schedule for TikTok" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Retry" })).not.toBeInTheDocument();
  });

  it("shows a refused schedule with its code", async () => {
    fakeSlot({ [`POST ${SLOT}/schedule`]: apiError(409, "conflict", "the project has no TikTok account") });
    renderSlot();
    await userEvent.click(await screen.findByRole("button", { name: "Schedule for TikTok" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("the project has no TikTok account");
    expect(alert).toHaveTextContent("code conflict");
  });

  it("shows the render's progress, polls until the video is ready, then stops polling", async () => {
    let renderReads = 0;
    const calls = fakeSlot({
      [`GET ${SLOT}`]: () => slot({ status: renderReads < 2 ? "rendering" : "rendered", render_version: 1 }),
      [`GET ${SLOT}/render`]: () => {
        renderReads += 1;
        return renderReads < 2
          ? render({ status: "rendering", version: 1, progress: 0.37 })
          : render({ status: "rendered", version: 1, progress: 1, video, thumbnail });
      },
      [`DELETE ${SLOT}/render`]: render({ status: "approved", version: 1 }),
    });
    renderSlot();
    const progress = await screen.findByRole("progressbar", { name: "Rendering" });
    expect(progress).toHaveAttribute("aria-valuenow", "37");
    expect(screen.getByText("Rendering: 37%")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Cancel render" })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Render video" })).not.toBeInTheDocument();

    const player = await screen.findByLabelText("Rendered video", {}, { timeout: 3000 });
    expect(player).toHaveAttribute("src", "https://s3.test/video-1?sig=b");
    expect(player).toHaveAttribute("poster", "/thumb.jpg");
    expect(screen.getByText("3.3 MB")).toBeInTheDocument();
    expect(screen.queryByRole("progressbar")).not.toBeInTheDocument();
    expect(await screen.findByRole("button", { name: "Render video" }, { timeout: 2000 })).toBeInTheDocument();

    const reads = calls.filter((c) => c.path === `${SLOT}/render`).length;
    await sleep(1300);
    expect(calls.filter((c) => c.path === `${SLOT}/render`).length).toBe(reads);
  });

  it("cancels a running render", async () => {
    const calls = fakeSlot({
      [`GET ${SLOT}`]: slot({ status: "rendering", render_version: 1 }),
      [`GET ${SLOT}/render`]: render({ status: "rendering", version: 1, progress: 0.5 }),
      [`DELETE ${SLOT}/render`]: render({ status: "approved", version: 1 }),
    });
    renderSlot();
    await userEvent.click(await screen.findByRole("button", { name: "Cancel render" }));
    await waitFor(() => expect(calls.some((c) => c.method === "DELETE" && c.path === `${SLOT}/render`)).toBe(true));
  });

  it("shows the post and its latest metrics once published", async () => {
    fakeSlot({
      [`GET ${SLOT}`]: slot({ status: "published" }),
      [`GET ${SLOT}/pipeline`]: pipeline({
        slot_status: "published",
        stage: "done",
        run: { ...RUN, status: "completed" },
        publication: { status: "published", public_post_id: "7301234567890", published_at: "2025-10-14T16:01:00Z" },
      }),
      [`GET ${SLOT}/metrics`]: [
        { captured_at: "2025-10-14T17:00:00Z", view_count: 120, like_count: 10, comment_count: 1, share_count: 0 },
        { captured_at: "2025-10-14T18:00:00Z", view_count: 1234, like_count: 87, comment_count: 9, share_count: 4 },
      ],
    });
    renderSlot();
    const metrics = await screen.findByLabelText("Latest metrics");
    const value = (term: string) => within(metrics).getByText(term).nextElementSibling?.textContent;
    expect(value("Views")).toBe("1,234");
    expect(value("Likes")).toBe("87");
    expect(value("Comments")).toBe("9");
    expect(value("Shares")).toBe("4");
    expect(screen.getByText("7301234567890")).toBeInTheDocument();
    expect(screen.getByText("Views over time")).toBeInTheDocument();
  });
});

describe("SlotDetail publish gate", () => {
  it("starts with nothing chosen and publishes exactly what the person chose", async () => {
    const calls = atTheGate({ [`POST ${SLOT}/publish`]: pipeline({ stage: "waiting_for_slot_time", run: RUN }) });
    renderSlot();
    const privacy = await screen.findByRole("group", { name: "Who can view this video" });
    expect(screen.getByText(/Posting as/)).toHaveTextContent("Posting as Ana Cooks (@anacooks)");
    const radios = within(privacy).getAllByRole("radio");
    expect(radios.map((r) => r.closest("label")?.textContent)).toEqual(["Everyone", "Friends", "Only me"]);
    radios.forEach((radio) => expect(radio).not.toBeChecked());
    for (const toggle of ["Allow comments", "Allow duet", "Allow stitch", "Post now instead of at the slot's time"]) {
      expect(screen.getByLabelText(toggle)).not.toBeChecked();
    }
    expect(screen.getByLabelText("Allow duet")).toBeDisabled();

    const publish = screen.getByRole("button", { name: "Publish to TikTok" });
    expect(publish).toBeDisabled();
    await userEvent.click(within(privacy).getByLabelText("Friends"));
    expect(publish).toBeDisabled();
    await userEvent.click(screen.getByLabelText("Allow comments"));
    await userEvent.click(screen.getByLabelText("Post now instead of at the slot's time"));
    await userEvent.click(screen.getByLabelText(/Music Usage Confirmation/));
    expect(publish).toBeEnabled();
    await userEvent.click(publish);

    await waitFor(() => expect(calls.some((c) => c.path === `${SLOT}/publish`)).toBe(true));
    expect(calls.find((c) => c.path === `${SLOT}/publish`)?.body).toEqual({
      privacy_level: "MUTUAL_FOLLOW_FRIENDS",
      allow_comment: true,
      allow_duet: false,
      allow_stitch: false,
      brand_organic: false,
      branded_content: false,
      consent: true,
      post_now: true,
    });
  });

  it("keeps branded content public and asks consent to the branded content policy", async () => {
    const calls = atTheGate({ [`POST ${SLOT}/publish`]: pipeline({ stage: "waiting_for_slot_time", run: RUN }) });
    renderSlot();
    const privacy = await screen.findByRole("group", { name: "Who can view this video" });
    await userEvent.click(within(privacy).getByLabelText("Only me"));
    await userEvent.click(screen.getByLabelText("Disclose commercial content"));
    await userEvent.click(screen.getByLabelText(/Music Usage Confirmation/));
    const publish = screen.getByRole("button", { name: "Publish to TikTok" });
    // Disclosing without saying whose brand it is does not do.
    expect(publish).toBeDisabled();

    await userEvent.click(screen.getByLabelText("Branded content"));
    const onlyMe = within(privacy).getByLabelText("Only me");
    expect(onlyMe).toBeDisabled();
    expect(onlyMe).not.toBeChecked();
    const consent = screen.getByLabelText(/Branded Content Policy/);
    expect(consent).not.toBeChecked();
    expect(publish).toBeDisabled();

    await userEvent.click(within(privacy).getByLabelText("Everyone"));
    await userEvent.click(consent);
    await userEvent.click(publish);
    await waitFor(() => expect(calls.some((c) => c.path === `${SLOT}/publish`)).toBe(true));
    expect(calls.find((c) => c.path === `${SLOT}/publish`)?.body).toMatchObject({
      privacy_level: "PUBLIC_TO_EVERYONE",
      brand_organic: false,
      branded_content: true,
      consent: true,
    });
  });

  it("explains a video too long for the account and keeps the button off", async () => {
    atTheGate({ [`GET ${SLOT}/publish-gate`]: gate({ can_post: false, video_duration_sec: 75, max_video_post_duration_sec: 60 }) });
    renderSlot();
    const privacy = await screen.findByRole("group", { name: "Who can view this video" });
    expect(screen.getByText(/at most 60 seconds/)).toHaveTextContent("This video is 1:15 long");
    await userEvent.click(within(privacy).getByLabelText("Everyone"));
    await userEvent.click(screen.getByLabelText(/Music Usage Confirmation/));
    expect(screen.getByRole("button", { name: "Publish to TikTok" })).toBeDisabled();
  });

  it("shows TikTok's refusal with its code", async () => {
    atTheGate({ [`POST ${SLOT}/publish`]: apiError(422, "validation_failed", "SELF_ONLY is not an option") });
    renderSlot();
    const privacy = await screen.findByRole("group", { name: "Who can view this video" });
    await userEvent.click(within(privacy).getByLabelText("Everyone"));
    await userEvent.click(screen.getByLabelText(/Music Usage Confirmation/));
    await userEvent.click(screen.getByRole("button", { name: "Publish to TikTok" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("SELF_ONLY is not an option");
    expect(alert).toHaveTextContent("code validation_failed");
  });
});

describe("SlotDetail content policy", () => {
  const block: Schemas["Block"] = {
    moment: "before_render",
    version: 3,
    at: "2025-10-12T09:00:00Z",
    findings: [{ rule_id: "rule-1", rule: "no seafood", severity: "block", reason: 'says "sea"' }],
  };
  const blocked = (routes: Record<string, unknown> = {}) =>
    fakeSlot({
      [`GET ${SLOT}`]: slot({ status: "approved", policy_block: block }),
      [`GET ${SLOT}/pipeline`]: pipeline({
        slot_status: "approved",
        stage: "blocked_by_policy",
        policy_block: 'stopped by policy before the render: no seafood: says "sea"',
        run: { ...RUN, status: "completed" },
      }),
      ...routes,
    });

  it("shows which rule stops the slot and lets an admin override it with a reason", async () => {
    const override: Schemas["Override"] = { by: "user-1", reason: "sea salt is our product", version: 3, at: "", findings: block.findings };
    const calls = blocked({ [`POST ${SLOT}/policy-override`]: slot({ status: "approved", policy_override: override }) });
    renderSlot("admin");
    const rules = await screen.findByRole("list", { name: "Blocking rules" });
    expect(rules).toHaveTextContent('no seafood: says "sea"');
    expect(screen.getByText(/Stopped before the render/)).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Reject" })).toBeInTheDocument();
    await userEvent.type(screen.getByLabelText("Why it may go out anyway"), "sea salt is our product");
    await userEvent.click(screen.getByRole("button", { name: "Override and continue" }));
    await waitFor(() =>
      expect(calls.find((c) => c.path === `${SLOT}/policy-override`)?.body).toEqual({ reason: "sea salt is our product" }),
    );
  });

  it("tells an editor the rule and that only admins override", async () => {
    blocked();
    renderSlot("editor");
    expect(await screen.findByRole("list", { name: "Blocking rules" })).toHaveTextContent("no seafood");
    expect(screen.getByText("Only admins and the owner can override a rule.")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Override and continue" })).not.toBeInTheDocument();
  });
});
