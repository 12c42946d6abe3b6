export function formatDateTime(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** "Day 3 · 14 Oct 2025, 18:00"; `dayIndex` counts from 0. */
export function formatDayAndTime(dayIndex: number, scheduledAt: string): string {
  return `Day ${dayIndex + 1} · ${formatDateTime(scheduledAt)}`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** 83.4 -> "1:23". */
export function formatDuration(seconds: number): string {
  const whole = Math.round(seconds);
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
}

/** A status or stage as words: "waiting_for_slot_time" -> "waiting for slot time". */
export function humanize(value: string): string {
  return value.replaceAll("_", " ");
}
