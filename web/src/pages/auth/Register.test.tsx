import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { sessionStore } from "../../lib/api";
import { apiError, fakeApi, renderPage, reply } from "../../test/render";
import { Register } from "./Register";

async function fillIn() {
  await userEvent.type(screen.getByLabelText("Name"), "Ana Lima");
  await userEvent.type(screen.getByLabelText("Email"), "ana@example.com");
  await userEvent.type(screen.getByLabelText("Password"), "a long passphrase");
  await userEvent.click(screen.getByRole("button", { name: "Create account" }));
}

describe("Register", () => {
  it("creates the account, signs in with the same credentials and goes home", async () => {
    const calls = fakeApi({
      "POST /api/auth/register": reply(202, { message: "check your mail" }),
      "POST /api/auth/login": { access_token: "rpa_new", refresh_token: "rpr_new", user: {} },
    });
    renderPage(<Register />, { url: "/register", path: "/register" });
    sessionStore.set(null);
    await fillIn();
    expect(await screen.findByText("elsewhere")).toBeInTheDocument();
    expect(calls.map((c) => `${c.method} ${c.path}`)).toEqual(["POST /api/auth/register", "POST /api/auth/login"]);
    expect(calls[0].body).toEqual({ display_name: "Ana Lima", email: "ana@example.com", password: "a long passphrase" });
    expect(calls[1].body).toEqual({ email: "ana@example.com", password: "a long passphrase" });
    expect(sessionStore.get()).toEqual({ access_token: "rpa_new", refresh_token: "rpr_new" });
  });

  it("shows the API's refusal and does not sign in", async () => {
    const calls = fakeApi({
      "POST /api/auth/register": apiError(422, "validation_failed", "password is too common"),
    });
    renderPage(<Register />, { url: "/register", path: "/register" });
    sessionStore.set(null);
    await fillIn();
    expect(await screen.findByRole("alert")).toHaveTextContent("password is too common");
    expect(calls.some((c) => c.path === "/api/auth/login")).toBe(false);
    expect(sessionStore.get()).toBeNull();
  });

  it("links to sign in", () => {
    fakeApi({});
    renderPage(<Register />, { url: "/register", path: "/register" });
    expect(screen.getByRole("link", { name: "Sign in" })).toHaveAttribute("href", "/login");
  });
});
