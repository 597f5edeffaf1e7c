//! The two backends' migrations agree, and migrations go up, down and up again.

use std::collections::BTreeMap;

use diesel::prelude::*;
use diesel::sql_query;
use diesel::sql_types::{BigInt, Text};
use finmatch::db::{self, Backend, DbConnection};

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
fn migrations_up_down_up_postgres() {
    up_down_up(Backend::Postgres);
}
