import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Badge } from "../components/ui/badge";
import { Button } from "../components/ui/button";
import { Card, CardTitle } from "../components/ui/card";
import { Empty, ErrorMessage, Loading, Notice, PageHeader } from "../components/ui/feedback";
import { Field, Input, Select } from "../components/ui/input";
import { call, client, type Schemas } from "../lib/api";
import { useOrg } from "../lib/session";

type Rule = Schemas["RuleView"];
type RuleTest = Schemas["RuleTest"];
type Kind = RuleTest["kind"];
type Severity = Schemas["Severity"];

const KINDS: Record<Kind, { label: string; field: string; hint: string }> = {
  terms: { label: "Blocked words or phrases", field: "Words", hint: "Comma-separated; matched as whole words, in any case." },
  pattern: { label: "Regular expression", field: "Pattern", hint: "Matched case-insensitively, e.g. \\b\\d+% off\\b" },
  category: { label: "Claim category", field: "Category", hint: "" },
  classifier: {
    label: "Question for the model",
    field: "Question",
    hint: "A yes/no question; yes breaks the rule. The model asks it of every draft and before render and post.",
  },
};

const CATEGORIES: Record<string, string> = {
  medical_claims: "Medical claims",
  financial_promises: "Financial promises",
  gambling: "Gambling",
  weapons: "Weapons",
  drugs: "Drugs",
  dangerous_challenges: "Dangerous challenges",
  hate: "Hate",
};

/** What a rule looks for, in words. */
function describe(test: RuleTest): string {
  switch (test.kind) {
    case "terms":
      return `Says any of: ${test.terms.join(", ")}`;
    case "pattern":
      return `Matches /${test.pattern}/i`;
    case "category":
      return `Claims: ${CATEGORIES[test.category] ?? test.category}`;
    case "classifier":
      return `The model answers yes to: ${test.question}`;
  }
}

const rulesKey = (orgId: string) => ["org", orgId, "policy-rules"];

/** The org's content policy: its own rules beside TikTok's guideline categories, which always run. */
export function Policy() {
  const org = useOrg();
  const rules = useQuery({
    queryKey: rulesKey(org.orgId),
    queryFn: () => call(client.GET("/api/orgs/{org_id}/policy/rules", { params: { path: { org_id: org.orgId } } })),
  });
  const canManage = org.can("manage_policy");
  return (
    <div className="space-y-6">
      <PageHeader title="Content policy" />
      <p className="text-sm text-slate-600">
        Rules run on every draft (a draft that breaks a blocking rule is sent back to the model), again before a video is
        rendered and again before it is posted. A blocking rule stops the slot until its text changes or an admin overrides
        it with a reason. TikTok's guideline categories (medical claims, financial promises, gambling, weapons, drugs,
        dangerous challenges, hate) always block.
      </p>
      {canManage ? (
        <NewRuleForm />
      ) : (
        <Notice tone="info">Only admins and the owner change the rules; you can read them.</Notice>
      )}
      {rules.isPending ? (
        <Loading />
      ) : rules.isError ? (
        <ErrorMessage error={rules.error} />
      ) : rules.data.length === 0 ? (
        <Empty title="No rules of your own yet">Only TikTok's guideline categories apply.</Empty>
      ) : (
        <ul className="space-y-3">
          {rules.data.map((rule) => (
            <li key={rule.id}>
              <RuleCard rule={rule} canManage={canManage} />
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function testOf(kind: Kind, value: string): RuleTest {
  switch (kind) {
    case "terms":
      return { kind, terms: value.split(",").map((t) => t.trim()).filter(Boolean) };
    case "pattern":
      return { kind, pattern: value };
    case "category":
      return { kind, category: value };
    case "classifier":
      return { kind, question: value };
  }
}

function NewRuleForm() {
  const org = useOrg();
  const queries = useQueryClient();
  const [name, setName] = useState("");
  const [kind, setKind] = useState<Kind>("terms");
  const [value, setValue] = useState("");
  const [severity, setSeverity] = useState<Severity>("block");
  const save = useMutation({
    mutationFn: (body: Schemas["NewRule"]) =>
      call(client.POST("/api/orgs/{org_id}/policy/rules", { params: { path: { org_id: org.orgId } }, body })),
    onSuccess: () => {
      setName("");
      setValue("");
      return queries.invalidateQueries({ queryKey: rulesKey(org.orgId) });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate({ name, severity, test: testOf(kind, kind === "category" && !value ? "medical_claims" : value) });
  };
  const chooseKind = (next: Kind) => {
    setKind(next);
    setValue(next === "category" ? "medical_claims" : "");
  };
  return (
    <Card>
      <CardTitle>Add a rule</CardTitle>
      <form onSubmit={submit} className="space-y-3">
        <div className="grid gap-3 sm:grid-cols-3">
          <Field label="Name">
            {(id) => <Input id={id} required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />}
          </Field>
          <Field label="Kind">
            {(id) => (
              <Select id={id} value={kind} onChange={(e) => chooseKind(e.target.value as Kind)}>
                {Object.entries(KINDS).map(([k, { label }]) => (
                  <option key={k} value={k}>
                    {label}
                  </option>
                ))}
              </Select>
            )}
          </Field>
          <Field label="Severity">
            {(id) => (
              <Select id={id} value={severity} onChange={(e) => setSeverity(e.target.value as Severity)}>
                <option value="block">Block: stop the slot</option>
                <option value="warn">Warn: leave a note</option>
              </Select>
            )}
          </Field>
        </div>
        <Field label={KINDS[kind].field} hint={KINDS[kind].hint || undefined}>
          {(id) =>
            kind === "category" ? (
              <Select id={id} value={value} onChange={(e) => setValue(e.target.value)}>
                {Object.entries(CATEGORIES).map(([c, label]) => (
                  <option key={c} value={c}>
                    {label}
                  </option>
                ))}
              </Select>
            ) : (
              <Input id={id} required maxLength={500} value={value} onChange={(e) => setValue(e.target.value)} />
            )
          }
        </Field>
        {save.isSuccess && <Notice tone="good">Added {save.data.name}; it applies from the next check.</Notice>}
        <ErrorMessage error={save.error} />
        <Button type="submit" disabled={save.isPending}>
          Add rule
        </Button>
      </form>
    </Card>
  );
}

function RuleCard({ rule, canManage }: { rule: Rule; canManage: boolean }) {
  const org = useOrg();
  const queries = useQueryClient();
  const path = { org_id: org.orgId, rule_id: rule.id };
  const refresh = () => queries.invalidateQueries({ queryKey: rulesKey(org.orgId) });
  const toggle = useMutation({
    mutationFn: () =>
      call(client.PATCH("/api/orgs/{org_id}/policy/rules/{rule_id}", { params: { path }, body: { enabled: !rule.enabled } })),
    onSuccess: refresh,
  });
  const remove = useMutation({
    mutationFn: () => call(client.DELETE("/api/orgs/{org_id}/policy/rules/{rule_id}", { params: { path } })),
    onSuccess: refresh,
  });
  const confirmAndRemove = () => {
    if (window.confirm(`Remove the rule ${rule.name}?`)) remove.mutate();
  };
  return (
    <Card className="space-y-2">
      <div className="flex flex-wrap items-start justify-between gap-2">
        <div className="min-w-0">
          <p className="font-medium break-words">
            {rule.name}{" "}
            <Badge tone={rule.severity === "block" ? "bad" : "warn"}>{rule.severity === "block" ? "blocks" : "warns"}</Badge>{" "}
            {!rule.enabled && <Badge>off</Badge>}
          </p>
          <p className="text-sm break-words text-slate-600">{describe(rule.test)}</p>
        </div>
        {canManage && (
          <div className="flex flex-wrap gap-2">
            <Button variant="outline" size="sm" onClick={() => toggle.mutate()} disabled={toggle.isPending}>
              {rule.enabled ? "Turn off" : "Turn on"}
            </Button>
            <Button variant="destructive" size="sm" onClick={confirmAndRemove} disabled={remove.isPending}>
              Remove
            </Button>
          </div>
        )}
      </div>
      <ErrorMessage error={toggle.error} />
      <ErrorMessage error={remove.error} />
    </Card>
  );
}
