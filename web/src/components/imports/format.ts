import type { Schemas } from "../../lib/api";

export type Import = Schemas["ImportView"];
export type ImportStatus = Schemas["ImportStatus"];
export type ImportErrorCode = Schemas["ImportErrorCode"];

/** Whether the import is still being worked on (the API's `is_running`). */
export function isRunning(status: ImportStatus): boolean {
  return status !== "ready" && status !== "failed" && status !== "cancelled";
}

/** What a running stage is called next to its progress bar. */
const STAGES: Partial<Record<ImportStatus, string>> = {
  pending: "Waiting to start",
  fetching: "Downloading",
  transcribing: "Transcribing",
  translating: "Translating",
  finding_highlights: "Finding highlights",
};

export function stageLabel(status: ImportStatus): string {
  return STAGES[status] ?? status.replaceAll("_", " ");
}

/** Why an import stopped, in words; the server's own message follows it. */
const REASONS: Record<ImportErrorCode, string> = {
  too_long: "The video is longer than an import may be.",
  too_big: "The file is larger than an import may be.",
  too_slow: "The download was too slow and was stopped.",
  address_refused: "That address is not allowed: only public web addresses can be imported.",
  unsupported: "No video or audio that Reelpilot can read was found there.",
  unreachable: "The address could not be reached, or it refused to give the video.",
  budget_exceeded: "The transcription budget of this project (or the storage quota) is used up.",
  failed: "A step of the import kept failing.",
};

export function reason(code: ImportErrorCode | null | undefined): string {
  return code ? REASONS[code] : "The import failed.";
}

/** What to call an import before (and after) its title is known. */
export function importName(item: Import): string {
  return item.title || item.source_url || "Uploaded file";
}

/** A time in milliseconds as "m:ss", or "h:mm:ss" from an hour on. */
export function formatClock(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, "0");
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, "0")}:${seconds}` : `${minutes}:${seconds}`;
}

/** Languages offered for translation, as ISO 639-1 codes (the API takes at most five). */
export const LANGUAGES: { code: string; name: string }[] = [
  { code: "en", name: "English" },
  { code: "de", name: "German" },
  { code: "fr", name: "French" },
  { code: "es", name: "Spanish" },
  { code: "pt", name: "Portuguese" },
  { code: "it", name: "Italian" },
  { code: "nl", name: "Dutch" },
  { code: "pl", name: "Polish" },
  { code: "tr", name: "Turkish" },
  { code: "ja", name: "Japanese" },
];

export const MAX_TRANSLATIONS = 5;

const displayNames = (() => {
  try {
    return new Intl.DisplayNames(["en"], { type: "language" });
  } catch {
    return null;
  }
})();

/** "de" -> "German"; a code nobody knows stays as it is. */
export function languageName(code: string): string {
  const known = LANGUAGES.find((l) => l.code === code);
  if (known) return known.name;
  try {
    return displayNames?.of(code) ?? code;
  } catch {
    return code;
  }
}

/** Upload types the API imports, by file name where the browser names none or an alias. */
const TYPES_BY_EXTENSION: Record<string, string> = {
  mp4: "video/mp4",
  m4v: "video/mp4",
  mov: "video/quicktime",
  mp3: "audio/mpeg",
  wav: "audio/wav",
};
const ALIASES: Record<string, string> = {
  "audio/mp3": "audio/mpeg",
  "audio/x-wav": "audio/wav",
  "audio/wave": "audio/wav",
  "audio/vnd.wave": "audio/wav",
};

export const IMPORT_FILE_TYPES = "video/mp4,video/quicktime,audio/mpeg,audio/wav,.mp4,.mov,.mp3,.wav";
/** The largest upload the API takes. */
export const MAX_UPLOAD_BYTES = 200 * 1024 * 1024;

/** The content type to upload `file` as. */
export function uploadType(file: File): string {
  const type = ALIASES[file.type] ?? file.type;
  if (Object.values(TYPES_BY_EXTENSION).includes(type)) return type;
  const extension = file.name.split(".").pop()?.toLowerCase() ?? "";
  return TYPES_BY_EXTENSION[extension] ?? type;
}

/** What was pasted, with https:// in front when it names no scheme ("youtube.com/watch?v=…"). */
export function normalizeUrl(text: string): string {
  const url = text.trim();
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(url) || url === "" ? url : `https://${url}`;
}
