import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useLocation } from "react-router";
import { describe, expect, it } from "vitest";
import { apiError, fakeApi, renderPage } from "../test/render";
import { NewOrg } from "./NewOrg";

function Where() {
  return <p data-testid="where">{useLocation().pathname}</p>;
}

const me = (orgs: { org_id: string; name: string; slug: string; role: string }[]) => ({
  id: "u1",
  email: "ana@example.com",
  display_name: "Ana",
  email_verified: true,
  orgs,
});

describe("NewOrg", () => {
  it("creates the organisation and opens it", async () => {
    const calls = fakeApi({
      "GET /api/me": me([]),
      "POST /api/orgs": { id: "org-7", name: "Acme", slug: "acme", tier: "free", role: "owner", created_at: "" },
    });
    renderPage(
      <>
        <NewOrg />
        <Where />
      </>,
      { url: "/orgs/new", path: "*" },
    );
    await userEvent.type(screen.getByLabelText("Organisation name"), "Acme");
    await userEvent.click(screen.getByRole("button", { name: "Create organisation" }));
    expect(await screen.findByText("/orgs/org-7")).toBeInTheDocument();
    expect(calls.find((c) => c.method === "POST")).toEqual({ method: "POST", path: "/api/orgs", body: { name: "Acme" } });
    // ["me"] was fetched again, so the org layout knows the new organisation.
    expect(calls.filter((c) => c.path === "/api/me")).toHaveLength(2);
  });

  it("shows the API's error", async () => {
    fakeApi({ "GET /api/me": me([]), "POST /api/orgs": apiError(422, "validation_failed", "name is too long") });
    renderPage(<NewOrg />, { url: "/orgs/new", path: "/orgs/new" });
    await userEvent.type(screen.getByLabelText("Organisation name"), "Acme");
    await userEvent.click(screen.getByRole("button", { name: "Create organisation" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("name is too long");
  });

  it("links back only for someone who already has an organisation", async () => {
    fakeApi({ "GET /api/me": me([{ org_id: "org-1", name: "Old", slug: "old", role: "owner" }]) });
    const { unmount } = renderPage(<NewOrg />, { url: "/orgs/new", path: "/orgs/new" });
    expect(await screen.findByRole("link", { name: "Back to your organisations" })).toHaveAttribute("href", "/");
    unmount();

    fakeApi({ "GET /api/me": me([]) });
    renderPage(<NewOrg />, { url: "/orgs/new", path: "/orgs/new" });
    expect(await screen.findByText(/Create one to start/)).toBeInTheDocument();
    expect(screen.queryByRole("link", { name: "Back to your organisations" })).not.toBeInTheDocument();
  });
});
