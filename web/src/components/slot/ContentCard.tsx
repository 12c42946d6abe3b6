import { useState, type FormEvent, type ReactNode } from "react";
import { Link } from "react-router";
import { call, client, type Schemas } from "../../lib/api";
import { explain } from "../../lib/errors";
import { useOrg } from "../../lib/session";
import { Badge, StatusBadge, type Tone } from "../ui/badge";
import { Button } from "../ui/button";
import { Card, CardTitle } from "../ui/card";
import { ErrorMessage, Notice } from "../ui/feedback";
import { Field, Input, Textarea } from "../ui/input";
import { formatDayAndTime } from "./format";
import { slotPath, useSlotMutation } from "./slotApi";

type Slot = Schemas["SlotView"];

/** The statuses the API lets a person edit (anything later is already rendered or posted). */
const EDITABLE: Slot["status"][] = ["empty", "draft", "approved"];

function confidenceTone(confidence: number): Tone {
  if (confidence >= 0.7) return "good";
  if (confidence >= 0.4) return "warn";
  return "bad";
}

export function ContentCard({
  slot,
  waitingForApproval,
  improving,
  onImproveStarted,
}: {
  slot: Slot;
  waitingForApproval: boolean;
  improving: boolean;
  /** Called with the slot's version before the redraft, which bumps it. */
  onImproveStarted: (versionBefore: number) => void;
}) {
  const org = useOrg();
  const [editing, setEditing] = useState(false);
  return (
    <Card className="space-y-3">
      <div className="flex flex-wrap items-center gap-2">
        <CardTitle className="mb-0 mr-auto">Content</CardTitle>
        <StatusBadge status={slot.status} />
        {slot.confidence != null && (
          <Badge tone={confidenceTone(slot.confidence)} title="How likely the model thinks the post is to do well">
            {Math.round(slot.confidence * 100)}%
          </Badge>
        )}
        {slot.locked && <Badge title="Regenerating the plan leaves this slot as it is">Locked</Badge>}
      </div>
      <p className="text-sm text-slate-600">
        {formatDayAndTime(slot.day_index, slot.scheduled_at)} · {slot.format}
      </p>
      {editing ? <ContentEditor slot={slot} onDone={() => setEditing(false)} /> : <ContentText slot={slot} />}
      <Link className="inline-block text-sm underline" to={`/orgs/${org.orgId}/plans/${slot.plan_id}`}>
        Back to the calendar
      </Link>
      {org.can("edit_content") && (
        <ContentActions
          slot={slot}
          onEdit={EDITABLE.includes(slot.status) && !editing ? () => setEditing(true) : undefined}
          waitingForApproval={waitingForApproval}
          improving={improving}
          onImproveStarted={onImproveStarted}
        />
      )}
    </Card>
  );
}

function ContentText({ slot }: { slot: Slot }) {
  return (
    <dl className="space-y-3 text-sm">
      <Section term="Script">
        <p className="whitespace-pre-wrap">{slot.script}</p>
      </Section>
      <Section term="Caption">
        <p className="whitespace-pre-wrap">{slot.caption}</p>
      </Section>
      <Section term="Hashtags">{slot.hashtags.length ? slot.hashtags.join(" ") : "None"}</Section>
      <Section term="Why this post">{slot.rationale}</Section>
      {slot.review_notes.length > 0 && (
        <Section term="Review notes">
          <ul className="space-y-1">
            {slot.review_notes.map((note, i) => (
              <li key={i} className="rounded bg-amber-50 px-2 py-1 text-amber-900">
                <span className="font-medium">{note.check}:</span> {note.reason}
              </li>
            ))}
          </ul>
        </Section>
      )}
    </dl>
  );
}

function Section({ term, children }: { term: string; children: ReactNode }) {
  return (
    <div>
      <dt className="text-xs font-medium tracking-wide text-slate-500 uppercase">{term}</dt>
      <dd className="break-words">{children}</dd>
    </div>
  );
}

/** "#a, b #c" -> ["#a", "#b", "#c"]: the API wants each tag with its "#". */
function parseHashtags(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((tag) => (tag.startsWith("#") ? tag : `#${tag}`));
}

function ContentEditor({ slot, onDone }: { slot: Slot; onDone: () => void }) {
  const { orgId } = useOrg();
  const [hook, setHook] = useState(slot.hook);
  const [script, setScript] = useState(slot.script);
  const [caption, setCaption] = useState(slot.caption);
  const [hashtags, setHashtags] = useState(slot.hashtags.join(" "));
  const save = useSlotMutation(
    slot.id,
    () =>
      call(
        client.PATCH("/api/orgs/{org_id}/slots/{slot_id}", {
          ...slotPath(orgId, slot.id),
          body: { hook, script, caption, hashtags: parseHashtags(hashtags) },
        }),
      ),
    onDone,
  );
  const invalid = save.error ? explain(save.error) : null;
  const errorFor = (field: string) => (invalid?.field === field ? invalid.detail : undefined);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  return (
    <form onSubmit={submit} className="space-y-3">
      {slot.status === "approved" && (
        <Notice tone="warn">Saving returns this approved slot to draft; approve it again afterwards.</Notice>
      )}
      <Field label="Hook" error={errorFor("hook")}>
        {(id) => <Input id={id} required value={hook} onChange={(e) => setHook(e.target.value)} />}
      </Field>
      <Field label="Script" error={errorFor("script")}>
        {(id) => <Textarea id={id} required rows={6} value={script} onChange={(e) => setScript(e.target.value)} />}
      </Field>
      <Field label="Caption" error={errorFor("caption")}>
        {(id) => <Textarea id={id} required value={caption} onChange={(e) => setCaption(e.target.value)} />}
      </Field>
      <Field label="Hashtags" hint="Separated by spaces or commas, e.g. #cooking #quickmeals" error={errorFor("hashtags")}>
        {(id) => <Input id={id} value={hashtags} onChange={(e) => setHashtags(e.target.value)} />}
      </Field>
      <ErrorMessage error={save.error} />
      <div className="flex flex-wrap gap-2">
        <Button type="submit" disabled={save.isPending}>
          {save.isPending ? "Saving…" : "Save changes"}
        </Button>
        <Button variant="ghost" onClick={onDone}>
          Cancel
        </Button>
      </div>
    </form>
  );
}

function ContentActions({
  slot,
  onEdit,
  waitingForApproval,
  improving,
  onImproveStarted,
}: {
  slot: Slot;
  /** Absent when the slot cannot be edited (or already is being edited). */
  onEdit?: () => void;
  waitingForApproval: boolean;
  improving: boolean;
  onImproveStarted: (versionBefore: number) => void;
}) {
  const { orgId } = useOrg();
  const path = slotPath(orgId, slot.id);
  // Approves the version on screen; if the slot changed since (409
  // stale_version), the hook fetches it again so the person sees it first.
  const approve = useSlotMutation(slot.id, (version: number) =>
    call(client.POST("/api/orgs/{org_id}/slots/{slot_id}/approve", { ...path, body: { version } })),
  );
  const unapprove = useSlotMutation(slot.id, () =>
    call(client.POST("/api/orgs/{org_id}/slots/{slot_id}/unapprove", path)),
  );
  const setLocked = useSlotMutation(slot.id, (locked: boolean) =>
    locked
      ? call(client.POST("/api/orgs/{org_id}/slots/{slot_id}/lock", path))
      : call(client.POST("/api/orgs/{org_id}/slots/{slot_id}/unlock", path)),
  );
  // The API redrafts only unlocked drafts.
  const improvable = (slot.status === "draft" || slot.status === "empty") && !slot.locked;
  return (
    <div className="space-y-3 border-t border-slate-200 pt-3">
      <div className="flex flex-wrap gap-2">
        {onEdit && (
          <Button variant="outline" onClick={onEdit}>
            Edit
          </Button>
        )}
        {slot.status === "draft" && (
          <Button onClick={() => approve.mutate(slot.version)} disabled={approve.isPending}>
            Approve
          </Button>
        )}
        {slot.status === "approved" && (
          <Button variant="outline" onClick={() => unapprove.mutate()} disabled={unapprove.isPending}>
            Unapprove
          </Button>
        )}
        <Button variant="outline" onClick={() => setLocked.mutate(!slot.locked)} disabled={setLocked.isPending}>
          {slot.locked ? "Unlock" : "Lock"}
        </Button>
      </div>
      <ErrorMessage error={approve.error} />
      <ErrorMessage error={unapprove.error} />
      <ErrorMessage error={setLocked.error} />
      {improvable && <ImproveForm slot={slot} improving={improving} onStarted={onImproveStarted} />}
      {waitingForApproval && <RejectForm slot={slot} />}
    </div>
  );
}

function ImproveForm({
  slot,
  improving,
  onStarted,
}: {
  slot: Slot;
  improving: boolean;
  onStarted: (versionBefore: number) => void;
}) {
  const { orgId } = useOrg();
  const [instruction, setInstruction] = useState("");
  const improve = useSlotMutation(
    slot.id,
    async () => {
      const versionBefore = slot.version;
      await call(
        client.POST("/api/orgs/{org_id}/slots/{slot_id}/improve", {
          ...slotPath(orgId, slot.id),
          body: { instruction: instruction.trim() || null },
        }),
      );
      return versionBefore;
    },
    (versionBefore) => {
      setInstruction("");
      onStarted(versionBefore);
    },
  );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    improve.mutate();
  };
  return (
    <form onSubmit={submit} className="space-y-2">
      <h3 className="text-sm font-semibold">AI improve</h3>
      <Field label="Instruction" hint="Optional, e.g. “make the hook funnier”.">
        {(id) => (
          <Input id={id} maxLength={500} value={instruction} onChange={(e) => setInstruction(e.target.value)} />
        )}
      </Field>
      <Button type="submit" variant="outline" disabled={improve.isPending || improving}>
        Improve
      </Button>
      {improving && <Notice>Improving…</Notice>}
      <ErrorMessage error={improve.error} />
    </form>
  );
}

function RejectForm({ slot }: { slot: Slot }) {
  const { orgId } = useOrg();
  const [reason, setReason] = useState("");
  const reject = useSlotMutation(
    slot.id,
    () =>
      call(
        client.POST("/api/orgs/{org_id}/slots/{slot_id}/reject", {
          ...slotPath(orgId, slot.id),
          body: { reason: reason.trim() || null },
        }),
      ),
    () => setReason(""),
  );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    reject.mutate();
  };
  return (
    <form onSubmit={submit} className="space-y-2">
      <h3 className="text-sm font-semibold">The pipeline waits for a person</h3>
      <Field label="Reason" hint="For the team and the audit log.">
        {(id) => <Input id={id} value={reason} onChange={(e) => setReason(e.target.value)} />}
      </Field>
      <Button type="submit" variant="destructive" disabled={reject.isPending}>
        Reject
      </Button>
      <ErrorMessage error={reject.error} />
    </form>
  );
}
