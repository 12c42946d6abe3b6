// The typed API client: every path, parameter and body comes from
// `schema.d.ts`, generated from the server's OpenAPI document
// (`npm run gen:api`; a test fails when it is stale). The fetch it uses
// attaches the access token and refreshes it once on 401 (the refresh
// token rotates on every use, so concurrent 401s share one refresh).

import createClient from "openapi-fetch";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];

export interface ApiErrorBody {
  error: { code: string; message: string; request_id: string | null; field?: string };
}

export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    public requestId: string | null,
    public field?: string,
  ) {
    super(message);
  }
}

export interface Session {
  access_token: string;
  refresh_token: string;
}

const KEY = "reelpilot.session";
const listeners = new Set<() => void>();

export const sessionStore = {
  get(): Session | null {
    const raw = localStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Session) : null;
  },
  set(session: Session | null) {
    if (session) localStorage.setItem(KEY, JSON.stringify(session));
    else localStorage.removeItem(KEY);
    listeners.forEach((l) => l());
  },
  /** Called when the session starts or ends (also when a refresh fails). */
  subscribe(listener: () => void) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

/** Same origin as the app (absolute, so Request objects work in tests too). */
const BASE = typeof window === "undefined" ? "" : window.location.origin;

let refreshing: Promise<boolean> | null = null;

/** Exchanges the refresh token once, even when several requests hit 401 together. */
async function refresh(): Promise<boolean> {
  const session = sessionStore.get();
  if (!session) return false;
  refreshing ??= (async () => {
    const res = await fetch(`${BASE}/api/auth/refresh`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ refresh_token: session.refresh_token }),
    });
    if (!res.ok) {
      sessionStore.set(null);
      return false;
    }
    const body = (await res.json()) as Session;
    sessionStore.set({ access_token: body.access_token, refresh_token: body.refresh_token });
    return true;
  })().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

function withToken(request: Request): Request {
  const token = sessionStore.get()?.access_token;
  if (token) request.headers.set("authorization", `Bearer ${token}`);
  return request;
}

/** fetch with the access token, refreshed once on 401. */
export async function authedFetch(input: Request): Promise<Response> {
  const again = input.clone();
  const res = await fetch(withToken(input));
  if (res.status === 401 && sessionStore.get() && !input.url.includes("/api/auth/") && (await refresh())) {
    return fetch(withToken(again));
  }
  return res;
}

export const client = createClient<paths>({ baseUrl: BASE, fetch: authedFetch });

/** The data of a typed call, or an ApiError carrying the API's code and request id. */
export async function call<T>(
  pending: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  const { data, error, response } = await pending;
  if (response.ok) return data as T;
  const e = error && typeof error === "object" && "error" in error ? (error as ApiErrorBody).error : null;
  throw new ApiError(
    response.status,
    e?.code ?? "unknown",
    e?.message ?? response.statusText,
    e?.request_id ?? response.headers.get("x-request-id"),
    e?.field,
  );
}

export interface Readiness {
  ready: boolean;
  failed: string[];
  checks: Record<string, { ok: boolean; error?: string }>;
}

/** /readyz answers 503 with a report body: both are a readiness report. */
export async function fetchReadiness(): Promise<Readiness> {
  const res = await fetch("/readyz");
  return (await res.json()) as Readiness;
}
