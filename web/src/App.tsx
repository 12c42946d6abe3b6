import { useCallback, useEffect, useState } from "react";
import { AuthCard } from "./components/AuthCard";
import { QuickStart } from "./components/QuickStart";
import { StatusCard } from "./components/StatusCard";
import { Button } from "./components/ui/button";
import { api, sessionStore, type Me } from "./lib/api";

export function App() {
  const [me, setMe] = useState<Me | null>(null);
  const loadMe = useCallback(() => {
    if (!sessionStore.get()) return setMe(null);
    api<Me>("/api/me").then(setMe, () => setMe(null));
  }, []);
  useEffect(loadMe, [loadMe]);

  async function signOut() {
    await api("/api/auth/logout", { method: "POST" }).catch(() => undefined);
    sessionStore.set(null);
    setMe(null);
  }

  return (
    <div className="mx-auto max-w-4xl p-4 sm:p-8">
      <header className="mb-6 flex flex-wrap items-center justify-between gap-2">
        <div>
          <h1 className="text-2xl font-bold">Reelpilot</h1>
          <p className="text-sm text-slate-600">Plan, render and publish short videos to TikTok.</p>
        </div>
        {me && (
          <div className="flex items-center gap-2 text-sm">
            <span>{me.email}</span>
            <Button variant="outline" onClick={signOut}>Sign out</Button>
          </div>
        )}
      </header>
      <main className="grid gap-4 sm:grid-cols-2">
        <StatusCard />
        {me ? <QuickStart /> : <AuthCard onSignedIn={loadMe} />}
      </main>
      <footer className="mt-6 text-sm text-slate-500">
        <a className="underline" href="/api-docs.html">API documentation</a>
      </footer>
    </div>
  );
}
