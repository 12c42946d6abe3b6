import { ApiError } from "./api";

// What to tell a person for each of the API's error codes; the server's own
// message (always safe to show) follows where it says more.
const HINTS: Record<string, string> = {
  unauthenticated: "Your session has ended. Sign in again.",
  forbidden: "Your role in this organisation does not allow this.",
  not_found: "It no longer exists, or it is not in this organisation.",
  conflict: "That cannot happen in the current state.",
  validation_failed: "Please check the highlighted value.",
  budget_exceeded: "A budget of this project is used up.",
  rate_limited: "Too many attempts. Wait a moment and try again.",
  payload_too_large: "The file is too large.",
  unsupported_media_type: "That type of file is not accepted.",
  dependency_unavailable: "A service Reelpilot needs is not answering. Try again shortly.",
  invalid_link: "This link is invalid or has expired.",
  email_unverified: "Confirm your email address first: we sent you a link.",
  invalid_text: "The text holds a character that is not allowed (a control character such as NUL); remove it.",
  stale_version: "This slot changed since you opened it; review the latest version before approving.",
  quota_exceeded: "A usage quota of this organisation is used up. Try again once it resets.",
  internal: "Something went wrong on our side.",
};

export interface Explained {
  title: string;
  detail: string;
  code: string;
  requestId: string | null;
  field?: string;
}

export function explain(error: unknown): Explained {
  if (error instanceof ApiError) {
    return {
      title: HINTS[error.code] ?? "The request failed.",
      detail: error.message,
      code: error.code,
      requestId: error.requestId,
      field: error.field,
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { title: "Could not reach Reelpilot.", detail: message, code: "network", requestId: null };
}
