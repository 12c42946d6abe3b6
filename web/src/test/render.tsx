// Component-test helpers: render a page inside the app's providers at a
// route, with a role, against a fake API that answers by "METHOD /path".
import { QueryClientProvider } from "@tanstack/react-query";
import { render } from "@testing-library/react";
import type { ReactNode } from "react";
import { MemoryRouter, Route, Routes } from "react-router";
import { vi } from "vitest";
import { makeQueryClient } from "../App";
import { TestOrg } from "../lib/session";
import type { Role } from "../lib/roles";

export const ORG = "org-1";

export interface Recorded {
  method: string;
  path: string;
  body: unknown;
}

type Answer = unknown | ((body: unknown, url: URL) => unknown);

/**
 * Stubs fetch: `routes` maps "GET /api/orgs/org-1/projects" to a JSON body
 * (or a function of the request body), or to `{ status, body }` via `reply`.
 * Unknown routes answer 404 with the API's error shape. Returns the calls made.
 */
export function fakeApi(routes: Record<string, Answer>): Recorded[] {
  const calls: Recorded[] = [];
  vi.stubGlobal("fetch", async (input: Request | string, init?: RequestInit) => {
    const request = typeof input === "string" ? new Request(new URL(input, location.origin), init) : input;
    const url = new URL(request.url);
    const text = await request.text();
    const body = text ? JSON.parse(text) : undefined;
    calls.push({ method: request.method, path: url.pathname, body });
    const answer = routes[`${request.method} ${url.pathname}`];
    if (answer === undefined) {
      return json(404, { error: { code: "not_found", message: `no fake for ${request.method} ${url.pathname}`, request_id: "t" } });
    }
    const value = typeof answer === "function" ? (answer as (b: unknown, u: URL) => unknown)(body, url) : answer;
    if (value instanceof Reply) return json(value.status, value.body, value.headers);
    return json(200, value);
  });
  return calls;
}

class Reply {
  constructor(
    public status: number,
    public body: unknown,
    public headers: Record<string, string> = {},
  ) {}
}

/** An answer for `fakeApi` with its own status (and headers). */
export function reply(status: number, body: unknown, headers: Record<string, string> = {}) {
  return new Reply(status, body, headers);
}

/** The API's error body. */
export function apiError(status: number, code: string, message: string) {
  return reply(status, { error: { code, message, request_id: "req-test-1" } });
}

function json(status: number, body: unknown, headers: Record<string, string> = {}) {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
}

/**
 * Renders `element` at `url` (matched by `path`) inside the query client,
 * router and an organisation with `role`.
 */
export function renderPage(
  element: ReactNode,
  { url, path, role = "owner" }: { url: string; path: string; role?: Role },
) {
  localStorage.setItem("reelpilot.session", JSON.stringify({ access_token: "rpa_test", refresh_token: "rpr_test" }));
  return render(
    <QueryClientProvider client={makeQueryClient()}>
      <MemoryRouter initialEntries={[url]}>
        <TestOrg role={role}>
          <Routes>
            <Route path={path} element={element} />
            <Route path="*" element={<p>elsewhere</p>} />
          </Routes>
        </TestOrg>
      </MemoryRouter>
    </QueryClientProvider>,
  );
}
