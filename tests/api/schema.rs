//! The two backends' migrations agree, and migrations go up, down and up again.

use std::collections::BTreeMap;

use diesel::prelude::*;
use diesel::sql_query;
use diesel::sql_types::{BigInt, Text};
use finmatch::db::{self, Backend, DbConnection};
use finmatch::domain::scope::Scope;

use crate::helpers::TestDb;

#[derive(QueryableByName, Debug)]
struct Col {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = BigInt)]
    not_null: i64,
}

/// (table, column) → (type family, not null).
type Shape = BTreeMap<(String, String), (String, bool)>;

fn family(t: &str) -> String {
    let t = t.to_ascii_lowercase();
    let f = if t.contains("int") || t.contains("serial") {
        "integer"
    } else if t.contains("bool") {
        "boolean"
    } else if t.contains("timestamp") {
        "timestamp"
    } else if t == "date" {
        "date"
    } else if t.contains("text") || t.contains("char") {
        "text"
    } else if t == "blob" || t == "bytea" {
        "binary"
    } else if t.contains("double")
        || t.contains("real")
        || t.contains("float")
        || t.contains("numeric")
    {
        "float"
    } else {
        t.as_str()
    };
    f.to_owned()
}

fn shape(conn: &mut DbConnection) -> Shape {
    let cols: Vec<Col> = match conn.backend() {
        Backend::Sqlite => sql_query(
            "SELECT m.name AS table_name, p.name AS column_name, p.type AS data_type, \
             CAST(p.\"notnull\" OR p.pk AS BIGINT) AS not_null \
             FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name != '__diesel_schema_migrations'",
        )
        .load(conn)
        .unwrap(),
        Backend::Postgres => sql_query(
            "SELECT table_name::text AS table_name, column_name::text AS column_name, data_type::text AS data_type, \
             CAST(CASE WHEN is_nullable = 'NO' THEN 1 ELSE 0 END AS BIGINT) AS not_null \
             FROM information_schema.columns WHERE table_schema = current_schema() \
             AND table_name != '__diesel_schema_migrations'",
        )
        .load(conn)
        .unwrap(),
    };
    cols.into_iter()
        .map(|c| {
            (
                (c.table_name, c.column_name),
                (family(&c.data_type), c.not_null != 0),
            )
        })
        .collect()
}

fn migrated(backend: Backend) -> Option<(TestDb, DbConnection)> {
    let tdb = TestDb::create(backend)?;
    let mut conn = DbConnection::open(&tdb.url).unwrap();
    db::migrations::run_pending(&mut conn).unwrap();
    Some((tdb, conn))
}

#[test]
#[cfg_attr(no_test_database, ignore = "TEST_DATABASE_URL is not set")]
fn sqlite_and_postgres_schemas_agree() {
    let (_s, mut sqlite) = migrated(Backend::Sqlite).unwrap();
    let Some((_p, mut pg)) = migrated(Backend::Postgres) else {
        return;
    };
    let a = shape(&mut sqlite);
    let b = shape(&mut pg);
    assert!(!a.is_empty());
    let only_sqlite: Vec<_> = a.keys().filter(|k| !b.contains_key(*k)).collect();
    let only_pg: Vec<_> = b.keys().filter(|k| !a.contains_key(*k)).collect();
    assert!(
        only_sqlite.is_empty() && only_pg.is_empty(),
        "sqlite only: {only_sqlite:?}; postgres only: {only_pg:?}"
    );
    for (k, v) in &a {
        assert_eq!(
            Some(v),
            b.get(k),
            "column {k:?} differs (sqlite vs postgres)"
        );
    }
}

#[derive(QueryableByName, Debug)]
struct Idx {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = BigInt)]
    is_unique: i64,
    #[diesel(sql_type = BigInt)]
    is_partial: i64,
    /// Comma-separated, in index order; `<expr>` for an expression.
    #[diesel(sql_type = Text)]
    columns: String,
}

/// Every index but primary keys, by what it guarantees: (table, unique, partial, columns).
/// Names may differ between the backends; what an index enforces may not (the "one live
/// match per demand and product" rule is the unique index on `matches.live_key`).
fn indexes(conn: &mut DbConnection) -> std::collections::BTreeSet<(String, bool, bool, String)> {
    let rows: Vec<Idx> = match conn.backend() {
        Backend::Sqlite => sql_query(
            "SELECT m.name AS table_name, CAST(il.\"unique\" AS BIGINT) AS is_unique, \
             CAST(il.partial AS BIGINT) AS is_partial, \
             group_concat(COALESCE(ii.name, '<expr>'), ',') AS columns \
             FROM sqlite_master m JOIN pragma_index_list(m.name) il \
             JOIN pragma_index_xinfo(il.name) ii ON ii.key = 1 \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' \
             AND m.name != '__diesel_schema_migrations' AND il.origin != 'pk' \
             GROUP BY m.name, il.name ORDER BY m.name, il.name",
        )
        .load(conn)
        .unwrap(),
        Backend::Postgres => sql_query(
            "SELECT t.relname::text AS table_name, \
             CAST(ix.indisunique AS INT)::BIGINT AS is_unique, \
             CAST(ix.indpred IS NOT NULL AS INT)::BIGINT AS is_partial, \
             (SELECT string_agg(COALESCE(a.attname::text, '<expr>'), ',' ORDER BY k.n) \
                FROM unnest(ix.indkey) WITH ORDINALITY AS k(attnum, n) \
                LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum AND k.attnum > 0) AS columns \
             FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid \
             JOIN pg_class t ON t.oid = ix.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace \
             WHERE n.nspname = current_schema() AND NOT ix.indisprimary \
             AND t.relname != '__diesel_schema_migrations'",
        )
        .load(conn)
        .unwrap(),
    };
    rows.into_iter()
        .map(|r| (r.table_name, r.is_unique != 0, r.is_partial != 0, r.columns))
        .collect()
}

/// CHECK constraints per table (SQLite keeps them only in the table's SQL).
fn checks(conn: &mut DbConnection) -> BTreeMap<String, i64> {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = Text)]
        table_name: String,
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let rows: Vec<Count> = match conn.backend() {
        Backend::Sqlite => {
            #[derive(QueryableByName)]
            struct Sql {
                #[diesel(sql_type = Text)]
                name: String,
                #[diesel(sql_type = Text)]
                sql: String,
            }
            let tables: Vec<Sql> = sql_query(
                "SELECT name, sql FROM sqlite_master WHERE type = 'table' \
                 AND name NOT LIKE 'sqlite_%' AND name != '__diesel_schema_migrations'",
            )
            .load(conn)
            .unwrap();
            tables
                .into_iter()
                .map(|t| Count {
                    // `CHECK (`, not a column named `checked_at`.
                    n: t.sql
                        .to_ascii_uppercase()
                        .match_indices("CHECK")
                        .filter(|(i, _)| t.sql[i + 5..].trim_start().starts_with('('))
                        .count() as i64,
                    table_name: t.name,
                })
                .collect()
        }
        Backend::Postgres => sql_query(
            "SELECT t.relname::text AS table_name, COUNT(c.oid)::BIGINT AS n \
             FROM pg_class t JOIN pg_namespace ns ON ns.oid = t.relnamespace \
             LEFT JOIN pg_constraint c ON c.conrelid = t.oid AND c.contype = 'c' \
             WHERE ns.nspname = current_schema() AND t.relkind = 'r' \
             AND t.relname != '__diesel_schema_migrations' GROUP BY t.relname",
        )
        .load(conn)
        .unwrap(),
    };
    rows.into_iter().map(|c| (c.table_name, c.n)).collect()
}

#[test]
#[cfg_attr(no_test_database, ignore = "TEST_DATABASE_URL is not set")]
fn sqlite_and_postgres_enforce_the_same_constraints() {
    let (_s, mut sqlite) = migrated(Backend::Sqlite).unwrap();
    let Some((_p, mut pg)) = migrated(Backend::Postgres) else {
        return;
    };
    let (a, b) = (indexes(&mut sqlite), indexes(&mut pg));
    assert!(
        a.contains(&("matches".into(), true, false, "live_key".into())),
        "the one-live-match index: {a:?}"
    );
    let only_sqlite: Vec<_> = a.difference(&b).collect();
    let only_pg: Vec<_> = b.difference(&a).collect();
    assert!(
        only_sqlite.is_empty() && only_pg.is_empty(),
        "indexes only on sqlite: {only_sqlite:#?}\nonly on postgres: {only_pg:#?}"
    );
    assert_eq!(
        checks(&mut sqlite),
        checks(&mut pg),
        "CHECK constraints per table"
    );
}

fn up_down_up(backend: Backend) {
    let Some((_db, mut conn)) = migrated(backend) else {
        return;
    };
    let before = shape(&mut conn);
    assert!(db::migrations::up_to_date(&mut conn).unwrap());
    let reverted = db::migrations::revert_all(&mut conn).unwrap();
    assert!(!reverted.is_empty());
    assert!(
        shape(&mut conn).is_empty(),
        "down migrations must drop every table"
    );
    assert!(!db::migrations::up_to_date(&mut conn).unwrap());
    db::migrations::run_pending(&mut conn).unwrap();
    assert_eq!(shape(&mut conn), before);
}

#[test]
fn migrations_up_down_up_sqlite() {
    up_down_up(Backend::Sqlite);
}

#[test]
#[cfg_attr(no_test_database, ignore = "TEST_DATABASE_URL is not set")]
fn migrations_up_down_up_postgres() {
    up_down_up(Backend::Postgres);
}

/// A database that already holds records when the rollup migration (000007) arrives: the
/// snapshots are backfilled from the records and the first start builds the cells.
fn upgrade_builds_rollups(backend: Backend) {
    use diesel_migrations::MigrationHarness;
    use finmatch::domain::rollup::{self, dim, Fact};
    let Some(tdb) = TestDb::create(backend) else {
        return;
    };
    let mut conn = DbConnection::open(&tdb.url).unwrap();
    for _ in 0..6 {
        match &mut conn {
            DbConnection::Sqlite(c) => c.run_next_migration(db::migrations::SQLITE).map(|_| ()),
            DbConnection::Postgres(c) => c.run_next_migration(db::migrations::POSTGRES).map(|_| ()),
        }
        .unwrap();
    }
    let t = "'2026-03-02 09:00:00'";
    for sql in [
        format!("INSERT INTO organizations (id, kind, name, region_code, created_at, updated_at) VALUES \
                 (1, 'bank', 'B', NULL, {t}, {t}), (2, 'enterprise', 'E2', '370202', {t}, {t}), \
                 (3, 'enterprise', 'E3', '320505', {t}, {t})"),
        format!("INSERT INTO enterprises VALUES (2, 'industry', 10, 100, 100, '2020-01-01', FALSE, 'micro', {t}), \
                 (3, 'industry', 10, 100, 100, '2020-01-01', FALSE, 'micro', {t})"),
        format!("INSERT INTO qualifications (id, enterprise_id, kind, level, certified_on, expires_on, certificate_no, created_by, created_at) VALUES \
                 (1, 2, 'specialized_sme', 'provincial', '2025-01-01', '2099-12-31', 'Q1', 0, {t}), \
                 (2, 2, 'high_tech', 'national', '2019-01-01', '2020-12-31', 'Q2', 0, {t})"),
        format!("INSERT INTO products (id, bank_id, name, description, product_type, min_amount_fen, max_amount_fen, \
                 min_term_months, max_term_months, min_rate_units, max_rate_units, guarantee_methods, response_sla_days, \
                 status, eligibility, created_at, updated_at) VALUES \
                 (1, 1, 'P', '', 'credit', 1, 100000, 1, 36, 0, 100000, '[\"credit\"]', 3, 'active', '{{}}', {t}, {t})"),
        format!("INSERT INTO demands (id, enterprise_id, amount_fen, term_months, purpose, guarantee_methods, \
                 preferred_product_types, description, status, created_at, updated_at) VALUES \
                 (1, 2, 1000, 12, 'rnd', '[]', '[]', '', 'fulfilled', {t}, {t}), \
                 (2, 3, 3000, 12, 'rnd', '[]', '[]', '', 'in_progress', {t}, {t}), \
                 (3, 2, 5000, 12, 'rnd', '[]', '[]', '', 'open', {t}, {t})"),
        format!("INSERT INTO matches (id, demand_id, product_id, bank_id, enterprise_id, state, initiated_by, respond_by, \
                 approved_amount_fen, disbursed_fen, respond_overdue_notified, decide_overdue_notified, created_at, updated_at) VALUES \
                 (1, 1, 1, 1, 2, 'disbursed', 'enterprise', '2026-03-05', 800, 800, FALSE, FALSE, {t}, {t}), \
                 (2, 2, 1, 1, 3, 'applied', 'enterprise', '2026-03-05', NULL, 0, FALSE, FALSE, {t}, {t})"),
        format!("INSERT INTO loans (id, match_id, demand_id, product_id, bank_id, enterprise_id, amount_fen, rate_units, \
                 term_months, disbursed_on, first_loan, created_by, created_at) VALUES \
                 (1, 1, 1, 1, 1, 2, 800, 34500, 12, '2026-03-10', TRUE, 0, {t})"),
    ] {
        sql_query(sql).execute(&mut conn).unwrap();
    }
    db::migrations::run_pending(&mut conn).unwrap();
    assert!(db::rollups::ensure_built(&mut conn).unwrap());
    assert!(!db::rollups::ensure_built(&mut conn).unwrap(), "only once");

    let all = rollup::plan(None, None);
    let loans = db::rollups::load(
        &mut conn,
        Fact::Loan,
        &[dim::ALL, dim::QUALIFICATION],
        &all,
        &Scope::Everything,
    )
    .unwrap();
    let day = chrono::NaiveDate::from_ymd_opt(2026, 3, 6).unwrap();
    let match_quals = db::rollups::load(
        &mut conn,
        Fact::Match,
        &[dim::QUALIFICATION],
        &all,
        &Scope::Everything,
    )
    .unwrap();
    let by_qual = rollup::breakdown(
        &loans,
        &match_quals,
        finmatch::domain::stats::By::Qualification,
        |_| String::new(),
        day,
    );
    let keys: Vec<(&str, u64, u64)> = by_qual
        .iter()
        .map(|g| (g.key.as_str(), g.loans.count, g.matches.total))
        .collect();
    assert_eq!(
        keys,
        vec![("none", 0, 1), ("specialized_sme", 1, 1)],
        "only what was valid on the day of the loan (2026-03-10) and of the matches (03-02)"
    );
    let own: Vec<_> = loans
        .iter()
        .filter(|(k, _)| k.dim == dim::ALL)
        .cloned()
        .collect();
    let f = rollup::loan_figures(&rollup::merged(&own));
    assert_eq!((f.count, f.amount.fen(), f.enterprises_served), (1, 800, 1));
    assert_eq!(
        f.credit_loan_share.as_deref(),
        Some("1.0000"),
        "no guarantor, credit product"
    );
    assert_eq!(f.weighted_average_rate.as_deref(), Some("3.4500"));
    let d = rollup::merged(
        &db::rollups::load(
            &mut conn,
            Fact::Demand,
            &[dim::ALL],
            &all,
            &Scope::Region("37".into()),
        )
        .unwrap(),
    );
    assert_eq!(
        (d.n, d.amount_fen, d.matched, d.matched_fen),
        (2, 6000, 1, 1000)
    );
    assert_eq!((d.with_loan, d.loan_fen), (1, 800));
    let m = db::rollups::load(
        &mut conn,
        Fact::Match,
        &[dim::STATE],
        &all,
        &Scope::Everything,
    )
    .unwrap();
    let f = rollup::match_counts(&m, day);
    // Summed over regions by the database: the same figures.
    for prefix in [None, Some("37"), Some("32"), Some("11")] {
        let scope = prefix.map_or(Scope::Everything, |p| Scope::Region(p.into()));
        let summed =
            db::rollups::load_counts(&mut conn, Fact::Match, &[dim::STATE], &all, &scope).unwrap();
        let cells = db::rollups::load(&mut conn, Fact::Match, &[dim::STATE], &all, &scope).unwrap();
        assert_eq!(
            rollup::match_counts(&summed, day),
            rollup::match_counts(&cells, day),
            "{prefix:?}"
        );
    }
    assert_eq!(f.by_state.get("disbursed"), Some(&1));
    assert_eq!(f.by_state.get("applied"), Some(&1));
    assert_eq!((f.approved_amount.fen(), f.overdue), (800, 1));
}

#[test]
fn upgrade_builds_rollups_sqlite() {
    upgrade_builds_rollups(Backend::Sqlite);
}

#[test]
#[cfg_attr(no_test_database, ignore = "TEST_DATABASE_URL is not set")]
fn upgrade_builds_rollups_postgres() {
    upgrade_builds_rollups(Backend::Postgres);
}
