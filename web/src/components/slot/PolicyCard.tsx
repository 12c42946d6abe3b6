import { useState, type FormEvent } from "react";
import { call, client, type Schemas } from "../../lib/api";
import { useOrg } from "../../lib/session";
import { Button } from "../ui/button";
import { Card, CardTitle } from "../ui/card";
import { ErrorMessage, Notice } from "../ui/feedback";
import { Field, Input } from "../ui/input";
import { slotPath, useSlotMutation } from "./slotApi";

const MOMENT: Record<Schemas["Moment"], string> = {
  before_render: "before the render",
  before_publish: "before the post",
};

/** The content policy's hold on a slot: which rules stop it and why, and an admin's override with a reason. */
export function PolicyCard({ slot }: { slot: Schemas["SlotView"] }) {
  const org = useOrg();
  const [reason, setReason] = useState("");
  const override = useSlotMutation(slot.id, (body: Schemas["OverrideInput"]) =>
    call(client.POST("/api/orgs/{org_id}/slots/{slot_id}/policy-override", { ...slotPath(org.orgId, slot.id), body })),
  );
  const block = slot.policy_block;
  const granted = slot.policy_override;
  if (!block && !granted) return null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    override.mutate({ reason });
  };
  return (
    <Card className="space-y-3">
      <CardTitle>Content policy</CardTitle>
      {block && (
        <>
          <Notice tone="warn">
            Stopped {MOMENT[block.moment]}: a rule blocks this slot. Edit the text (reject it first once it is rendered) and
            approve it again, or an admin can let this version through.
          </Notice>
          <ul className="space-y-1 text-sm" aria-label="Blocking rules">
            {block.findings.map((f, i) => (
              <li key={i} className="rounded bg-red-50 px-2 py-1 text-red-900">
                <span className="font-medium">{f.rule}:</span> {f.reason}
              </li>
            ))}
          </ul>
          {org.can("manage_policy") ? (
            <form onSubmit={submit} className="flex flex-wrap items-end gap-2">
              <div className="min-w-48 flex-1">
                <Field label="Why it may go out anyway" hint="Recorded in the audit trail with your name.">
                  {(id) => (
                    <Input id={id} required minLength={3} maxLength={500} value={reason} onChange={(e) => setReason(e.target.value)} />
                  )}
                </Field>
              </div>
              <Button type="submit" disabled={override.isPending}>
                Override and continue
              </Button>
            </form>
          ) : (
            <p className="text-sm text-slate-600">Only admins and the owner can override a rule.</p>
          )}
        </>
      )}
      {granted && !block && (
        <p className="text-sm text-slate-700">
          {granted.version === slot.version ? "This version was let through" : `Version ${granted.version} was let through`}{" "}
          the rules {granted.findings.map((f) => f.rule).join(", ")}: “{granted.reason}”.
        </p>
      )}
      <ErrorMessage error={override.error} />
    </Card>
  );
}
