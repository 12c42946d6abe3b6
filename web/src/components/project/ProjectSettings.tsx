import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent, type ReactNode } from "react";
import { useNavigate } from "react-router";
import { call, client, type Schemas } from "../../lib/api";
import { useOrg } from "../../lib/session";
import { Button } from "../ui/button";
import { Card, CardTitle } from "../ui/card";
import { ErrorMessage, Notice } from "../ui/feedback";
import { Checkbox, Field, Input, Select, Textarea } from "../ui/input";
import { fieldError, formatDollars, parsePostingTimes } from "./forms";
import { projectKey, projectsKey } from "./queries";

type Project = Schemas["ProjectView"];
type Account = Schemas["AccountView"];

const POST_MODES: Record<string, string> = {
  direct: "Post directly",
  inbox: "Send to the TikTok inbox as a draft",
};

const CAPTION_PRESETS: Record<Schemas["CaptionPreset"], string> = {
  bold: "Bold: large white words, the spoken word in yellow",
  boxed: "Boxed: white words on a dark box, the spoken word in yellow",
  clean: "Clean: smaller words in the lower third, the spoken word in green",
};

const VOICE_PACES: Record<Schemas["VoicePace"], string> = {
  relaxed: "Relaxed",
  normal: "Normal",
  brisk: "Brisk",
};

const VOICE_PITCHES: Record<Schemas["VoicePitch"], string> = {
  lower: "Lower",
  natural: "Natural",
  higher: "Higher",
};

const MUSIC: Record<Schemas["Music"], string> = {
  generated: "A soft generated bed, quieter while the voice speaks",
  track: "Your own track (MP3 or WAV), quieter while the voice speaks",
  none: "No music, the voice alone",
};

/** The form's state: text as typed, "" for no TikTok account or no limit. */
interface SettingsForm {
  name: string;
  niche: string;
  audience: string;
  language: string;
  timezone: string;
  posting_times: string;
  brand_voice: string;
  autopilot: boolean;
  approve_slot: boolean;
  approve_publish: boolean;
  post_mode: string;
  captions: Schemas["CaptionPreset"];
  music: Schemas["Music"];
  music_track: string | null;
  voice_pace: Schemas["VoicePace"];
  voice_pitch: Schemas["VoicePitch"];
  tiktok_account_id: string;
  llm_budget_dollars: string;
  monthly_video_seconds: string;
  posts_per_day: string;
  max_video_seconds: string;
}

type TextField = { [K in keyof SettingsForm]: SettingsForm[K] extends string ? K : never }[keyof SettingsForm];

const limitText = (limit: number | null | undefined) => (limit == null ? "" : String(limit));
const limitOf = (text: string) => (text.trim() === "" ? null : Number(text));

function formOf(project: Project): SettingsForm {
  const llm = project.budgets.monthly_llm_micros;
  return {
    name: project.name,
    niche: project.niche,
    audience: project.audience,
    language: project.language,
    timezone: project.timezone,
    posting_times: project.posting_times.join(", "),
    brand_voice: project.brand_voice,
    autopilot: project.autopilot,
    approve_slot: project.gates.approve_slot,
    approve_publish: project.gates.approve_publish,
    post_mode: project.post_mode,
    captions: project.video_style.captions,
    music: project.video_style.music,
    music_track: project.video_style.music_track ?? null,
    voice_pace: project.video_style.voice_pace,
    voice_pitch: project.video_style.voice_pitch,
    tiktok_account_id: project.tiktok_account_id ?? "",
    llm_budget_dollars: llm == null ? "" : String(llm / 1_000_000),
    monthly_video_seconds: limitText(project.budgets.monthly_video_seconds),
    posts_per_day: limitText(project.budgets.posts_per_day),
    max_video_seconds: limitText(project.budgets.max_video_seconds),
  };
}

function budgetsOf(form: SettingsForm): Schemas["BudgetsInput"] {
  const dollars = limitOf(form.llm_budget_dollars);
  return {
    monthly_llm_micros: dollars == null ? null : Math.round(dollars * 1_000_000),
    monthly_video_seconds: limitOf(form.monthly_video_seconds),
    posts_per_day: limitOf(form.posts_per_day),
    max_video_seconds: limitOf(form.max_video_seconds),
  };
}

const TEXT_FIELDS = ["name", "niche", "audience", "language", "timezone", "brand_voice", "post_mode"] as const;

/** Only what changed: the API keeps absent fields as they are. */
function changesOf(project: Project, form: SettingsForm): Schemas["ProjectPatch"] {
  const patch: Schemas["ProjectPatch"] = {};
  for (const key of TEXT_FIELDS) if (form[key] !== project[key]) patch[key] = form[key];
  const times = parsePostingTimes(form.posting_times);
  if (times.join() !== project.posting_times.join()) patch.posting_times = times;
  if (form.autopilot !== project.autopilot) patch.autopilot = form.autopilot;
  // Gates and budgets are replaced as a whole, so a change to one sends all of them.
  if (form.approve_slot !== project.gates.approve_slot || form.approve_publish !== project.gates.approve_publish) {
    patch.gates = { approve_slot: form.approve_slot, approve_publish: form.approve_publish };
  }
  const budgets = budgetsOf(form);
  const current = project.budgets;
  if ((Object.keys(budgets) as (keyof typeof budgets)[]).some((key) => budgets[key] !== (current[key] ?? null))) {
    patch.budgets = budgets;
  }
  const style = project.video_style;
  const chosen = {
    captions: form.captions,
    music: form.music,
    music_track: form.music_track,
    voice_pace: form.voice_pace,
    voice_pitch: form.voice_pitch,
  };
  if ((Object.keys(chosen) as (keyof typeof chosen)[]).some((key) => chosen[key] !== (style[key] ?? null))) {
    patch.video_style = chosen;
  }
  const account = form.tiktok_account_id || null;
  if (account !== (project.tiktok_account_id ?? null)) patch.tiktok_account_id = account;
  return patch;
}

/** The project's settings: a form for admins and owners, read-only for everyone else. */
export function ProjectSettings({ project }: { project: Project }) {
  const org = useOrg();
  const accounts = useQuery({
    queryKey: ["org", org.orgId, "tiktok", "accounts"],
    queryFn: () => call(client.GET("/api/orgs/{org_id}/tiktok/accounts", { params: { path: { org_id: org.orgId } } })),
  });
  return (
    <Card className="space-y-4">
      <CardTitle>Settings</CardTitle>
      <ErrorMessage error={accounts.error} />
      {org.can("manage_projects") ? (
        <>
          <SettingsEditor project={project} accounts={accounts.data ?? []} />
          <DeleteProject project={project} />
        </>
      ) : (
        <SettingsSummary project={project} accounts={accounts.data} />
      )}
    </Card>
  );
}

/** Uploads the project's music track; the project keeps the upload's id. */
function MusicTrackField({
  track,
  onUploaded,
  error,
}: {
  track: string | null;
  onUploaded: (assetId: string) => void;
  error?: string;
}) {
  const { orgId } = useOrg();
  const upload = useMutation({
    mutationFn: (file: File) =>
      call(
        client.POST("/api/orgs/{org_id}/uploads", {
          params: { path: { org_id: orgId }, query: { name: file.name } },
          // The API takes the raw bytes, typed by their content type.
          body: file as never,
          bodySerializer: (body) => body,
          headers: { "content-type": file.type || "application/octet-stream" },
        }),
      ),
    onSuccess: (asset) => onUploaded(asset.id),
  });
  return (
    <div className="space-y-1">
      <Field
        label="Music track"
        hint={track ? "A track is chosen; upload another to replace it." : "MP3 or WAV; it loops to the video's length."}
        error={error}
      >
        {(id) => (
          <Input
            id={id}
            type="file"
            accept="audio/mpeg,audio/wav"
            disabled={upload.isPending}
            onChange={(e) => {
              const file = e.target.files?.[0];
              if (file) upload.mutate(file);
            }}
          />
        )}
      </Field>
      {upload.isSuccess && <p className="text-xs text-slate-600">Uploaded {upload.data.name ?? "the track"}; save to use it.</p>}
      {upload.error && <ErrorMessage error={upload.error} />}
    </div>
  );
}

function SettingsEditor({ project, accounts }: { project: Project; accounts: Account[] }) {
  const org = useOrg();
  const queries = useQueryClient();
  const [form, setForm] = useState(() => formOf(project));
  const patch = changesOf(project, form);
  const save = useMutation({
    mutationFn: () =>
      call(
        client.PATCH("/api/orgs/{org_id}/projects/{project_id}", {
          params: { path: { org_id: org.orgId, project_id: project.id } },
          body: patch,
        }),
      ),
    onSuccess: (saved) => {
      queries.setQueryData(projectKey(org.orgId, project.id), saved);
      setForm(formOf(saved));
      // A new brand voice is a new prompt version; budgets change the usage limits.
      void queries.invalidateQueries({ queryKey: projectKey(org.orgId, project.id) });
      void queries.invalidateQueries({ queryKey: projectsKey(org.orgId) });
    },
  });
  const update = (changes: Partial<SettingsForm>) => {
    setForm({ ...form, ...changes });
    save.reset();
  };
  const text = (key: TextField) => ({
    value: form[key],
    onChange: (e: { target: { value: string } }) => update({ [key]: e.target.value }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  const error = (field: string) => fieldError(save.error, field);
  // Only connected accounts can be chosen, but the current one stays listed so the form shows the truth.
  const choosable = accounts.filter((a) => a.status === "connected" || a.id === project.tiktok_account_id);
  const unchanged = Object.keys(patch).length === 0;

  return (
    <form onSubmit={submit} className="space-y-4">
      <div className="grid gap-3 sm:grid-cols-2">
        <Field label="Name" error={error("name")}>
          {(id) => <Input id={id} required {...text("name")} />}
        </Field>
        <Field label="Niche" error={error("niche")}>
          {(id) => <Input id={id} {...text("niche")} />}
        </Field>
        <Field label="Audience" error={error("audience")}>
          {(id) => <Input id={id} {...text("audience")} />}
        </Field>
        <Field label="Language" hint="A language tag such as en or de-AT" error={error("language")}>
          {(id) => <Input id={id} {...text("language")} />}
        </Field>
        <Field label="Timezone" hint="An IANA time zone such as Europe/Berlin" error={error("timezone")}>
          {(id) => <Input id={id} {...text("timezone")} />}
        </Field>
        <Field label="Posting times" hint="Comma-separated HH:MM, one slot each" error={error("posting_times")}>
          {(id) => <Input id={id} {...text("posting_times")} />}
        </Field>
      </div>
      <Field label="Brand voice" hint="Saving a change adds a version to the prompt library" error={error("brand_voice")}>
        {(id) => <Textarea id={id} {...text("brand_voice")} />}
      </Field>

      <fieldset className="space-y-2">
        <legend className="mb-1 text-sm font-medium">Approvals</legend>
        <Checkbox
          label="Autopilot"
          checked={form.autopilot}
          onChange={(e) => update({ autopilot: e.target.checked })}
        />
        <Checkbox
          label="Require approval of each slot"
          checked={form.approve_slot}
          onChange={(e) => update({ approve_slot: e.target.checked })}
        />
        <Checkbox
          label="Require approval before publishing"
          checked={form.approve_publish}
          onChange={(e) => update({ approve_publish: e.target.checked })}
        />
      </fieldset>

      <div className="grid gap-3 sm:grid-cols-2">
        <Field label="Post mode" error={error("post_mode")}>
          {(id) => (
            <Select id={id} {...text("post_mode")}>
              {Object.entries(POST_MODES).map(([mode, label]) => (
                <option key={mode} value={mode}>
                  {label}
                </option>
              ))}
            </Select>
          )}
        </Field>
        <Field label="TikTok account" error={error("tiktok_account_id")}>
          {(id) => (
            <Select id={id} {...text("tiktok_account_id")}>
              <option value="">None</option>
              {choosable.map((account) => (
                <option key={account.id} value={account.id}>
                  {account.display_name}
                  {account.status !== "connected" && ` (${account.status})`}
                </option>
              ))}
            </Select>
          )}
        </Field>
      </div>

      <fieldset>
        <legend className="mb-1 text-sm font-medium">Video style</legend>
        <div className="grid gap-3 sm:grid-cols-2">
          <Field label="Captions">
            {(id) => (
              <Select
                id={id}
                value={form.captions}
                onChange={(e) => update({ captions: e.target.value as Schemas["CaptionPreset"] })}
              >
                {Object.entries(CAPTION_PRESETS).map(([preset, label]) => (
                  <option key={preset} value={preset}>
                    {label}
                  </option>
                ))}
              </Select>
            )}
          </Field>
          <Field label="Voice pace" hint="The voice speaks the project's language (Piper for English)">
            {(id) => (
              <Select
                id={id}
                value={form.voice_pace}
                onChange={(e) => update({ voice_pace: e.target.value as Schemas["VoicePace"] })}
              >
                {Object.entries(VOICE_PACES).map(([pace, label]) => (
                  <option key={pace} value={pace}>
                    {label}
                  </option>
                ))}
              </Select>
            )}
          </Field>
          <Field label="Voice pitch" hint="Shifted with the voice's character kept; its timing does not change">
            {(id) => (
              <Select
                id={id}
                value={form.voice_pitch}
                onChange={(e) => update({ voice_pitch: e.target.value as Schemas["VoicePitch"] })}
              >
                {Object.entries(VOICE_PITCHES).map(([pitch, label]) => (
                  <option key={pitch} value={pitch}>
                    {label}
                  </option>
                ))}
              </Select>
            )}
          </Field>
          <Field label="Music">
            {(id) => (
              <Select id={id} value={form.music} onChange={(e) => update({ music: e.target.value as Schemas["Music"] })}>
                {Object.entries(MUSIC).map(([choice, label]) => (
                  <option key={choice} value={choice}>
                    {label}
                  </option>
                ))}
              </Select>
            )}
          </Field>
          {form.music === "track" && (
            <MusicTrackField track={form.music_track} onUploaded={(id) => update({ music_track: id })} error={error("video_style")} />
          )}
        </div>
      </fieldset>

      <fieldset>
        <legend className="mb-1 text-sm font-medium">Budgets</legend>
        <p className="mb-2 text-xs text-slate-500">Leave a budget empty for no limit.</p>
        <div className="grid gap-3 sm:grid-cols-2">
          <Field label="Monthly LLM budget ($)" error={error("budgets")}>
            {(id) => <Input id={id} type="number" min={0} step="0.01" {...text("llm_budget_dollars")} />}
          </Field>
          <Field label="Monthly video seconds">
            {(id) => <Input id={id} type="number" min={0} step={1} {...text("monthly_video_seconds")} />}
          </Field>
          <Field label="Posts per day">
            {(id) => <Input id={id} type="number" min={0} max={50} step={1} {...text("posts_per_day")} />}
          </Field>
          <Field label="Longest video (s)" hint="Empty: the 180 s default">
            {(id) => <Input id={id} type="number" min={5} max={600} step={1} {...text("max_video_seconds")} />}
          </Field>
        </div>
      </fieldset>

      <ErrorMessage error={save.error} />
      {save.isSuccess && <Notice tone="good">Saved</Notice>}
      <Button type="submit" disabled={unchanged || save.isPending}>
        Save settings
      </Button>
    </form>
  );
}

function DeleteProject({ project }: { project: Project }) {
  const org = useOrg();
  const navigate = useNavigate();
  const queries = useQueryClient();
  const remove = useMutation({
    mutationFn: () =>
      call(
        client.DELETE("/api/orgs/{org_id}/projects/{project_id}", {
          params: { path: { org_id: org.orgId, project_id: project.id } },
        }),
      ),
    onSuccess: () => {
      void queries.invalidateQueries({ queryKey: projectsKey(org.orgId) });
      navigate(`/orgs/${org.orgId}/projects`);
    },
  });
  return (
    <div className="space-y-2 border-t border-slate-200 pt-4">
      <ErrorMessage error={remove.error} />
      <Button
        variant="destructive"
        disabled={remove.isPending}
        onClick={() => {
          if (window.confirm(`Delete "${project.name}" with all its plans, slots and prompts?`)) remove.mutate();
        }}
      >
        Delete project
      </Button>
    </div>
  );
}

function SettingsSummary({ project, accounts }: { project: Project; accounts: Account[] | undefined }) {
  const account = accounts?.find((a) => a.id === project.tiktok_account_id);
  const limit = (value: number | null | undefined, format: (n: number) => string = String) =>
    value == null ? "no limit" : format(value);
  const yesNo = (value: boolean) => (value ? "Yes" : "No");
  const rows: [string, ReactNode][] = [
    ["Name", project.name],
    ["Niche", project.niche || "—"],
    ["Audience", project.audience || "—"],
    ["Language", project.language],
    ["Timezone", project.timezone],
    ["Posting times", project.posting_times.join(", ")],
    ["Brand voice", <span className="whitespace-pre-wrap">{project.brand_voice || "—"}</span>],
    ["Autopilot", yesNo(project.autopilot)],
    ["Require approval of each slot", yesNo(project.gates.approve_slot)],
    ["Require approval before publishing", yesNo(project.gates.approve_publish)],
    ["Post mode", POST_MODES[project.post_mode] ?? project.post_mode],
    ["Captions", CAPTION_PRESETS[project.video_style.captions]],
    ["Music", MUSIC[project.video_style.music]],
    ["Voice pace", VOICE_PACES[project.video_style.voice_pace]],
    ["Voice pitch", VOICE_PITCHES[project.video_style.voice_pitch]],
    ["TikTok account", !project.tiktok_account_id ? "None" : accounts ? (account?.display_name ?? "An account no longer listed") : "…"],
    ["Monthly LLM budget", limit(project.budgets.monthly_llm_micros, formatDollars)],
    ["Monthly video seconds", limit(project.budgets.monthly_video_seconds)],
    ["Posts per day", limit(project.budgets.posts_per_day)],
    ["Longest video (s)", project.budgets.max_video_seconds ?? "180 (default)"],
  ];
  return (
    <dl className="grid gap-x-4 gap-y-2 text-sm sm:grid-cols-[14rem_1fr]">
      {rows.map(([label, value]) => (
        <div key={label} className="contents">
          <dt className="font-medium text-slate-600">{label}</dt>
          <dd className="mb-2 break-words sm:mb-0">{value}</dd>
        </div>
      ))}
    </dl>
  );
}
