import { QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { StrictMode } from "react";
import { MemoryRouter, Route, Routes } from "react-router";
import { describe, expect, it } from "vitest";
import { CONNECTING_ORG_KEY, makeQueryClient } from "../App";
import type { Schemas } from "../lib/api";
import { TestOrg } from "../lib/session";
import { apiError, fakeApi } from "../test/render";
import { TikTok } from "./TikTok";
import { TikTokCallback } from "./TikTokCallback";

const EXCHANGE = "POST /api/tiktok/connections/exchange";
const CONFIRM = "POST /api/tiktok/connections/confirm";
const CANCEL = "POST /api/tiktok/connections/cancel";
const ACCOUNTS = "GET /api/orgs/org-1/tiktok/accounts";

const pending: Schemas["PendingConnectionView"] = {
  org_id: "org-1",
  org_name: "Weeknight Kitchen",
  open_id: "sim-open-id-creator",
  display_name: "Sandbox Creator",
  scopes: "user.info.basic,video.publish,video.list",
  reconnects_account_id: null,
};

const account: Schemas["AccountView"] = {
  id: "acc-1",
  open_id: "sim-open-id-creator",
  display_name: "Sandbox Creator",
  scopes: "user.info.basic,video.publish,video.list",
  status: "connected",
  access_expires_at: "2026-12-02T10:00:00Z",
  created_at: "2026-12-01T10:00:00Z",
};

/**
 * The callback page at `url` in StrictMode (effects run twice, as in
 * development), with the organisation's TikTok page to go on to.
 */
function renderCallback(url = "/tiktok/callback?code=code-1&state=state-1") {
  localStorage.setItem("reelpilot.session", JSON.stringify({ access_token: "rpa_test", refresh_token: "rpr_test" }));
  return render(
    <StrictMode>
      <QueryClientProvider client={makeQueryClient()}>
        <MemoryRouter initialEntries={[url]}>
          <TestOrg role="admin">
            <Routes>
              <Route path="/tiktok/callback" element={<TikTokCallback />} />
              <Route path="/orgs/:orgId/tiktok" element={<TikTok />} />
              <Route path="*" element={<p>elsewhere</p>} />
            </Routes>
          </TestOrg>
        </MemoryRouter>
      </QueryClientProvider>
    </StrictMode>,
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("TikTokCallback", () => {
  it("exchanges the code once with the state and code from the URL and shows the account and organisation", async () => {
    const calls = fakeApi({ [EXCHANGE]: pending });
    renderCallback();
    expect(
      await screen.findByRole("heading", { name: "Link TikTok account Sandbox Creator to Weeknight Kitchen?" }),
    ).toBeInTheDocument();
    const scopes = screen.getByRole("list", { name: "Permissions granted" });
    expect(within(scopes).getAllByRole("listitem").map((li) => li.textContent)).toEqual([
      "user.info.basicsee the account's name and avatar",
      "video.publishpost videos to the account",
      "video.listsee the account's public videos and their metrics",
    ]);
    expect(screen.getByText("sim-open-id-creator")).toBeInTheDocument();
    expect(screen.queryByText(/already linked/)).not.toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Link account" })).toBeEnabled();
    expect(screen.getByRole("button", { name: "Cancel" })).toBeEnabled();

    await sleep(50);
    expect(calls).toEqual([
      { method: "POST", path: "/api/tiktok/connections/exchange", body: { state: "state-1", code: "code-1" } },
    ]);
  });

  it("says so when confirming reconnects an account already linked", async () => {
    fakeApi({ [EXCHANGE]: { ...pending, reconnects_account_id: "acc-1" } });
    renderCallback();
    expect(await screen.findByText(/already linked to Weeknight Kitchen/)).toHaveTextContent("reconnects it");
  });

  it("links the account on confirm and shows it on the organisation's TikTok page", async () => {
    sessionStorage.setItem(CONNECTING_ORG_KEY, "org-1");
    const calls = fakeApi({ [EXCHANGE]: pending, [CONFIRM]: account, [ACCOUNTS]: [account] });
    renderCallback();
    await userEvent.click(await screen.findByRole("button", { name: "Link account" }));
    expect(await screen.findByText("TikTok account connected: Sandbox Creator")).toBeInTheDocument();
    expect(screen.getByRole("heading", { name: "TikTok" })).toBeInTheDocument();
    expect(await screen.findByRole("heading", { name: "Sandbox Creator" })).toBeInTheDocument();
    expect(calls.filter((c) => c.method === "POST")).toEqual([
      { method: "POST", path: "/api/tiktok/connections/exchange", body: { state: "state-1", code: "code-1" } },
      { method: "POST", path: "/api/tiktok/connections/confirm", body: { state: "state-1" } },
    ]);
    expect(sessionStorage.getItem(CONNECTING_ORG_KEY)).toBeNull();
  });

  it("says reconnected after confirming a reconnection", async () => {
    fakeApi({ [EXCHANGE]: { ...pending, reconnects_account_id: "acc-1" }, [CONFIRM]: account, [ACCOUNTS]: [account] });
    renderCallback();
    await userEvent.click(await screen.findByRole("button", { name: "Link account" }));
    expect(await screen.findByText("TikTok account reconnected: Sandbox Creator")).toBeInTheDocument();
  });

  it("declines on cancel and goes back to the TikTok page with nothing linked", async () => {
    // The fake answers 200 (a Response cannot carry a body with 204); the page only needs success.
    const calls = fakeApi({ [EXCHANGE]: pending, [CANCEL]: {}, [ACCOUNTS]: [] });
    renderCallback();
    await userEvent.click(await screen.findByRole("button", { name: "Cancel" }));
    expect(await screen.findByText(/Nothing was linked/)).toBeInTheDocument();
    expect(screen.getByRole("heading", { name: "TikTok" })).toBeInTheDocument();
    expect(calls.filter((c) => c.method === "POST")).toEqual([
      { method: "POST", path: "/api/tiktok/connections/exchange", body: { state: "state-1", code: "code-1" } },
      { method: "POST", path: "/api/tiktok/connections/cancel", body: { state: "state-1" } },
    ]);
    expect(calls.some((c) => c.path.endsWith("/confirm"))).toBe(false);
  });

  it("explains a connection someone else started, offering no way to link it", async () => {
    const calls = fakeApi({
      [EXCHANGE]: apiError(403, "not_your_connection", "this connection was started by another person"),
    });
    renderCallback();
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("This TikTok link was started by someone else");
    expect(alert).toHaveTextContent("this connection was started by another person");
    expect(alert).toHaveTextContent("code not_your_connection");
    expect(alert).toHaveTextContent("req-test-1");
    expect(screen.queryByRole("button", { name: "Link account" })).not.toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Back to Reelpilot" })).toHaveAttribute("href", "/");
    await sleep(50);
    expect(calls).toHaveLength(1);
  });

  it("explains an expired link and leads back to the TikTok page it started from", async () => {
    sessionStorage.setItem(CONNECTING_ORG_KEY, "org-1");
    fakeApi({ [EXCHANGE]: apiError(400, "invalid_state", "the connection link expired or was already used") });
    renderCallback();
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("This TikTok link has expired or was already used");
    expect(alert).toHaveTextContent("code invalid_state");
    expect(screen.getByRole("link", { name: "Back to TikTok accounts" })).toHaveAttribute("href", "/orgs/org-1/tiktok");
  });

  it("shows an expired link refused at confirm, keeping the person on the page", async () => {
    fakeApi({ [EXCHANGE]: pending, [CONFIRM]: apiError(400, "invalid_state", "the connection link expired") });
    renderCallback();
    await userEvent.click(await screen.findByRole("button", { name: "Link account" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("This TikTok link has expired or was already used");
    expect(screen.getByRole("heading", { name: /^Link TikTok account/ })).toBeInTheDocument();
  });

  it("shows TikTok's refusal (?error=access_denied) without calling the API", async () => {
    const calls = fakeApi({});
    renderCallback("/tiktok/callback?error=access_denied");
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Access was denied on TikTok, so no account was linked.");
    expect(alert).toHaveTextContent("code access_denied");
    expect(screen.queryByRole("button", { name: "Link account" })).not.toBeInTheDocument();
    await sleep(50);
    expect(calls).toEqual([]);
  });

  it("names an unknown TikTok error by its code", async () => {
    const calls = fakeApi({});
    renderCallback("/tiktok/callback?error=server_error");
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("TikTok could not connect the account.");
    expect(alert).toHaveTextContent("code server_error");
    expect(calls).toEqual([]);
  });

  it("asks for nothing when the link lacks its code or state", async () => {
    const calls = fakeApi({});
    renderCallback("/tiktok/callback?state=state-1");
    expect(await screen.findByText(/This link is incomplete/)).toBeInTheDocument();
    await waitFor(() => expect(calls).toEqual([]));
  });
});
