import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import openapiTS, { astToString } from "openapi-typescript";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError, call, client, sessionStore } from "./api";

function respond(status: number, body: unknown) {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
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

describe("schema.d.ts", () => {
  it("is generated from the committed OpenAPI document (run `npm run gen:api`)", async () => {
    const spec = resolve(process.cwd(), "../docs/openapi.json");
    const generated = astToString(await openapiTS(JSON.parse(readFileSync(spec, "utf8"))));
    const committed = readFileSync(resolve(process.cwd(), "src/lib/schema.d.ts"), "utf8");
    const body = (s: string) => s.slice(s.indexOf("export interface paths"));
    expect(body(committed)).toBe(body(generated));
  });
});
