import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Role } from "../lib/roles";
import { apiError, fakeApi, renderPage } from "../test/render";
import { Policy } from "./Policy";

const BASE = "/api/orgs/org-1/policy/rules";
const RIVALS = {
  id: "r-1",
  name: "No rivals",
  test: { kind: "terms", terms: ["AcmeCorp", "Brand X"] },
  severity: "block",
  enabled: true,
  created_by: "user-1",
  created_at: "",
  updated_at: "",
};
const QUESTION = { ...RIVALS, id: "r-2", name: "Prices", test: { kind: "classifier", question: "Does it quote a price?" }, severity: "warn" };

function renderPolicy(role: Role, routes: Record<string, unknown>) {
  const calls = fakeApi(routes);
  renderPage(<Policy />, { url: "/orgs/org-1/policy", path: "/orgs/:orgId/policy", role });
  return calls;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("Policy", () => {
  it("shows every member the rules in words, and an editor no way to change them", async () => {
    renderPolicy("editor", { [`GET ${BASE}`]: [RIVALS, QUESTION] });
    expect(await screen.findByText("Says any of: AcmeCorp, Brand X")).toBeInTheDocument();
    expect(screen.getByText("The model answers yes to: Does it quote a price?")).toBeInTheDocument();
    expect(screen.getByText("blocks")).toBeInTheDocument();
    expect(screen.getByText("warns")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Add rule" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Remove" })).not.toBeInTheDocument();
  });

  it("adds a rule of blocked words as a list", async () => {
    const calls = renderPolicy("admin", { [`GET ${BASE}`]: [], [`POST ${BASE}`]: RIVALS });
    expect(await screen.findByText("No rules of your own yet")).toBeInTheDocument();
    await userEvent.type(screen.getByLabelText("Name"), "No rivals");
    await userEvent.type(screen.getByLabelText("Words"), "AcmeCorp, Brand X,");
    await userEvent.click(screen.getByRole("button", { name: "Add rule" }));
    expect(await screen.findByText(/Added No rivals/)).toBeInTheDocument();
    expect(calls).toContainEqual({
      method: "POST",
      path: BASE,
      body: { name: "No rivals", severity: "block", test: { kind: "terms", terms: ["AcmeCorp", "Brand X"] } },
    });
  });

  it("adds a category rule that only warns", async () => {
    const calls = renderPolicy("owner", { [`GET ${BASE}`]: [], [`POST ${BASE}`]: { ...RIVALS, name: "Money" } });
    await userEvent.type(screen.getByLabelText("Name"), "Money");
    await userEvent.selectOptions(screen.getByLabelText("Kind"), "Claim category");
    await userEvent.selectOptions(screen.getByLabelText("Category"), "Financial promises");
    await userEvent.selectOptions(screen.getByLabelText("Severity"), "Warn: leave a note");
    await userEvent.click(screen.getByRole("button", { name: "Add rule" }));
    await waitFor(() =>
      expect(calls).toContainEqual({
        method: "POST",
        path: BASE,
        body: { name: "Money", severity: "warn", test: { kind: "category", category: "financial_promises" } },
      }),
    );
  });

  it("shows why a pattern was refused", async () => {
    renderPolicy("admin", {
      [`GET ${BASE}`]: [],
      [`POST ${BASE}`]: apiError(422, "validation_failed", "the pattern does not compile: unclosed group"),
    });
    await userEvent.type(screen.getByLabelText("Name"), "Broken");
    await userEvent.selectOptions(screen.getByLabelText("Kind"), "Regular expression");
    await userEvent.type(screen.getByLabelText("Pattern"), "(unclosed");
    await userEvent.click(screen.getByRole("button", { name: "Add rule" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("the pattern does not compile");
  });

  it("turns a rule off and removes another", async () => {
    vi.spyOn(window, "confirm").mockReturnValue(true);
    const calls = renderPolicy("admin", {
      [`GET ${BASE}`]: [RIVALS, QUESTION],
      [`PATCH ${BASE}/r-1`]: { ...RIVALS, enabled: false },
      [`DELETE ${BASE}/r-2`]: null,
    });
    const [first] = await screen.findAllByRole("button", { name: "Turn off" });
    await userEvent.click(first);
    await waitFor(() => expect(calls).toContainEqual({ method: "PATCH", path: `${BASE}/r-1`, body: { enabled: false } }));
    await userEvent.click(screen.getAllByRole("button", { name: "Remove" })[1]);
    await waitFor(() => expect(calls.some((c) => c.method === "DELETE" && c.path === `${BASE}/r-2`)).toBe(true));
  });
});
