import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import openapiTS, { astToString } from "openapi-typescript";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError, call, client, MAX_REFRESH_WAIT_MS, REFRESH_ATTEMPTS, REFRESH_LOCK, sessionStore } from "./api";

function respond(status: number, body: unknown, headers: Record<string, string> = {}) {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
}

describe("the typed client", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    sessionStore.set(null);
  });

  it("refreshes once on 401, stores the rotated tokens and retries", async () => {
    sessionStore.set({ access_token: "rpa_old", refresh_token: "rpr_old" });
    const calls: { path: string; auth: string | null; body?: string }[] = [];
    vi.stubGlobal("fetch", async (input: Request | string, init?: RequestInit) => {
      if (typeof input === "string") {
        calls.push({ path: new URL(input).pathname, auth: null, body: init?.body as string });
        return respond(200, { access_token: "rpa_new", refresh_token: "rpr_new" });
      }
      const auth = input.headers.get("authorization");
      calls.push({ path: new URL(input.url).pathname, auth });
      return auth === "Bearer rpa_new"
        ? respond(200, { id: "u1", email: "a@b.c", display_name: "A", email_verified: true, orgs: [] })
        : respond(401, { error: { code: "unauthenticated", message: "expired", request_id: "r1" } });
    });

    const me = await call(client.GET("/api/me"));
    expect(me.email).toBe("a@b.c");
    expect(calls.map((c) => c.path)).toEqual(["/api/me", "/api/auth/refresh", "/api/me"]);
    expect(JSON.parse(calls[1].body!)).toEqual({ refresh_token: "rpr_old" });
    expect(calls[2].auth).toBe("Bearer rpa_new");
    expect(sessionStore.get()).toEqual({ access_token: "rpa_new", refresh_token: "rpr_new" });
  });

  it("signs out when the refresh token is refused and surfaces the API's error", async () => {
    sessionStore.set({ access_token: "rpa_old", refresh_token: "rpr_reused" });
    vi.stubGlobal("fetch", async () =>
      respond(401, { error: { code: "unauthenticated", message: "session expired", request_id: "r2" } }),
    );
    const err = (await call(client.GET("/api/me")).catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.code).toBe("unauthenticated");
    expect(err.requestId).toBe("r2");
    expect(sessionStore.get()).toBeNull();
  });

  it("keeps the field of a validation error", async () => {
    vi.stubGlobal("fetch", async () =>
      respond(422, { error: { code: "validation_failed", message: "too short", request_id: "r3", field: "password" } }),
    );
    const err = (await call(
      client.POST("/api/auth/register", { body: { email: "a@b.c", password: "x" } }),
    ).catch((e: unknown) => e)) as ApiError;
    expect([err.status, err.code, err.field]).toEqual([422, "validation_failed", "password"]);
  });
});

const KEY = "reelpilot.session";
const ME = { id: "u1", email: "a@b.c", display_name: "A", email_verified: true, orgs: [] };
const EXPIRED = { error: { code: "unauthenticated", message: "expired", request_id: "r1" } };

interface Recorded {
  path: string;
  auth: string | null;
  refreshToken?: string;
}

/**
 * A fetch stub: /api/me answers 200 to `Bearer <valid access token>`, 401
 * otherwise; /api/auth/refresh answers with whatever `onRefresh` returns
 * (or throws) for the n-th refresh.
 */
function stubServer(access: () => string, onRefresh: (token: string, n: number) => Response | Promise<Response>) {
  const calls: Recorded[] = [];
  let refreshes = 0;
  vi.stubGlobal("fetch", async (input: Request | string, init?: RequestInit) => {
    if (typeof input === "string") {
      const refreshToken = (JSON.parse(init!.body as string) as { refresh_token: string }).refresh_token;
      calls.push({ path: new URL(input).pathname, auth: null, refreshToken });
      return onRefresh(refreshToken, ++refreshes);
    }
    const auth = input.headers.get("authorization");
    calls.push({ path: new URL(input.url).pathname, auth });
    return auth === `Bearer ${access()}` ? respond(200, ME) : respond(401, EXPIRED);
  });
  return {
    calls,
    paths: () => calls.map((c) => c.path),
    refreshes: () => calls.filter((c) => c.path === "/api/auth/refresh"),
  };
}

/**
 * A stand-in for `navigator.locks` that runs one callback at a time, in
 * order, like a browser does for one lock name across tabs. `before` runs
 * just before each callback gets the lock.
 */
function installSerialLocks(before?: () => void) {
  let tail: Promise<unknown> = Promise.resolve();
  const requested: string[] = [];
  let held = 0;
  let maxHeld = 0;
  const locks = {
    request(name: string, callback: () => Promise<unknown>) {
      requested.push(name);
      const run = tail.then(async () => {
        held++;
        maxHeld = Math.max(maxHeld, held);
        before?.();
        try {
          return await callback();
        } finally {
          held--;
        }
      });
      tail = run.catch(() => undefined);
      return run;
    },
  };
  Object.defineProperty(navigator, "locks", { value: locks, configurable: true });
  return { requested, maxHeld: () => maxHeld };
}

describe("refreshing the session", () => {
  afterEach(async () => {
    sessionStore.set(null);
    // Let a refresh still waiting on a fake timer (a failed test) see the
    // sign-out and end, so the next test does not join it.
    if (vi.isFakeTimers()) await vi.runAllTimersAsync();
    vi.useRealTimers();
    vi.unstubAllGlobals();
    Reflect.deleteProperty(navigator, "locks");
  });

  it("waits out a 429 for its Retry-After, then retries the refresh and the request, keeping the session", async () => {
    vi.useFakeTimers();
    sessionStore.set({ access_token: "rpa_old", refresh_token: "rpr_old" });
    const server = stubServer(
      () => "rpa_new",
      (_, n) =>
        n === 1
          ? respond(429, { error: { code: "rate_limited", message: "slow down", request_id: "r4" } }, { "retry-after": "5" })
          : respond(200, { access_token: "rpa_new", refresh_token: "rpr_new" }),
    );

    let settled = false;
    const pending = call(client.GET("/api/me")).finally(() => {
      settled = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(server.refreshes()).toHaveLength(1);
    expect(sessionStore.get()).toEqual({ access_token: "rpa_old", refresh_token: "rpr_old" });

    await vi.advanceTimersByTimeAsync(4_999);
    expect(server.refreshes()).toHaveLength(1);
    expect(settled).toBe(false);

    await vi.advanceTimersByTimeAsync(1);
    expect((await pending).email).toBe("a@b.c");
    expect(server.paths()).toEqual(["/api/me", "/api/auth/refresh", "/api/auth/refresh", "/api/me"]);
    expect(server.refreshes().map((c) => c.refreshToken)).toEqual(["rpr_old", "rpr_old"]);
    expect(server.calls[3].auth).toBe("Bearer rpa_new");
    expect(sessionStore.get()).toEqual({ access_token: "rpa_new", refresh_token: "rpr_new" });
  });

  it("caps a long Retry-After at the maximum wait", async () => {
    vi.useFakeTimers();
    sessionStore.set({ access_token: "rpa_old", refresh_token: "rpr_old" });
    const server = stubServer(
      () => "rpa_new",
      (_, n) =>
        n === 1
          ? respond(429, { error: { code: "rate_limited", message: "slow down", request_id: null } }, { "retry-after": "3600" })
          : respond(200, { access_token: "rpa_new", refresh_token: "rpr_new" }),
    );

    const pending = call(client.GET("/api/me"));
    await vi.advanceTimersByTimeAsync(MAX_REFRESH_WAIT_MS - 1);
    expect(server.refreshes()).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect((await pending).email).toBe("a@b.c");
    expect(server.refreshes()).toHaveLength(2);
  });

  it("backs off on 5xx and network failures, and when they persist returns the 401 but keeps the session", async () => {
    vi.useFakeTimers();
    sessionStore.set({ access_token: "rpa_old", refresh_token: "rpr_old" });
    const server = stubServer(
      () => "rpa_new",
      (_, n) => {
        if (n % 2 === 0) throw new TypeError("Failed to fetch");
        return respond(503, { error: { code: "dependency_unavailable", message: "db down", request_id: null } });
      },
    );

    const pending = call(client.GET("/api/me")).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(0);
    expect(server.refreshes()).toHaveLength(1);
    // No Retry-After: 1 s, then 2 s, then 4 s.
    await vi.advanceTimersByTimeAsync(1_000);
    expect(server.refreshes()).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(server.refreshes()).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(4_000);
    await vi.advanceTimersByTimeAsync(60_000);

    const err = (await pending) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect([err.status, err.code]).toEqual([401, "unauthenticated"]);
    expect(server.refreshes()).toHaveLength(REFRESH_ATTEMPTS);
    expect(server.paths().filter((p) => p === "/api/me")).toHaveLength(1);
    expect(sessionStore.get()).toEqual({ access_token: "rpa_old", refresh_token: "rpr_old" });
  });

  it("signs out on a 401 from refresh at once, without retrying", async () => {
    const locks = installSerialLocks();
    sessionStore.set({ access_token: "rpa_old", refresh_token: "rpr_reused" });
    const server = stubServer(
      () => "rpa_never",
      () => respond(401, { error: { code: "unauthenticated", message: "session expired", request_id: "r5" } }),
    );

    const err = (await call(client.GET("/api/me")).catch((e: unknown) => e)) as ApiError;
    expect([err.status, err.code]).toEqual([401, "unauthenticated"]);
    expect(server.paths()).toEqual(["/api/me", "/api/auth/refresh"]);
    expect(locks.requested).toEqual([REFRESH_LOCK]);
    expect(sessionStore.get()).toBeNull();
  });

  it.each([
    [400, "invalid_body", null],
    [422, "invalid_text", null],
    [403, "forbidden", { access_token: "rpa_old", refresh_token: "rpr_old" }],
    [409, "conflict", { access_token: "rpa_old", refresh_token: "rpr_old" }],
  ])("after a %i %s from refresh the session is %j", async (status, code, kept) => {
    sessionStore.set({ access_token: "rpa_old", refresh_token: "rpr_old" });
    const server = stubServer(
      () => "rpa_never",
      () => respond(status, { error: { code, message: "no", request_id: null } }),
    );
    await call(client.GET("/api/me")).catch(() => undefined);
    expect(server.refreshes()).toHaveLength(1);
    expect(sessionStore.get()).toEqual(kept);
  });

  it("uses the tokens another tab rotated while this one waited for the lock, without calling the server", async () => {
    const other = { access_token: "rpa_other", refresh_token: "rpr_other" };
    // The other tab held the lock first and stored its new pair.
    const locks = installSerialLocks(() => localStorage.setItem(KEY, JSON.stringify(other)));
    sessionStore.set({ access_token: "rpa_old", refresh_token: "rpr_old" });
    const server = stubServer(
      () => "rpa_other",
      () => respond(401, { error: { code: "unauthenticated", message: "reused", request_id: null } }),
    );

    expect((await call(client.GET("/api/me"))).email).toBe("a@b.c");
    expect(locks.requested).toEqual([REFRESH_LOCK]);
    expect(server.paths()).toEqual(["/api/me", "/api/me"]);
    expect(server.calls[1].auth).toBe("Bearer rpa_other");
    expect(sessionStore.get()).toEqual(other);
  });

  it("two tabs hitting 401 together send the refresh token once, as the lock serialises them", async () => {
    const locks = installSerialLocks();
    // Two tabs: two copies of the module (each its own single flight), one localStorage.
    vi.resetModules();
    const tabA = await import("./api");
    vi.resetModules();
    const tabB = await import("./api");
    tabA.sessionStore.set({ access_token: "rpa_0", refresh_token: "rpr_0" });

    // The server's rotation: each refresh token works once; a second use revokes the session.
    // The stored access token has expired; rpr_0 is the live refresh token.
    let live = { access_token: "rpa_expired", refresh_token: "rpr_0" };
    let revoked = false;
    let n = 0;
    const server = stubServer(
      () => (revoked ? "(revoked)" : live.access_token),
      (token) => {
        if (revoked || token !== live.refresh_token) {
          revoked = true;
          return respond(401, { error: { code: "unauthenticated", message: "reuse", request_id: null } });
        }
        n++;
        live = { access_token: `rpa_${n}`, refresh_token: `rpr_${n}` };
        return respond(200, live);
      },
    );

    const [a, b] = await Promise.all([
      tabA.call(tabA.client.GET("/api/me")),
      tabB.call(tabB.client.GET("/api/me")),
    ]);
    expect([a.email, b.email]).toEqual(["a@b.c", "a@b.c"]);
    expect(server.refreshes().map((c) => c.refreshToken)).toEqual(["rpr_0"]);
    expect(locks.requested).toEqual([REFRESH_LOCK, REFRESH_LOCK]);
    expect(locks.maxHeld()).toBe(1);
    expect(revoked).toBe(false);
    expect(sessionStore.get()).toEqual({ access_token: "rpa_1", refresh_token: "rpr_1" });
  });

  it("without Web Locks, concurrent 401s in one tab still share one refresh", async () => {
    expect("locks" in navigator).toBe(false);
    sessionStore.set({ access_token: "rpa_old", refresh_token: "rpr_old" });
    const server = stubServer(
      () => "rpa_new",
      (token) =>
        token === "rpr_old"
          ? respond(200, { access_token: "rpa_new", refresh_token: "rpr_new" })
          : respond(401, { error: { code: "unauthenticated", message: "reuse", request_id: null } }),
    );

    const both = await Promise.all([call(client.GET("/api/me")), call(client.GET("/api/me"))]);
    expect(both.map((m) => m.email)).toEqual(["a@b.c", "a@b.c"]);
    expect(server.refreshes()).toHaveLength(1);
    expect(sessionStore.get()).toEqual({ access_token: "rpa_new", refresh_token: "rpr_new" });
  });

  it("tells its listeners when another tab changes the session (storage event)", () => {
    const seen: (string | undefined)[] = [];
    const off = sessionStore.subscribe(() => seen.push(sessionStore.get()?.access_token));
    try {
      const rotated = JSON.stringify({ access_token: "rpa_other", refresh_token: "rpr_other" });
      localStorage.setItem(KEY, rotated);
      window.dispatchEvent(new StorageEvent("storage", { key: KEY, newValue: rotated, storageArea: localStorage }));
      window.dispatchEvent(new StorageEvent("storage", { key: "something.else", newValue: "x", storageArea: localStorage }));
      localStorage.removeItem(KEY);
      window.dispatchEvent(new StorageEvent("storage", { key: KEY, newValue: null, storageArea: localStorage }));
      expect(seen).toEqual(["rpa_other", undefined]);
    } finally {
      off();
    }
  });
});

describe("schema.d.ts", () => {
  it("is generated from the committed OpenAPI document (run `npm run gen:api`)", async () => {
    const spec = resolve(process.cwd(), "../docs/openapi.json");
    const generated = astToString(await openapiTS(JSON.parse(readFileSync(spec, "utf8"))));
    const committed = readFileSync(resolve(process.cwd(), "src/lib/schema.d.ts"), "utf8");
    const body = (s: string) => s.slice(s.indexOf("export interface paths"));
    expect(body(committed)).toBe(body(generated));
  });
});
