import { call, client, type Schemas } from "../../lib/api";
import { useOrg } from "../../lib/session";
import { Button } from "../ui/button";
import { Card, CardTitle } from "../ui/card";
import { ErrorMessage, Loading } from "../ui/feedback";
import { Field, Input } from "../ui/input";
import { humanize } from "./format";
import { slotPath, useSlotMutation } from "./slotApi";

type Slot = Schemas["SlotView"];

/** What the API accepts as a background. */
const BACKGROUND_TYPES = "image/jpeg,image/png,video/mp4,video/quicktime";

/** Statuses whose video is being made or already posted: the API refuses a new background. */
const FIXED: Slot["status"][] = ["rendering", "publishing", "published"];

/** The upload shown behind the captions (editors and up). */
export function BackgroundCard({ slot }: { slot: Slot }) {
  const { orgId } = useOrg();
  const setBackground = useSlotMutation(slot.id, async (file: File | null) => {
    const asset = file
      ? await call(
          client.POST("/api/orgs/{org_id}/uploads", {
            // Named by its file, so scenes of other slots can find it in the library.
            params: { path: { org_id: orgId }, query: { name: file.name } },
            // The API takes the raw bytes, typed by their content type.
            body: file as never,
            bodySerializer: (body) => body,
            headers: { "content-type": file.type },
          }),
        )
      : null;
    return call(
      client.PUT("/api/orgs/{org_id}/slots/{slot_id}/background", {
        ...slotPath(orgId, slot.id),
        body: { asset_id: asset?.id ?? null },
      }),
    );
  });
  return (
    <Card className="space-y-3">
      <CardTitle>Background</CardTitle>
      <p className="text-sm text-slate-600">
        {slot.background_asset_id
          ? "An uploaded image or clip plays behind the captions."
          : "A plain colour is behind the captions."}
      </p>
      {FIXED.includes(slot.status) ? (
        <p className="text-sm text-slate-500">The background cannot change while the slot is {humanize(slot.status)}.</p>
      ) : (
        <>
          <Field
            label="Background image or clip"
            hint="JPEG, PNG, MP4 or QuickTime, up to 200 MB. A rendered video changes when it is rendered again."
          >
            {(id) => (
              <Input
                id={id}
                type="file"
                accept={BACKGROUND_TYPES}
                className="h-auto py-1.5"
                disabled={setBackground.isPending}
                onChange={(e) => {
                  const file = e.target.files?.[0];
                  if (file) setBackground.mutate(file);
                  // Choosing the same file again should upload it again.
                  e.target.value = "";
                }}
              />
            )}
          </Field>
          {slot.background_asset_id && (
            <Button variant="outline" onClick={() => setBackground.mutate(null)} disabled={setBackground.isPending}>
              Use a plain colour
            </Button>
          )}
        </>
      )}
      {setBackground.isPending && <Loading label="Saving the background" />}
      <ErrorMessage error={setBackground.error} />
    </Card>
  );
}
