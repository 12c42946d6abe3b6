import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router";
import { call, client } from "../../lib/api";
import { useOrg } from "../../lib/session";
import { Button } from "../ui/button";
import { Card, CardTitle } from "../ui/card";
import { ErrorMessage } from "../ui/feedback";
import { Field, Input, Textarea } from "../ui/input";
import { DEFAULT_POSTING_TIMES, fieldError, parsePostingTimes } from "./forms";
import { projectsKey } from "./queries";

/** Creates a project (admins and owners) and opens it. */
export function NewProjectForm({ onCancel }: { onCancel: () => void }) {
  const org = useOrg();
  const navigate = useNavigate();
  const queries = useQueryClient();
  const [form, setForm] = useState({
    name: "",
    niche: "",
    audience: "",
    brand_voice: "",
    timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    posting_times: DEFAULT_POSTING_TIMES,
  });
  const create = useMutation({
    mutationFn: () =>
      call(
        client.POST("/api/orgs/{org_id}/projects", {
          params: { path: { org_id: org.orgId } },
          body: { ...form, posting_times: parsePostingTimes(form.posting_times) },
        }),
      ),
    onSuccess: (project) => {
      void queries.invalidateQueries({ queryKey: projectsKey(org.orgId) });
      navigate(`/orgs/${org.orgId}/projects/${project.id}`);
    },
  });
  const text = (key: keyof typeof form) => ({
    value: form[key],
    onChange: (e: { target: { value: string } }) => setForm({ ...form, [key]: e.target.value }),
  });
  const error = (field: string) => fieldError(create.error, field);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <Card>
      <CardTitle>New project</CardTitle>
      <form onSubmit={submit} className="space-y-3">
        <div className="grid gap-3 sm:grid-cols-2">
          <Field label="Name" error={error("name")}>
            {(id) => <Input id={id} required maxLength={120} {...text("name")} />}
          </Field>
          <Field label="Niche" hint="What the account is about" error={error("niche")}>
            {(id) => <Input id={id} {...text("niche")} />}
          </Field>
          <Field label="Audience" hint="Who it speaks to" error={error("audience")}>
            {(id) => <Input id={id} {...text("audience")} />}
          </Field>
          <Field label="Timezone" hint="An IANA time zone such as Europe/Berlin" error={error("timezone")}>
            {(id) => <Input id={id} required {...text("timezone")} />}
          </Field>
        </div>
        <Field label="Brand voice" hint="How the posts should sound" error={error("brand_voice")}>
          {(id) => <Textarea id={id} {...text("brand_voice")} />}
        </Field>
        <Field label="Posting times" hint="Comma-separated HH:MM, 1 to 6 a day" error={error("posting_times")}>
          {(id) => <Input id={id} required {...text("posting_times")} />}
        </Field>
        <ErrorMessage error={create.error} />
        <div className="flex flex-wrap gap-2">
          <Button type="submit" disabled={create.isPending}>
            Create project
          </Button>
          <Button variant="outline" onClick={onCancel}>
            Cancel
          </Button>
        </div>
      </form>
    </Card>
  );
}
