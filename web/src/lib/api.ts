// Thin fetch wrapper that turns the API's error body into an Error with its
// code and request id. The typed client generated from OpenAPI replaces the
// hand-written types below once the spec exists.

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

export async function api<T>(path: string, init?: RequestInit): Promise<T> {
  const res = await fetch(path, {
    ...init,
    headers: { "content-type": "application/json", ...(init?.headers ?? {}) },
  });
  const text = await res.text();
  const body = text ? JSON.parse(text) : null;
  if (!res.ok && body && typeof body === "object" && "error" in body) {
    const e = (body as ApiErrorBody).error;
    throw new ApiError(res.status, e.code, e.message, e.request_id);
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
  run: Run;
}

/** /readyz answers 503 with a report body: both are a readiness report. */
export async function fetchReadiness(): Promise<Readiness> {
  const res = await fetch("/readyz");
  return (await res.json()) as Readiness;
}
