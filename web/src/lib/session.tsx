import { useQuery, useQueryClient } from "@tanstack/react-query";
import { createContext, useContext, useEffect, useState, type ReactNode } from "react";
import { useParams } from "react-router";
import { call, client, sessionStore, type Schemas } from "./api";
import { can, type Action, type Role } from "./roles";

/** Whether someone is signed in, following the stored session. */
export function useSignedIn(): boolean {
  const [signedIn, setSignedIn] = useState(() => sessionStore.get() !== null);
  useEffect(() => {
    const off = sessionStore.subscribe(() => setSignedIn(sessionStore.get() !== null));
    return () => {
      off();
    };
  }, []);
  return signedIn;
}

export function useMe() {
  const signedIn = useSignedIn();
  return useQuery({
    queryKey: ["me"],
    queryFn: () => call(client.GET("/api/me")),
    enabled: signedIn,
  });
}

export function useSignOut() {
  const queries = useQueryClient();
  return async () => {
    await client.POST("/api/auth/logout").catch(() => undefined);
    sessionStore.set(null);
    queries.clear();
  };
}

export interface OrgContext {
  orgId: string;
  name: string;
  role: Role;
  can: (action: Action) => boolean;
}

const Org = createContext<OrgContext | null>(null);

/** The organisation of the current `/orgs/:orgId` route and the caller's role in it. */
export function OrgProvider({ me, children }: { me: Schemas["MeView"]; children: ReactNode }) {
  const { orgId } = useParams();
  const membership = me.orgs.find((o) => o.org_id === orgId);
  if (!membership) return null;
  const role = membership.role as Role;
  const value: OrgContext = { orgId: membership.org_id, name: membership.name, role, can: (a) => can(role, a) };
  return <Org.Provider value={value}>{children}</Org.Provider>;
}

export function useOrg(): OrgContext {
  const org = useContext(Org);
  if (!org) throw new Error("useOrg outside an organisation route");
  return org;
}

/** For component tests: a fixed organisation and role. */
export function TestOrg({ role, children }: { role: Role; children: ReactNode }) {
  const value: OrgContext = { orgId: "org-1", name: "Test Org", role, can: (a) => can(role, a) };
  return <Org.Provider value={value}>{children}</Org.Provider>;
}
