import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { BrowserRouter, Navigate, Outlet, Route, Routes, useLocation, useNavigate } from "react-router";
import { useEffect } from "react";
import { Layout } from "./components/Layout";
import { Loading } from "./components/ui/feedback";
import { ApiError } from "./lib/api";
import { useMe, useSignedIn } from "./lib/session";
import { AcceptInvitation } from "./pages/auth/AcceptInvitation";
import { ForgotPassword } from "./pages/auth/ForgotPassword";
import { Login } from "./pages/auth/Login";
import { Register } from "./pages/auth/Register";
import { ResetPassword } from "./pages/auth/ResetPassword";
import { VerifyEmail } from "./pages/auth/VerifyEmail";
import { Analytics } from "./pages/Analytics";
import { Calendar } from "./pages/Calendar";
import { Credentials } from "./pages/Credentials";
import { Dashboard } from "./pages/Dashboard";
import { Library } from "./pages/Library";
import { Members } from "./pages/Members";
import { NewOrg } from "./pages/NewOrg";
import { ProjectPage } from "./pages/ProjectPage";
import { Projects } from "./pages/Projects";
import { Queue } from "./pages/Queue";
import { Sessions } from "./pages/Sessions";
import { SlotDetail } from "./pages/SlotDetail";
import { TikTok } from "./pages/TikTok";

export function makeQueryClient() {
  return new QueryClient({
    defaultOptions: {
      queries: {
        // 4xx answers will not change by asking again.
        retry: (count, error) => !(error instanceof ApiError && error.status < 500) && count < 2,
        refetchOnWindowFocus: false,
      },
    },
  });
}

const queryClient = makeQueryClient();

export function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <BrowserRouter>
        <AppRoutes />
      </BrowserRouter>
    </QueryClientProvider>
  );
}

export function AppRoutes() {
  return (
    <Routes>
      <Route path="/login" element={<Login />} />
      <Route path="/register" element={<Register />} />
      <Route path="/verify-email" element={<VerifyEmail />} />
      <Route path="/forgot-password" element={<ForgotPassword />} />
      <Route path="/reset-password" element={<ResetPassword />} />
      <Route element={<RequireSignIn />}>
        <Route path="/" element={<Home />} />
        <Route path="/invitations/accept" element={<AcceptInvitation />} />
        <Route path="/orgs/new" element={<NewOrg />} />
        <Route path="/account/sessions" element={<Sessions />} />
        <Route path="/orgs/:orgId" element={<Layout />}>
          <Route index element={<Dashboard />} />
          <Route path="projects" element={<Projects />} />
          <Route path="projects/:projectId" element={<ProjectPage />} />
          <Route path="plans/:planId" element={<Calendar />} />
          <Route path="slots/:slotId" element={<SlotDetail />} />
          <Route path="queue" element={<Queue />} />
          <Route path="library" element={<Library />} />
          <Route path="analytics" element={<Analytics />} />
          <Route path="tiktok" element={<TikTok />} />
          <Route path="credentials" element={<Credentials />} />
          <Route path="members" element={<Members />} />
        </Route>
      </Route>
      <Route path="*" element={<Navigate to="/" replace />} />
    </Routes>
  );
}

/** Signed-out visitors go to the sign-in page and come back afterwards. */
function RequireSignIn() {
  const signedIn = useSignedIn();
  const location = useLocation();
  if (!signedIn) {
    const next = encodeURIComponent(location.pathname + location.search);
    return <Navigate to={`/login?next=${next}`} replace />;
  }
  return <Outlet />;
}

/** `/`: the first organisation, or creating one; TikTok's connect flow lands here too. */
function Home() {
  const me = useMe();
  const navigate = useNavigate();
  const location = useLocation();
  useEffect(() => {
    if (!me.data) return;
    const params = new URLSearchParams(location.search);
    const connectingOrg = sessionStorage.getItem(CONNECTING_ORG_KEY);
    const tiktok = params.has("tiktok_connected") || params.has("tiktok_error");
    const org = (tiktok && me.data.orgs.find((o) => o.org_id === connectingOrg)) || me.data.orgs[0];
    if (!org) return void navigate("/orgs/new", { replace: true });
    if (tiktok) {
      sessionStorage.removeItem(CONNECTING_ORG_KEY);
      return void navigate(`/orgs/${org.org_id}/tiktok${location.search}`, { replace: true });
    }
    navigate(`/orgs/${org.org_id}`, { replace: true });
  }, [me.data, navigate, location.search]);
  return <Loading />;
}

/** Where the TikTok page remembers which organisation started a connection. */
export const CONNECTING_ORG_KEY = "reelpilot.connecting_org";
