import { QueryClientProvider } from "@tanstack/react-query";
import { render, screen } from "@testing-library/react";
import { StrictMode } from "react";
import { MemoryRouter } from "react-router";
import { describe, expect, it } from "vitest";
import { makeQueryClient } from "../../App";
import { apiError, fakeApi, renderPage } from "../../test/render";
import { VerifyEmail } from "./VerifyEmail";

describe("VerifyEmail", () => {
  it("spends the token exactly once, even under StrictMode", async () => {
    const calls = fakeApi({ "POST /api/auth/verify-email": {} });
    // StrictMode replays effects only at the root, so this renders without renderPage.
    render(
      <StrictMode>
        <QueryClientProvider client={makeQueryClient()}>
          <MemoryRouter initialEntries={["/verify-email?token=tok-123"]}>
            <VerifyEmail />
          </MemoryRouter>
        </QueryClientProvider>
      </StrictMode>,
    );
    expect(await screen.findByText(/Email confirmed/)).toBeInTheDocument();
    const verifies = calls.filter((c) => c.path === "/api/auth/verify-email");
    expect(verifies).toEqual([{ method: "POST", path: "/api/auth/verify-email", body: { token: "tok-123" } }]);
  });

  it("shows why a link does not work", async () => {
    fakeApi({ "POST /api/auth/verify-email": apiError(400, "invalid_link", "token expired") });
    renderPage(<VerifyEmail />, { url: "/verify-email?token=old", path: "/verify-email" });
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("This link is invalid or has expired.");
    expect(alert).toHaveTextContent("token expired");
    expect(screen.queryByText(/Email confirmed/)).not.toBeInTheDocument();
  });

  it("sends nothing without a token", () => {
    const calls = fakeApi({});
    renderPage(<VerifyEmail />, { url: "/verify-email", path: "/verify-email" });
    expect(screen.getByText(/This link has no token/)).toBeInTheDocument();
    expect(calls).toEqual([]);
  });
});
