//! The OpenAPI 3.1 document. Paths come from the same route registration the server uses
//! (`startup::routes`); this module adds the frame: info, security and the problem+json
//! responses every operation can return.

use serde_json::{json, Value};
use utoipa::openapi::path::Operation;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as Doc, Ref, RefOr};
use utoipa::{Modify, OpenApi};

use crate::app::error::{FieldError, Problem};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "finmatch",
        description = "REST API of a government-backed SME financing marketplace (银企融资对接平台): \
banks list loan products, enterprises post financing needs, the platform matches and tracks them, \
computes subsidies and reports to the finance office. Errors are application/problem+json with a stable `code`.",
        license(name = "MIT")
    ),
    components(schemas(Problem, FieldError)),
    modifiers(&Frame),
    tags(
        (name = "auth", description = "Registration, login and the caller"),
        (name = "organizations", description = "Banks, guarantors, finance offices and enterprises"),
        (name = "enterprises", description = "Enterprise profiles (划型) and qualifications (资质)"),
        (name = "products", description = "Loan products (金融产品) banks publish"),
        (name = "demands", description = "Financing demands (融资需求) posted by enterprises"),
        (name = "matching", description = "Recommendations and candidates (智能匹配), explained"),
        (name = "matches", description = "The match lifecycle (对接): apply or claim, accept, approve, reject, withdraw, disburse"),
        (name = "loans", description = "Loans (放款) recorded by banks, and what happens to them after (贷后: repayments, overdue, 不良, write-offs)"),
        (name = "renewals", description = "Renewals (续贷 / 无还本续贷): request, 续贷承诺, rejection, withdrawal and the renewal loan"),
        (name = "bridges", description = "Bridge funds (应急转贷资金 / 过桥): funds, bridges against an approved renewal, atomic capital reservation, fees"),
        (name = "risk", description = "Risk sharing and compensation schemes (风险分担 / 风险补偿资金池): schemes and enrollments within capacity"),
        (name = "calendar", description = "Working-day calendar (法定节假日, 调休)"),
        (name = "webhooks", description = "Signed event callbacks, delivered at least once"),
        (name = "subsidies", description = "LPR, subsidy policies (贴息, 担保费补贴), quotes, claims and budget simulation"),
        (name = "reports", description = "Finance-office statistics, targets and exports (统计监测)"),
        (name = "operations", description = "Health and readiness"),
    )
)]
pub struct ApiDoc;

struct Frame;

const STANDARD: [(&str, &str); 11] = [
    (
        "400",
        "Malformed request: bad JSON, query or path parameter",
    ),
    ("401", "Missing, invalid or expired bearer token"),
    ("403", "The caller's role may not do this"),
    ("404", "Not found, or outside the caller's scope"),
    ("409", "Conflicts with the current state"),
    ("413", "Request body too large"),
    ("415", "Request body is not JSON"),
    ("422", "Invalid fields (see `errors`)"),
    (
        "429",
        "Over the client's request rate (per token, or per address without one); retry after `Retry-After` seconds",
    ),
    ("500", "Internal error (no details are disclosed)"),
    (
        "503",
        "Database unavailable, or the request ran past the server's time; retry after `Retry-After` seconds",
    ),
];

fn problem_response(
    description: &str,
    retry_after: bool,
) -> RefOr<utoipa::openapi::response::Response> {
    let mut r = ResponseBuilder::new();
    if retry_after {
        r = r.header(
            "Retry-After",
            utoipa::openapi::HeaderBuilder::new()
                .schema(
                    utoipa::openapi::ObjectBuilder::new()
                        .schema_type(utoipa::openapi::schema::Type::Integer),
                )
                .description(Some("Seconds to wait before retrying"))
                .build(),
        );
    }
    r.description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
        .into()
}

/// `writes`: the method may carry a body (POST, PUT, PATCH, DELETE); even one that takes none
/// reads it, to refuse anything but nothing or `{}` (422) and an oversize one (413).
/// `limited`: the path is under the API's rate limit (`/api/…`; the probes are not).
fn add_standard(op: &mut Operation, writes: bool, limited: bool) {
    let secured = match &op.security {
        // `security(())` marks a public operation.
        Some(reqs) => !reqs.iter().all(|r| r == &SecurityRequirement::default()),
        None => true,
    };
    let has_body = op.request_body.is_some();
    for (code, description) in STANDARD {
        let relevant = match code {
            "401" | "403" => secured,
            "409" | "415" => has_body,
            "413" | "422" => has_body || writes,
            "429" => limited,
            _ => true,
        };
        if relevant {
            op.responses
                .responses
                .entry(code.to_owned())
                .or_insert_with(|| problem_response(description, matches!(code, "429" | "503")));
        }
    }
}

impl Modify for Frame {
    fn modify(&self, doc: &mut Doc) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        doc.security = Some(vec![SecurityRequirement::new(
            "bearer",
            Vec::<String>::new(),
        )]);
    }
}

/// Adds the problem+json responses to every operation. Runs after the paths are collected.
pub fn finish(mut doc: Doc) -> Doc {
    for (path, item) in doc.paths.paths.iter_mut() {
        let limited = path.starts_with("/api/");
        if let Some(op) = &mut item.get {
            add_standard(op, false, limited);
        }
        for op in [
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            add_standard(op, true, limited);
        }
    }
    // The rest is easier on the JSON form than on utoipa's builders.
    let mut v = serde_json::to_value(&doc).expect("the document serializes");
    reference_page_items(&mut v);
    declare_files(&mut v);
    declare_replay_header(&mut v);
    public_and_key_parameters(&mut v);
    serde_json::from_value(v).expect("the amended document deserializes")
}

fn operations(v: &mut Value) -> impl Iterator<Item = &mut Value> {
    v["paths"]
        .as_object_mut()
        .into_iter()
        .flat_map(|paths| paths.values_mut())
        .filter_map(|item| item.as_object_mut())
        .flat_map(|item| item.values_mut())
        .filter(|op| op.get("responses").is_some())
}

/// utoipa inlines the item of a generic `Page<T>`; a page names its item schema instead, so
/// a generated client has one `LoanView` type, not one copy per list.
fn reference_page_items(v: &mut Value) {
    let Some(schemas) = v["components"]["schemas"].as_object_mut() else {
        return;
    };
    let pages: Vec<String> = schemas
        .keys()
        .filter(|k| k.starts_with("Page_"))
        .cloned()
        .collect();
    for page in pages {
        let item = page["Page_".len()..].to_owned();
        let inline = schemas[&page]["properties"]["items"]["items"].take();
        schemas.entry(item.clone()).or_insert(inline);
        schemas[&page]["properties"]["items"]["items"] =
            json!({ "$ref": format!("#/components/schemas/{item}") });
    }
}

/// Spreadsheets and CSV are files, not JSON arrays of bytes.
fn declare_files(v: &mut Value) {
    for op in operations(v) {
        let Some(responses) = op["responses"].as_object_mut() else {
            continue;
        };
        for response in responses.values_mut() {
            let Some(content) = response.get_mut("content").and_then(Value::as_object_mut) else {
                continue;
            };
            for (media_type, body) in content.iter_mut() {
                if media_type.starts_with("text/") {
                    body["schema"] = json!({ "type": "string", "contentMediaType": media_type });
                } else if !media_type.contains("json") {
                    body["schema"] = json!({
                        "type": "string",
                        "format": "binary",
                        "contentMediaType": media_type,
                    });
                }
            }
        }
    }
}

/// utoipa writes `security(())` as `[{}]` ("a token is optional"); a public operation needs
/// none (`[]`), which is also what generated clients understand. `Idempotency-Key` is an
/// optional string header, never a null one.
fn public_and_key_parameters(v: &mut Value) {
    for op in operations(v) {
        if op.get("security") == Some(&json!([{}])) {
            op["security"] = json!([]);
        }
        let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) else {
            continue;
        };
        for p in params.iter_mut().filter(|p| p["name"] == "Idempotency-Key") {
            p["required"] = json!(false);
            p["schema"] = json!({
                "type": "string",
                "minLength": 1,
                "maxLength": 255,
                "pattern": "^[\\x21-\\x7e]+$",
            });
        }
    }
}

/// Every create that takes `Idempotency-Key` may answer a replay, marked by a header.
fn declare_replay_header(v: &mut Value) {
    for op in operations(v) {
        let takes_key = op
            .get("parameters")
            .and_then(Value::as_array)
            .is_some_and(|ps| ps.iter().any(|p| p["name"] == "Idempotency-Key"));
        if !takes_key {
            continue;
        }
        let Some(responses) = op["responses"].as_object_mut() else {
            continue;
        };
        for (status, response) in responses.iter_mut() {
            if status.starts_with('2') {
                response["headers"]["Idempotency-Replayed"] = json!({
                    "description": "`true` when this is the stored answer to an earlier request with the same Idempotency-Key (nothing was created)",
                    "schema": { "type": "string", "enum": ["true"] },
                });
            }
        }
    }
}
