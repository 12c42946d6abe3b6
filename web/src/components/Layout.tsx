import { useMutation } from "@tanstack/react-query";
import {
  BarChart3,
  CalendarDays,
  Film,
  FileVideo,
  KeyRound,
  LayoutDashboard,
  ListChecks,
  LogOut,
  Menu,
  Music2,
  ShieldCheck,
  Users,
  X,
} from "lucide-react";
import { useState, type ReactNode } from "react";
import { Link, NavLink, Outlet, useNavigate, useParams } from "react-router";
import { call, client } from "../lib/api";
import { OrgProvider, useMe, useOrg, useSignOut } from "../lib/session";
import type { Action } from "../lib/roles";
import { cn } from "../lib/utils";
import { Button } from "./ui/button";
import { Select } from "./ui/input";
import { ErrorMessage, Loading, Notice } from "./ui/feedback";

interface NavItem {
  to: string;
  label: string;
  icon: ReactNode;
  needs: Action;
}

const NAV: NavItem[] = [
  { to: "", label: "Dashboard", icon: <LayoutDashboard size={16} />, needs: "read" },
  { to: "projects", label: "Projects", icon: <CalendarDays size={16} />, needs: "read" },
  { to: "queue", label: "Queue", icon: <ListChecks size={16} />, needs: "read" },
  { to: "library", label: "Library", icon: <Film size={16} />, needs: "read" },
  { to: "imports", label: "Import", icon: <FileVideo size={16} />, needs: "read" },
  { to: "analytics", label: "Analytics", icon: <BarChart3 size={16} />, needs: "read" },
  { to: "tiktok", label: "TikTok", icon: <Music2 size={16} />, needs: "read" },
  { to: "policy", label: "Policy", icon: <ShieldCheck size={16} />, needs: "read" },
  { to: "credentials", label: "Credentials", icon: <KeyRound size={16} />, needs: "manage_credentials" },
  { to: "members", label: "Members", icon: <Users size={16} />, needs: "read" },
];

/** The signed-in frame of an organisation: org switcher, the navigation its role allows, the account menu. */
export function Layout() {
  const me = useMe();
  const { orgId } = useParams();
  if (me.isPending) return <Loading />;
  if (me.error) return <ErrorMessage error={me.error} className="m-4" />;
  if (!me.data.orgs.some((o) => o.org_id === orgId)) {
    return (
      <div className="mx-auto max-w-lg p-6">
        <Notice tone="warn">
          You are not a member of this organisation. <Link className="underline" to="/">Go to your organisations</Link>
        </Notice>
      </div>
    );
  }
  return (
    <OrgProvider me={me.data}>
      <Frame email={me.data.email} verified={me.data.email_verified} orgs={me.data.orgs} />
    </OrgProvider>
  );
}

function Frame({
  email,
  verified,
  orgs,
}: {
  email: string;
  verified: boolean;
  orgs: { org_id: string; name: string; role: string }[];
}) {
  const org = useOrg();
  const navigate = useNavigate();
  const signOut = useSignOut();
  const [open, setOpen] = useState(false);
  const nav = (
    <nav aria-label="Main" className="flex flex-col gap-1">
      {NAV.filter((item) => org.can(item.needs)).map((item) => (
        <NavLink
          key={item.label}
          to={`/orgs/${org.orgId}/${item.to}`}
          end={item.to === ""}
          onClick={() => setOpen(false)}
          className={({ isActive }) =>
            cn(
              "flex items-center gap-2 rounded-md px-3 py-2 text-sm hover:bg-slate-100",
              isActive && "bg-slate-900 text-white hover:bg-slate-800",
            )
          }
        >
          {item.icon}
          {item.label}
        </NavLink>
      ))}
    </nav>
  );
  return (
    <div className="min-h-screen md:flex">
      <aside
        className={cn(
          "border-b border-slate-200 bg-white p-3 md:sticky md:top-0 md:block md:h-screen md:w-56 md:shrink-0 md:border-r md:border-b-0",
        )}
      >
        <div className="flex items-center justify-between md:block">
          <Link to="/" className="text-lg font-bold">
            Reelpilot
          </Link>
          <Button variant="ghost" size="icon" className="md:hidden" aria-label="Menu" onClick={() => setOpen(!open)}>
            {open ? <X size={18} /> : <Menu size={18} />}
          </Button>
        </div>
        <div className={cn("mt-3 space-y-3", !open && "hidden md:block")}>
          <label className="block text-xs text-slate-500">
            Organisation
            <Select
              aria-label="Organisation"
              value={org.orgId}
              onChange={(e) =>
                e.target.value === "new" ? navigate("/orgs/new") : navigate(`/orgs/${e.target.value}`)
              }
            >
              {orgs.map((o) => (
                <option key={o.org_id} value={o.org_id}>
                  {o.name}
                </option>
              ))}
              <option value="new">+ New organisation</option>
            </Select>
          </label>
          <p className="text-xs text-slate-500">
            Your role: <span className="font-medium text-slate-700">{org.role}</span>
          </p>
          {nav}
          <div className="border-t border-slate-200 pt-3 text-sm">
            <p className="truncate text-slate-600" title={email}>
              {email}
            </p>
            <Link className="block py-1 text-slate-600 underline" to="/account/sessions">
              Sessions and devices
            </Link>
            <Button variant="ghost" size="sm" className="px-0" onClick={() => signOut().then(() => navigate("/login"))}>
              <LogOut size={14} /> Sign out
            </Button>
          </div>
        </div>
      </aside>
      <main className="min-w-0 flex-1 p-4 md:p-8">
        {!verified && <VerifyBanner />}
        <Outlet />
      </main>
    </div>
  );
}

function VerifyBanner() {
  const resend = useMutation({ mutationFn: () => call(client.POST("/api/auth/verify-email/resend")) });
  return (
    <div className="mb-4">
      <Notice tone="warn">
        Please confirm your email address with the link we sent.{" "}
        {resend.isSuccess ? (
          "A new link is on its way."
        ) : (
          <button className="underline" onClick={() => resend.mutate()} disabled={resend.isPending}>
            Send a new link
          </button>
        )}
      </Notice>
    </div>
  );
}
