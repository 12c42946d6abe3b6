//! Login Kit v2: the authorize page (the sandbox user consents at once),
//! the token endpoint (authorization code with optional PKCE, refresh with
//! rotation) and revoke. Answers are flat JSON, never the envelope.

use super::{AuthCode, CODE_TTL, Inner, Req, SCOPES, hex, random_id};
use axum::{
    Json,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::json;
use std::collections::HashMap;
use url::Url;

/// TikTok's wording for any PKCE mismatch.
const BAD_PKCE: &str = "Code verifier or code challenge is invalid.";

/// `{"error","error_description","log_id"}`.
pub(super) fn flat_error(status: StatusCode, error: &str, description: &str) -> Response {
    (status, Json(json!({"error": error, "error_description": description, "log_id": super::log_id()}))).into_response()
}

impl Inner {
    fn oauth_error(&self, status: u16, error: &str, description: &str) -> Response {
        let status = if self.oauth_errors_200 { StatusCode::OK } else { super::status_code(status) };
        flat_error(status, error, description)
    }
}

/// What TikTok shows when it cannot trust the redirect URI: a page, no redirect.
fn error_page(message: &str) -> Response {
    (StatusCode::BAD_REQUEST, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], format!("{message}\n"))
        .into_response()
}

/// Redirects to `target` with `pairs` added to its query (empty ones, such
/// as an absent `state`, left out).
fn redirect(mut target: Url, pairs: &[(&str, &str)]) -> Response {
    target.query_pairs_mut().extend_pairs(pairs.iter().filter(|(_, value)| !value.is_empty()));
    (StatusCode::FOUND, [(header::LOCATION, target.to_string())]).into_response()
}

/// `GET /v2/auth/authorize/`: checks the app, then answers as the user
/// would: a redirect carrying `code`, `scopes` and `state`, or an error.
pub(super) fn authorize(inner: &mut Inner, req: &Req) -> Response {
    let q = |name: &str| req.query.get(name).map(String::as_str).filter(|v| !v.is_empty());
    if q("client_key") != Some(inner.config.client_key.as_str()) {
        return error_page("client_key: this app does not exist or is not available");
    }
    let Some(redirect_uri) = q("redirect_uri") else { return error_page("redirect_uri is required") };
    let registered = &inner.config.redirect_uris;
    if !registered.is_empty() && !registered.iter().any(|r| r == redirect_uri) {
        return error_page("redirect_uri is not registered for this app");
    }
    let target = match Url::parse(redirect_uri) {
        Ok(url) if url.fragment().is_none() && !url.cannot_be_a_base() => url,
        _ => return error_page("redirect_uri is not a valid static URL"),
    };
    let state = q("state").unwrap_or("");
    let refuse = |error: &str, description: &str| {
        redirect(target.clone(), &[("error", error), ("error_description", description), ("state", state)])
    };
    if q("response_type") != Some("code") {
        return refuse("unsupported_response_type", "response_type must be code");
    }
    let requested: Vec<String> =
        q("scope").unwrap_or("").split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect();
    if requested.is_empty() || requested.iter().any(|s| !SCOPES.contains(&s.as_str())) {
        return refuse("invalid_scope", "scope is missing or names an unknown scope");
    }
    let challenge = match (q("code_challenge"), q("code_challenge_method")) {
        (None, None) => None,
        (Some(challenge), Some("S256")) => Some(challenge.to_owned()),
        _ => return refuse("invalid_request", "code_challenge needs code_challenge_method=S256"),
    };
    if std::mem::take(&mut inner.deny_next) {
        return refuse("access_denied", "The user denied the authorization request.");
    }
    let scopes: Vec<String> = match inner.consent_only.take() {
        Some(allowed) => requested.into_iter().filter(|s| allowed.contains(s)).collect(),
        None => requested,
    };
    // Real codes carry characters that need URL-encoding (`!`), which is why
    // the docs say to URL-decode the code: a client that forgets gets invalid_grant.
    let code = format!("{}*0!{}", random_id(24), random_id(40));
    let expires = inner.now() + CODE_TTL;
    let open_id = inner.consenting.clone();
    let granted = AuthCode { open_id, scopes, redirect_uri: redirect_uri.to_owned(), challenge, expires };
    let scopes = granted.scopes.join(",");
    inner.codes.insert(code.clone(), granted);
    redirect(target, &[("code", &code), ("scopes", &scopes), ("state", state)])
}

/// The form fields, if the body is declared as a form.
fn form(req: &Req) -> Option<HashMap<String, String>> {
    let content_type = req.header(header::CONTENT_TYPE)?;
    content_type
        .starts_with("application/x-www-form-urlencoded")
        .then(|| url::form_urlencoded::parse(req.body).into_owned().collect())
}

/// The refusal if `client_key` and `client_secret` are not the app's.
fn refuse_client(inner: &Inner, form: &HashMap<String, String>) -> Option<Response> {
    let field = |name: &str| form.get(name).map(String::as_str);
    let known = field("client_key") == Some(&inner.config.client_key)
        && field("client_secret") == Some(&inner.config.client_secret);
    (!known).then(|| inner.oauth_error(401, "invalid_client", "Client key or secret is invalid."))
}

/// `POST /v2/oauth/token/`.
pub(super) fn token(inner: &mut Inner, req: &Req) -> Response {
    let Some(form) = form(req) else {
        return inner.oauth_error(400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded.");
    };
    if let Some(refused) = refuse_client(inner, &form) {
        return refused;
    }
    let field = |name: &str| form.get(name).map(String::as_str).filter(|v| !v.is_empty());
    match field("grant_type") {
        Some("authorization_code") => exchange(inner, field("code"), field("redirect_uri"), field("code_verifier")),
        Some("refresh_token") => refresh(inner, field("refresh_token")),
        _ => {
            inner.oauth_error(400, "unsupported_grant_type", "grant_type must be authorization_code or refresh_token.")
        }
    }
}

fn exchange(inner: &mut Inner, code: Option<&str>, redirect_uri: Option<&str>, verifier: Option<&str>) -> Response {
    let Some(code) = code else { return inner.oauth_error(400, "invalid_request", "code is required.") };
    // Single use: the code is spent by its first presentation, whatever the
    // outcome, so a wrong verifier cannot be followed by guesses.
    let Some(granted) = inner.codes.remove(code) else {
        return inner.oauth_error(400, "invalid_grant", "Authorization code is expired or has been used.");
    };
    if granted.expires <= inner.now() {
        return inner.oauth_error(400, "invalid_grant", "Authorization code is expired or has been used.");
    }
    if redirect_uri != Some(granted.redirect_uri.as_str()) {
        return inner.oauth_error(400, "invalid_grant", "redirect_uri does not match the authorization request.");
    }
    if let Some(challenge) = &granted.challenge {
        // TikTok's S256 is the lowercase hex SHA-256 of the verifier (not base64url as in RFC 7636).
        let hashed = verifier.map(|v| hex(ring::digest::digest(&ring::digest::SHA256, v.as_bytes()).as_ref()));
        if hashed.as_deref() != Some(challenge.as_str()) {
            return inner.oauth_error(400, "invalid_request", BAD_PKCE);
        }
    }
    let pair = inner.new_grant(&granted.open_id, granted.scopes);
    token_answer(inner, pair)
}

fn refresh(inner: &mut Inner, refresh_token: Option<&str>) -> Response {
    let now = inner.now();
    let grant = refresh_token.and_then(|t| inner.refresh.get(t).copied());
    let Some(grant) = grant.filter(|&g| !inner.grants[g].revoked && inner.grants[g].refresh_expires > now) else {
        return inner.oauth_error(400, "invalid_grant", "Refresh token is invalid or expired.");
    };
    let pair = inner.issue(grant);
    token_answer(inner, pair)
}

fn token_answer(inner: &Inner, pair: super::TokenPair) -> Response {
    let grant = inner.refresh[&pair.refresh_token];
    // Rounded, so a grant issued a few milliseconds ago still says 31536000.
    let refresh_left = ((inner.grants[grant].refresh_expires - inner.now()).num_milliseconds().max(0) + 500) / 1000;
    Json(json!({
        "access_token": pair.access_token,
        "expires_in": super::ACCESS_TTL.num_seconds(),
        "open_id": pair.open_id,
        "refresh_expires_in": refresh_left,
        "refresh_token": pair.refresh_token,
        "scope": pair.scope,
        "token_type": "Bearer",
    }))
    .into_response()
}

/// `POST /v2/oauth/revoke/`: the grant behind `token` (an access or a
/// refresh token) dies with all its tokens. Unknown tokens are answered
/// the same way (RFC 7009), so revoking twice is harmless.
pub(super) fn revoke(inner: &mut Inner, req: &Req) -> Response {
    let Some(form) = form(req) else {
        return inner.oauth_error(400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded.");
    };
    if let Some(refused) = refuse_client(inner, &form) {
        return refused;
    }
    let Some(token) = form.get("token").filter(|t| !t.is_empty()) else {
        return inner.oauth_error(400, "invalid_request", "token is required.");
    };
    let grant =
        inner.access.get(token.as_str()).map(|a| a.grant).or_else(|| inner.refresh.get(token.as_str()).copied());
    if let Some(grant) = grant {
        inner.revoke_where(|g, _| g == grant);
    }
    StatusCode::OK.into_response()
}
