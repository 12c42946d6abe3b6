import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { aProject } from "../components/project/fixtures";
import type { Role } from "../lib/roles";
import { fakeApi, renderPage, reply } from "../test/render";
import { Projects } from "./Projects";

const PROJECTS = "/api/orgs/org-1/projects";

function renderProjects(role: Role) {
  return renderPage(<Projects />, { url: "/orgs/org-1/projects", path: "/orgs/:orgId/projects", role });
}

describe("Projects", () => {
  it("shows each project as a card linking to its page", async () => {
    fakeApi({
      [`GET ${PROJECTS}`]: [
        aProject(),
        aProject({ id: "proj-2", name: "Night Runs", niche: "running", autopilot: true, timezone: "UTC", posting_times: ["06:30"] }),
      ],
    });
    renderProjects("viewer");
    const link = await screen.findByRole("link", { name: "Night Runs" });
    expect(link).toHaveAttribute("href", "/orgs/org-1/projects/proj-2");
    const card = link.closest("li")!;
    expect(card).toHaveTextContent("running");
    expect(card).toHaveTextContent("UTC · 06:30");
    expect(within(card).getByText("Autopilot")).toBeInTheDocument();
    const other = screen.getByRole("link", { name: "Sourdough Daily" }).closest("li")!;
    expect(other).toHaveTextContent("Europe/Berlin · 09:00, 19:00");
    expect(within(other).queryByText("Autopilot")).not.toBeInTheDocument();
  });

  it("says when there are no projects, and only admins may create one", async () => {
    fakeApi({ [`GET ${PROJECTS}`]: [] });
    renderProjects("editor");
    expect(await screen.findByText("No projects yet")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "New project" })).not.toBeInTheDocument();
  });

  it("creates a project from the form and opens it", async () => {
    const calls = fakeApi({
      [`GET ${PROJECTS}`]: [],
      [`POST ${PROJECTS}`]: (body: object) => reply(201, { ...aProject({ id: "proj-9" }), ...body }),
    });
    renderProjects("admin");
    await userEvent.click(await screen.findByRole("button", { name: "New project" }));
    expect(screen.getByLabelText("Timezone")).toHaveValue(Intl.DateTimeFormat().resolvedOptions().timeZone);
    expect(screen.getByLabelText("Posting times")).toHaveValue("09:00, 13:00, 19:00");

    await userEvent.type(screen.getByLabelText("Name"), "Rye Club");
    await userEvent.type(screen.getByLabelText("Niche"), "rye bread");
    await userEvent.type(screen.getByLabelText("Audience"), "home bakers");
    await userEvent.type(screen.getByLabelText("Brand voice"), "Calm.");
    await userEvent.clear(screen.getByLabelText("Timezone"));
    await userEvent.type(screen.getByLabelText("Timezone"), "Europe/Vienna");
    await userEvent.clear(screen.getByLabelText("Posting times"));
    await userEvent.type(screen.getByLabelText("Posting times"), "08:15 ,18:45");
    await userEvent.click(screen.getByRole("button", { name: "Create project" }));

    expect(await screen.findByText("elsewhere")).toBeInTheDocument();
    expect(calls.find((c) => c.method === "POST")).toEqual({
      method: "POST",
      path: PROJECTS,
      body: {
        name: "Rye Club",
        niche: "rye bread",
        audience: "home bakers",
        brand_voice: "Calm.",
        timezone: "Europe/Vienna",
        posting_times: ["08:15", "18:45"],
      },
    });
  });

  it("shows the API's refusal next to the field it names", async () => {
    fakeApi({
      [`GET ${PROJECTS}`]: [],
      [`POST ${PROJECTS}`]: reply(422, {
        error: { code: "validation_failed", message: "\"25:00\" is not a HH:MM time", request_id: "req-7", field: "posting_times" },
      }),
    });
    renderProjects("owner");
    await userEvent.click(await screen.findByRole("button", { name: "New project" }));
    await userEvent.type(screen.getByLabelText("Name"), "Rye Club");
    await userEvent.clear(screen.getByLabelText("Posting times"));
    await userEvent.type(screen.getByLabelText("Posting times"), "25:00");
    await userEvent.click(screen.getByRole("button", { name: "Create project" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("req-7");
    expect(screen.getByLabelText("Posting times").parentElement).toHaveTextContent('"25:00" is not a HH:MM time');
    expect(screen.queryByText("elsewhere")).not.toBeInTheDocument();
  });
});
