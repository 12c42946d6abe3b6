//! The OpenAPI document in docs/ is the one the code generates: regenerate
//! it with `UPDATE_OPENAPI=1 make test` after changing a route.

#[test]
fn the_committed_openapi_document_matches_the_code() {
    let generated = api::routes::documented().1.to_pretty_json().unwrap() + "\n";
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/openapi.json");
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(committed == generated, "docs/openapi.json is stale: run `UPDATE_OPENAPI=1 make test`");
}
