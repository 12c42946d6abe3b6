import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { CONNECTING_ORG_KEY } from "../App";
import type { Schemas } from "../lib/api";
import type { Role } from "../lib/roles";
import { apiError, fakeApi, renderPage, reply } from "../test/render";
import { TikTok } from "./TikTok";

const account: Schemas["AccountView"] = {
  id: "acc-1",
  open_id: "open-123",
  display_name: "Chef Ana",
  scopes: "user.info.basic,video.publish,video.list",
  status: "connected",
  access_expires_at: "2025-05-02T10:00:00Z",
  created_at: "2025-05-01T10:00:00Z",
};

function renderTikTok(role: Role, url = "/orgs/org-1/tiktok") {
  return renderPage(<TikTok />, { url, path: "/orgs/:orgId/tiktok", role });
}

describe("TikTok", () => {
  it("connects by asking the API for TikTok's consent page and going there", async () => {
    const assign = vi.fn();
    vi.stubGlobal("location", { origin: window.location.origin, assign });
    const calls = fakeApi({
      "GET /api/orgs/org-1/tiktok/accounts": [],
      "POST /api/orgs/org-1/tiktok/connect": { authorize_url: "https://www.tiktok.com/v2/auth/authorize/?state=s1" },
    });
    renderTikTok("admin");
    expect(await screen.findByText("No TikTok account connected")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Connect TikTok account" }));
    await vi.waitFor(() => expect(assign).toHaveBeenCalledWith("https://www.tiktok.com/v2/auth/authorize/?state=s1"));
    expect(calls).toContainEqual(expect.objectContaining({ method: "POST", path: "/api/orgs/org-1/tiktok/connect" }));
    expect(sessionStorage.getItem(CONNECTING_ORG_KEY)).toBe("org-1");
  });

  it("shows why connecting could not start", async () => {
    fakeApi({
      "GET /api/orgs/org-1/tiktok/accounts": [],
      "POST /api/orgs/org-1/tiktok/connect": apiError(503, "dependency_unavailable", "TikTok is not configured"),
    });
    renderTikTok("owner");
    await userEvent.click(await screen.findByRole("button", { name: "Connect TikTok account" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("TikTok is not configured");
    expect(sessionStorage.getItem(CONNECTING_ORG_KEY)).toBeNull();
  });

  it("shows a viewer the accounts without Connect, Disconnect or Refresh metrics", async () => {
    fakeApi({ "GET /api/orgs/org-1/tiktok/accounts": [account] });
    renderTikTok("viewer");
    expect(await screen.findByText("Chef Ana")).toBeInTheDocument();
    expect(screen.getByText("open-123")).toBeInTheDocument();
    expect(screen.getByText("connected")).toBeInTheDocument();
    expect(screen.getByText("video.publish")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Connect TikTok account" })).toBeNull();
    expect(screen.queryByRole("button", { name: "Disconnect" })).toBeNull();
    expect(screen.queryByRole("button", { name: "Refresh metrics" })).toBeNull();
  });

  it("lets an editor refresh metrics but not disconnect", async () => {
    const calls = fakeApi({
      "GET /api/orgs/org-1/tiktok/accounts": [account],
      "POST /api/orgs/org-1/tiktok/accounts/acc-1/refresh-metrics": reply(202, {}),
    });
    renderTikTok("editor");
    await userEvent.click(await screen.findByRole("button", { name: "Refresh metrics" }));
    expect(await screen.findByText(/Refreshing metrics/)).toBeInTheDocument();
    expect(calls).toContainEqual(
      expect.objectContaining({ method: "POST", path: "/api/orgs/org-1/tiktok/accounts/acc-1/refresh-metrics" }),
    );
    expect(screen.queryByRole("button", { name: "Disconnect" })).toBeNull();
    expect(screen.queryByRole("button", { name: "Connect TikTok account" })).toBeNull();
  });

  it("disconnects an account only after the admin confirms", async () => {
    let status = "connected";
    const calls = fakeApi({
      "GET /api/orgs/org-1/tiktok/accounts": () => [{ ...account, status }],
      "DELETE /api/orgs/org-1/tiktok/accounts/acc-1": () => {
        status = "disconnected";
        return { ...account, status };
      },
    });
    const confirm = vi.fn(() => false);
    vi.stubGlobal("confirm", confirm);
    renderTikTok("admin");
    await userEvent.click(await screen.findByRole("button", { name: "Disconnect" }));
    expect(confirm).toHaveBeenCalled();
    expect(calls.some((c) => c.method === "DELETE")).toBe(false);

    confirm.mockReturnValue(true);
    await userEvent.click(screen.getByRole("button", { name: "Disconnect" }));
    expect(await screen.findByText("disconnected")).toBeInTheDocument();
    expect(calls.filter((c) => c.method === "DELETE")).toHaveLength(1);
    expect(screen.queryByRole("button", { name: "Disconnect" })).toBeNull();
  });

  // What the page says after linking or declining is tested with the callback page (TikTokCallback.test.tsx).
  it("ignores the old ?tiktok_connected= landing", async () => {
    fakeApi({ "GET /api/orgs/org-1/tiktok/accounts": [account] });
    renderTikTok("admin", "/orgs/org-1/tiktok?tiktok_connected=acc-1&tiktok_error=access_denied");
    expect(await screen.findByText("Chef Ana")).toBeInTheDocument();
    expect(screen.queryByText(/TikTok account connected/)).toBeNull();
    expect(screen.queryByRole("alert")).toBeNull();
  });
});
