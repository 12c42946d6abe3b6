import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useLocation } from "react-router";
import { describe, expect, it } from "vitest";
import { apiError, fakeApi, renderPage } from "../../test/render";
import { AcceptInvitation } from "./AcceptInvitation";

function Where() {
  return <p data-testid="where">{useLocation().pathname}</p>;
}

describe("AcceptInvitation", () => {
  it("accepts with the token and opens the organisation joined", async () => {
    const calls = fakeApi({
      "POST /api/invitations/accept": { id: "org-9", name: "Acme", slug: "acme", tier: "free", role: "editor", created_at: "" },
    });
    renderPage(
      <>
        <AcceptInvitation />
        <Where />
      </>,
      { url: "/invitations/accept?token=inv-1", path: "*" },
    );
    await userEvent.click(screen.getByRole("button", { name: "Accept invitation" }));
    expect(await screen.findByTestId("where")).toHaveTextContent("/orgs/org-9");
    expect(calls.find((c) => c.method === "POST")).toEqual({
      method: "POST",
      path: "/api/invitations/accept",
      body: { token: "inv-1" },
    });
  });

  it("shows the API's error", async () => {
    fakeApi({ "POST /api/invitations/accept": apiError(403, "forbidden", "invitation is for another address") });
    renderPage(<AcceptInvitation />, { url: "/invitations/accept?token=inv-1", path: "/invitations/accept" });
    await userEvent.click(screen.getByRole("button", { name: "Accept invitation" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("invitation is for another address");
  });
});
