import { ApiError } from "../../lib/api";

export const DEFAULT_POSTING_TIMES = "09:00, 13:00, 19:00";

/** "09:00, 13:00" as the API's list of times; the API validates each one. */
export function parsePostingTimes(text: string): string[] {
  return text
    .split(",")
    .map((time) => time.trim())
    .filter(Boolean);
}

/** The API's message when it refused this field, to show next to the field. */
export function fieldError(error: unknown, field: string): string | undefined {
  return error instanceof ApiError && error.field === field ? error.message : undefined;
}

/** Micro-dollars (1 000 000 = $1) as dollars; below $1 up to 4 decimals, as LLM calls cost fractions of a cent. */
export function formatDollars(micros: number): string {
  return (micros / 1_000_000).toLocaleString("en-US", {
    style: "currency",
    currency: "USD",
    minimumFractionDigits: 2,
    maximumFractionDigits: micros < 1_000_000 ? 4 : 2,
  });
}
