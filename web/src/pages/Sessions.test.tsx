import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { apiError, fakeApi, renderPage } from "../test/render";
import { Sessions } from "./Sessions";

const SESSIONS = [
  { id: "s-here", user_agent: "Firefox on Linux", ip: "10.0.0.1", created_at: "2025-01-01T10:00:00Z", last_seen_at: "2025-01-02T10:00:00Z", current: true },
  { id: "s-phone", user_agent: "Safari on iPhone", ip: "10.0.0.2", created_at: "2025-01-01T11:00:00Z", last_seen_at: "2025-01-01T12:00:00Z", current: false },
];

const renderSessions = () => renderPage(<Sessions />, { url: "/account/sessions", path: "/account/sessions" });

describe("Sessions", () => {
  it("lists sessions, marks this device and offers no revoke for it", async () => {
    fakeApi({ "GET /api/me/sessions": SESSIONS });
    renderSessions();
    const here = (await screen.findByText("Firefox on Linux")).closest("tr")!;
    expect(here).toHaveTextContent("This device");
    expect(here).toHaveTextContent("10.0.0.1");
    expect(screen.queryByRole("button", { name: "Revoke session Firefox on Linux" })).not.toBeInTheDocument();
    expect(screen.getByText("Safari on iPhone").closest("tr")).not.toHaveTextContent("This device");
    expect(screen.getByRole("link", { name: /Back to Reelpilot/ })).toHaveAttribute("href", "/");
  });

  it("revokes another session", async () => {
    const calls = fakeApi({ "GET /api/me/sessions": SESSIONS, "DELETE /api/me/sessions/s-phone": {} });
    renderSessions();
    await userEvent.click(await screen.findByRole("button", { name: "Revoke session Safari on iPhone" }));
    // The list is fetched again after the change.
    await waitFor(() => expect(calls.filter((c) => c.path === "/api/me/sessions")).toHaveLength(2));
    expect(calls).toContainEqual({ method: "DELETE", path: "/api/me/sessions/s-phone", body: undefined });
  });

  it("signs out every other session and says how many", async () => {
    const calls = fakeApi({ "GET /api/me/sessions": SESSIONS, "POST /api/me/sessions/revoke-others": { revoked: 1 } });
    renderSessions();
    await userEvent.click(await screen.findByRole("button", { name: "Sign out other sessions" }));
    expect(await screen.findByText("Signed out 1 other session.")).toBeInTheDocument();
    expect(calls).toContainEqual({ method: "POST", path: "/api/me/sessions/revoke-others", body: undefined });
  });

  it("shows the API's error when revoking fails", async () => {
    fakeApi({
      "GET /api/me/sessions": SESSIONS,
      "DELETE /api/me/sessions/s-phone": apiError(404, "not_found", "no such session"),
    });
    renderSessions();
    await userEvent.click(await screen.findByRole("button", { name: "Revoke session Safari on iPhone" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("no such session");
  });

  it("says when there is nothing to list", async () => {
    fakeApi({ "GET /api/me/sessions": [] });
    renderSessions();
    expect(await screen.findByText("No active sessions")).toBeInTheDocument();
  });
});
