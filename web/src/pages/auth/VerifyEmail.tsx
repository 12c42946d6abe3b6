import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { Link, useSearchParams } from "react-router";
import { ErrorMessage, Loading, Notice } from "../../components/ui/feedback";
import { call, client } from "../../lib/api";
import { AuthFrame } from "./AuthFrame";

export function VerifyEmail() {
  const [params] = useSearchParams();
  const token = params.get("token");
  const queries = useQueryClient();
  const verify = useMutation({
    mutationFn: (token: string) => call(client.POST("/api/auth/verify-email", { body: { token } })),
    // A signed-in user's "please confirm" banner reads this.
    onSuccess: () => queries.invalidateQueries({ queryKey: ["me"] }),
  });
  // The token works once: StrictMode's second effect run must not spend it again.
  const sent = useRef(false);
  const { mutate } = verify;
  useEffect(() => {
    if (!token || sent.current) return;
    sent.current = true;
    mutate(token);
  }, [token, mutate]);
  return (
    <AuthFrame title="Confirm your email">
      {!token ? (
        <Notice tone="warn">This link has no token. Open the link from the email again.</Notice>
      ) : verify.isSuccess ? (
        <Notice tone="good">Email confirmed. Thank you.</Notice>
      ) : verify.isError ? (
        <ErrorMessage error={verify.error} />
      ) : (
        <Loading label="Confirming" />
      )}
      <p className="mt-4 text-sm">
        <Link className="underline" to="/">
          Continue to Reelpilot
        </Link>
      </p>
    </AuthFrame>
  );
}
