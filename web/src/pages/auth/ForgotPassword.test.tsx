import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { apiError, fakeApi, renderPage, reply } from "../../test/render";
import { ForgotPassword } from "./ForgotPassword";

async function ask(email: string) {
  await userEvent.type(screen.getByLabelText("Email"), email);
  await userEvent.click(screen.getByRole("button", { name: "Send reset link" }));
}

describe("ForgotPassword", () => {
  it("asks for a link and answers without saying whether the account exists", async () => {
    const calls = fakeApi({ "POST /api/auth/password/forgot": reply(202, { message: "ok" }) });
    renderPage(<ForgotPassword />, { url: "/forgot-password", path: "/forgot-password" });
    await ask("ana@example.com");
    expect(await screen.findByRole("status")).toHaveTextContent("If an account uses ana@example.com");
    expect(calls).toEqual([{ method: "POST", path: "/api/auth/password/forgot", body: { email: "ana@example.com" } }]);
  });

  it("shows the API's error", async () => {
    fakeApi({ "POST /api/auth/password/forgot": apiError(429, "rate_limited", "slow down") });
    renderPage(<ForgotPassword />, { url: "/forgot-password", path: "/forgot-password" });
    await ask("ana@example.com");
    expect(await screen.findByRole("alert")).toHaveTextContent("slow down");
  });
});
