import { afterEach, describe, expect, it, vi } from "vitest";
import { api, ApiError, sessionStore } from "./api";

function respond(status: number, body: unknown) {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

describe("api", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    sessionStore.set(null);
  });

  it("refreshes once on 401, stores the rotated tokens and retries", async () => {
    sessionStore.set({ access_token: "rpa_old", refresh_token: "rpr_old" });
    const calls: { url: string; auth?: string; body?: string }[] = [];
    vi.stubGlobal("fetch", async (url: string, init: RequestInit) => {
      const headers = init.headers as Record<string, string>;
      calls.push({ url, auth: headers.authorization, body: init.body as string | undefined });
      if (url === "/api/auth/refresh") return respond(200, { access_token: "rpa_new", refresh_token: "rpr_new" });
      return headers.authorization === "Bearer rpa_new"
        ? respond(200, { ok: true })
        : respond(401, { error: { code: "unauthenticated", message: "expired", request_id: "r1" } });
    });

    await expect(api("/api/me")).resolves.toEqual({ ok: true });
    expect(calls.map((c) => c.url)).toEqual(["/api/me", "/api/auth/refresh", "/api/me"]);
    expect(JSON.parse(calls[1].body!)).toEqual({ refresh_token: "rpr_old" });
    expect(sessionStore.get()).toEqual({ access_token: "rpa_new", refresh_token: "rpr_new" });
  });

  it("signs out when the refresh token is refused and surfaces the API's error", async () => {
    sessionStore.set({ access_token: "rpa_old", refresh_token: "rpr_reused" });
    vi.stubGlobal("fetch", async () =>
      respond(401, { error: { code: "unauthenticated", message: "session expired", request_id: "r2" } }),
    );
    const err = (await api("/api/me").catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.code).toBe("unauthenticated");
    expect(err.requestId).toBe("r2");
    expect(sessionStore.get()).toBeNull();
  });
});
