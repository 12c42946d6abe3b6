import type { ReactNode } from "react";
import { Card } from "../../components/ui/card";
import { Field, Input } from "../../components/ui/input";

/** The API's password rule (RegisterRequest.password), shown wherever a password is chosen. */
export const PASSWORD_HINT = "At least 10 characters, not a common password.";

/** Choosing a password: the rule as a hint, the browser's password manager told it is new. */
export function NewPasswordField({
  label,
  value,
  onChange,
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
}) {
  return (
    <Field label={label} hint={PASSWORD_HINT}>
      {(id) => (
        <Input
          id={id}
          type="password"
          autoComplete="new-password"
          required
          minLength={10}
          value={value}
          onChange={(e) => onChange(e.target.value)}
        />
      )}
    </Field>
  );
}

/** The frame of the signed-out pages: the product name and one card. */
export function AuthFrame({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div className="flex min-h-screen items-start justify-center p-4 sm:items-center">
      <div className="w-full max-w-sm">
        <p className="mb-4 text-center text-2xl font-bold">Reelpilot</p>
        <Card>
          <h1 className="mb-4 text-lg font-semibold">{title}</h1>
          {children}
        </Card>
      </div>
    </div>
  );
}
