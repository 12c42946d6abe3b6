//! Brand documents: text, Markdown or PDF an org uploads for drafting to
//! draw on ("what the brand says"), kept as chunks of its knowledge.

use super::{add_document_chunks, chunk_text, remove_document_chunks};
use crate::{DomainError, OrgScope, planning::projects};
use entities::knowledge_documents;
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, QueryOrder, QuerySelect, Set};
use uuid::Uuid;

/// The largest document accepted.
pub const DOCUMENT_LIMIT: usize = 1024 * 1024;
/// Characters per chunk: a paragraph or two, within what the embedding
/// model reads (256 tokens).
const CHUNK_CHARS: usize = 800;
/// The most documents listed.
const LIST_LIMIT: u64 = 200;

/// What a document is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentType {
    Text,
    Markdown,
    /// Its text layer is read (a scanned PDF without one has no text).
    Pdf,
}

impl DocumentType {
    /// From a Content-Type (its parameters ignored).
    pub fn from_content_type(content_type: &str) -> Result<DocumentType, DomainError> {
        match content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase().as_str() {
            "text/plain" => Ok(DocumentType::Text),
            "text/markdown" | "text/x-markdown" => Ok(DocumentType::Markdown),
            "application/pdf" => Ok(DocumentType::Pdf),
            other => Err(DomainError::Invalid {
                field: "content_type",
                message: format!("a brand document is text/plain, text/markdown or application/pdf, not {other:?}"),
            }),
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            DocumentType::Text => "text/plain",
            DocumentType::Markdown => "text/markdown",
            DocumentType::Pdf => "application/pdf",
        }
    }
}

/// A document to add.
#[derive(Debug)]
pub struct NewDocument<'a> {
    pub name: &'a str,
    pub project_id: Option<Uuid>,
    pub kind: DocumentType,
    pub bytes: &'a [u8],
    pub created_by: Uuid,
}

/// Stores the document and its chunks (waiting for embeddings, found by
/// their words at once). Refuses an empty, oversized or non-UTF-8 body, a
/// bad name and another org's project.
pub async fn add(
    db: &DatabaseConnection,
    scope: &OrgScope,
    new: NewDocument<'_>,
) -> Result<knowledge_documents::Model, DomainError> {
    let name = new.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(DomainError::Invalid { field: "name", message: "a name of 1 to 200 characters".into() });
    }
    if new.bytes.len() > DOCUMENT_LIMIT {
        return Err(DomainError::Invalid { field: "body", message: "a brand document is at most 1 MiB".into() });
    }
    let text = match new.kind {
        DocumentType::Pdf => pdf_text(new.bytes.to_vec()).await?,
        kind => {
            let text = std::str::from_utf8(new.bytes).map_err(|_| DomainError::Invalid {
                field: "body",
                message: "a brand document is UTF-8 text".into(),
            })?;
            if kind == DocumentType::Markdown { plain_markdown(text) } else { text.to_owned() }
        }
    };
    let chunks = chunk_text(&text, CHUNK_CHARS);
    if chunks.is_empty() {
        return Err(DomainError::Invalid { field: "body", message: "the document has no text".into() });
    }
    let tx = scope.begin(db).await?;
    if let Some(project_id) = new.project_id {
        projects::get_in(&tx, project_id).await?;
    }
    let document = knowledge_documents::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(scope.org_id()),
        project_id: Set(new.project_id),
        name: Set(name.to_owned()),
        content_type: Set(new.kind.content_type().to_owned()),
        size_bytes: Set(new.bytes.len() as i64),
        chunks: Set(chunks.len() as i32),
        created_by: Set(Some(new.created_by)),
        created_at: Set(chrono::Utc::now().into()),
    }
    .insert(&*tx)
    .await?;
    add_document_chunks(&tx, document.id, new.project_id, name, &chunks).await?;
    tx.commit().await?;
    Ok(document)
}

/// The text layer of a PDF, read off the async threads; a PDF the reader
/// cannot parse (or that makes it panic) is refused, never a 500.
async fn pdf_text(bytes: Vec<u8>) -> Result<String, DomainError> {
    let unreadable =
        |why: String| DomainError::Invalid { field: "body", message: format!("the PDF cannot be read: {why}") };
    let read = tokio::task::spawn_blocking(move || {
        std::panic::catch_unwind(|| pdf_extract::extract_text_from_mem(&bytes))
            .map_err(|_| "it is malformed".to_owned())
    })
    .await
    .map_err(|e| unreadable(e.to_string()))?;
    let text = read.map_err(unreadable)?.map_err(|e| unreadable(e.to_string()))?;
    // PDF text comes out with a line per printed line; paragraphs are what chunks keep together.
    // (PostgreSQL text holds no NUL, which some PDFs' text carries.)
    Ok(text.replace('\0', "").lines().map(str::trim_end).collect::<Vec<_>>().join("\n"))
}

/// The org's documents, newest first.
pub async fn list(db: &DatabaseConnection, scope: &OrgScope) -> Result<Vec<knowledge_documents::Model>, DomainError> {
    let tx = scope.begin(db).await?;
    Ok(tx
        .find::<knowledge_documents::Entity>()
        .order_by_desc(knowledge_documents::Column::CreatedAt)
        .limit(LIST_LIMIT)
        .all(&*tx)
        .await?)
}

/// Removes a document and its chunks.
pub async fn remove(db: &DatabaseConnection, scope: &OrgScope, id: Uuid) -> Result<(), DomainError> {
    let tx = scope.begin(db).await?;
    let document =
        tx.find_by_id::<knowledge_documents::Entity>(id).one(&*tx).await?.ok_or(DomainError::NotFound("document"))?;
    remove_document_chunks(&tx, document.id).await?;
    knowledge_documents::Entity::delete_by_id(document.id).exec(&*tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Markdown read as prose: headings, emphasis, code marks and link targets
/// dropped, the words kept (paragraphs stay apart).
fn plain_markdown(text: &str) -> String {
    text.lines()
        .map(|line| {
            let line = line.trim_start_matches(['#', '>', ' ']).trim_start_matches("- ").trim_start_matches("* ");
            let mut out = String::with_capacity(line.len());
            let mut chars = line.chars().peekable();
            while let Some(c) = chars.next() {
                match c {
                    '*' | '_' | '`' => {}
                    // [words](target): keep the words, drop the target.
                    ']' if chars.peek() == Some(&'(') => {
                        for t in chars.by_ref() {
                            if t == ')' {
                                break;
                            }
                        }
                    }
                    '[' => {}
                    c => out.push(c),
                }
            }
            out
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_reads_as_its_words() {
        let text = "# Our voice\n\nWe say **you**, never _the customer_. See [the guide](https://x.test/g).\n\n- Short `lines`";
        assert_eq!(plain_markdown(text), "Our voice\n\nWe say you, never the customer. See the guide.\n\nShort lines");
    }

    #[test]
    fn only_text_and_markdown_are_documents() {
        assert_eq!(DocumentType::from_content_type("text/markdown; charset=utf-8").unwrap(), DocumentType::Markdown);
        assert_eq!(DocumentType::from_content_type("application/pdf").unwrap(), DocumentType::Pdf);
        assert!(DocumentType::from_content_type("image/png").is_err());
    }
}
