//! Every response the HTTP tests receive is checked against the published OpenAPI document:
//! the status must be declared for the operation, the content type must be one the status
//! declares, and a JSON body must validate against its schema — with undeclared fields
//! refused, so the document cannot quietly fall behind the code.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{json, Map, Value};

struct Contract {
    /// (method, compiled path template, template) for every operation.
    operations: Vec<(String, Vec<Segment>, String)>,
    doc: Value,
    /// Root schema (the document's components) with strictness added.
    components: Value,
    validators: Mutex<HashMap<String, Arc<jsonschema::Validator>>>,
}

#[derive(PartialEq)]
enum Segment {
    Literal(String),
    Param,
}

fn contract() -> &'static Contract {
    static CONTRACT: OnceLock<Contract> = OnceLock::new();
    CONTRACT.get_or_init(|| {
        let doc: Value =
            serde_json::from_str(&finmatch::startup::openapi_json()).expect("the document");
        let mut operations = Vec::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for method in item.as_object().expect("path item").keys() {
                let segments = path
                    .split('/')
                    .map(|s| {
                        if s.starts_with('{') {
                            Segment::Param
                        } else {
                            Segment::Literal(s.to_owned())
                        }
                    })
                    .collect();
                operations.push((method.to_uppercase(), segments, path.clone()));
            }
        }
        let mut components = json!({ "components": doc["components"].clone() });
        strict(&mut components["components"]["schemas"]);
        Contract {
            operations,
            doc,
            components,
            validators: Mutex::new(HashMap::new()),
        }
    })
}

/// Refuses properties a schema does not declare. A schema reached through `allOf` cannot
/// refuse its siblings' properties, so the `allOf` itself does (`unevaluatedProperties`).
fn strict(schemas: &mut Value) {
    let mut composed = Vec::new();
    collect_all_of_refs(schemas, &mut composed);
    let Some(map) = schemas.as_object_mut() else {
        return;
    };
    for (name, schema) in map.iter_mut() {
        if !composed.contains(name) {
            tighten(schema, false);
        }
    }
}

fn collect_all_of_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::Array(parts)) = m.get("allOf") {
                for p in parts {
                    if let Some(r) = p["$ref"].as_str() {
                        out.push(r.rsplit('/').next().unwrap_or_default().to_owned());
                    }
                }
            }
            m.values().for_each(|c| collect_all_of_refs(c, out));
        }
        Value::Array(a) => a.iter().for_each(|c| collect_all_of_refs(c, out)),
        _ => {}
    }
}

fn tighten(v: &mut Value, in_all_of: bool) {
    match v {
        Value::Object(m) => {
            let is_all_of = m.contains_key("allOf");
            if is_all_of && !m.contains_key("unevaluatedProperties") {
                m.insert("unevaluatedProperties".into(), Value::Bool(false));
            }
            if !in_all_of
                && m.contains_key("properties")
                && !m.contains_key("additionalProperties")
                && !m.contains_key("unevaluatedProperties")
            {
                m.insert("additionalProperties".into(), Value::Bool(false));
            }
            for (k, c) in m.iter_mut() {
                match k.as_str() {
                    "allOf" => {
                        if let Value::Array(parts) = c {
                            parts.iter_mut().for_each(|p| tighten(p, true));
                        }
                    }
                    // Property names are not schemas; their values are.
                    "properties" => {
                        if let Value::Object(props) = c {
                            props.values_mut().for_each(|p| tighten(p, false));
                        }
                    }
                    _ => tighten(c, false),
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|c| tighten(c, false)),
        _ => {}
    }
}

fn template_for(method: &str, path: &str) -> Option<String> {
    let path = path.split('?').next().unwrap_or(path);
    let parts: Vec<&str> = path.split('/').collect();
    let c = contract();
    // A literal segment beats a parameter (`/policies/simulate` vs `/policies/{id}`).
    c.operations
        .iter()
        .filter(|(m, segments, _)| {
            m == method
                && segments.len() == parts.len()
                && segments.iter().zip(&parts).all(|(s, p)| match s {
                    Segment::Literal(l) => l == p,
                    Segment::Param => !p.is_empty(),
                })
        })
        .max_by_key(|(_, segments, _)| {
            segments
                .iter()
                .filter(|s| matches!(s, Segment::Literal(_)))
                .count()
        })
        .map(|(_, _, t)| t.clone())
}

/// The problems with one response, empty when it keeps the contract. `None` when no
/// operation of the document has this method and path (an unknown route).
pub fn violations(
    method: &str,
    path: &str,
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Option<Vec<String>> {
    let template = template_for(method, path)?;
    let c = contract();
    let op = &c.doc["paths"][&template][method.to_lowercase()];
    let responses = &op["responses"];
    let key = status.to_string();
    let Some(response) = responses.get(&key).or_else(|| responses.get("default")) else {
        return Some(vec![format!(
            "{method} {template}: status {status} is not declared (declared: {})",
            responses
                .as_object()
                .map(|m| m.keys().cloned().collect::<Vec<_>>().join(", "))
                .unwrap_or_default()
        )]);
    };
    let declared: &Map<String, Value> = match response.get("content").and_then(Value::as_object) {
        Some(m) => m,
        None => {
            return Some(if body.is_empty() {
                vec![]
            } else {
                vec![format!(
                    "{method} {template} {status}: a body was sent but none is declared"
                )]
            });
        }
    };
    let Some(ct) = content_type else {
        return Some(vec![format!(
            "{method} {template} {status}: no content type (declared: {:?})",
            declared.keys().collect::<Vec<_>>()
        )]);
    };
    let base = |t: &str| {
        t.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    };
    let Some((media_type, media)) = declared.iter().find(|(k, _)| base(k) == base(ct)) else {
        return Some(vec![format!(
            "{method} {template} {status}: content type {ct} is not declared (declared: {:?})",
            declared.keys().collect::<Vec<_>>()
        )]);
    };
    if !media_type.contains("json") {
        return Some(vec![]);
    }
    let instance: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => return Some(vec![format!("{method} {template} {status}: not JSON: {e}")]),
    };
    let cache_key = format!("{method} {template} {status} {media_type}");
    let validator = {
        let mut cache = c.validators.lock().expect("validators");
        cache
            .entry(cache_key)
            .or_insert_with(|| {
                let mut schema = c.components.clone();
                let mut own = media["schema"].clone();
                tighten(&mut own, false);
                if let (Value::Object(root), Value::Object(own)) = (&mut schema, own) {
                    root.extend(own);
                }
                Arc::new(
                    jsonschema::options()
                        .with_draft(jsonschema::Draft::Draft202012)
                        .should_validate_formats(true)
                        .build(&schema)
                        .expect("the response schema compiles"),
                )
            })
            .clone()
    };
    Some(
        validator
            .iter_errors(&instance)
            .map(|e| format!("{method} {template} {status}: {e} at {}", e.instance_path()))
            .collect(),
    )
}

/// Panics with every violation of one response.
#[track_caller]
pub fn check(method: &str, path: &str, status: u16, content_type: Option<&str>, body: &[u8]) {
    let r = violations(method, path, status, content_type, body);
    if std::env::var("CONTRACT_DEBUG").is_ok() {
        eprintln!(
            "CONTRACT {method} {path} {status} {:?}",
            r.as_ref().map(|v| v.len())
        );
    }
    if let Some(v) = r {
        assert!(
            v.is_empty(),
            "response breaks the OpenAPI document:\n  {}\nbody: {}",
            v.join("\n  "),
            String::from_utf8_lossy(&body[..body.len().min(2000)])
        );
    }
}

// The checker itself: each kind of untruth is caught.

#[test]
fn a_response_that_keeps_the_document_passes() {
    let ok = br#"{"status":"ok"}"#;
    assert_eq!(
        violations("GET", "/healthz", 200, Some("application/json"), ok),
        Some(vec![])
    );
}

#[test]
fn an_undeclared_field_fails() {
    let body = br#"{"status":"ok","extra":1}"#;
    let v = violations("GET", "/healthz", 200, Some("application/json"), body).unwrap();
    assert_eq!(v.len(), 1, "{v:?}");
}

#[test]
fn a_missing_required_field_or_a_wrong_type_fails() {
    let missing = br#"{"database":"sqlite"}"#;
    let v = violations("GET", "/readyz", 200, Some("application/json"), missing).unwrap();
    assert!(!v.is_empty());
    let wrong = br#"{"status":"ready","database":"oracle"}"#;
    let v = violations("GET", "/readyz", 200, Some("application/json"), wrong).unwrap();
    assert!(!v.is_empty());
}

#[test]
fn an_undeclared_status_or_content_type_fails() {
    let v = violations("GET", "/healthz", 418, Some("application/json"), b"{}").unwrap();
    assert!(v[0].contains("not declared"), "{v:?}");
    let v = violations("GET", "/healthz", 200, Some("text/plain"), b"ok").unwrap();
    assert!(v[0].contains("content type"), "{v:?}");
}

#[test]
fn an_unknown_problem_code_fails() {
    let body =
        br#"{"type":"urn:x","title":"Not Found","status":404,"detail":"x","code":"no_such_code"}"#;
    let v = violations(
        "GET",
        "/api/v1/products/7?x=1",
        404,
        Some("application/problem+json"),
        body,
    )
    .unwrap();
    assert!(!v.is_empty());
}

#[test]
fn allof_schemas_refuse_undeclared_fields_too() {
    // Overview is Rates flattened into the rest (allOf).
    let doc = &contract().components["components"]["schemas"]["Overview"];
    assert_eq!(doc["unevaluatedProperties"], Value::Bool(false));
}
