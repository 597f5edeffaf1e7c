//! The write cost of the reporting rollups: one disbursement's deltas (loan cells in five
//! dimensions × day and month, the match moving to disbursed overall and per bank, the demand's
//! loan) applied in a
//! write transaction, on a database that already holds cells; next to an empty write
//! transaction on the same connection. SQLite always; PostgreSQL too when
//! `BENCH_DATABASE_URL` is a postgres:// URL (a scratch schema is created and dropped).
//! Run: `cargo bench --bench rollups`.

use chrono::{Days, NaiveDate};
use criterion::{criterion_group, criterion_main, Criterion};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use finmatch::db::{self, DatabaseUrl, DbConnection};
use finmatch::domain::lifecycle::MatchState;
use finmatch::domain::product::ProductType;
use finmatch::domain::rollup::{self, DemandCell, LoanBalance, LoanFact, MatchFact, Rollup};
use finmatch::domain::size_class::SizeClass;

const SCHEMA: &str = "finmatch_bench_rollups";

fn disbursement(i: u64) -> Rollup {
    let day = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + Days::new(i % 300);
    let region = ["370202", "370203", "320505", "320506"][(i % 4) as usize];
    let mut r = Rollup::default();
    rollup::loan_disbursed(
        &mut r,
        &LoanFact {
            enterprise_id: (i % 50_000) as i64 + 1,
            bank_id: (i % 8) as i64 + 1,
            region_code: region.into(),
            size_class: [SizeClass::Small, SizeClass::Micro, SizeClass::Medium][(i % 3) as usize],
            qualification_kinds: ["", "specialized_sme", "high_tech,specialized_sme"]
                [(i % 3) as usize]
                .into(),
            product_type: [
                ProductType::Credit,
                ProductType::SpecializedSme,
                ProductType::FirstLoan,
            ][(i % 3) as usize],
            credit: i.is_multiple_of(2),
            amount_fen: 500_000_000,
            rate_units: 34_500,
            first_loan: i.is_multiple_of(5),
            disbursed_on: day,
            balance: LoanBalance::disbursed(500_000_000),
        },
    )
    .unwrap();
    let approved = MatchFact {
        bank_id: (i % 8) as i64 + 1,
        response_secs: Some(3_600),
        region_code: region.into(),
        created_on: day - Days::new(10),
        state: MatchState::Approved,
        respond_by: None,
        decide_by: None,
        approved_fen: Some(500_000_000),
        product_type: ProductType::SpecializedSme,
        size_class: SizeClass::Small,
        qualification_kinds: "high_tech,specialized_sme".into(),
    };
    let disbursed = MatchFact {
        state: MatchState::Disbursed,
        ..approved.clone()
    };
    rollup::match_moved(&mut r, &approved, &disbursed);
    DemandCell {
        region_code: region.into(),
        created_on: day - Days::new(12),
    }
    .loan(&mut r, 500_000_000, true);
    r
}

fn run(c: &mut Criterion, name: &str, url: &DatabaseUrl) {
    let mut conn = DbConnection::open(url).expect("open the bench database");
    db::migrations::run_pending(&mut conn).expect("migrate");
    // Warm: a year of cells exists, as on a platform in use.
    for i in 0..2_000 {
        conn.write_transaction(|c| db::rollups::apply(c, disbursement(i)))
            .unwrap();
    }
    let mut i = 2_000u64;
    c.bench_function(
        &format!("{name}: apply one disbursement's rollup deltas"),
        |b| {
            b.iter(|| {
                i += 1;
                conn.write_transaction(|c| db::rollups::apply(c, disbursement(i)))
                    .unwrap();
            })
        },
    );
    c.bench_function(&format!("{name}: empty write transaction"), |b| {
        b.iter(|| {
            conn.write_transaction(|_| Ok::<_, diesel::result::Error>(()))
                .unwrap();
        })
    });
}

fn bench(c: &mut Criterion) {
    let path =
        std::env::temp_dir().join(format!("finmatch-bench-rollups-{}.db", std::process::id()));
    let sqlite = DatabaseUrl::parse(&format!("sqlite://{}", path.display())).unwrap();
    run(c, "sqlite", &sqlite);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    if let Ok(base) = std::env::var("BENCH_DATABASE_URL") {
        let mut admin = PgConnection::establish(&base).expect("BENCH_DATABASE_URL");
        admin
            .batch_execute(&format!(
                "DROP SCHEMA IF EXISTS {SCHEMA} CASCADE; CREATE SCHEMA {SCHEMA}"
            ))
            .unwrap();
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}options=-csearch_path%3D{SCHEMA}");
        run(c, "postgres", &DatabaseUrl::parse(&url).unwrap());
        admin
            .batch_execute(&format!("DROP SCHEMA {SCHEMA} CASCADE"))
            .unwrap();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(50);
    targets = bench
}
criterion_main!(benches);
