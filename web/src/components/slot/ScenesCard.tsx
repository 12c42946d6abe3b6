import { useState, type FormEvent } from "react";
import { call, client, type Schemas } from "../../lib/api";
import { useOrg } from "../../lib/session";
import { Button } from "../ui/button";
import { Card, CardTitle } from "../ui/card";
import { ErrorMessage } from "../ui/feedback";
import { Field, Input, Textarea } from "../ui/input";
import { slotPath, useSlotMutation } from "./slotApi";

type Slot = Schemas["SlotView"];
type Shot = Schemas["Shot"];
type VisualKind = Shot["visual"];

/** The API's bound on a shot list. */
const MAX_SCENES = 12;

const VISUALS: { kind: VisualKind; label: string; hint: string }[] = [
  { kind: "footage", label: "Footage", hint: "your upload, else a matching video from your library" },
  { kind: "still", label: "Still image", hint: "a matching image under a slow zoom" },
  { kind: "gradient", label: "Gradient", hint: "an animated colour gradient" },
  { kind: "text_card", label: "Text card", hint: "the words in large type, popping in as they are said" },
];

const labelOf = (kind: VisualKind) => VISUALS.find((v) => v.kind === kind)?.label ?? kind;

/** The statuses the API lets a person edit. */
const EDITABLE: Slot["status"][] = ["empty", "draft", "approved"];

/** The slot's script as scenes: what each shows and the words to find footage by (editors change them). */
export function ScenesCard({ slot }: { slot: Slot }) {
  const org = useOrg();
  const [editing, setEditing] = useState(false);
  // A highlight's slot is its clip: its scenes are the clip itself.
  const canEdit = org.can("edit_content") && EDITABLE.includes(slot.status) && !slot.clip_asset_id;
  if (slot.shots.length === 0) return null;
  return (
    <Card className="space-y-3">
      <div className="flex items-center gap-2">
        <CardTitle className="mb-0 mr-auto">Scenes</CardTitle>
        {canEdit && !editing && (
          <Button variant="outline" onClick={() => setEditing(true)}>
            Edit scenes
          </Button>
        )}
      </div>
      {editing ? (
        <ScenesEditor slot={slot} onDone={() => setEditing(false)} />
      ) : (
        <ol className="space-y-2 text-sm">
          {slot.shots.map((shot, i) => (
            <li key={i} className="rounded border border-slate-200 px-3 py-2">
              <p className="text-xs font-medium text-slate-500">
                Scene {i + 1} · {labelOf(shot.visual)}
                {(shot.search ?? []).length > 0 && <> · finds “{(shot.search ?? []).join(" ")}”</>}
              </p>
              <p>{shot.text}</p>
            </li>
          ))}
        </ol>
      )}
    </Card>
  );
}

function ScenesEditor({ slot, onDone }: { slot: Slot; onDone: () => void }) {
  const { orgId } = useOrg();
  const [scenes, setScenes] = useState(slot.shots.map((s) => ({ ...s, searchText: (s.search ?? []).join(" ") })));
  const save = useSlotMutation(
    slot.id,
    () =>
      call(
        client.PATCH("/api/orgs/{org_id}/slots/{slot_id}", {
          ...slotPath(orgId, slot.id),
          body: {
            shots: scenes.map(({ text, visual, searchText }) => ({
              text,
              visual,
              search: searchText.split(/\s+/).filter(Boolean),
            })),
          },
        }),
      ),
    onDone,
  );
  const change = (i: number, patch: Partial<(typeof scenes)[number]>) =>
    setScenes((all) => all.map((scene, j) => (j === i ? { ...scene, ...patch } : scene)));
  const split = (i: number) =>
    setScenes((all) => [...all.slice(0, i + 1), { text: "", visual: "footage", search: [], searchText: "" }, ...all.slice(i + 1)]);
  const remove = (i: number) => setScenes((all) => all.filter((_, j) => j !== i));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  return (
    <form onSubmit={submit} className="space-y-3">
      <p className="text-sm text-slate-600">The scenes' words are the script, in order: saving them rewrites the script.</p>
      {scenes.map((scene, i) => (
        <fieldset key={i} className="space-y-2 rounded border border-slate-200 p-3">
          <legend className="px-1 text-xs font-medium text-slate-500">Scene {i + 1}</legend>
          <Field label={`Scene ${i + 1} words`}>
            {(id) => (
              <Textarea id={id} required rows={2} value={scene.text} onChange={(e) => change(i, { text: e.target.value })} />
            )}
          </Field>
          <Field label={`Scene ${i + 1} shows`} hint={VISUALS.find((v) => v.kind === scene.visual)?.hint}>
            {(id) => (
              <select
                id={id}
                className="w-full rounded border border-slate-300 px-2 py-1 text-sm"
                value={scene.visual}
                onChange={(e) => change(i, { visual: e.target.value as VisualKind })}
              >
                {VISUALS.map((v) => (
                  <option key={v.kind} value={v.kind}>
                    {v.label}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label={`Scene ${i + 1} search words`} hint="Up to 4 words your library's files are found by">
            {(id) => <Input id={id} value={scene.searchText} onChange={(e) => change(i, { searchText: e.target.value })} />}
          </Field>
          <div className="flex gap-2">
            {scenes.length < MAX_SCENES && (
              <Button type="button" variant="outline" onClick={() => split(i)}>
                Add a scene after
              </Button>
            )}
            {scenes.length > 1 && (
              <Button type="button" variant="outline" onClick={() => remove(i)}>
                Remove scene {i + 1}
              </Button>
            )}
          </div>
        </fieldset>
      ))}
      {save.error && <ErrorMessage error={save.error} />}
      <div className="flex gap-2">
        <Button type="submit" disabled={save.isPending}>
          Save scenes
        </Button>
        <Button type="button" variant="outline" onClick={onDone}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
