//! What is stored is typed: an enum or document the domain does not know is an error that
//! names its column (500), never a silent default; rules written by an earlier release are
//! rewritten in the stored form at start-up and read back unchanged.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::*;
use finmatch::db::Backend;

both_backends!(
    unknown_stored_values_are_errors_naming_the_column,
    rules_stored_by_an_earlier_release_are_upgraded,
);

/// Writes a TEXT cell as a newer release might have (one that widened the column's CHECK):
/// the CHECKs are lifted on this connection (SQLite) or dropped from this test's database
/// (PostgreSQL).
fn set_text(app: &TestApp, sql: &str, value: &str, id: i64) {
    let mut conn = app.pool.get().unwrap();
    let lift = match app.backend {
        Backend::Sqlite => vec!["PRAGMA ignore_check_constraints = ON".to_owned()],
        Backend::Postgres => ["matches_state_check", "enterprises_size_class_check"]
            .iter()
            .map(|c| {
                format!(
                    "ALTER TABLE {} DROP CONSTRAINT IF EXISTS {c}",
                    c.split('_').next().unwrap()
                )
            })
            .collect(),
    };
    for l in lift {
        diesel::sql_query(l).execute(&mut conn).unwrap();
    }
    let n = diesel::sql_query(sql)
        .bind::<Text, _>(value)
        .bind::<BigInt, _>(id)
        .execute(&mut conn)
        .unwrap();
    assert_eq!(n, 1, "{sql}");
    if app.backend == Backend::Sqlite {
        diesel::sql_query("PRAGMA ignore_check_constraints = OFF")
            .execute(&mut conn)
            .unwrap();
    }
}

fn param(app: &TestApp, n: usize) -> String {
    match app.backend {
        Backend::Postgres => format!("${n}"),
        Backend::Sqlite => "?".to_owned(),
    }
}

async fn unknown_stored_values_are_errors_naming_the_column(app: TestApp) {
    let w = world(&app).await;
    let m = apply(&app, &w).await;
    let (a, b) = (param(&app, 1), param(&app, 2));

    // A state written by no release of finmatch: the read fails (500), it is not "withdrawn".
    set_text(
        &app,
        &format!("UPDATE matches SET state = {a} WHERE id = {b}"),
        "parked",
        m,
    );
    let r = app.get(&format!("/api/v1/matches/{m}"), &w.ent).await;
    r.assert_problem(500, "internal_error");
    let mut conn = app.pool.get().unwrap();
    let err = finmatch::db::matches::reread(&mut conn, m).unwrap_err();
    let err = finmatch::app::error::with_sources(&err);
    assert!(
        err.contains("\"parked\"") && err.contains("matches.state"),
        "{err}"
    );
    set_text(
        &app,
        &format!("UPDATE matches SET state = {a} WHERE id = {b}"),
        "applied",
        m,
    );
    app.get(&format!("/api/v1/matches/{m}"), &w.ent)
        .await
        .assert_status(200);

    // A JSON document that is not the domain type is an error too, not an empty list.
    let p = w.product;
    let sql = format!("UPDATE products SET guarantee_methods = {a} WHERE id = {b}");
    set_text(&app, &sql, r#"["credit","handshake"]"#, p);
    let r = app.get(&format!("/api/v1/products/{p}"), &w.bank).await;
    r.assert_problem(500, "internal_error");
    set_text(&app, &sql, r#"["credit"]"#, p);
    let r = app.get(&format!("/api/v1/products/{p}"), &w.bank).await;
    assert_eq!(r.assert_status(200)["guarantee_methods"], json!(["credit"]));

    // The size class the matching reads (enterprises.size_class) has no fallback either.
    let sql = format!("UPDATE enterprises SET size_class = {a} WHERE org_id = {b}");
    set_text(&app, &sql, "giant", w.ent_id);
    let r = app
        .get(&format!("/api/v1/enterprises/{}", w.ent_id), &w.ent)
        .await;
    r.assert_problem(500, "internal_error");
    let err = finmatch::db::catalog::enterprises(&mut conn, Some(&[w.ent_id])).unwrap_err();
    let err = finmatch::app::error::with_sources(&err);
    assert!(err.contains("enterprises.size_class"), "{err}");
}

async fn rules_stored_by_an_earlier_release_are_upgraded(app: TestApp) {
    let (_, fo) = app.org_with_user("finance_office", Some("37")).await;
    let interest = app
        .post(
            "/api/v1/policies",
            &fo,
            &fixed_policy(
                "1000000.00",
                json!({"max_months": 24, "principal_cap": "5000000.00"}),
            ),
        )
        .await
        .assert_status(201)
        .clone();
    let mut g = fixed_policy("1000000.00", json!({}));
    g["kind"] = json!("guarantee_fee_subsidy");
    g["rule"] = json!({"subsidy_percent": "1.5", "counter_guarantee": ["credit"]});
    let guarantee = app
        .post("/api/v1/policies", &fo, &g)
        .await
        .assert_status(201)
        .clone();

    // Until this release a policy stored its normalised request body, which is what the
    // policy shows as `rule`. Put that back, as an older release would have left it.
    let (a, b) = (param(&app, 1), param(&app, 2));
    let sql = format!("UPDATE policies SET rule = {a} WHERE id = {b}");
    for p in [&interest, &guarantee] {
        let legacy = serde_json::to_string(&p["rule"]).unwrap();
        assert!(!legacy.contains("version"), "{legacy}");
        set_text(&app, &sql, &legacy, p["id"].as_i64().unwrap());
    }
    let id = interest["id"].as_i64().unwrap();
    app.get(&format!("/api/v1/policies/{id}"), &fo)
        .await
        .assert_problem(500, "internal_error");

    let mut conn = app.pool.get().unwrap();
    finmatch::startup::upgrade_stored_data(&mut conn).unwrap();
    let again = finmatch::app::subsidies::policies::upgrade_stored_rules(&mut conn).unwrap();
    assert_eq!(again, 0, "the upgrade is idempotent");
    for p in [&interest, &guarantee] {
        let id = p["id"].as_i64().unwrap();
        let now: Value = app
            .get(&format!("/api/v1/policies/{id}"), &fo)
            .await
            .assert_status(200)
            .clone();
        assert_eq!(
            now["rule"], p["rule"],
            "policy {id} reads back as it was created"
        );
        let stored: Vec<String> = finmatch::db::schema::policies::table
            .find(id)
            .select(finmatch::db::schema::policies::rule)
            .load(&mut conn)
            .unwrap();
        let stored: Value = serde_json::from_str(&stored[0]).unwrap();
        assert_eq!(stored["version"], 1, "{stored}");
    }
}
