// Typed API answers for the project, plan and calendar page tests.
import type { Schemas } from "../../lib/api";

export function aProject(overrides: Partial<Schemas["ProjectView"]> = {}): Schemas["ProjectView"] {
  return {
    id: "proj-1",
    org_id: "org-1",
    name: "Sourdough Daily",
    niche: "home baking",
    audience: "beginner bakers",
    language: "en",
    timezone: "Europe/Berlin",
    posting_times: ["09:00", "19:00"],
    autopilot: false,
    gates: { approve_slot: true, approve_publish: true },
    budgets: { monthly_llm_micros: 20_000_000, monthly_video_seconds: null, posts_per_day: 3, max_video_seconds: null },
    brand_voice: "Warm and precise.",
    tiktok_account_id: null,
    post_mode: "direct",
    video_style: { captions: "bold", music: "generated", music_track: null, voice_pace: "normal", voice_pitch: "natural" },
    created_at: "2026-11-01T10:00:00Z",
    ...overrides,
  };
}

export function aPlan(overrides: Partial<Schemas["PlanView"]> = {}): Schemas["PlanView"] {
  return {
    id: "plan-1",
    org_id: "org-1",
    project_id: "proj-1",
    start_date: "2026-12-01",
    days: 30,
    slots_per_day: 2,
    status: "ready",
    slot_counts: { draft: 2, approved: 1, empty: 1 },
    batches_done: 4,
    batches_total: 4,
    prompt_versions: {},
    drafted_by: "openai/gpt-4o-mini",
    drafted_offline: false,
    run: { workflow_id: "plan-wf", status: "completed", temporal_ui_url: "http://temporal/plan-wf" },
    created_at: "2026-11-20T10:00:00Z",
    ...overrides,
  };
}

/** Slot `index` of day `day`; scheduled at 09:00 + 10 h per index, Berlin time. */
export function aSlot(day: number, index: number, overrides: Partial<Schemas["SlotView"]> = {}): Schemas["SlotView"] {
  const hour = String(8 + index * 10).padStart(2, "0");
  return {
    id: `slot-${day}-${index}`,
    plan_id: "plan-1",
    shots: [],
    day_index: day,
    slot_index: index,
    scheduled_at: `2026-12-${String(day + 1).padStart(2, "0")}T${hour}:00:00Z`,
    status: "draft",
    hook: `Hook ${day}-${index}`,
    script: "",
    caption: "",
    hashtags: [],
    format: "tutorial",
    confidence: 0.82,
    rationale: `Why ${day}-${index}`,
    review_notes: [],
    locked: false,
    version: 1,
    prompt_versions: {},
    render_version: 0,
    ...overrides,
  };
}
