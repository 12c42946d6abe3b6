import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Role } from "../lib/roles";
import { apiError, fakeApi, renderPage } from "../test/render";
import { Credentials } from "./Credentials";

const BASE = "/api/orgs/org-1/credentials";
const LLM_KEY = {
  id: "c-1",
  provider: "llm",
  label: "Main key",
  status: "active",
  version: 2,
  fingerprint: "sha256:0123456789ab",
  last4: "wxyz",
  pending: null,
  created_at: "",
  updated_at: "",
};

function renderCredentials(role: Role, routes: Record<string, unknown>) {
  const calls = fakeApi(routes);
  renderPage(<Credentials />, { url: "/orgs/org-1/credentials", path: "/orgs/:orgId/credentials", role });
  return calls;
}

const card = async (label: string) => (await screen.findByText(label)).closest("li")!;

afterEach(() => {
  vi.restoreAllMocks();
});

describe("Credentials", () => {
  it.each(["viewer", "editor"] as const)("tells the role %s it may not manage credentials, and asks nothing", (role) => {
    const calls = renderCredentials(role, {});
    expect(screen.getByRole("status")).toHaveTextContent("Only admins and the owner");
    expect(screen.queryByRole("button", { name: "Save credential" })).not.toBeInTheDocument();
    expect(calls).toEqual([]);
  });

  it("lists credentials without secrets", async () => {
    renderCredentials("admin", { [`GET ${BASE}`]: [LLM_KEY] });
    const main = await card("Main key");
    expect(main).toHaveTextContent("LLM API key");
    expect(main).toHaveTextContent("sha256:0123456789ab");
    expect(main).toHaveTextContent("wxyz");
    expect(main).toHaveTextContent("active");
  });

  it("says when there are none", async () => {
    renderCredentials("admin", { [`GET ${BASE}`]: [] });
    expect(await screen.findByText("No credentials yet")).toBeInTheDocument();
  });

  it("saves a credential and forgets the secret", async () => {
    const calls = renderCredentials("owner", { [`GET ${BASE}`]: [], [`POST ${BASE}`]: { ...LLM_KEY, provider: "tiktok", label: "App" } });
    const secret = screen.getByLabelText("Secret");
    expect(secret).toHaveAttribute("type", "password");
    expect(secret).toHaveAttribute("autocomplete", "off");
    await userEvent.selectOptions(screen.getByLabelText("Provider"), "TikTok app secret");
    await userEvent.type(screen.getByLabelText("Label"), "App");
    await userEvent.type(secret, "s3cret-value-1234");
    await userEvent.click(screen.getByRole("button", { name: "Save credential" }));
    expect(await screen.findByText(/Saved App/)).toBeInTheDocument();
    expect(calls).toContainEqual({ method: "POST", path: BASE, body: { provider: "tiktok", label: "App", secret: "s3cret-value-1234" } });
    expect(secret).toHaveValue("");
    expect(document.body).not.toHaveTextContent("s3cret-value-1234");
  });

  it("shows the API's error when saving fails", async () => {
    renderCredentials("admin", { [`GET ${BASE}`]: [], [`POST ${BASE}`]: apiError(409, "conflict", "an active llm key exists") });
    await userEvent.type(screen.getByLabelText("Label"), "Second");
    await userEvent.type(screen.getByLabelText("Secret"), "another-secret");
    await userEvent.click(screen.getByRole("button", { name: "Save credential" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("an active llm key exists");
  });

  it("rotates in a new version", async () => {
    const calls = renderCredentials("admin", {
      [`GET ${BASE}`]: [LLM_KEY],
      [`POST ${BASE}/c-1/rotate`]: { ...LLM_KEY, pending: { version: 3, fingerprint: "sha256:ffffffffffff", last4: "abcd" } },
    });
    const main = await card("Main key");
    expect(within(main).queryByLabelText("New secret")).not.toBeInTheDocument();
    await userEvent.click(within(main).getByRole("button", { name: "Rotate" }));
    await userEvent.type(within(main).getByLabelText("New secret"), "rotated-secret");
    await userEvent.click(within(main).getByRole("button", { name: "Store new version" }));
    await waitFor(() => expect(calls).toContainEqual({ method: "POST", path: `${BASE}/c-1/rotate`, body: { secret: "rotated-secret" } }));
    await waitFor(() => expect(within(main).queryByLabelText("New secret")).not.toBeInTheDocument());
  });

  it("confirms a pending rotation", async () => {
    const rotated = { ...LLM_KEY, pending: { version: 3, fingerprint: "sha256:ffffffffffff", last4: "abcd" } };
    const calls = renderCredentials("admin", { [`GET ${BASE}`]: [rotated], [`POST ${BASE}/c-1/confirm`]: { ...LLM_KEY, version: 3 } });
    const main = await card("Main key");
    expect(main).toHaveTextContent("Version 3");
    await userEvent.click(within(main).getByRole("button", { name: "Confirm rotation" }));
    await waitFor(() => expect(calls).toContainEqual({ method: "POST", path: `${BASE}/c-1/confirm`, body: undefined }));
  });

  it("shows no confirmation without a pending version", async () => {
    renderCredentials("admin", { [`GET ${BASE}`]: [LLM_KEY] });
    await card("Main key");
    expect(screen.queryByRole("button", { name: "Confirm rotation" })).not.toBeInTheDocument();
  });

  it("revokes only after confirming", async () => {
    const confirm = vi.spyOn(window, "confirm").mockReturnValueOnce(false).mockReturnValueOnce(true);
    const calls = renderCredentials("admin", { [`GET ${BASE}`]: [LLM_KEY], [`DELETE ${BASE}/c-1`]: { ...LLM_KEY, status: "revoked" } });
    const revoke = within(await card("Main key")).getByRole("button", { name: "Revoke" });
    await userEvent.click(revoke);
    expect(calls.some((c) => c.method === "DELETE")).toBe(false);
    await userEvent.click(revoke);
    expect(confirm).toHaveBeenCalledTimes(2);
    await waitFor(() => expect(calls).toContainEqual({ method: "DELETE", path: `${BASE}/c-1`, body: undefined }));
  });

  it("offers no actions on a revoked credential", async () => {
    renderCredentials("admin", { [`GET ${BASE}`]: [{ ...LLM_KEY, status: "revoked" }] });
    const main = await card("Main key");
    expect(main).toHaveTextContent("revoked");
    expect(within(main).queryByRole("button")).not.toBeInTheDocument();
  });
});
