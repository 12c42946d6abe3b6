import { useQuery } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import { call, client, type Schemas } from "../../lib/api";
import { useOrg } from "../../lib/session";
import { Button } from "../ui/button";
import { Card, CardTitle } from "../ui/card";
import { ErrorMessage, Loading, Notice } from "../ui/feedback";
import { Checkbox } from "../ui/input";
import { formatDuration } from "./format";
import { slotKeys, slotPath, useSlotMutation } from "./slotApi";

type Gate = Schemas["GateView"];

const PRIVACY_LABELS: Record<string, string> = {
  PUBLIC_TO_EVERYONE: "Everyone",
  MUTUAL_FOLLOW_FRIENDS: "Friends",
  FOLLOWER_OF_CREATOR: "Followers",
  SELF_ONLY: "Only me",
};

/** TikTok's required choices before a post, against the account's live options (editors and up). */
export function PublishGate({ slotId }: { slotId: string }) {
  const { orgId } = useOrg();
  const gate = useQuery({
    queryKey: slotKeys(orgId, slotId).gate,
    queryFn: () => call(client.GET("/api/orgs/{org_id}/slots/{slot_id}/publish-gate", slotPath(orgId, slotId))),
  });
  return (
    <Card className="space-y-3">
      <CardTitle>Post to TikTok</CardTitle>
      {gate.data ? (
        <GateForm slotId={slotId} gate={gate.data} />
      ) : gate.error ? (
        <ErrorMessage error={gate.error} />
      ) : (
        <Loading label="Asking TikTok about the account" />
      )}
    </Card>
  );
}

interface Choice {
  privacy_level: string | null;
  allow_comment: boolean;
  allow_duet: boolean;
  allow_stitch: boolean;
  disclose: boolean;
  brand_organic: boolean;
  branded_content: boolean;
  consent: boolean;
  post_now: boolean;
}

// TikTok's rules: nothing is chosen for the person, every toggle starts off.
const NOTHING_CHOSEN: Choice = {
  privacy_level: null,
  allow_comment: false,
  allow_duet: false,
  allow_stitch: false,
  disclose: false,
  brand_organic: false,
  branded_content: false,
  consent: false,
  post_now: false,
};

const isBranded = (c: Choice) => c.disclose && c.branded_content;

function GateForm({ slotId, gate }: { slotId: string; gate: Gate }) {
  const { orgId } = useOrg();
  const privacyName = useId();
  const [choice, setChoice] = useState(NOTHING_CHOSEN);
  const change = (patch: Partial<Choice>) =>
    setChoice((before) => {
      const after = { ...before, ...patch };
      if (isBranded(after) !== isBranded(before)) {
        // The consent was given to the other text; and branded content cannot be private.
        after.consent = false;
        if (isBranded(after) && after.privacy_level === "SELF_ONLY") after.privacy_level = null;
      }
      return after;
    });
  const publish = useSlotMutation(slotId, (body: Schemas["PublishInput"]) =>
    call(client.POST("/api/orgs/{org_id}/slots/{slot_id}/publish", { ...slotPath(orgId, slotId), body })),
  );
  const branded = isBranded(choice);
  const consentText = branded ? gate.branded_consent_text : gate.consent_text;
  const disclosureIncomplete = choice.disclose && !choice.brand_organic && !choice.branded_content;
  const ready = choice.privacy_level !== null && choice.consent && !disclosureIncomplete && gate.can_post;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!ready || choice.privacy_level === null) return;
    publish.mutate({
      privacy_level: choice.privacy_level,
      allow_comment: choice.allow_comment,
      allow_duet: choice.allow_duet,
      allow_stitch: choice.allow_stitch,
      brand_organic: choice.disclose && choice.brand_organic,
      branded_content: branded,
      consent: true,
      post_now: choice.post_now,
    });
  };
  return (
    <form onSubmit={submit} className="space-y-4 text-sm">
      <p>
        Posting as <span className="font-medium">{gate.creator_nickname}</span> (@{gate.creator_username})
      </p>
      <p className="break-words text-slate-600">
        <span className="font-medium text-slate-800">Caption on TikTok:</span> {gate.title}
      </p>
      {gate.post_mode === "inbox" && (
        <Notice>The video goes to the creator's TikTok inbox; they finish posting it in the TikTok app.</Notice>
      )}
      {!gate.can_post && (
        <Notice tone="warn">
          This video is {gate.video_duration_sec != null ? formatDuration(gate.video_duration_sec) : "too"} long: this
          account may post videos of at most {gate.max_video_post_duration_sec} seconds. Shorten the script and render
          it again.
        </Notice>
      )}
      <fieldset className="space-y-1">
        <legend className="mb-1 font-medium">Who can view this video</legend>
        {gate.privacy_level_options.map((option) => {
          // TikTok forbids private branded content.
          const forbidden = branded && option === "SELF_ONLY";
          return (
            <label key={option} className="flex items-center gap-2">
              <input
                type="radio"
                name={privacyName}
                value={option}
                className="h-4 w-4 accent-slate-900"
                checked={choice.privacy_level === option}
                disabled={forbidden}
                onChange={() => change({ privacy_level: option })}
              />
              <span className={forbidden ? "text-slate-400" : undefined}>{PRIVACY_LABELS[option] ?? option}</span>
            </label>
          );
        })}
        {branded && gate.privacy_level_options.includes("SELF_ONLY") && (
          <p className="text-xs text-slate-500">Branded content cannot be private.</p>
        )}
      </fieldset>
      <fieldset className="space-y-1">
        <legend className="mb-1 font-medium">Interactions</legend>
        <Checkbox
          label="Allow comments"
          checked={choice.allow_comment}
          disabled={gate.comment_disabled}
          onChange={(e) => change({ allow_comment: e.target.checked })}
        />
        <Checkbox
          label="Allow duet"
          checked={choice.allow_duet}
          disabled={gate.duet_disabled}
          onChange={(e) => change({ allow_duet: e.target.checked })}
        />
        <Checkbox
          label="Allow stitch"
          checked={choice.allow_stitch}
          disabled={gate.stitch_disabled}
          onChange={(e) => change({ allow_stitch: e.target.checked })}
        />
        {(gate.comment_disabled || gate.duet_disabled || gate.stitch_disabled) && (
          <p className="text-xs text-slate-500">Greyed-out interactions are turned off in the creator's TikTok settings.</p>
        )}
      </fieldset>
      <div className="space-y-1">
        <Checkbox
          label="Disclose commercial content"
          checked={choice.disclose}
          onChange={(e) => change({ disclose: e.target.checked })}
        />
        {choice.disclose && (
          <div className="space-y-1 pl-6">
            <Checkbox
              label="Your brand"
              checked={choice.brand_organic}
              onChange={(e) => change({ brand_organic: e.target.checked })}
            />
            <p className="pl-6 text-xs text-slate-500">You promote yourself or your own business: “Promotional content”.</p>
            <Checkbox
              label="Branded content"
              checked={choice.branded_content}
              onChange={(e) => change({ branded_content: e.target.checked })}
            />
            <p className="pl-6 text-xs text-slate-500">You promote another brand or a third party: “Paid partnership”.</p>
            {disclosureIncomplete && (
              <p className="text-xs text-amber-800">Choose whose brand the video promotes.</p>
            )}
          </div>
        )}
      </div>
      <Checkbox
        label="Post now instead of at the slot's time"
        checked={choice.post_now}
        onChange={(e) => change({ post_now: e.target.checked })}
      />
      <Checkbox label={consentText} checked={choice.consent} onChange={(e) => change({ consent: e.target.checked })} />
      <ErrorMessage error={publish.error} />
      <Button type="submit" disabled={!ready || publish.isPending}>
        Publish to TikTok
      </Button>
      {!ready && gate.can_post && (
        <p className="text-xs text-slate-500">Choose who can view the video and accept the terms to publish.</p>
      )}
    </form>
  );
}
