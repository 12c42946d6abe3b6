import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { Button } from "../../components/ui/button";
import { ErrorMessage } from "../../components/ui/feedback";
import { Field, Input } from "../../components/ui/input";
import { call, client, sessionStore } from "../../lib/api";
import { AuthFrame } from "./AuthFrame";

export function Login() {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const queries = useQueryClient();
  const login = useMutation({
    mutationFn: () => call(client.POST("/api/auth/login", { body: { email, password } })),
    onSuccess: (tokens) => {
      queries.clear();
      sessionStore.set({ access_token: tokens.access_token, refresh_token: tokens.refresh_token });
      const next = params.get("next");
      navigate(safeNext(next), { replace: true });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    login.mutate();
  };
  return (
    <AuthFrame title="Sign in">
      <form onSubmit={submit} className="space-y-3">
        <Field label="Email">
          {(id) => <Input id={id} type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />}
        </Field>
        <Field label="Password">
          {(id) => (
            <Input
              id={id}
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          )}
        </Field>
        <ErrorMessage error={login.error} />
        <Button type="submit" className="w-full" disabled={login.isPending}>
          {login.isPending ? "Signing in…" : "Sign in"}
        </Button>
      </form>
      <div className="mt-4 flex justify-between text-sm">
        <Link className="underline" to="/register">
          Create an account
        </Link>
        <Link className="underline" to="/forgot-password">
          Forgot password?
        </Link>
      </div>
    </AuthFrame>
  );
}

/** A path inside this app; `//host` and `/\\host` would leave it. */
export function safeNext(next: string | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/\\") ? next : "/";
}
