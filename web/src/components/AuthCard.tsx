import { useState, type FormEvent } from "react";
import { api, ApiError, sessionStore, type Session } from "../lib/api";
import { Button } from "./ui/button";
import { Card, CardTitle } from "./ui/card";

/** Sign in, or create an account and sign in. */
export function AuthCard({ onSignedIn }: { onSignedIn: () => void }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent, create: boolean) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (create) await api("/api/auth/register", { method: "POST", body: JSON.stringify({ email, password }) });
      const session = await api<Session>("/api/auth/login", { method: "POST", body: JSON.stringify({ email, password }) });
      sessionStore.set({ access_token: session.access_token, refresh_token: session.refresh_token });
      onSignedIn();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Card>
      <CardTitle>Sign in</CardTitle>
      <form className="space-y-2" onSubmit={(e) => submit(e, false)}>
        <input
          aria-label="Email"
          className="w-full rounded border border-slate-300 px-2 py-1 text-sm"
          type="email"
          placeholder="you@example.com"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
        />
        <input
          aria-label="Password"
          className="w-full rounded border border-slate-300 px-2 py-1 text-sm"
          type="password"
          placeholder="at least 10 characters"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        {error && <p role="alert" className="text-sm text-red-700">{error}</p>}
        <div className="flex gap-2">
          <Button type="submit" disabled={busy}>Sign in</Button>
          <Button type="button" variant="outline" disabled={busy} onClick={(e) => submit(e, true)}>
            Create account
          </Button>
        </div>
      </form>
    </Card>
  );
}
