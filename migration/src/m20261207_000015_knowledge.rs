//! The org's knowledge (`domain::knowledge`): what it said before (its
//! slots, with their results once published), what its imports say (the
//! transcripts) and what its brand documents say, cut into chunks with an
//! embedding (`vector(384)`, HNSW, cosine) and a `tsvector` (GIN), which
//! retrieval merges by reciprocal rank fusion.

use crate::SqlMigration;

pub(crate) const MIGRATION: SqlMigration = SqlMigration {
    name: "m20261207_000015_knowledge",
    up: UP,
    down: DOWN,
    tenant_tables: &["knowledge_documents", "knowledge_chunks"],
};

const UP: &str = r#"
CREATE TABLE knowledge_documents (
    id               uuid PRIMARY KEY,
    org_id           uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    -- NULL: the document speaks for every project of the org.
    project_id       uuid REFERENCES projects(id) ON DELETE CASCADE,
    name             text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    content_type     text NOT NULL CHECK (content_type IN ('text/plain', 'text/markdown')),
    size_bytes       bigint NOT NULL CHECK (size_bytes >= 0),
    chunks           integer NOT NULL CHECK (chunks >= 0),
    created_by       uuid REFERENCES users(id) ON DELETE SET NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, id)
);

CREATE TABLE knowledge_chunks (
    id               uuid PRIMARY KEY,
    org_id           uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    project_id       uuid REFERENCES projects(id) ON DELETE CASCADE,
    -- slot: a drafted or published slot; transcript: a segment of an
    -- import's spoken transcript; document: a part of a brand document.
    source           text NOT NULL CHECK (source IN ('slot', 'transcript', 'document')),
    source_id        uuid NOT NULL,
    position         integer NOT NULL CHECK (position >= 0),
    -- The source's version the text was taken from (a slot's content
    -- version), so an edited slot is indexed again.
    source_version   integer NOT NULL DEFAULT 0,
    text             text NOT NULL,
    -- What a search result shows beside the text (a slot's date and status,
    -- its views once published; an import's title and moment).
    meta             jsonb NOT NULL DEFAULT '{}',
    -- NULL until the worker has embedded the text.
    embedding        vector(384),
    search           tsvector GENERATED ALWAYS AS (to_tsvector('simple', text)) STORED,
    indexed_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, source, source_id, position)
);
CREATE INDEX knowledge_chunks_embedding_idx ON knowledge_chunks USING hnsw (embedding vector_cosine_ops);
CREATE INDEX knowledge_chunks_search_idx ON knowledge_chunks USING gin (search);
CREATE INDEX knowledge_chunks_pending_idx ON knowledge_chunks (org_id) WHERE embedding IS NULL;

-- The ranking by words. Under row-level security the planner may not use
-- the GIN index for `@@` (not leakproof), and scans every chunk; this
-- function runs as the owner and confines itself to the transaction's org
-- (`app.org_id`, as the policy does), so the index serves the search.
CREATE FUNCTION knowledge_lexical(query text, only_project uuid, only_sources text, n integer)
RETURNS TABLE (id uuid, rank bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT m.id, row_number() OVER (ORDER BY m.r DESC) FROM (
        SELECT k.id, ts_rank_cd(k.search, q) AS r
        FROM knowledge_chunks k, plainto_tsquery('simple', query) q
        WHERE k.org_id = nullif(current_setting('app.org_id', true), '')::uuid
          AND k.search @@ q
          AND (only_project IS NULL OR k.project_id = only_project OR k.project_id IS NULL)
          AND (only_sources IS NULL OR k.source = ANY (string_to_array(only_sources, ',')))
        ORDER BY r DESC LIMIT n
    ) m
$$;
REVOKE ALL ON FUNCTION knowledge_lexical(text, uuid, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION knowledge_lexical(text, uuid, text, integer) TO reelpilot_app;
"#;

const DOWN: &str = r#"
DROP FUNCTION knowledge_lexical(text, uuid, text, integer);
DROP TABLE knowledge_chunks;
DROP TABLE knowledge_documents;
"#;
