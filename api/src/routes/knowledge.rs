//! The org's knowledge: search it by meaning and words, and add the brand
//! documents drafting draws on.

use crate::{
    ApiError, AppState,
    auth::OrgCtx,
    error::ErrorResponses,
    extract::{ApiJson, ApiPath, ApiQuery},
    runs::{self, RunView},
};
use axum::{body::Body, extract::State};
use chrono::{DateTime, FixedOffset};
use domain::{
    identity::policy::Action,
    knowledge::{
        self, Hit, Source,
        documents::{self, DOCUMENT_LIMIT, DocumentType, NewDocument},
    },
};
use http::{HeaderMap, StatusCode, header};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(search))
        .routes(routes!(add_document, list_documents))
        .routes(routes!(remove_document))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct SearchQuery {
    /// What to find, in any words: matched by meaning and by the words.
    #[param(min_length = 1, max_length = 500)]
    q: String,
    /// Only this project's knowledge (and the org's documents for all projects).
    project_id: Option<Uuid>,
    /// Only one kind: slot, transcript or document.
    source: Option<Source>,
    /// Results, 1 to 50 (default 10).
    #[param(minimum = 1, maximum = 50)]
    limit: Option<u64>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct SearchResults {
    hits: Vec<Hit>,
}

/// Searches the org's knowledge (its slots with their results, its imports'
/// transcripts, its brand documents): the nearest by meaning and the best
/// by words, merged by reciprocal rank fusion, best first.
#[utoipa::path(get, path = "/api/orgs/{org_id}/knowledge/search", tag = "knowledge", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), SearchQuery),
    responses((status = 200, body = SearchResults), ErrorResponses))]
async fn search(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiQuery(query): ApiQuery<SearchQuery>,
) -> Result<ApiJson<SearchResults>, ApiError> {
    let scope = ctx.authorize(Action::Read)?;
    let text = query.q.trim();
    if text.is_empty() || text.chars().count() > 500 {
        return Err(ApiError::Validation { field: "q", message: "1 to 500 characters to search for".into() });
    }
    if query.limit.is_some_and(|l| !(1..=50).contains(&l)) {
        return Err(ApiError::Validation { field: "limit", message: "1 to 50 results".into() });
    }
    let embedding = state
        .embeddings
        .embed_one(text)
        .await
        .map_err(|e| ApiError::Unavailable { dependency: "embedding model", cause: e.to_string() })?;
    let query = knowledge::Query {
        text: text.to_owned(),
        embedding,
        project_id: query.project_id,
        sources: query.source.into_iter().collect(),
        limit: query.limit.unwrap_or(10),
    };
    let hits = knowledge::find(&state.db, &scope, &query).await?;
    Ok(ApiJson(SearchResults { hits }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct DocumentQuery {
    /// The document's name (1 to 200 characters; required).
    #[param(min_length = 1, max_length = 200)]
    name: Option<String>,
    /// The project it speaks for; without it, every project of the org.
    project_id: Option<Uuid>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct DocumentView {
    id: Uuid,
    project_id: Option<Uuid>,
    name: String,
    /// text/plain, text/markdown or application/pdf.
    content_type: String,
    size_bytes: i64,
    /// The parts it was cut into for retrieval.
    chunks: i32,
    created_at: DateTime<FixedOffset>,
}

impl From<entities::knowledge_documents::Model> for DocumentView {
    fn from(d: entities::knowledge_documents::Model) -> Self {
        DocumentView {
            id: d.id,
            project_id: d.project_id,
            name: d.name,
            content_type: d.content_type,
            size_bytes: d.size_bytes,
            chunks: d.chunks,
            created_at: d.created_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct AddedDocument {
    document: DocumentView,
    /// The run that embeds its parts (found by their words at once, by
    /// their meaning once it is done).
    indexing: RunView,
}

/// A document's body, for the OpenAPI document: raw text, not JSON.
#[derive(ToSchema)]
#[schema(value_type = String)]
#[allow(dead_code)]
pub(crate) struct DocumentBody(String);

/// Adds a brand document (editor and up): UTF-8 text, Markdown or a PDF
/// (its text layer), at most 1 MiB, which drafting reads as "what the
/// brand says".
#[utoipa::path(post, path = "/api/orgs/{org_id}/knowledge/documents", tag = "knowledge", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), DocumentQuery),
    request_body(content = inline(DocumentBody), content_type = "text/markdown",
        description = "The document: `text/plain` or `text/markdown` (UTF-8) or `application/pdf`, at most 1 MiB."),
    responses((status = 201, body = AddedDocument), ErrorResponses))]
// A Content-Type other than text, Markdown or PDF is 415 `unsupported_media_type`.
async fn add_document(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiQuery(query): ApiQuery<DocumentQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, ApiJson<AddedDocument>), ApiError> {
    let scope = ctx.authorize(Action::EditContent)?;
    let name = query.name.as_deref().unwrap_or_default();
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let kind = DocumentType::from_content_type(content_type).map_err(|e| ApiError::UnsupportedUpload(e.to_string()))?;
    let bytes = axum::body::to_bytes(body, DOCUMENT_LIMIT).await.map_err(|_| ApiError::PayloadTooLarge)?;
    let new = NewDocument { name, project_id: query.project_id, kind, bytes: &bytes, created_by: ctx.auth.user_id };
    let document = documents::add(&state.db, &scope, new).await?;
    let indexing = runs::start_indexing(&state, scope.org_id(), document.id).await?;
    Ok((StatusCode::CREATED, ApiJson(AddedDocument { document: document.into(), indexing })))
}

/// The org's brand documents, newest first (at most 200).
#[utoipa::path(get, path = "/api/orgs/{org_id}/knowledge/documents", tag = "knowledge", security(("bearer" = [])),
    params(("org_id" = Uuid, Path)),
    responses((status = 200, body = Vec<DocumentView>), ErrorResponses))]
async fn list_documents(State(state): State<AppState>, ctx: OrgCtx) -> Result<ApiJson<Vec<DocumentView>>, ApiError> {
    let scope = ctx.authorize(Action::Read)?;
    Ok(ApiJson(documents::list(&state.db, &scope).await?.into_iter().map(DocumentView::from).collect()))
}

#[derive(Deserialize, IntoParams)]
pub(crate) struct DocumentPath {
    #[allow(dead_code)]
    org_id: Uuid,
    document_id: Uuid,
}

/// Removes a brand document and what retrieval knew of it (editor and up).
#[utoipa::path(delete, path = "/api/orgs/{org_id}/knowledge/documents/{document_id}", tag = "knowledge",
    security(("bearer" = [])), params(("org_id" = Uuid, Path), ("document_id" = Uuid, Path)),
    responses((status = 204, description = "Removed"), ErrorResponses))]
async fn remove_document(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath(DocumentPath { document_id, .. }): ApiPath<DocumentPath>,
) -> Result<StatusCode, ApiError> {
    let scope = ctx.authorize(Action::EditContent)?;
    documents::remove(&state.db, &scope, document_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
