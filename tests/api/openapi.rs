//! `openapi/openapi.json` is a golden file: it must equal the document built from the routes
//! the server registers. `UPDATE_OPENAPI=1 cargo test openapi` rewrites it.

use std::path::Path;

#[test]
fn committed_document_matches_the_routes() {
    let generated = finmatch::startup::openapi_json();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi/openapi.json");
    if std::env::var("UPDATE_OPENAPI").is_ok_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "openapi/openapi.json is out of date; run `UPDATE_OPENAPI=1 cargo test openapi` and commit it"
    );
}

#[test]
fn every_operation_documents_its_problems() {
    let doc: serde_json::Value = serde_json::from_str(&finmatch::startup::openapi_json()).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.contains_key("/api/v1/auth/register") && paths.contains_key("/healthz"));
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            for code in ["400", "404", "500"] {
                let r = &responses[code];
                assert!(
                    r["content"]["application/problem+json"].is_object(),
                    "{method} {path} lacks a problem+json {code}"
                );
            }
        }
    }
    // Public operations have no bearer requirement; the rest inherit it.
    assert_eq!(
        doc["paths"]["/api/v1/auth/login"]["post"]["security"],
        serde_json::json!([{}])
    );
    assert!(doc["security"][0]["bearer"].is_array());
}
