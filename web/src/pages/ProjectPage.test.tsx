import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { aPlan, aProject } from "../components/project/fixtures";
import type { Schemas } from "../lib/api";
import type { Role } from "../lib/roles";
import { apiError, fakeApi, renderPage, reply } from "../test/render";
import { ProjectPage } from "./ProjectPage";

const PROJECT = "/api/orgs/org-1/projects/proj-1";

const summaries: Schemas["PlanSummary"][] = [
  { id: "plan-1", start_date: "2026-12-01", days: 30, status: "ready", workflow_id: "wf-1" },
  { id: "plan-2", start_date: "2027-01-01", days: 30, status: "drafting", workflow_id: "wf-2" },
];

const accounts: Schemas["AccountView"][] = [
  { id: "acc-1", open_id: "o1", display_name: "@sourdough", scopes: "", status: "connected", access_expires_at: "", created_at: "" },
  { id: "acc-2", open_id: "o2", display_name: "@old", scopes: "", status: "disconnected", access_expires_at: "", created_at: "" },
];

function api(overrides: Record<string, unknown> = {}) {
  return fakeApi({
    [`GET ${PROJECT}`]: aProject(),
    [`GET ${PROJECT}/plans`]: summaries,
    "GET /api/orgs/org-1/plans/plan-1": aPlan({ slot_counts: { draft: 50, approved: 10 } }),
    "GET /api/orgs/org-1/plans/plan-2": aPlan({
      id: "plan-2",
      status: "drafting",
      batches_done: 1,
      batches_total: 4,
      slot_counts: { empty: 45, draft: 15 },
      run: { ...aPlan().run, status: "running" },
    }),
    [`GET ${PROJECT}/usage`]: {
      llm_cost_micros_this_month: 1_500_000,
      monthly_llm_budget_micros: 20_000_000,
      video_seconds_this_month: 420,
      monthly_video_seconds_budget: null,
      publishes_today: 1,
      posts_per_day_budget: 3,
      publishes_this_month: 4,
      llm_cost_micros_per_post: 375_000,
    },
    [`GET ${PROJECT}/prompts`]: [
      { id: "pr-2", kind: "brand_voice", version: 2, body: "Warm and precise.", created_at: "2026-11-10T10:00:00Z" },
      { id: "pr-1", kind: "brand_voice", version: 1, body: "Chatty.", created_at: "2026-11-01T10:00:00Z" },
    ],
    "GET /api/orgs/org-1/tiktok/accounts": accounts,
    [`GET ${PROJECT}/performance`]: { posts_measured: 0, best: [], weakest: [], by_format: {}, by_posting_time: {} },
    [`GET ${PROJECT}/summaries`]: [],
    [`GET ${PROJECT}/prompt-proposals`]: [],
    ...overrides,
  });
}

function renderProject(role: Role) {
  return renderPage(<ProjectPage />, {
    url: "/orgs/org-1/projects/proj-1",
    path: "/orgs/:orgId/projects/:projectId",
    role,
  });
}

describe("ProjectPage", () => {
  it("lists the month plans with their status, slot counts and drafting progress", async () => {
    api();
    renderProject("viewer");
    const ready = (await screen.findByRole("link", { name: "Month from 2026-12-01" })).closest("li")!;
    expect(screen.getByRole("link", { name: "Month from 2026-12-01" })).toHaveAttribute("href", "/orgs/org-1/plans/plan-1");
    expect(await within(ready).findByText("50 drafts")).toBeInTheDocument();
    expect(within(ready).getByText("10 approved")).toBeInTheDocument();
    expect(within(ready).queryByRole("progressbar")).not.toBeInTheDocument();

    const drafting = screen.getByRole("link", { name: "Month from 2027-01-01" }).closest("li")!;
    expect(await within(drafting).findByRole("progressbar", { name: "Drafting" })).toHaveAttribute("aria-valuenow", "25");
    expect(within(drafting).getByText("45 not drafted")).toBeInTheDocument();
  });

  it("lets an editor generate a month from a start date and opens its calendar", async () => {
    const calls = api({
      [`POST ${PROJECT}/plans`]: reply(202, { plan_id: "plan-3", created: true, run: aPlan().run }),
    });
    renderProject("editor");
    const startDate = await screen.findByLabelText("Start date");
    const today = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Berlin" }).format(new Date());
    expect(startDate).toHaveValue(today);
    await userEvent.clear(startDate);
    await userEvent.type(startDate, "2027-02-01");
    await userEvent.click(screen.getByRole("button", { name: "Generate month" }));
    expect(await screen.findByText("elsewhere")).toBeInTheDocument();
    expect(calls.find((c) => c.method === "POST")).toEqual({
      method: "POST",
      path: `${PROJECT}/plans`,
      body: { start_date: "2027-02-01" },
    });
  });

  it("shows why generating failed", async () => {
    api({ [`POST ${PROJECT}/plans`]: apiError(402, "budget_exceeded", "monthly LLM budget is used up") });
    renderProject("editor");
    await userEvent.click(await screen.findByRole("button", { name: "Generate month" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("monthly LLM budget is used up");
  });

  it("gives a viewer the settings as text, without generating, saving or deleting", async () => {
    api();
    renderProject("viewer");
    expect(await screen.findByText("Post directly")).toBeInTheDocument();
    expect(screen.getByText("09:00, 19:00", { selector: "dd" })).toBeInTheDocument();
    expect(screen.queryAllByRole("textbox")).toHaveLength(0);
    expect(screen.queryAllByRole("checkbox")).toHaveLength(0);
    for (const name of ["Generate month", "Save settings", "Delete project"]) {
      expect(screen.queryByRole("button", { name })).not.toBeInTheDocument();
    }
  });

  it("shows usage against each budget, and no limit where there is none", async () => {
    api();
    renderProject("viewer");
    const llm = (await screen.findByText("LLM spend this month")).closest("li")!;
    expect(llm).toHaveTextContent("$1.50 of $20.00");
    expect(within(llm).getByRole("progressbar")).toHaveAttribute("aria-valuenow", "8");
    const video = screen.getByText("Video seconds this month").closest("li")!;
    expect(video).toHaveTextContent("420 s · no limit");
    expect(within(video).queryByRole("progressbar")).not.toBeInTheDocument();
    expect(screen.getByText("Posts today").closest("li")).toHaveTextContent("1 of 3");
    expect(screen.getByText("LLM cost per post this month").closest("li")).toHaveTextContent("$0.375 over 4 posts");
  });

  it("saves only the settings an admin changed", async () => {
    const calls = api({ [`PATCH ${PROJECT}`]: (body: object) => ({ ...aProject(), ...body }) });
    renderProject("admin");
    const save = await screen.findByRole("button", { name: "Save settings" });
    expect(save).toBeDisabled();
    expect(screen.getByLabelText("Timezone")).toHaveValue("Europe/Berlin");
    expect(screen.getByLabelText("Monthly LLM budget ($)")).toHaveValue(20);

    await userEvent.clear(screen.getByLabelText("Niche"));
    await userEvent.type(screen.getByLabelText("Niche"), "rye bread");
    await userEvent.click(screen.getByRole("checkbox", { name: "Require approval before publishing" }));
    await userEvent.type(screen.getByLabelText("Posts per day"), "{backspace}5");
    const account = screen.getByLabelText("TikTok account");
    await waitFor(() => expect(within(account).getAllByRole("option").map((o) => o.textContent)).toEqual(["None", "@sourdough"]));
    await userEvent.selectOptions(account, "@sourdough");
    await userEvent.click(save);

    expect(await screen.findByText("Saved")).toBeInTheDocument();
    expect(calls.filter((c) => c.method === "PATCH")).toEqual([
      {
        method: "PATCH",
        path: PROJECT,
        body: {
          niche: "rye bread",
          gates: { approve_slot: true, approve_publish: false },
          budgets: { monthly_llm_micros: 20_000_000, monthly_video_seconds: null, posts_per_day: 5, max_video_seconds: null },
          tiktok_account_id: "acc-1",
        },
      },
    ]);
  });

  it("clears the TikTok account with None and sends a new brand voice", async () => {
    const calls = api({
      [`GET ${PROJECT}`]: aProject({ tiktok_account_id: "acc-1" }),
      [`PATCH ${PROJECT}`]: (body: object) => ({ ...aProject(), ...body }),
    });
    renderProject("owner");
    const account = await screen.findByLabelText("TikTok account");
    await screen.findByRole("option", { name: "@sourdough" });
    await userEvent.selectOptions(account, "None");
    await userEvent.type(screen.getByLabelText("Brand voice"), " Never salesy.");
    await userEvent.click(screen.getByRole("button", { name: "Save settings" }));
    await screen.findByText("Saved");
    expect(calls.find((c) => c.method === "PATCH")?.body).toEqual({
      brand_voice: "Warm and precise. Never salesy.",
      tiktok_account_id: null,
    });
  });

  it("chooses the caption preset and the music, sending both together", async () => {
    const calls = api({ [`PATCH ${PROJECT}`]: (body: object) => ({ ...aProject(), ...body }) });
    renderProject("admin");
    const captions = await screen.findByLabelText("Captions");
    expect(captions).toHaveValue("bold");
    expect(screen.getByLabelText("Music")).toHaveValue("generated");
    await userEvent.selectOptions(captions, "clean");
    await userEvent.selectOptions(screen.getByLabelText("Voice pace"), "brisk");
    await userEvent.click(screen.getByRole("button", { name: "Save settings" }));
    await screen.findByText("Saved");
    expect(calls.find((c) => c.method === "PATCH")?.body).toEqual({
      video_style: { captions: "clean", music: "generated", music_track: null, voice_pace: "brisk", voice_pitch: "natural" },
    });
  });

  it("uploads the project's own music track and saves it with a lower voice", async () => {
    let named: string | null = null;
    const calls = api({
      "POST /api/orgs/org-1/uploads": (_: unknown, url: URL) => {
        named = url.searchParams.get("name");
        return { id: "track-1", kind: "upload", content_type: "audio/wav", size_bytes: 9, name: "theme.wav", tags: [] };
      },
      [`PATCH ${PROJECT}`]: (body: object) => ({ ...aProject(), ...body }),
    });
    renderProject("admin");
    await userEvent.selectOptions(await screen.findByLabelText("Music"), "track");
    await userEvent.selectOptions(screen.getByLabelText("Voice pitch"), "lower");
    // The fake API reads bodies as JSON, so the "sound" is a JSON string.
    await userEvent.upload(screen.getByLabelText("Music track"), new File(['"wav"'], "theme.wav", { type: "audio/wav" }));
    expect(await screen.findByText(/Uploaded theme.wav/)).toBeInTheDocument();
    expect(named).toBe("theme.wav");
    await userEvent.click(screen.getByRole("button", { name: "Save settings" }));
    await screen.findByText("Saved");
    expect(calls.find((c) => c.method === "PATCH")?.body).toEqual({
      video_style: { captions: "bold", music: "track", music_track: "track-1", voice_pace: "normal", voice_pitch: "lower" },
    });
  });

  it("shows a viewer the video style as words", async () => {
    api({ [`GET ${PROJECT}`]: aProject({ video_style: { captions: "boxed", music: "none", music_track: null, voice_pace: "relaxed", voice_pitch: "higher" } }) });
    renderProject("viewer");
    expect(await screen.findByText("Boxed: white words on a dark box, the spoken word in yellow")).toBeInTheDocument();
    expect(screen.getByText("No music, the voice alone")).toBeInTheDocument();
    expect(screen.getByText("Relaxed")).toBeInTheDocument();
    expect(screen.getByText("Higher")).toBeInTheDocument();
  });

  it("shows the API's refusal next to the field it names", async () => {
    api({
      [`PATCH ${PROJECT}`]: reply(422, {
        error: { code: "validation_failed", message: "times must be distinct", request_id: "req-9", field: "posting_times" },
      }),
    });
    renderProject("admin");
    const times = await screen.findByLabelText("Posting times");
    await userEvent.clear(times);
    await userEvent.type(times, "09:00, 09:00");
    await userEvent.click(screen.getByRole("button", { name: "Save settings" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("req-9");
    expect(times.parentElement).toHaveTextContent("times must be distinct");
    expect(screen.queryByText("Saved")).not.toBeInTheDocument();
  });

  it("deletes the project only after the admin confirms", async () => {
    // The fake answers 200 (a Response cannot carry a body with 204); the page only needs success.
    const calls = api({ [`DELETE ${PROJECT}`]: {} });
    vi.spyOn(window, "confirm").mockReturnValueOnce(false).mockReturnValueOnce(true);
    renderProject("admin");
    const remove = await screen.findByRole("button", { name: "Delete project" });
    await userEvent.click(remove);
    expect(calls.some((c) => c.method === "DELETE")).toBe(false);
    await userEvent.click(remove);
    expect(await screen.findByText("elsewhere")).toBeInTheDocument();
    expect(calls.filter((c) => c.method === "DELETE").map((c) => c.path)).toEqual([PROJECT]);
  });

  it("lists every prompt version with its text folded away", async () => {
    api();
    renderProject("viewer");
    const older = (await screen.findByText("v1", { exact: false, selector: "summary" })).closest("details")!;
    expect(older).not.toHaveAttribute("open");
    expect(older).toHaveTextContent("Brand voice v1");
    expect(within(older).getByText("Chatty.")).toBeInTheDocument();
    expect(screen.getByText("v2", { exact: false, selector: "summary" })).toHaveTextContent("Brand voice v2");
  });

  it("shows what worked, ranked, with averages by format and posting time", async () => {
    const result = (slot_id: string, hook: string, views: number, engagement: number) => ({
      slot_id,
      hook,
      format: "talking_head",
      posting_time: "19:00",
      views,
      likes: 0,
      comments: 0,
      shares: 0,
      engagement,
    });
    api({
      [`GET ${PROJECT}/performance`]: {
        posts_measured: 7,
        best: [result("s1", "Half the water", 9000, 0.123), result("s2", "Salt like the sea", 300, 0.05)],
        weakest: [result("s7", "Never rinse", 40, 0.01)],
        by_format: { talking_head: { posts: 7, avg_views: 1234.4, avg_engagement: 0.06 } },
        by_posting_time: { "19:00": { posts: 7, avg_views: 1234.4, avg_engagement: 0.06 } },
        proposed_posting_times: {
          times: ["13:00", "19:00", "20:00"],
          reason: "19:00 averages 5000 views, 09:00 only 100: move 09:00 to 20:00, next to your best time",
        },
      },
    });
    renderProject("viewer");
    const best = await screen.findByRole("region", { name: "Best posts" });
    const items = within(best).getAllByRole("listitem");
    expect(items[0]).toHaveTextContent("Half the water");
    expect(items[0]).toHaveTextContent("9,000 views · 12.3% engagement · talking head at 19:00");
    expect(within(best).getByRole("link", { name: "Half the water" })).toHaveAttribute("href", "/orgs/org-1/slots/s1");
    expect(screen.getByRole("region", { name: "Weakest posts" })).toHaveTextContent("Never rinse");
    expect(screen.getByRole("region", { name: "By format" })).toHaveTextContent("talking head71,234");
    expect(screen.getByText(/From 7 measured posts/)).toBeInTheDocument();
    expect(screen.getByRole("region", { name: "Proposed posting times" })).toHaveTextContent(
      "Post at 13:00, 19:00, 20:00? 19:00 averages 5000 views, 09:00 only 100",
    );
    expect(screen.queryByRole("button", { name: "Use these times" })).not.toBeInTheDocument();
  });

  it("shows the analytics agent's latest week and lets an editor ask for this week's now", async () => {
    const week = (week_start: string, headline: string) => ({
      id: week_start,
      week_start,
      prompt_version: 1,
      created_at: "",
      summary: {
        headline,
        worked: ['"Half the water" drew 9000 views as a tutorial'],
        try_next: ["More posts with #pasta, which rises in our results"],
        posts_measured: 7,
        trends: { recent_posts: 2, earlier_posts: 2, rising: [] },
      },
    });
    const calls = api({
      [`GET ${PROJECT}/summaries`]: [week("2026-11-30", "7 posts measured this week"), week("2026-11-23", "Older")],
      [`POST ${PROJECT}/summaries`]: { schedule_id: "org-1:analytics:proj-1" },
    });
    renderProject("editor");
    expect(await screen.findByText("Week of 2026-11-30: 7 posts measured this week")).toBeInTheDocument();
    expect(screen.getByText('"Half the water" drew 9000 views as a tutorial')).toBeInTheDocument();
    expect(screen.getByText("More posts with #pasta, which rises in our results")).toBeInTheDocument();
    expect(screen.getByText("Earlier weeks: 2026-11-23")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Summarise now" }));
    expect(await screen.findByText(/Summing up this week/)).toBeInTheDocument();
    expect(calls.some((c) => c.method === "POST" && c.path === `${PROJECT}/summaries`)).toBe(true);
  });

  it("offers an admin the prompt engineer's proposal and accepts it", async () => {
    const proposal = {
      id: "pp-1",
      plan_id: "plan-1",
      kind: "instructions",
      body: "You plan short vertical videos... Never again: hashtags in the script.",
      rationale: "21 slots were flagged for hashtags in the script",
      based_on_version: 0,
      prompt_version: 1,
      status: "pending",
      created_at: "",
    };
    const calls = api({
      [`GET ${PROJECT}/prompt-proposals`]: [proposal, { ...proposal, id: "pp-0", status: "dismissed" }],
      "POST /api/orgs/org-1/prompt-proposals/pp-1/accept": { proposal: { ...proposal, status: "accepted" }, prompt: null },
    });
    renderProject("admin");
    expect((await screen.findByText(/Revises instructions v0:/)).closest("p")).toHaveTextContent("21 slots were flagged for hashtags in the script");
    expect(screen.getAllByRole("button", { name: "Use these instructions" })).toHaveLength(1);
    await userEvent.click(screen.getByRole("button", { name: "Use these instructions" }));
    await waitFor(() => expect(calls.some((c) => c.path === "/api/orgs/org-1/prompt-proposals/pp-1/accept")).toBe(true));
  });

  it("shows an editor the proposal without the decision", async () => {
    api({
      [`GET ${PROJECT}/prompt-proposals`]: [
        { id: "pp-1", plan_id: "plan-1", kind: "instructions", body: "x", rationale: "because", based_on_version: 2,
          prompt_version: 1, status: "pending", created_at: "" },
      ],
    });
    renderProject("editor");
    expect(await screen.findByText("An admin decides whether the next month uses them.")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Use these instructions" })).not.toBeInTheDocument();
  });

  it("gives a viewer the weekly summary without the button", async () => {
    api();
    renderProject("viewer");
    expect(await screen.findByText(/Every week the analytics agent sums up/)).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Summarise now" })).not.toBeInTheDocument();
  });

  it("explains that results feed the next month before any post is measured", async () => {
    api();
    renderProject("viewer");
    expect(await screen.findByText(/No measured posts yet/)).toBeInTheDocument();
  });
});
