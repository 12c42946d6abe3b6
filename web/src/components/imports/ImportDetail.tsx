import { useQuery } from "@tanstack/react-query";
import { ArrowLeft } from "lucide-react";
import { useEffect, useId, useRef, useState, type KeyboardEvent, type RefObject } from "react";
import { Link } from "react-router";
import { call, client, type Schemas } from "../../lib/api";
import { useOrg } from "../../lib/session";
import { cn } from "../../lib/utils";
import { Card, CardTitle } from "../ui/card";
import { Empty, ErrorMessage, Loading, Notice, PageHeader } from "../ui/feedback";
import { Field, Input } from "../ui/input";
import { formatClock, importName, isRunning, languageName, type Import } from "./format";
import { Highlights } from "./Highlights";
import { ImportActions, ImportBadge, ImportFacts, ImportProgress } from "./ImportState";
import { POLL_MS, importKey, importPath } from "./queries";

type Transcript = Schemas["TranscriptView"];
type Segment = Schemas["SegmentView"];

/** How long the search box waits for typing to pause before it asks. */
export const SEARCH_DEBOUNCE_MS = 300;

/**
 * One import: where it is, and once ready its video with the transcripts to
 * read, search and jump through, and its highlights to make into slots.
 */
export function ImportDetail({ importId }: { importId: string }) {
  const { orgId } = useOrg();
  const detail = useQuery({
    queryKey: importKey(orgId, importId),
    queryFn: () => call(client.GET("/api/orgs/{org_id}/imports/{import_id}", importPath(orgId, importId))),
    refetchInterval: (query) => (query.state.data && isRunning(query.state.data.status) ? POLL_MS : false),
  });
  const back = (
    <Link to={`/orgs/${orgId}/imports`} className="mb-3 inline-flex items-center gap-1 text-sm text-slate-600 underline">
      <ArrowLeft size={14} aria-hidden /> All imports
    </Link>
  );
  if (!detail.data) {
    return (
      <div>
        {back}
        {detail.error ? <ErrorMessage error={detail.error} /> : <Loading label="Loading the import" />}
      </div>
    );
  }
  const item = detail.data;
  return (
    <div className="space-y-4">
      <div>
        {back}
        <PageHeader title={importName(item)}>
          <ImportBadge status={item.status} />
        </PageHeader>
        {item.source_url && (
          <a href={item.source_url} target="_blank" rel="noreferrer" className="text-sm break-all text-slate-600 underline">
            {item.source_url}
          </a>
        )}
      </div>
      <Card className="space-y-2">
        <ImportFacts item={item} />
        <ImportProgress item={item} />
        <div className="flex flex-wrap items-center gap-2 text-xs text-slate-500">
          <a className="underline" href={item.run.temporal_ui_url} target="_blank" rel="noreferrer">
            Temporal run
          </a>
          <ImportActions item={item} />
        </div>
        {isRunning(item.status) && (
          <p className="text-sm text-slate-600">The video and its transcript appear here once the import is ready.</p>
        )}
      </Card>
      {item.status === "ready" && (
        <>
          <ImportViewer item={item} onSourceExpired={() => void detail.refetch()} />
          <Highlights item={item} />
        </>
      )}
    </div>
  );
}

/** The index of the segment being said at `ms`, or -1 between segments. */
export function segmentAt(segments: Segment[], ms: number): number {
  let low = 0;
  let high = segments.length - 1;
  let found = -1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    if (segments[mid].start_ms <= ms) {
      found = mid;
      low = mid + 1;
    } else {
      high = mid - 1;
    }
  }
  return found >= 0 && ms < segments[found].end_ms ? found : -1;
}

function transcriptLabel(transcript: Transcript): string {
  return `${languageName(transcript.language)} (${transcript.kind === "spoken" ? "spoken" : "translation"})`;
}

/** The source player beside the transcripts; a segment or a search match plays the video from there. */
function ImportViewer({ item, onSourceExpired }: { item: Import; onSourceExpired: () => void }) {
  const { orgId } = useOrg();
  const media = useRef<HTMLMediaElement | null>(null);
  const transcripts = useQuery({
    queryKey: [...importKey(orgId, item.id), "transcripts"],
    queryFn: () =>
      call(client.GET("/api/orgs/{org_id}/imports/{import_id}/transcripts", importPath(orgId, item.id))),
  });
  const [chosen, setChosen] = useState<string | null>(null);
  const [current, setCurrent] = useState(-1);
  const all = [...(transcripts.data ?? [])].sort((a, b) => Number(a.kind !== "spoken") - Number(b.kind !== "spoken"));
  const active = all.find((t) => t.language === chosen) ?? all[0];

  const follow = (transcript: Transcript | undefined, ms: number) =>
    setCurrent(transcript ? segmentAt(transcript.segments, ms) : -1);

  const choose = (language: string) => {
    setChosen(language);
    follow(
      all.find((t) => t.language === language),
      (media.current?.currentTime ?? 0) * 1000,
    );
  };

  const seek = (ms: number, language?: string) => {
    const transcript = (language && all.find((t) => t.language === language)) || active;
    if (language && transcript) setChosen(transcript.language);
    follow(transcript, ms);
    const player = media.current;
    if (!player) return;
    player.currentTime = ms / 1000;
    // Browsers refuse to play without a gesture now and then; the position is set regardless.
    Promise.resolve(player.play()).catch(() => undefined);
  };

  return (
    <div className="grid gap-4 lg:grid-cols-2">
      <div className="min-w-0 space-y-4 lg:sticky lg:top-4 lg:self-start">
        {item.source ? (
          <Player
            source={item.source}
            label={`Source: ${importName(item)}`}
            mediaRef={media}
            onTime={(ms) => follow(active, ms)}
            onSourceExpired={onSourceExpired}
          />
        ) : (
          <Notice tone="warn">The imported video is not available.</Notice>
        )}
        <SearchCard importId={item.id} onPick={(match) => seek(match.start_ms, match.language)} />
      </div>
      <Card className="min-w-0 space-y-3">
        <CardTitle>Transcript</CardTitle>
        {transcripts.isPending ? (
          <Loading label="Loading the transcripts" />
        ) : transcripts.error ? (
          <ErrorMessage error={transcripts.error} />
        ) : !active ? (
          <Empty title="No transcript">This import has no transcript.</Empty>
        ) : (
          <TranscriptTabs
            transcripts={all}
            active={active}
            current={current}
            onChoose={choose}
            onSeek={(ms) => seek(ms)}
          />
        )}
      </Card>
    </div>
  );
}

/** The fetched video (or audio); a link that expired is fetched again, and playing resumes where it was. */
function Player({
  source,
  label,
  mediaRef,
  onTime,
  onSourceExpired,
}: {
  source: Schemas["AssetView"];
  label: string;
  mediaRef: RefObject<HTMLMediaElement | null>;
  onTime: (ms: number) => void;
  onSourceExpired: () => void;
}) {
  const resumeAt = useRef<number | null>(null);
  const [broken, setBroken] = useState(false);
  const props = {
    ref: (element: HTMLMediaElement | null) => {
      mediaRef.current = element;
    },
    controls: true,
    preload: "metadata",
    "aria-label": label,
    // With the S3 backend the object store serves the bytes (and their ranges) directly.
    src: source.direct_url ?? source.url,
    onTimeUpdate: (e: { currentTarget: HTMLMediaElement }) => onTime(e.currentTarget.currentTime * 1000),
    onLoadedMetadata: (e: { currentTarget: HTMLMediaElement }) => {
      setBroken(false);
      if (resumeAt.current !== null) {
        e.currentTarget.currentTime = resumeAt.current;
        resumeAt.current = null;
      }
    },
    onError: (e: { currentTarget: HTMLMediaElement }) => {
      // The signed link lasts an hour; past it, ask for a fresh one.
      if (Date.parse(source.url_expires_at) <= Date.now() + 60_000) {
        resumeAt.current = e.currentTarget.currentTime;
        onSourceExpired();
      } else {
        setBroken(true);
      }
    },
  };
  return (
    <Card className="space-y-2">
      {source.content_type.startsWith("audio/") ? (
        <audio {...props} className="w-full" />
      ) : (
        <video {...props} className="aspect-video w-full rounded bg-black" />
      )}
      {broken && <Notice tone="warn">The video could not be loaded. Reload the page to try again.</Notice>}
    </Card>
  );
}

/** One tab per transcript (the spoken one first); its segments, each a button that plays from there. */
function TranscriptTabs({
  transcripts,
  active,
  current,
  onChoose,
  onSeek,
}: {
  transcripts: Transcript[];
  active: Transcript;
  current: number;
  onChoose: (language: string) => void;
  onSeek: (ms: number) => void;
}) {
  const id = useId();
  const list = useRef<HTMLOListElement>(null);
  const tabId = (t: Transcript) => `${id}-tab-${t.language}`;
  const panelId = `${id}-panel`;

  // Keeps the segment being said in view, scrolling only the transcript.
  useEffect(() => {
    const box = list.current;
    const segment = box?.querySelector<HTMLElement>(`[data-index="${current}"]`);
    if (!box || !segment) return;
    const above = segment.offsetTop < box.scrollTop;
    const below = segment.offsetTop + segment.offsetHeight > box.scrollTop + box.clientHeight;
    if (above || below) box.scrollTop = segment.offsetTop - box.clientHeight / 3;
  }, [current, active]);

  // Arrow keys, Home and End move between tabs (the WAI-ARIA tabs pattern).
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const at = transcripts.indexOf(active);
    const next =
      e.key === "ArrowRight" ? at + 1 : e.key === "ArrowLeft" ? at - 1 : e.key === "Home" ? 0 : e.key === "End" ? -1 : null;
    if (next === null) return;
    e.preventDefault();
    const target = transcripts[(next + transcripts.length) % transcripts.length];
    onChoose(target.language);
    document.getElementById(tabId(target))?.focus();
  };

  return (
    <div className="space-y-2">
      <div role="tablist" aria-label="Transcripts" className="flex flex-wrap gap-1 border-b border-slate-200" onKeyDown={onKeyDown}>
        {transcripts.map((t) => {
          const selected = t === active;
          return (
            <button
              key={t.language}
              type="button"
              role="tab"
              id={tabId(t)}
              aria-selected={selected}
              aria-controls={panelId}
              tabIndex={selected ? 0 : -1}
              onClick={() => onChoose(t.language)}
              className={cn(
                "-mb-px border-b-2 px-3 py-1.5 text-sm focus-visible:outline-2 focus-visible:outline-slate-900",
                selected ? "border-slate-900 font-medium" : "border-transparent text-slate-600 hover:text-slate-900",
              )}
            >
              {transcriptLabel(t)}
            </button>
          );
        })}
      </div>
      <div role="tabpanel" id={panelId} aria-labelledby={tabId(active)}>
        {active.segments.length === 0 ? (
          <p className="text-sm text-slate-600">No speech was recognised.</p>
        ) : (
          <ol ref={list} className="relative max-h-[70vh] space-y-0.5 overflow-y-auto pr-1">
            {active.segments.map((segment, n) => (
              <li key={`${segment.start_ms}-${n}`} data-index={n}>
                <button
                  type="button"
                  title={`Play from ${formatClock(segment.start_ms)}`}
                  aria-current={n === current ? "true" : undefined}
                  onClick={() => onSeek(segment.start_ms)}
                  className={cn(
                    "flex w-full gap-3 rounded px-2 py-1 text-left text-sm hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-slate-900",
                    n === current && "bg-sky-100 hover:bg-sky-100",
                  )}
                >
                  <time className="shrink-0 font-mono text-xs leading-5 text-slate-500 tabular-nums">
                    {formatClock(segment.start_ms)}
                  </time>{" "}
                  <span className="min-w-0 break-words">{segment.text}</span>
                </button>
              </li>
            ))}
          </ol>
        )}
      </div>
    </div>
  );
}

function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

/** Words, "a phrase" or -excluded words across all transcripts; a match plays the video from there. */
function SearchCard({
  importId,
  onPick,
}: {
  importId: string;
  onPick: (match: Schemas["SegmentMatchView"]) => void;
}) {
  const { orgId } = useOrg();
  const [text, setText] = useState("");
  const q = useDebounced(text.trim(), SEARCH_DEBOUNCE_MS);
  const search = useQuery({
    queryKey: [...importKey(orgId, importId), "search", q],
    queryFn: () =>
      call(
        client.GET("/api/orgs/{org_id}/imports/{import_id}/transcripts/search", {
          params: { path: { org_id: orgId, import_id: importId }, query: { q } },
        }),
      ),
    enabled: q !== "",
  });
  const hint = 'Words, "a phrase", or -word to leave out.';
  return (
    <Card className="space-y-2">
      <Field label="Search the transcripts" hint={hint}>
        {(id) => (
          <Input
            id={id}
            type="search"
            maxLength={200}
            value={text}
            aria-describedby={`${id}-hint`}
            onChange={(e) => setText(e.target.value)}
          />
        )}
      </Field>
      {q !== "" &&
        (search.isPending ? (
          <Loading label="Searching" />
        ) : search.error ? (
          <ErrorMessage error={search.error} />
        ) : search.data.length === 0 ? (
          <p role="status" className="text-sm text-slate-600">
            No matches for “{q}”.
          </p>
        ) : (
          <>
            <p role="status" className="text-xs text-slate-500">
              {search.data.length === 1 ? "1 match" : `${search.data.length} matches`}
            </p>
            <ul aria-label="Matches" className="max-h-80 space-y-0.5 overflow-y-auto">
              {search.data.map((match, n) => (
                <li key={`${match.language}-${match.start_ms}-${n}`}>
                  <button
                    type="button"
                    title={`Play from ${formatClock(match.start_ms)}`}
                    onClick={() => onPick(match)}
                    className="flex w-full gap-3 rounded px-2 py-1 text-left text-sm hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-slate-900"
                  >
                    <time className="shrink-0 font-mono text-xs leading-5 text-slate-500 tabular-nums">
                      {formatClock(match.start_ms)}
                    </time>{" "}
                    <span className="min-w-0 break-words">
                      {match.text} <span className="text-xs text-slate-500">({languageName(match.language)})</span>
                    </span>
                  </button>
                </li>
              ))}
            </ul>
          </>
        ))}
    </Card>
  );
}
