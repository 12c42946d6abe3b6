import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { sessionStore } from "../../lib/api";
import { apiError, fakeApi, renderPage } from "../../test/render";
import { Login, safeNext } from "./Login";

describe("Login", () => {
  it("stores the session and goes where the visitor was headed", async () => {
    localStorage.clear();
    const calls = fakeApi({
      "POST /api/auth/login": { access_token: "rpa_1", refresh_token: "rpr_1", user: {} },
    });
    renderPage(<Login />, { url: "/login?next=/orgs/o1/queue", path: "/login" });
    sessionStore.set(null);
    await userEvent.type(screen.getByLabelText("Email"), "ana@example.com");
    await userEvent.type(screen.getByLabelText("Password"), "a long passphrase");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByText("elsewhere")).toBeInTheDocument();
    expect(calls[0]).toMatchObject({ method: "POST", body: { email: "ana@example.com", password: "a long passphrase" } });
    expect(sessionStore.get()).toEqual({ access_token: "rpa_1", refresh_token: "rpr_1" });
  });

  it("shows the API's refusal with its code and request id", async () => {
    fakeApi({ "POST /api/auth/login": apiError(401, "unauthenticated", "wrong email or password") });
    renderPage(<Login />, { url: "/login", path: "/login" });
    await userEvent.type(screen.getByLabelText("Email"), "ana@example.com");
    await userEvent.type(screen.getByLabelText("Password"), "not it at all");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("wrong email or password");
    expect(alert).toHaveTextContent("req-test-1");
  });

  it("only follows next= to a path inside the app", () => {
    expect(safeNext("/orgs/o1/queue")).toBe("/orgs/o1/queue");
    expect(safeNext("/tiktok/callback?code=c&state=s")).toBe("/tiktok/callback?code=c&state=s");
    for (const away of ["//evil.example/x", "/\\evil.example", "https://evil.example", "evil", null]) {
      expect(safeNext(away)).toBe("/");
    }
  });
});
