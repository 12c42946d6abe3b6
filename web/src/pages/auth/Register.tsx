import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router";
import { Button } from "../../components/ui/button";
import { ErrorMessage } from "../../components/ui/feedback";
import { Field, Input } from "../../components/ui/input";
import { call, client, sessionStore } from "../../lib/api";
import { AuthFrame, NewPasswordField } from "./AuthFrame";

export function Register() {
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const navigate = useNavigate();
  const queries = useQueryClient();
  const register = useMutation({
    // Registration answers 202 whether or not the address is new, so signing in is what tells them apart.
    mutationFn: async () => {
      await call(client.POST("/api/auth/register", { body: { display_name: name.trim() || undefined, email, password } }));
      return call(client.POST("/api/auth/login", { body: { email, password } }));
    },
    onSuccess: (tokens) => {
      queries.clear();
      sessionStore.set({ access_token: tokens.access_token, refresh_token: tokens.refresh_token });
      navigate("/", { replace: true });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    register.mutate();
  };
  return (
    <AuthFrame title="Create your account">
      <form onSubmit={submit} className="space-y-3">
        <Field label="Name">
          {(id) => <Input id={id} autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <Field label="Email">
          {(id) => <Input id={id} type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />}
        </Field>
        <NewPasswordField label="Password" value={password} onChange={setPassword} />
        <ErrorMessage error={register.error} />
        <Button type="submit" className="w-full" disabled={register.isPending}>
          {register.isPending ? "Creating account…" : "Create account"}
        </Button>
      </form>
      <p className="mt-4 text-sm">
        Already have an account?{" "}
        <Link className="underline" to="/login">
          Sign in
        </Link>
      </p>
    </AuthFrame>
  );
}
