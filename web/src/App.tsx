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
import { Policy } from "./pages/Policy";
import { Dashboard } from "./pages/Dashboard";
import { Imports } from "./pages/Imports";
import { Library } from "./pages/Library";
import { Members } from "./pages/Members";
import { NewOrg } from "./pages/NewOrg";
import { ProjectPage } from "./pages/ProjectPage";
import { Projects } from "./pages/Projects";
import { Queue } from "./pages/Queue";
import { Sessions } from "./pages/Sessions";
import { SlotDetail } from "./pages/SlotDetail";
import { TikTok } from "./pages/TikTok";
import { TikTokCallback } from "./pages/TikTokCallback";

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
        <Route path="/tiktok/callback" element={<TikTokCallback />} />
        <Route path="/orgs/:orgId" element={<Layout />}>
          <Route index element={<Dashboard />} />
          <Route path="projects" element={<Projects />} />
          <Route path="projects/:projectId" element={<ProjectPage />} />
          <Route path="plans/:planId" element={<Calendar />} />
          <Route path="slots/:slotId" element={<SlotDetail />} />
          <Route path="queue" element={<Queue />} />
          <Route path="library" element={<Library />} />
          <Route path="imports/:importId?" element={<Imports />} />
          <Route path="analytics" element={<Analytics />} />
          <Route path="tiktok" element={<TikTok />} />
          <Route path="credentials" element={<Credentials />} />
          <Route path="policy" element={<Policy />} />
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

/** `/`: the first organisation, or creating one. */
function Home() {
  const me = useMe();
  const navigate = useNavigate();
  useEffect(() => {
    if (!me.data) return;
    const org = me.data.orgs[0];
    navigate(org ? `/orgs/${org.org_id}` : "/orgs/new", { replace: true });
  }, [me.data, navigate]);
  return <Loading />;
}

/**
 * Where the TikTok page remembers which organisation started a connection,
 * so the callback page can lead back there when nothing could be linked.
 */
export const CONNECTING_ORG_KEY = "reelpilot.connecting_org";
