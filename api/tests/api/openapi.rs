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

/// Client generators (the web app's typed client) need one id per operation
/// and every referenced schema defined.
#[test]
fn operation_ids_are_unique_and_every_schema_reference_resolves() {
    let spec: serde_json::Value = serde_json::from_str(&api::routes::documented().1.to_json().unwrap()).unwrap();
    let mut ids = std::collections::BTreeSet::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let id = operation["operationId"].as_str().unwrap_or_else(|| panic!("{method} {path} has no id"));
            assert!(ids.insert(id.to_owned()), "{method} {path}: operationId {id} is used twice");
        }
    }
    let text = spec.to_string();
    for reference in text.split("\"#/components/schemas/").skip(1) {
        let name = &reference[..reference.find('"').unwrap()];
        assert!(spec["components"]["schemas"].get(name).is_some(), "{name} is referenced but not defined");
    }
}
