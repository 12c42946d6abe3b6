// The typed API client: every path, parameter and body comes from
// `schema.d.ts`, generated from the server's OpenAPI document
// (`npm run gen:api`; a test fails when it is stale). The fetch it uses
// attaches the access token and refreshes it once on 401. The refresh token
// rotates on every use and presenting a used one revokes the session, so
// concurrent 401s share one refresh: within a tab (single flight) and
// across tabs (a Web Lock, and the `storage` event for the rotated tokens).

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
  /**
   * Called when the session starts, ends or its tokens rotate, also when
   * another tab does it (through the `storage` event).
   */
  subscribe(listener: () => void) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

// Another tab signed in, out, or rotated the tokens: localStorage already
// holds the new value, so only the listeners need telling.
if (typeof window !== "undefined") {
  window.addEventListener("storage", (e) => {
    if (e.storageArea !== null && e.storageArea !== localStorage) return;
    if (e.key === KEY || e.key === null) listeners.forEach((l) => l());
  });
}

/** Same origin as the app (absolute, so Request objects work in tests too). */
const BASE = typeof window === "undefined" ? "" : window.location.origin;

/** The Web Lock every tab holds while it refreshes. */
export const REFRESH_LOCK = "reelpilot.refresh";
/** Attempts at /api/auth/refresh before giving up (keeping the session). */
export const REFRESH_ATTEMPTS = 4;
/** The longest wait between attempts, whatever `Retry-After` asks for. */
export const MAX_REFRESH_WAIT_MS = 30_000;
/** The wait after attempt n when the server names none: 1 s, 2 s, 4 s... */
const backoff = (n: number) => Math.min(1000 * 2 ** (n - 1), MAX_REFRESH_WAIT_MS);

/**
 * Codes of a 400, 403 or 422 from /api/auth/refresh that mean the refresh
 * token itself is bad (a 401 always does): retrying cannot help, so sign out.
 */
const TOKEN_REFUSED = new Set([
  "unauthenticated",
  "invalid_token",
  "invalid_refresh_token",
  "token_revoked",
  "session_revoked",
  "invalid_body",
  "invalid_text",
]);

type Attempt =
  | { kind: "rotated"; session: Session }
  /** The server refused the token: the session is over. */
  | { kind: "refused" }
  /** Rate limited, a 5xx or no answer: wait (this long, if the server said) and try again. */
  | { kind: "wait"; ms?: number }
  /** Anything else: retrying will not help, but the token was not refused either. */
  | { kind: "give_up" };

/** `Retry-After` (seconds or an HTTP date) in milliseconds, capped. */
function retryAfter(res: Response): number | undefined {
  const raw = res.headers.get("retry-after")?.trim();
  if (!raw) return undefined;
  const ms = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) * 1000 : Date.parse(raw) - Date.now();
  if (!Number.isFinite(ms)) return undefined;
  return Math.min(Math.max(ms, 0), MAX_REFRESH_WAIT_MS);
}

async function attempt(refreshToken: string): Promise<Attempt> {
  let res: Response;
  try {
    res = await fetch(`${BASE}/api/auth/refresh`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ refresh_token: refreshToken }),
    });
  } catch {
    return { kind: "wait" };
  }
  if (res.ok) {
    // The server has used the token up by now, so sending it again would
    // only trip reuse detection: an unreadable answer is not retried.
    const body = (await res.json().catch(() => null)) as Partial<Session> | null;
    if (typeof body?.access_token !== "string" || typeof body.refresh_token !== "string") return { kind: "give_up" };
    return { kind: "rotated", session: { access_token: body.access_token, refresh_token: body.refresh_token } };
  }
  if (res.status === 429 || res.status === 408 || res.status >= 500) return { kind: "wait", ms: retryAfter(res) };
  if (res.status === 401) return { kind: "refused" };
  if (res.status === 400 || res.status === 403 || res.status === 422) {
    const body = (await res.json().catch(() => null)) as Partial<ApiErrorBody> | null;
    if (TOKEN_REFUSED.has(body?.error?.code ?? "")) return { kind: "refused" };
  }
  return { kind: "give_up" };
}

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

/**
 * Exchanges `stale` (the refresh token of the session whose access token
 * was refused) for a new pair, waiting out rate limits and outages. True
 * when the stored session now holds tokens newer than `stale`. Signs out
 * only when the server refuses the token; never throws.
 */
async function exchange(stale: string): Promise<boolean> {
  for (let n = 1; ; n++) {
    // Read again before every attempt: another tab may have rotated the
    // tokens (or signed out) while this one waited for the lock or a retry.
    const current = sessionStore.get();
    if (!current) return false;
    if (current.refresh_token !== stale) return true;
    const outcome = await attempt(stale);
    switch (outcome.kind) {
      case "rotated":
        sessionStore.set(outcome.session);
        return true;
      case "refused": {
        const now = sessionStore.get();
        if (now?.refresh_token === stale) {
          sessionStore.set(null);
          return false;
        }
        return now !== null;
      }
      case "give_up":
        return false;
      case "wait":
        if (n >= REFRESH_ATTEMPTS) return false;
        await sleep(outcome.ms ?? backoff(n));
    }
  }
}

/** `exchange` under the cross-tab lock where the browser has Web Locks. */
async function exchangeShared(stale: string): Promise<boolean> {
  const locks = typeof navigator === "undefined" ? undefined : navigator.locks;
  if (typeof locks?.request !== "function") return exchange(stale);
  let ran = false;
  try {
    return await locks.request(REFRESH_LOCK, () => {
      ran = true;
      return exchange(stale);
    });
  } catch {
    // The lock itself failed (say, in an opaque origin): refresh without it.
    return ran ? false : exchange(stale);
  }
}

let refreshing: Promise<boolean> | null = null;

/** Refreshes once in this tab, even when several requests hit 401 together. */
async function refresh(stale: string): Promise<boolean> {
  const current = sessionStore.get();
  if (!current) return false;
  if (current.refresh_token !== stale) return true;
  refreshing ??= exchangeShared(stale).finally(() => {
    refreshing = null;
  });
  return refreshing;
}

function withToken(request: Request, session: Session | null): Request {
  if (session) request.headers.set("authorization", `Bearer ${session.access_token}`);
  return request;
}

/**
 * fetch with the access token, refreshed once on 401. While the refresh
 * waits out a rate limit or an outage the request waits too; when it gives
 * up, the 401 is returned and the session kept.
 */
export async function authedFetch(input: Request): Promise<Response> {
  const again = input.clone();
  const sent = sessionStore.get();
  const res = await fetch(withToken(input, sent));
  if (res.status === 401 && sent && !input.url.includes("/api/auth/") && (await refresh(sent.refresh_token))) {
    return fetch(withToken(again, sessionStore.get()));
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

/** A page of a cursor-paged list: its items, and the next page's cursor (the `X-Next-Cursor` header). */
export async function cursorPage<T>(
  pending: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<{ items: T; next: string | null }> {
  const items = await call(pending);
  // The cursor of the next page is a header, so the body stays the list.
  return { items, next: (await pending).response.headers.get("x-next-cursor") };
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
