//! Imports: a long video brought in by URL or upload, its transcripts
//! (the spoken language and translations) with timed segments and words,
//! full-text indexed, and the highlight moments found in it, each of which
//! may become a clip and a slot.

use crate::SqlMigration;

pub(crate) const MIGRATION: SqlMigration = SqlMigration {
    name: "m20261204_000011_imports",
    up: UP,
    down: DOWN,
    tenant_tables: &["imports", "transcripts", "transcript_segments", "highlights"],
};

const UP: &str = r#"
-- An import's fetched source and the clips cut from it are assets too.
ALTER TABLE assets DROP CONSTRAINT assets_kind_check;
ALTER TABLE assets ADD CONSTRAINT assets_kind_check
    CHECK (kind IN ('video', 'thumbnail', 'audio', 'captions', 'upload', 'import', 'clip'));

CREATE TABLE imports (
    id               uuid PRIMARY KEY,
    org_id           uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    project_id       uuid NOT NULL,
    -- A URL (yt-dlp) or an upload the org owns.
    source_url       text CHECK (length(source_url) <= 2048),
    upload_asset_id  uuid,
    status           text NOT NULL CHECK (status IN ('pending', 'fetching', 'transcribing', 'translating',
                                                     'finding_highlights', 'ready', 'failed', 'cancelled')),
    -- 0..1 within the current status, from the running step's heartbeats.
    progress         real NOT NULL DEFAULT 0 CHECK (progress >= 0 AND progress <= 1),
    title            text,
    duration_ms      bigint CHECK (duration_ms >= 0),
    -- The fetched source (video or audio) in storage.
    source_asset_id  uuid REFERENCES assets(id) ON DELETE SET NULL,
    language         text,
    -- Languages to translate the transcript into besides the spoken one.
    translate_to     jsonb NOT NULL DEFAULT '[]',
    -- Why it failed or stopped, for people, and a stable code for programs
    -- (too_long, too_big, address_refused, unsupported, budget_exceeded ...).
    error            text,
    error_code       text,
    workflow_id      text NOT NULL,
    requested_by     uuid REFERENCES users(id) ON DELETE SET NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK ((source_url IS NULL) <> (upload_asset_id IS NULL)),
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, project_id) REFERENCES projects (org_id, id) ON DELETE CASCADE
);
CREATE INDEX imports_org_updated_idx ON imports (org_id, updated_at DESC, id DESC);
CREATE TRIGGER imports_touch BEFORE UPDATE ON imports
    FOR EACH ROW EXECUTE FUNCTION reelpilot_touch_updated_at();

CREATE TABLE transcripts (
    id               uuid PRIMARY KEY,
    org_id           uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    import_id        uuid NOT NULL,
    language         text NOT NULL CHECK (language ~ '^[a-z]{2,3}$'),
    -- spoken: what Whisper heard; translation: into `language`.
    kind             text NOT NULL CHECK (kind IN ('spoken', 'translation')),
    -- whisper (speech recognition or its translate mode) or llm.
    engine           text NOT NULL CHECK (engine IN ('whisper', 'llm')),
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, id),
    -- One transcript per language of an import: a retried step finds it.
    UNIQUE (import_id, language),
    FOREIGN KEY (org_id, import_id) REFERENCES imports (org_id, id) ON DELETE CASCADE
);

CREATE TABLE transcript_segments (
    id               uuid PRIMARY KEY,
    org_id           uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    transcript_id    uuid NOT NULL,
    position         integer NOT NULL CHECK (position >= 0),
    start_ms         bigint NOT NULL CHECK (start_ms >= 0),
    end_ms           bigint NOT NULL CHECK (end_ms >= start_ms),
    text             text NOT NULL,
    -- [{"start_ms", "end_ms", "text", "probability"}], in order.
    words            jsonb NOT NULL DEFAULT '[]',
    search           tsvector GENERATED ALWAYS AS (to_tsvector('simple', text)) STORED,
    UNIQUE (transcript_id, position),
    FOREIGN KEY (org_id, transcript_id) REFERENCES transcripts (org_id, id) ON DELETE CASCADE
);
CREATE INDEX transcript_segments_search_idx ON transcript_segments USING gin (search);

CREATE TABLE highlights (
    id               uuid PRIMARY KEY,
    org_id           uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    import_id        uuid NOT NULL,
    position         integer NOT NULL CHECK (position >= 0),
    start_ms         bigint NOT NULL CHECK (start_ms >= 0),
    end_ms           bigint NOT NULL CHECK (end_ms > start_ms),
    hook             text NOT NULL,
    reason           text NOT NULL,
    -- The words spoken in the moment, from the transcript.
    quote            text NOT NULL,
    clip_asset_id    uuid REFERENCES assets(id) ON DELETE SET NULL,
    slot_id          uuid REFERENCES slots(id) ON DELETE SET NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (import_id, position),
    FOREIGN KEY (org_id, import_id) REFERENCES imports (org_id, id) ON DELETE CASCADE
);
"#;

const DOWN: &str = r#"
DROP TABLE highlights;
DROP TABLE transcript_segments;
DROP TABLE transcripts;
DROP TABLE imports;
DELETE FROM assets WHERE kind IN ('import', 'clip');
ALTER TABLE assets DROP CONSTRAINT assets_kind_check;
ALTER TABLE assets ADD CONSTRAINT assets_kind_check
    CHECK (kind IN ('video', 'thumbnail', 'audio', 'captions', 'upload'));
"#;
