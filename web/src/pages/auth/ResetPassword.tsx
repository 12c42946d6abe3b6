import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link, useSearchParams } from "react-router";
import { Button } from "../../components/ui/button";
import { ErrorMessage, Notice } from "../../components/ui/feedback";
import { call, client } from "../../lib/api";
import { AuthFrame, NewPasswordField } from "./AuthFrame";

export function ResetPassword() {
  const [params] = useSearchParams();
  const token = params.get("token");
  const [password, setPassword] = useState("");
  const reset = useMutation({
    mutationFn: (token: string) => call(client.POST("/api/auth/password/reset", { body: { token, password } })),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (token) reset.mutate(token);
  };
  return (
    <AuthFrame title="Set a new password">
      {!token ? (
        <Notice tone="warn">This link has no token. Open the link from the email again.</Notice>
      ) : reset.isSuccess ? (
        <Notice tone="good">Your password has been changed, and every session has been signed out.</Notice>
      ) : (
        <form onSubmit={submit} className="space-y-3">
          <NewPasswordField label="New password" value={password} onChange={setPassword} />
          <ErrorMessage error={reset.error} />
          <Button type="submit" className="w-full" disabled={reset.isPending}>
            {reset.isPending ? "Saving…" : "Set new password"}
          </Button>
        </form>
      )}
      <p className="mt-4 text-sm">
        <Link className="underline" to="/login">
          Sign in
        </Link>
      </p>
    </AuthFrame>
  );
}
