//! Matching speed: one demand against 10,000 active products (target ≤ 2 ms) and one product
//! against 200,000 open demands (target ≤ 100 ms). Run: `cargo bench --bench matching`.

use std::collections::HashMap;

use chrono::NaiveDate;
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use finmatch::catalog::{candidates, recommend, top_candidates, DemandSnapshot};
use finmatch::db::catalog::{CatalogDemand, CatalogEnterprise, CatalogProduct};
use finmatch::domain::demand::Purpose;
use finmatch::domain::matching::{DemandFacts, EnterpriseFacts, ProductFacts};
use finmatch::domain::money::Money;
use finmatch::domain::product::{
    Eligibility, GuaranteeMethod, ProductStatus, ProductType, QualificationRequirement,
};
use finmatch::domain::qualification::{Qualification, QualificationKind, QualificationLevel};
use finmatch::domain::rate::Rate;
use finmatch::domain::size_class::{Industry, SizeClass};

/// A small deterministic generator (no RNG dependency in the bench).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
}

fn product(i: u64, g: &mut Lcg) -> CatalogProduct {
    let min = (1 + g.next(50) as i64) * 10_000_000;
    let mut eligibility = Eligibility::default();
    match g.next(4) {
        0 => {
            eligibility.qualifications_any = vec![QualificationRequirement {
                kind: QualificationKind::SpecializedSme,
                min_level: QualificationLevel::Provincial,
            }]
        }
        1 => eligibility.region_prefixes = vec!["37".into(), "3205".into()],
        2 => eligibility.first_loan_only = true,
        _ => eligibility.size_classes = vec![SizeClass::Small, SizeClass::Micro],
    }
    CatalogProduct {
        facts: ProductFacts {
            id: i as i64,
            bank_id: (i % 40) as i64,
            product_type: ProductType::ALL[(i % 11) as usize],
            status: ProductStatus::Active,
            min_amount: Money::from_fen(min),
            max_amount: Money::from_fen(min * (2 + g.next(30) as i64)),
            min_term_months: 1 + g.next(12) as i64,
            max_term_months: 12 + g.next(48) as i64,
            min_rate: Rate::from_units(25_000 + g.next(20_000) as i64),
            max_rate: Rate::from_units(45_000 + g.next(20_000) as i64),
            guarantee_methods: vec![
                GuaranteeMethod::ALL[g.next(4) as usize],
                GuaranteeMethod::Credit,
            ],
            response_sla_days: 1 + g.next(5) as i64,
            eligibility,
        },
        name: format!("product {i}"),
        bank_name: format!("bank {}", i % 40),
    }
}

fn enterprise(i: u64, g: &mut Lcg) -> CatalogEnterprise {
    let qualifications = if g.next(3) == 0 {
        vec![Qualification {
            kind: QualificationKind::SpecializedSme,
            level: QualificationLevel::Provincial,
            certified_on: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
            expires_on: NaiveDate::from_ymd_opt(2027, 12, 31).unwrap(),
        }]
    } else {
        vec![]
    };
    CatalogEnterprise {
        facts: EnterpriseFacts {
            id: i as i64,
            region_code: ["370202", "320505", "440101"][g.next(3) as usize].into(),
            industry: Industry::ALL[g.next(16) as usize],
            size_class: [SizeClass::Micro, SizeClass::Small, SizeClass::Medium][g.next(3) as usize],
            established_on: NaiveDate::from_ymd_opt(2010 + g.next(15) as i32, 3, 1).unwrap(),
            annual_revenue: Money::from_fen((1 + g.next(10_000) as i64) * 1_000_000),
            has_prior_loan: g.next(2) == 0,
            qualifications,
        },
        name: format!("enterprise {i}"),
    }
}

fn demand(i: u64, enterprise_id: i64, g: &mut Lcg) -> CatalogDemand {
    CatalogDemand {
        facts: DemandFacts {
            id: i as i64,
            enterprise_id,
            amount: Money::from_fen((1 + g.next(200) as i64) * 10_000_000),
            term_months: [6, 12, 24, 36][g.next(4) as usize],
            guarantee_methods: vec![GuaranteeMethod::ALL[g.next(4) as usize]],
            max_rate: (g.next(2) == 0).then(|| Rate::from_units(35_000 + g.next(15_000) as i64)),
            preferred_product_types: vec![],
        },
        purpose: Purpose::WorkingCapital,
        needed_by: None,
    }
}

fn bench(c: &mut Criterion) {
    let mut g = Lcg(42);
    let products: Vec<CatalogProduct> = (1..=10_000).map(|i| product(i, &mut g)).collect();
    let ent = enterprise(1, &mut g);
    let d = demand(1, 1, &mut g);
    c.bench_function("recommend: 1 demand x 10,000 products", |b| {
        b.iter(|| recommend(black_box(&products), &d.facts, &ent.facts, today(), false).len())
    });
    c.bench_function(
        "recommend incl. near misses: 1 demand x 10,000 products",
        |b| b.iter(|| recommend(black_box(&products), &d.facts, &ent.facts, today(), true).len()),
    );

    let enterprises: HashMap<i64, CatalogEnterprise> = (1..=50_000)
        .map(|i| (i as i64, enterprise(i, &mut g)))
        .collect();
    let demands: Vec<CatalogDemand> = (1..=200_000)
        .map(|i| demand(i, 1 + (i % 50_000) as i64, &mut g))
        .collect();
    let small = DemandSnapshot::new(1, today(), demands[..20_000].to_vec(), enterprises.clone());
    let snapshot = DemandSnapshot::new(1, today(), demands, enterprises);
    let p = &products[0].facts;
    let mut group = c.benchmark_group("candidates");
    group.sample_size(20);
    group.bench_function("1 product x 200,000 open demands, all ranked", |b| {
        b.iter(|| candidates(black_box(p), &snapshot, today()).len())
    });
    // A first page of 20 (and whether there is a next): what the endpoint asks for.
    for (n, s) in [("20,000", &small), ("200,000", &snapshot)] {
        group.bench_function(format!("1 product x {n} open demands, first 21"), |b| {
            b.iter(|| top_candidates(black_box(p), s, today(), 21).len())
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
