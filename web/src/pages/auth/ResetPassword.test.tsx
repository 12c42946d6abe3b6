import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { apiError, fakeApi, renderPage } from "../../test/render";
import { ResetPassword } from "./ResetPassword";

async function setPassword(password: string) {
  await userEvent.type(screen.getByLabelText("New password"), password);
  await userEvent.click(screen.getByRole("button", { name: "Set new password" }));
}

describe("ResetPassword", () => {
  it("sends the token with the new password, then offers to sign in", async () => {
    const calls = fakeApi({ "POST /api/auth/password/reset": {} });
    renderPage(<ResetPassword />, { url: "/reset-password?token=tok-9", path: "/reset-password" });
    await setPassword("another long passphrase");
    expect(await screen.findByText(/Your password has been changed/)).toBeInTheDocument();
    expect(calls).toEqual([
      { method: "POST", path: "/api/auth/password/reset", body: { token: "tok-9", password: "another long passphrase" } },
    ]);
    expect(screen.getByRole("link", { name: "Sign in" })).toHaveAttribute("href", "/login");
  });

  it("shows the API's error and keeps the form", async () => {
    fakeApi({ "POST /api/auth/password/reset": apiError(400, "invalid_link", "token already used") });
    renderPage(<ResetPassword />, { url: "/reset-password?token=used", path: "/reset-password" });
    await setPassword("another long passphrase");
    expect(await screen.findByRole("alert")).toHaveTextContent("token already used");
    expect(screen.getByRole("button", { name: "Set new password" })).toBeInTheDocument();
  });
});
