import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link } from "react-router";
import { Button } from "../../components/ui/button";
import { ErrorMessage, Notice } from "../../components/ui/feedback";
import { Field, Input } from "../../components/ui/input";
import { call, client } from "../../lib/api";
import { AuthFrame } from "./AuthFrame";

export function ForgotPassword() {
  const [email, setEmail] = useState("");
  const forgot = useMutation({
    mutationFn: () => call(client.POST("/api/auth/password/forgot", { body: { email } })),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    forgot.mutate();
  };
  return (
    <AuthFrame title="Reset your password">
      {forgot.isSuccess ? (
        // Worded the same whether or not the address has an account, like the API's answer.
        <Notice tone="good">If an account uses {email}, we have sent it a link to set a new password.</Notice>
      ) : (
        <form onSubmit={submit} className="space-y-3">
          <Field label="Email">
            {(id) => <Input id={id} type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />}
          </Field>
          <ErrorMessage error={forgot.error} />
          <Button type="submit" className="w-full" disabled={forgot.isPending}>
            {forgot.isPending ? "Sending…" : "Send reset link"}
          </Button>
        </form>
      )}
      <p className="mt-4 text-sm">
        <Link className="underline" to="/login">
          Back to sign in
        </Link>
      </p>
    </AuthFrame>
  );
}
