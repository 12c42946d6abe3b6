// Fetch wrapper: attaches the access token, refreshes it once on 401 (the
// refresh token rotates on every use), and turns the API's error body into an
// Error with its code and request id. The typed client generated from the
// OpenAPI spec replaces the hand-written types below with the web app work.

export interface ApiErrorBody {
  error: { code: string; message: string; request_id: string | null; field?: string };
}

export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    public requestId: string | null,
  ) {
    super(message);
  }
}

export interface Session {
  access_token: string;
  refresh_token: string;
}

const KEY = "reelpilot.session";

export const sessionStore = {
  get(): Session | null {
    const raw = localStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Session) : null;
  },
  set(session: Session | null) {
    if (session) localStorage.setItem(KEY, JSON.stringify(session));
    else localStorage.removeItem(KEY);
  },
};

async function send(path: string, init: RequestInit | undefined, token: string | undefined) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  return fetch(path, { ...init, headers: { ...headers, ...((init?.headers as Record<string, string>) ?? {}) } });
}

let refreshing: Promise<boolean> | null = null;

/** Exchanges the refresh token once, even when several requests hit 401 together. */
async function refresh(): Promise<boolean> {
  const session = sessionStore.get();
  if (!session) return false;
  refreshing ??= (async () => {
    const res = await send("/api/auth/refresh", { method: "POST", body: JSON.stringify({ refresh_token: session.refresh_token }) }, undefined);
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

export async function api<T>(path: string, init?: RequestInit): Promise<T> {
  let res = await send(path, init, sessionStore.get()?.access_token);
  if (res.status === 401 && sessionStore.get() && (await refresh())) {
    res = await send(path, init, sessionStore.get()?.access_token);
  }
  const text = await res.text();
  const body = text ? JSON.parse(text) : null;
  if (!res.ok) {
    const e = body && typeof body === "object" && "error" in body ? (body as ApiErrorBody).error : null;
    throw new ApiError(res.status, e?.code ?? "unknown", e?.message ?? res.statusText, e?.request_id ?? null);
  }
  return body as T;
}

export interface Readiness {
  ready: boolean;
  failed: string[];
  checks: Record<string, { ok: boolean; error?: string }>;
}

export interface Run {
  workflow_id: string;
  status: string;
  temporal_ui_url: string;
}

export interface Plan {
  id: string;
  start_date: string;
  days: number;
  slots_per_day: number;
  status: "pending" | "drafting" | "ready" | "failed";
  failure: string | null;
  slot_counts: Record<string, number>;
  batches_done: number;
  batches_total: number;
  run: Run;
}

export interface Me {
  id: string;
  email: string;
  display_name: string;
  email_verified: boolean;
  orgs: { org_id: string; name: string; role: string }[];
}

/** /readyz answers 503 with a report body: both are a readiness report. */
export async function fetchReadiness(): Promise<Readiness> {
  const res = await fetch("/readyz");
  return (await res.json()) as Readiness;
}
