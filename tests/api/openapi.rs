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
        serde_json::json!([])
    );
    assert!(doc["security"][0]["bearer"].is_array());
}

/// Every enum is published exactly as serde writes it, and no enum reaches the document
/// except through one of these declarations.
#[test]
fn every_enum_is_published_as_it_is_on_the_wire() {
    use finmatch::domain::WireEnum;
    use serde_json::Value;

    fn wire<T: WireEnum>() -> (String, Vec<Value>) {
        let values = T::all()
            .iter()
            .map(|v| serde_json::to_value(v).expect("serializes"))
            .collect();
        (T::name().into_owned(), values)
    }
    use finmatch::domain::{
        bridge, demand, event, lifecycle, org, product, profile, qualification, renewal, risk,
        servicing, size_class, stats, subsidy,
    };
    let declared = [
        wire::<demand::Purpose>(),
        wire::<demand::DemandStatus>(),
        wire::<event::WebhookEvent>(),
        wire::<event::DeliveryStatus>(),
        wire::<lifecycle::MatchState>(),
        wire::<lifecycle::EventAction>(),
        wire::<lifecycle::Party>(),
        wire::<org::OrgKind>(),
        wire::<org::Role>(),
        wire::<org::CreatableKind>(),
        wire::<product::ProductType>(),
        wire::<product::GuaranteeMethod>(),
        wire::<product::ProductStatus>(),
        wire::<profile::Ownership>(),
        wire::<qualification::QualificationKind>(),
        wire::<qualification::QualificationLevel>(),
        wire::<size_class::Industry>(),
        wire::<size_class::SizeClass>(),
        wire::<servicing::LoanStatus>(),
        wire::<renewal::RenewalState>(),
        wire::<bridge::BridgeState>(),
        wire::<risk::SchemeKind>(),
        wire::<risk::CompensationState>(),
        wire::<renewal::RenewalAction>(),
        wire::<servicing::LoanEventKind>(),
        wire::<stats::By>(),
        wire::<stats::Metric>(),
        wire::<subsidy::PolicyKind>(),
        wire::<subsidy::PolicyStatus>(),
        wire::<subsidy::ClaimState>(),
        wire::<subsidy::InterestBase>(),
        wire::<subsidy::DayCount>(),
        wire::<subsidy::LprTerm>(),
        wire::<subsidy::LprReference>(),
        wire::<subsidy::CounterGuarantee>(),
        wire::<finmatch::app::error::ProblemCode>(),
        wire::<finmatch::app::health::DatabaseKind>(),
    ];
    let doc: Value = serde_json::from_str(&finmatch::startup::openapi_json()).unwrap();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for (name, values) in &declared {
        let published = schemas
            .get(name)
            .unwrap_or_else(|| panic!("{name} is not in the document"));
        assert_eq!(&published["enum"], &Value::Array(values.clone()), "{name}");
        assert!(values
            .iter()
            .all(|v| v.as_str().is_some_and(|s| s
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.'))));
    }
    // Any other `enum` in the document came from somewhere else: name it here or fix it.
    fn walk(v: &Value, at: &str, found: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if m.contains_key("enum") {
                    found.push(at.to_owned());
                }
                for (k, c) in m {
                    walk(c, &format!("{at}/{k}"), found);
                }
            }
            Value::Array(a) => a.iter().for_each(|c| walk(c, at, found)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    walk(&doc, "", &mut found);
    let expected: Vec<String> = declared
        .iter()
        .map(|(n, _)| format!("/components/schemas/{n}"))
        .collect();
    let stray: Vec<&String> = found
        .iter()
        .filter(|at| {
            !expected.contains(at) && !at.ends_with("/headers/Idempotency-Replayed/schema")
        })
        .collect();
    assert!(
        stray.is_empty(),
        "enums outside the declared set: {stray:?}"
    );
}

/// `/docs` runs with no internet: no external validator, no asset or font from elsewhere.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_docs_page_references_nothing_outside_finmatch() {
    let app = crate::helpers::TestApp::spawn(finmatch::db::Backend::Sqlite)
        .await
        .expect("app");
    let get = |path: &'static str| {
        let url = format!("{}{path}", app.base);
        async move {
            let r = reqwest::get(url).await.expect("get");
            assert_eq!(r.status(), 200, "{path}");
            r.text().await.expect("text")
        }
    };
    let init = get("/docs/swagger-initializer.js").await;
    assert!(init.contains(r#""validatorUrl": "none""#), "{init}");
    for page in [
        get("/docs/").await,
        init,
        get("/docs/swagger-ui.css").await,
        get("/docs/index.css").await,
    ] {
        for attr in [
            "src=\"http",
            "href=\"http",
            "url(http",
            "url(\"http",
            "\"url\": \"http",
        ] {
            assert!(!page.contains(attr), "{attr} in the docs page");
        }
    }
}

/// Generated clients name their functions after `operationId`: two operations with one id
/// collide (the console's typed client once read compensation claims as subsidy claims).
#[test]
fn operation_ids_are_unique() {
    let doc: serde_json::Value = serde_json::from_str(&finmatch::startup::openapi_json()).unwrap();
    let mut seen = std::collections::BTreeMap::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if let Some(id) = op["operationId"].as_str() {
                if let Some(other) = seen.insert(id.to_owned(), format!("{method} {path}")) {
                    panic!("operationId {id} is used by {other} and {method} {path}");
                }
            }
        }
    }
    assert!(seen.len() > 50);
}
