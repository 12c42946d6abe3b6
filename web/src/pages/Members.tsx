import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router";
import { Badge } from "../components/ui/badge";
import { Button } from "../components/ui/button";
import { Card, CardTitle } from "../components/ui/card";
import { Empty, ErrorMessage, Loading, Notice, PageHeader } from "../components/ui/feedback";
import { Field, Input, Select } from "../components/ui/input";
import { call, client, type Schemas } from "../lib/api";
import { useOrg } from "../lib/session";

type Role = Schemas["Role"];
type Member = Schemas["MemberView"];

/** The roles a member can be given; ownership only moves by transfer. */
const ASSIGNABLE_ROLES: Role[] = ["viewer", "editor", "admin"];

export function Members() {
  const org = useOrg();
  const members = useQuery({
    queryKey: ["org", org.orgId, "members"],
    queryFn: () => call(client.GET("/api/orgs/{org_id}/members", { params: { path: { org_id: org.orgId } } })),
  });
  return (
    <div className="space-y-6">
      <PageHeader title="Members" />
      {members.isPending ? (
        <Loading />
      ) : members.isError ? (
        <ErrorMessage error={members.error} />
      ) : (
        <MemberTable members={members.data} />
      )}
      {org.can("manage_members") && (
        <div className="grid gap-6 md:grid-cols-2">
          <InviteForm />
          <PendingInvitations />
        </div>
      )}
      {org.can("rename_org") && <RenameOrg />}
      {members.data && org.can("transfer_ownership") && <TransferOwnership members={members.data} />}
      {org.can("delete_org") && <DeleteOrg />}
    </div>
  );
}

function MemberTable({ members }: { members: Member[] }) {
  const org = useOrg();
  const queries = useQueryClient();
  const manage = org.can("manage_members");
  const refresh = () => queries.invalidateQueries({ queryKey: ["org", org.orgId, "members"] });
  const changeRole = useMutation({
    mutationFn: ({ userId, role }: { userId: string; role: Role }) =>
      call(
        client.PATCH("/api/orgs/{org_id}/members/{user_id}", {
          params: { path: { org_id: org.orgId, user_id: userId } },
          body: { role },
        }),
      ),
    onSuccess: refresh,
  });
  const remove = useMutation({
    mutationFn: (userId: string) =>
      call(client.DELETE("/api/orgs/{org_id}/members/{user_id}", { params: { path: { org_id: org.orgId, user_id: userId } } })),
    onSuccess: refresh,
  });
  // While a change is on its way the select shows the chosen role, not the old one.
  const shownRole = (m: Member) =>
    changeRole.isPending && changeRole.variables.userId === m.user_id ? changeRole.variables.role : m.role;
  if (members.length === 0) return <Empty title="No members" />;
  return (
    <div className="space-y-2">
      <ErrorMessage error={changeRole.error} />
      <ErrorMessage error={remove.error} />
      <Card className="overflow-x-auto p-0">
        <table className="w-full min-w-[36rem] text-left text-sm">
          <thead className="border-b border-slate-200 text-xs text-slate-500">
            <tr>
              <th className="p-3 font-medium">Name</th>
              <th className="p-3 font-medium">Email</th>
              <th className="p-3 font-medium">Role</th>
              <th className="p-3 font-medium">Joined</th>
              {manage && <th className="p-3" />}
            </tr>
          </thead>
          <tbody>
            {members.map((m) => (
              <tr key={m.user_id} className="border-b border-slate-100 last:border-0">
                <td className="p-3">{m.display_name}</td>
                <td className="p-3 break-all">{m.email}</td>
                <td className="p-3">
                  {manage && m.role !== "owner" ? (
                    <Select
                      aria-label={`Role of ${m.email}`}
                      className="w-28"
                      value={shownRole(m)}
                      disabled={changeRole.isPending}
                      onChange={(e) => changeRole.mutate({ userId: m.user_id, role: e.target.value as Role })}
                    >
                      {ASSIGNABLE_ROLES.map((r) => (
                        <option key={r} value={r}>
                          {r}
                        </option>
                      ))}
                    </Select>
                  ) : (
                    <Badge tone={m.role === "owner" ? "info" : "neutral"}>{m.role}</Badge>
                  )}
                </td>
                <td className="p-3 whitespace-nowrap">{new Date(m.joined_at).toLocaleDateString()}</td>
                {manage && (
                  <td className="p-3 text-right">
                    {m.role !== "owner" && (
                      <Button variant="outline" size="sm" onClick={() => remove.mutate(m.user_id)} disabled={remove.isPending}>
                        Remove
                      </Button>
                    )}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </Card>
    </div>
  );
}

function InviteForm() {
  const org = useOrg();
  const queries = useQueryClient();
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("viewer");
  const invite = useMutation({
    mutationFn: (body: Schemas["NewInvitation"]) =>
      call(client.POST("/api/orgs/{org_id}/invitations", { params: { path: { org_id: org.orgId } }, body })),
    onSuccess: () => {
      setEmail("");
      return queries.invalidateQueries({ queryKey: ["org", org.orgId, "invitations"] });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    invite.mutate({ email, role });
  };
  return (
    <Card>
      <CardTitle>Invite someone</CardTitle>
      <form onSubmit={submit} className="space-y-3">
        <Field label="Email">
          {(id) => <Input id={id} type="email" required value={email} onChange={(e) => setEmail(e.target.value)} />}
        </Field>
        <Field label="Role">
          {(id) => (
            <Select id={id} value={role} onChange={(e) => setRole(e.target.value as Role)}>
              {ASSIGNABLE_ROLES.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </Select>
          )}
        </Field>
        {invite.isSuccess && <Notice tone="good">Invitation sent to {invite.data.email}. The link works for 7 days.</Notice>}
        <ErrorMessage error={invite.error} />
        <Button type="submit" disabled={invite.isPending}>
          Send invitation
        </Button>
      </form>
    </Card>
  );
}

function PendingInvitations() {
  const org = useOrg();
  const queries = useQueryClient();
  const key = ["org", org.orgId, "invitations"];
  const invitations = useQuery({
    queryKey: key,
    queryFn: () => call(client.GET("/api/orgs/{org_id}/invitations", { params: { path: { org_id: org.orgId } } })),
  });
  const revoke = useMutation({
    mutationFn: (invitationId: string) =>
      call(
        client.DELETE("/api/orgs/{org_id}/invitations/{invitation_id}", {
          params: { path: { org_id: org.orgId, invitation_id: invitationId } },
        }),
      ),
    onSuccess: () => queries.invalidateQueries({ queryKey: key }),
  });
  // The API lists accepted, revoked and expired invitations too; only pending ones can be acted on.
  const pending = invitations.data?.filter((i) => i.status === "pending");
  return (
    <Card>
      <CardTitle>Pending invitations</CardTitle>
      <ErrorMessage error={revoke.error} className="mb-2" />
      {invitations.isPending ? (
        <Loading />
      ) : invitations.isError ? (
        <ErrorMessage error={invitations.error} />
      ) : !pending?.length ? (
        <Empty title="No pending invitations" />
      ) : (
        <ul className="divide-y divide-slate-100">
          {pending.map((i) => (
            <li key={i.id} className="flex flex-wrap items-center justify-between gap-2 py-2 text-sm">
              <div className="min-w-0">
                <p className="break-all">
                  {i.email} <Badge>{i.role}</Badge>
                </p>
                <p className="text-xs text-slate-500">Expires {new Date(i.expires_at).toLocaleDateString()}</p>
              </div>
              <Button variant="outline" size="sm" onClick={() => revoke.mutate(i.id)} disabled={revoke.isPending}>
                Revoke
              </Button>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

function RenameOrg() {
  const org = useOrg();
  const queries = useQueryClient();
  const [name, setName] = useState(org.name);
  const rename = useMutation({
    mutationFn: () => call(client.PATCH("/api/orgs/{org_id}", { params: { path: { org_id: org.orgId } }, body: { name } })),
    // The organisation switcher shows the name from ["me"].
    onSuccess: () => queries.invalidateQueries({ queryKey: ["me"] }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    rename.mutate();
  };
  return (
    <Card>
      <CardTitle>Rename organisation</CardTitle>
      <form onSubmit={submit} className="space-y-3">
        <div className="flex flex-wrap items-end gap-2">
          <div className="min-w-48 flex-1">
            <Field label="Organisation name">
              {(id) => <Input id={id} required value={name} onChange={(e) => setName(e.target.value)} />}
            </Field>
          </div>
          <Button type="submit" disabled={rename.isPending}>
            Rename
          </Button>
        </div>
        {rename.isSuccess && <Notice tone="good">Renamed to {rename.data.name}.</Notice>}
        <ErrorMessage error={rename.error} />
      </form>
    </Card>
  );
}

function TransferOwnership({ members }: { members: Member[] }) {
  const org = useOrg();
  const queries = useQueryClient();
  const candidates = members.filter((m) => m.role !== "owner");
  const [userId, setUserId] = useState("");
  const transfer = useMutation({
    mutationFn: (userId: string) =>
      call(client.POST("/api/orgs/{org_id}/transfer-ownership", { params: { path: { org_id: org.orgId } }, body: { user_id: userId } })),
    // The caller is now an admin: ["me"] carries the role that decides what this page shows.
    onSuccess: () =>
      Promise.all([
        queries.invalidateQueries({ queryKey: ["me"] }),
        queries.invalidateQueries({ queryKey: ["org", org.orgId, "members"] }),
      ]),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const heir = candidates.find((m) => m.user_id === userId);
    if (heir && window.confirm(`Make ${heir.email} the owner of ${org.name}? You will become an admin.`)) {
      transfer.mutate(heir.user_id);
    }
  };
  return (
    <Card>
      <CardTitle>Ownership</CardTitle>
      {candidates.length === 0 ? (
        <Empty title="No other members yet">Invite someone first; ownership can only go to a member.</Empty>
      ) : (
        <form onSubmit={submit} className="space-y-3">
          <div className="flex flex-wrap items-end gap-2">
            <div className="min-w-48 flex-1">
              <Field label="New owner">
                {(id) => (
                  <Select id={id} required value={userId} onChange={(e) => setUserId(e.target.value)}>
                    <option value="">Choose a member</option>
                    {candidates.map((m) => (
                      <option key={m.user_id} value={m.user_id}>
                        {m.display_name ? `${m.display_name} (${m.email})` : m.email}
                      </option>
                    ))}
                  </Select>
                )}
              </Field>
            </div>
            <Button type="submit" variant="outline" disabled={transfer.isPending}>
              Transfer ownership
            </Button>
          </div>
          <ErrorMessage error={transfer.error} />
        </form>
      )}
    </Card>
  );
}

function DeleteOrg() {
  const org = useOrg();
  const queries = useQueryClient();
  const navigate = useNavigate();
  const remove = useMutation({
    mutationFn: () => call(client.DELETE("/api/orgs/{org_id}", { params: { path: { org_id: org.orgId } } })),
    onSuccess: async () => {
      // "/" picks an organisation from ["me"], which must no longer list this one.
      await queries.invalidateQueries({ queryKey: ["me"], refetchType: "all" });
      navigate("/", { replace: true });
    },
  });
  const confirmAndDelete = () => {
    if (window.confirm(`Delete ${org.name} and everything in it? This cannot be undone.`)) remove.mutate();
  };
  return (
    <Card className="border-red-200">
      <CardTitle>Danger zone</CardTitle>
      <p className="mb-3 text-sm text-slate-600">Deletes every project, video, credential and connected account of {org.name}.</p>
      <ErrorMessage error={remove.error} className="mb-3" />
      <Button variant="destructive" onClick={confirmAndDelete} disabled={remove.isPending}>
        Delete organisation
      </Button>
    </Card>
  );
}
