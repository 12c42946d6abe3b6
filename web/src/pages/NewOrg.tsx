import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router";
import { Button } from "../components/ui/button";
import { ErrorMessage } from "../components/ui/feedback";
import { Field, Input } from "../components/ui/input";
import { call, client } from "../lib/api";
import { useMe } from "../lib/session";
import { AuthFrame } from "./auth/AuthFrame";

export function NewOrg() {
  const [name, setName] = useState("");
  const me = useMe();
  const navigate = useNavigate();
  const queries = useQueryClient();
  const create = useMutation({
    mutationFn: () => call(client.POST("/api/orgs", { body: { name } })),
    onSuccess: async (org) => {
      // The org layout admits only orgs listed in ["me"], so it must be fresh before going there.
      await queries.invalidateQueries({ queryKey: ["me"], refetchType: "all" });
      navigate(`/orgs/${org.id}`);
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  const hasOrgs = (me.data?.orgs.length ?? 0) > 0;
  return (
    <AuthFrame title="New organisation">
      {!hasOrgs && (
        <p className="mb-3 text-sm text-slate-600">
          Projects, videos and TikTok accounts belong to an organisation. Create one to start; you can invite others later.
        </p>
      )}
      <form onSubmit={submit} className="space-y-3">
        <Field label="Organisation name">
          {(id) => <Input id={id} required autoComplete="organization" value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <ErrorMessage error={create.error} />
        <Button type="submit" className="w-full" disabled={create.isPending}>
          {create.isPending ? "Creating…" : "Create organisation"}
        </Button>
      </form>
      {hasOrgs && (
        <p className="mt-4 text-sm">
          <Link className="underline" to="/">
            Back to your organisations
          </Link>
        </p>
      )}
    </AuthFrame>
  );
}
