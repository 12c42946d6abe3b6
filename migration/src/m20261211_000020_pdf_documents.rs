//! Brand documents may be PDFs (their text layer is what retrieval reads).

use crate::SqlMigration;

pub(crate) const MIGRATION: SqlMigration =
    SqlMigration { name: "m20261211_000020_pdf_documents", up: UP, down: DOWN, tenant_tables: &[] };

const UP: &str = r#"
ALTER TABLE knowledge_documents DROP CONSTRAINT knowledge_documents_content_type_check;
ALTER TABLE knowledge_documents ADD CONSTRAINT knowledge_documents_content_type_check
    CHECK (content_type IN ('text/plain', 'text/markdown', 'application/pdf'));
"#;

const DOWN: &str = r#"
DELETE FROM knowledge_documents WHERE content_type = 'application/pdf';
ALTER TABLE knowledge_documents DROP CONSTRAINT knowledge_documents_content_type_check;
ALTER TABLE knowledge_documents ADD CONSTRAINT knowledge_documents_content_type_check
    CHECK (content_type IN ('text/plain', 'text/markdown'));
"#;
