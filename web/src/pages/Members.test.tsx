import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useLocation } from "react-router";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Role } from "../lib/roles";
import { apiError, fakeApi, renderPage } from "../test/render";
import { Members } from "./Members";

const MEMBERS = [
  { user_id: "u-owner", email: "olga@example.com", display_name: "Olga", role: "owner", joined_at: "2025-01-01T00:00:00Z" },
  { user_id: "u-ed", email: "ed@example.com", display_name: "Ed", role: "editor", joined_at: "2025-02-01T00:00:00Z" },
];
const INVITATIONS = [
  { id: "i-1", email: "new@example.com", role: "viewer", status: "pending", created_at: "", expires_at: "2025-03-01T00:00:00Z" },
  { id: "i-2", email: "gone@example.com", role: "viewer", status: "revoked", created_at: "", expires_at: "2025-03-01T00:00:00Z" },
];
const BASE = "/api/orgs/org-1";

function Where() {
  return <p data-testid="where">{useLocation().pathname}</p>;
}

function renderMembers(role: Role, extra: Record<string, unknown> = {}) {
  const calls = fakeApi({ [`GET ${BASE}/members`]: MEMBERS, [`GET ${BASE}/invitations`]: INVITATIONS, ...extra });
  renderPage(
    <>
      <Members />
      <Where />
    </>,
    { url: "/orgs/org-1/members", path: "*", role },
  );
  return calls;
}

const row = async (email: string) => (await screen.findByText(email)).closest("tr")!;

afterEach(() => {
  vi.restoreAllMocks();
});

describe("Members", () => {
  it.each(["viewer", "editor"] as const)("shows the members read-only to the role %s", async (role) => {
    const calls = renderMembers(role);
    const ed = await row("ed@example.com");
    expect(ed).toHaveTextContent("Ed");
    expect(ed).toHaveTextContent("editor");
    expect(screen.queryByRole("combobox")).not.toBeInTheDocument();
    for (const name of ["Remove", "Send invitation", "Rename", "Transfer ownership", "Delete organisation"]) {
      expect(screen.queryByRole("button", { name })).not.toBeInTheDocument();
    }
    expect(calls.some((c) => c.path.endsWith("/invitations"))).toBe(false);
  });

  it("lets an admin change a role, but not the owner's", async () => {
    const calls = renderMembers("admin", { [`PATCH ${BASE}/members/u-ed`]: { ...MEMBERS[1], role: "admin" } });
    await userEvent.selectOptions(await screen.findByRole("combobox", { name: "Role of ed@example.com" }), "admin");
    await waitFor(() => expect(calls).toContainEqual({ method: "PATCH", path: `${BASE}/members/u-ed`, body: { role: "admin" } }));
    expect(screen.queryByRole("combobox", { name: "Role of olga@example.com" })).not.toBeInTheDocument();
  });

  it("lets an admin remove a member, but not the owner", async () => {
    const calls = renderMembers("admin", { [`DELETE ${BASE}/members/u-ed`]: {} });
    expect(within(await row("olga@example.com")).queryByRole("button", { name: "Remove" })).not.toBeInTheDocument();
    await userEvent.click(within(await row("ed@example.com")).getByRole("button", { name: "Remove" }));
    await waitFor(() => expect(calls).toContainEqual({ method: "DELETE", path: `${BASE}/members/u-ed`, body: undefined }));
  });

  it("shows the API's error when a removal is refused", async () => {
    renderMembers("admin", { [`DELETE ${BASE}/members/u-ed`]: apiError(409, "conflict", "cannot remove the last admin") });
    await userEvent.click(within(await row("ed@example.com")).getByRole("button", { name: "Remove" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("cannot remove the last admin");
  });

  it("invites with an email and a role", async () => {
    const calls = renderMembers("admin", {
      [`POST ${BASE}/invitations`]: { ...INVITATIONS[0], id: "i-3", email: "zoe@example.com", role: "editor" },
    });
    await userEvent.type(screen.getByLabelText("Email"), "zoe@example.com");
    await userEvent.selectOptions(screen.getByLabelText("Role"), "editor");
    await userEvent.click(screen.getByRole("button", { name: "Send invitation" }));
    expect(await screen.findByText(/Invitation sent to zoe@example.com/)).toBeInTheDocument();
    expect(calls).toContainEqual({ method: "POST", path: `${BASE}/invitations`, body: { email: "zoe@example.com", role: "editor" } });
    expect(screen.getByLabelText("Email")).toHaveValue("");
  });

  it("shows the API's error when an invitation fails", async () => {
    renderMembers("admin", { [`POST ${BASE}/invitations`]: apiError(409, "conflict", "already a member") });
    await userEvent.type(screen.getByLabelText("Email"), "ed@example.com");
    await userEvent.click(screen.getByRole("button", { name: "Send invitation" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("already a member");
  });

  it("lists pending invitations only and revokes one", async () => {
    const calls = renderMembers("admin", { [`DELETE ${BASE}/invitations/i-1`]: {} });
    const pending = (await screen.findByText("new@example.com")).closest("li")!;
    expect(screen.queryByText("gone@example.com")).not.toBeInTheDocument();
    await userEvent.click(within(pending).getByRole("button", { name: "Revoke" }));
    await waitFor(() => expect(calls).toContainEqual({ method: "DELETE", path: `${BASE}/invitations/i-1`, body: undefined }));
  });

  it("lets an admin rename the organisation, but not transfer or delete it", async () => {
    const calls = renderMembers("admin", { [`PATCH ${BASE}`]: { id: "org-1", name: "New Name", slug: "", tier: "", role: "admin", created_at: "" } });
    const name = screen.getByLabelText("Organisation name");
    expect(name).toHaveValue("Test Org");
    await userEvent.clear(name);
    await userEvent.type(name, "New Name");
    await userEvent.click(screen.getByRole("button", { name: "Rename" }));
    expect(await screen.findByText("Renamed to New Name.")).toBeInTheDocument();
    expect(calls).toContainEqual({ method: "PATCH", path: BASE, body: { name: "New Name" } });
    expect(screen.queryByRole("button", { name: "Transfer ownership" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Delete organisation" })).not.toBeInTheDocument();
  });

  it("lets the owner transfer ownership after confirming", async () => {
    const confirm = vi.spyOn(window, "confirm").mockReturnValue(true);
    const calls = renderMembers("owner", { [`POST ${BASE}/transfer-ownership`]: {} });
    const newOwner = await screen.findByLabelText("New owner");
    expect(within(newOwner).queryByRole("option", { name: /olga@example.com/ })).not.toBeInTheDocument();
    await userEvent.selectOptions(newOwner, "u-ed");
    await userEvent.click(screen.getByRole("button", { name: "Transfer ownership" }));
    expect(confirm).toHaveBeenCalledWith(expect.stringContaining("ed@example.com"));
    await waitFor(() =>
      expect(calls).toContainEqual({ method: "POST", path: `${BASE}/transfer-ownership`, body: { user_id: "u-ed" } }),
    );
  });

  it("does not delete the organisation when the owner cancels", async () => {
    vi.spyOn(window, "confirm").mockReturnValue(false);
    const calls = renderMembers("owner");
    await userEvent.click(await screen.findByRole("button", { name: "Delete organisation" }));
    expect(calls.some((c) => c.method === "DELETE")).toBe(false);
  });

  it("deletes the organisation after confirming and goes home", async () => {
    vi.spyOn(window, "confirm").mockReturnValue(true);
    const calls = renderMembers("owner", { [`DELETE ${BASE}`]: {} });
    await userEvent.click(await screen.findByRole("button", { name: "Delete organisation" }));
    await waitFor(() => expect(screen.getByTestId("where")).toHaveTextContent(/^\/$/));
    expect(calls).toContainEqual({ method: "DELETE", path: BASE, body: undefined });
  });
});
