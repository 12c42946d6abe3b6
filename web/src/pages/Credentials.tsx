import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { StatusBadge } from "../components/ui/badge";
import { Button } from "../components/ui/button";
import { Card, CardTitle } from "../components/ui/card";
import { Empty, ErrorMessage, Loading, Notice, PageHeader } from "../components/ui/feedback";
import { Field, Input, Select } from "../components/ui/input";
import { call, client, type Schemas } from "../lib/api";
import { useOrg } from "../lib/session";

type Credential = Schemas["CredentialView"];
type Provider = Schemas["CredentialInput"]["provider"];

const PROVIDERS: Record<string, string> = { llm: "LLM API key", tiktok: "TikTok app secret" };

export function Credentials() {
  const org = useOrg();
  if (!org.can("manage_credentials")) {
    return (
      <>
        <PageHeader title="Credentials" />
        <Notice tone="warn">Only admins and the owner can manage this organisation's credentials.</Notice>
      </>
    );
  }
  return <CredentialsManager />;
}

const credentialsKey = (orgId: string) => ["org", orgId, "credentials"];

function CredentialsManager() {
  const org = useOrg();
  const credentials = useQuery({
    queryKey: credentialsKey(org.orgId),
    queryFn: () => call(client.GET("/api/orgs/{org_id}/credentials", { params: { path: { org_id: org.orgId } } })),
  });
  return (
    <div className="space-y-6">
      <PageHeader title="Credentials" />
      <p className="text-sm text-slate-600">
        Keys this organisation uses instead of the platform's. They go to the secret store and are never shown again; you see a
        fingerprint and the last four characters.
      </p>
      <NewCredentialForm />
      {credentials.isPending ? (
        <Loading />
      ) : credentials.isError ? (
        <ErrorMessage error={credentials.error} />
      ) : credentials.data.length === 0 ? (
        <Empty title="No credentials yet">Add one with the form above.</Empty>
      ) : (
        <ul className="space-y-3">
          {credentials.data.map((c) => (
            <li key={c.id}>
              <CredentialCard credential={c} />
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

// Secrets live only in a field's state until they are sent, and are cleared then; the API never returns them.
function NewCredentialForm() {
  const org = useOrg();
  const queries = useQueryClient();
  const [provider, setProvider] = useState<Provider>("llm");
  const [label, setLabel] = useState("");
  const [secret, setSecret] = useState("");
  const save = useMutation({
    mutationFn: (body: Schemas["CredentialInput"]) =>
      call(client.POST("/api/orgs/{org_id}/credentials", { params: { path: { org_id: org.orgId } }, body })),
    onSuccess: () => {
      setSecret("");
      setLabel("");
      return queries.invalidateQueries({ queryKey: credentialsKey(org.orgId) });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate({ provider, label, secret });
  };
  return (
    <Card>
      <CardTitle>Add a credential</CardTitle>
      <form onSubmit={submit} className="space-y-3">
        <div className="grid gap-3 sm:grid-cols-2">
          <Field label="Provider">
            {(id) => (
              <Select id={id} value={provider} onChange={(e) => setProvider(e.target.value as Provider)}>
                {Object.entries(PROVIDERS).map(([value, name]) => (
                  <option key={value} value={value}>
                    {name}
                  </option>
                ))}
              </Select>
            )}
          </Field>
          <Field label="Label">
            {(id) => <Input id={id} required value={label} onChange={(e) => setLabel(e.target.value)} />}
          </Field>
        </div>
        <Field label="Secret">
          {(id) => (
            <Input id={id} type="password" autoComplete="off" required value={secret} onChange={(e) => setSecret(e.target.value)} />
          )}
        </Field>
        {save.isSuccess && (
          <Notice tone="good">
            Saved {save.data.label} (…{save.data.last4}).
          </Notice>
        )}
        <ErrorMessage error={save.error} />
        <Button type="submit" disabled={save.isPending}>
          Save credential
        </Button>
      </form>
    </Card>
  );
}

function CredentialCard({ credential: c }: { credential: Credential }) {
  const org = useOrg();
  const queries = useQueryClient();
  const [rotating, setRotating] = useState(false);
  const [newSecret, setNewSecret] = useState("");
  const path = { org_id: org.orgId, credential_id: c.id };
  const refresh = () => queries.invalidateQueries({ queryKey: credentialsKey(org.orgId) });
  const rotate = useMutation({
    mutationFn: (secret: string) =>
      call(client.POST("/api/orgs/{org_id}/credentials/{credential_id}/rotate", { params: { path }, body: { secret } })),
    onSuccess: () => {
      setNewSecret("");
      setRotating(false);
      return refresh();
    },
  });
  const confirm = useMutation({
    mutationFn: () => call(client.POST("/api/orgs/{org_id}/credentials/{credential_id}/confirm", { params: { path } })),
    onSuccess: refresh,
  });
  const revoke = useMutation({
    mutationFn: () => call(client.DELETE("/api/orgs/{org_id}/credentials/{credential_id}", { params: { path } })),
    onSuccess: refresh,
  });
  const active = c.status === "active";
  const submitRotation = (e: FormEvent) => {
    e.preventDefault();
    rotate.mutate(newSecret);
  };
  const confirmAndRevoke = () => {
    if (window.confirm(`Revoke ${c.label}? Every stored version is destroyed.`)) revoke.mutate();
  };
  return (
    <Card className="space-y-3">
      <div className="flex flex-wrap items-start justify-between gap-2">
        <div className="min-w-0">
          <p className="font-medium break-words">
            {c.label} <StatusBadge status={c.status} />
          </p>
          <p className="text-sm text-slate-600">{PROVIDERS[c.provider] ?? c.provider}</p>
        </div>
        {active && (
          <div className="flex flex-wrap gap-2">
            <Button variant="outline" size="sm" onClick={() => setRotating(!rotating)} aria-expanded={rotating}>
              Rotate
            </Button>
            <Button variant="destructive" size="sm" onClick={confirmAndRevoke} disabled={revoke.isPending}>
              Revoke
            </Button>
          </div>
        )}
      </div>
      <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-sm">
        <dt className="text-slate-500">Fingerprint</dt>
        <dd className="font-mono break-all">{c.fingerprint}</dd>
        <dt className="text-slate-500">Last 4</dt>
        <dd className="font-mono">…{c.last4}</dd>
        <dt className="text-slate-500">Version</dt>
        <dd>{c.version}</dd>
      </dl>
      {c.pending && (
        <div className="flex flex-wrap items-center justify-between gap-2 rounded-md border border-amber-200 bg-amber-50 p-3 text-sm">
          <p className="min-w-0 break-all">
            Version {c.pending.version} (…{c.pending.last4}, {c.pending.fingerprint}) waits for confirmation; version{" "}
            {c.version} stays in use until then.
          </p>
          <Button size="sm" onClick={() => confirm.mutate()} disabled={confirm.isPending}>
            Confirm rotation
          </Button>
        </div>
      )}
      {rotating && active && (
        <form onSubmit={submitRotation} className="flex flex-wrap items-end gap-2">
          <div className="min-w-48 flex-1">
            <Field label="New secret">
              {(id) => (
                <Input
                  id={id}
                  type="password"
                  autoComplete="off"
                  required
                  value={newSecret}
                  onChange={(e) => setNewSecret(e.target.value)}
                />
              )}
            </Field>
          </div>
          <Button type="submit" disabled={rotate.isPending}>
            Store new version
          </Button>
        </form>
      )}
      <ErrorMessage error={rotate.error} />
      <ErrorMessage error={confirm.error} />
      <ErrorMessage error={revoke.error} />
    </Card>
  );
}
