//! `finmatch seed-demo`: a realistic demo world — finance offices, banks with products of every
//! type, guarantors, enterprises across regions, industries and qualification tiers, their
//! demands, and matches and loans with two years of history. Deterministic for a given
//! `--seed`; scales to benchmark sizes (for example `--products 10000 --demands 200000`).
//!
//! Everything is made the one way the platform makes it, by the use cases, as its users would:
//! the admin adds the institutions and the policies, enterprises register
//! (`app::session::enroll`) and post demands, finance offices record qualifications, banks
//! publish products, claim demands, accept, approve, reject and disburse, enterprises apply
//! and withdraw. So audit trails, demand statuses, report cells and webhook rows are exactly
//! what those requests would have left. The history is real history: each step runs with the
//! clock at the moment it happened (`app::clock::at`). Steps run in chunks of one transaction
//! each, every use case a savepoint inside it, which keeps a benchmark-sized world affordable.

use std::collections::HashMap;

use chrono::{Days, NaiveDate, NaiveDateTime};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

mod awards;
mod data;
mod history;
mod risk;
mod servicing;

use data::{
    demo_credit_code, product_label, product_profile, BANKS, NAME_PARTS, NAME_TAILS, OFFICES,
    REGIONS,
};

use crate::app::caller::Caller;
use crate::app::clock;
use crate::app::demands::CreateDemand;
use crate::app::effects::Keep;
use crate::app::enterprises::CreateQualification;
use crate::app::error::AppError;
use crate::app::products::{CreateProduct, PatchProduct};
use crate::app::session::{EnterpriseInput, RegisterRequest};
use crate::app::subsidies::policies::CreatePolicy;
use crate::app::{self, subsidies::rule_input::RuleInput};
use crate::catalog::MatchingCache;
use crate::db::{self, DbConnection};
use crate::domain::demand::Purpose;
use crate::domain::money::Money;
use crate::domain::org::OrgKind;
use crate::domain::product::{GuaranteeMethod, ProductStatus, ProductType};
use crate::domain::profile::Ownership;
use crate::domain::qualification::{QualificationKind, QualificationLevel};
use crate::domain::rate::Rate;
use crate::domain::size_class::Industry;
use crate::domain::subsidy::PolicyKind;

/// Password of every demo user.
pub const DEMO_PASSWORD: &str = "demo-password";

/// Use cases per transaction.
const CHUNK: usize = 200;

#[derive(Clone, Debug)]
pub struct SeedOptions {
    pub banks: usize,
    pub products: usize,
    pub enterprises: usize,
    pub demands: usize,
    /// Enterprises whose login (`demo_ent_<n>`) the report lists; every demo enterprise has one.
    pub enterprise_users: usize,
    /// Demands (the first ones) that end in a disbursed loan.
    pub loans: usize,
    /// Further demands that get a match in each of the other states, in turn.
    pub other_matches: usize,
    pub seed: u64,
}

impl Default for SeedOptions {
    fn default() -> Self {
        SeedOptions {
            banks: 8,
            products: 60,
            enterprises: 200,
            demands: 400,
            enterprise_users: 20,
            loans: 60,
            other_matches: 50,
            seed: 2026,
        }
    }
}

#[derive(Debug, Default)]
pub struct SeedReport {
    pub finance_offices: usize,
    pub banks: usize,
    pub guarantors: usize,
    pub products: usize,
    pub enterprises: usize,
    pub qualifications: usize,
    pub demands: usize,
    pub matches: usize,
    pub loans: usize,
    /// Servicing events, renewals and bridges (`servicing`).
    pub loan_events: usize,
    pub renewals: usize,
    pub bridges: usize,
    /// Risk schemes, enrollments and compensation claims (`risk`).
    pub risk_schemes: usize,
    pub enrollments: usize,
    pub compensation_claims: usize,
    /// Lump-sum and guarantor award claims (`awards`).
    pub award_claims: usize,
    pub stats_cells: usize,
    pub users: Vec<(String, String)>,
}

/// What the request handlers get from the server's state, for the use cases that need it.
pub struct SeedContext<'a> {
    pub matching: &'a MatchingCache,
    pub decide_working_days: u32,
}

/// Mostly 民营, as on the platforms' rolls.
fn demo_ownership(n: usize) -> Ownership {
    [Ownership::Private; 7]
        .into_iter()
        .chain([Ownership::State, Ownership::Collective, Ownership::Foreign])
        .nth(n % 10)
        .unwrap_or(Ownership::Private)
}

/// A GB/T 4754 division of the enterprise's 划型 industry.
fn demo_sector(industry: Industry, n: usize) -> &'static str {
    let divisions: &[&str] = match industry {
        Industry::Agriculture => &["A01", "A03"],
        Industry::Industry => &["C34", "C35", "C38", "C39", "C26", "C27"],
        Industry::Construction => &["E47", "E48"],
        Industry::Wholesale => &["F51"],
        Industry::Retail => &["F52"],
        Industry::Transport => &["G54", "G55"],
        Industry::Warehousing => &["G59"],
        Industry::Postal => &["G60"],
        Industry::Accommodation => &["H61"],
        Industry::Catering => &["H62"],
        Industry::InformationTransmission => &["I63", "I64"],
        Industry::SoftwareIt => &["I65"],
        Industry::RealEstateDevelopment | Industry::PropertyManagement => &["K70"],
        Industry::LeasingBusinessServices => &["L71", "L72"],
        Industry::Other => &["M75", "O81"],
    };
    divisions[n % divisions.len()]
}

fn pick<T: Copy>(rng: &mut StdRng, items: &[T]) -> T {
    *items.choose(rng).unwrap_or(&items[0])
}

fn fail(e: AppError) -> anyhow::Error {
    anyhow::anyhow!("{e}: {:?}", e.errors)
}

/// `day` at `hour` o'clock.
fn at_hour(day: NaiveDate, hour: u32) -> NaiveDateTime {
    day.and_hms_opt(hour, 0, 0).unwrap_or_default()
}

/// Runs `step` on each item, `CHUNK` to a transaction.
fn in_chunks<T>(
    conn: &mut DbConnection,
    items: impl IntoIterator<Item = T>,
    mut step: impl FnMut(&mut DbConnection, T) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut items = items.into_iter().peekable();
    while items.peek().is_some() {
        conn.write_transaction(|conn| -> anyhow::Result<()> {
            for item in items.by_ref().take(CHUNK) {
                step(conn, item)?;
            }
            Ok(())
        })?;
    }
    Ok(())
}

/// An institution and its demo user, added by the admin's one way (`app::organizations::add`,
/// `app::users::add`); returns the user acting for it.
fn institution(
    conn: &mut DbConnection,
    kind: OrgKind,
    name: &str,
    region: Option<&str>,
    username: &str,
    hash: &str,
) -> anyhow::Result<Caller> {
    let now = clock::now();
    let new = db::orgs::NewOrg {
        kind,
        name,
        credit_code: None,
        region_code: region,
        created_at: now,
        updated_at: now,
    };
    let org = app::organizations::add(conn, &new).map_err(fail)?;
    app::users::add(conn, org.id, username, hash, now).map_err(fail)?;
    app::session::act_as(conn, username).map_err(fail)
}

/// A product as `seed-demo` publishes it.
struct Published {
    id: i64,
    bank: usize,
    min_rate: Rate,
    guaranteed: bool,
}

/// A demand as posted: by `world.enterprises[member]`.
struct Posted {
    id: i64,
    member: usize,
    at: NaiveDateTime,
    amount: Money,
    term_months: i64,
}

/// The world so far.
struct World {
    admin: Caller,
    offices: Vec<(&'static str, Caller)>,
    guarantors: Vec<i64>,
    banks: Vec<Caller>,
    products: Vec<Published>,
    /// Index in `products` of each product id.
    product_index: HashMap<i64, usize>,
    /// The user acting for each enterprise.
    enterprises: Vec<Caller>,
    demands: Vec<Posted>,
}

/// Builds the demo world in one pass. Fails if the demo users already exist.
pub fn seed(
    conn: &mut DbConnection,
    opts: &SeedOptions,
    password_hash: &str,
    today: NaiveDate,
    cx: &SeedContext,
) -> anyhow::Result<SeedReport> {
    let mut rng = StdRng::seed_from_u64(opts.seed);
    let mut report = SeedReport::default();
    if db::users::username_taken(conn, "demo_bank_1")? {
        anyhow::bail!("the demo data set is already present (user demo_bank_1 exists)");
    }
    // The platform existed before its history: institutions, products and enterprises are
    // in place 800 days before today.
    let founded = at_hour(today - Days::new(800), 9);
    let mut world = clock::at(founded, || {
        institutions(conn, opts, password_hash, &mut report)
    })?;
    clock::at(founded, || {
        seed_products(conn, &mut rng, opts, &mut world, &mut report)
    })?;
    seed_enterprises(
        conn,
        &mut rng,
        opts,
        password_hash,
        today,
        &mut world,
        &mut report,
    )?;
    seed_demands(conn, &mut rng, opts, today, cx, &mut world, &mut report)?;
    history::seed_matches_and_loans(conn, &mut rng, opts, today, cx, &world, &mut report)?;
    let enrolled = risk::seed_schemes(conn, today, &world, &mut report)?;
    servicing::seed_servicing(conn, today, &world, &mut report)?;
    risk::seed_claims(conn, today, &world, &enrolled, &mut report)?;
    seed_policies(conn, today, &world)?;
    awards::seed_awards(conn, today, &world, &mut report)?;
    conn.write_transaction(|c| db::rollups::fold(c, true))?;
    report.stats_cells = db::rollups::cell_count(conn)?;
    Ok(report)
}

fn institutions(
    conn: &mut DbConnection,
    opts: &SeedOptions,
    hash: &str,
    report: &mut SeedReport,
) -> anyhow::Result<World> {
    let admin = app::session::act_as(conn, "admin").map_err(fail)?;
    conn.write_transaction(|conn| {
        let mut offices = Vec::new();
        for (i, (prefix, name)) in OFFICES.iter().enumerate() {
            let username = format!("demo_office_{}", i + 1);
            let caller = institution(
                conn,
                OrgKind::FinanceOffice,
                name,
                Some(prefix),
                &username,
                hash,
            )?;
            report
                .users
                .push((username, format!("finance_office {name} ({prefix})")));
            offices.push((*prefix, caller));
        }
        let mut guarantors = Vec::new();
        for (i, name) in ["青岛市融资担保中心", "江苏省信用再担保集团"]
            .iter()
            .enumerate()
        {
            let username = format!("demo_guarantor_{}", i + 1);
            let caller = institution(conn, OrgKind::Guarantor, name, None, &username, hash)?;
            report.users.push((username, format!("guarantor {name}")));
            guarantors.push(caller.org_id);
        }
        let mut banks = Vec::new();
        for i in 0..opts.banks.max(1) {
            let name = BANKS
                .get(i)
                .map(|s| (*s).to_owned())
                .unwrap_or_else(|| format!("演示银行{}号", i + 1));
            let username = format!("demo_bank_{}", i + 1);
            banks.push(institution(
                conn,
                OrgKind::Bank,
                &name,
                None,
                &username,
                hash,
            )?);
            report.users.push((username, format!("bank {name}")));
        }
        report.finance_offices = offices.len();
        report.guarantors = guarantors.len();
        report.banks = banks.len();
        Ok(World {
            admin,
            offices,
            guarantors,
            banks,
            products: Vec::new(),
            product_index: HashMap::new(),
            enterprises: Vec::new(),
            demands: Vec::new(),
        })
    })
}

/// Each bank publishes its share of the products (`app::products::create`); one in 25 is
/// then paused (`app::products::patch`).
fn seed_products(
    conn: &mut DbConnection,
    rng: &mut StdRng,
    opts: &SeedOptions,
    world: &mut World,
    report: &mut SeedReport,
) -> anyhow::Result<()> {
    let types = ProductType::ALL;
    let banks = &world.banks;
    let (products, index) = (&mut world.products, &mut world.product_index);
    in_chunks(conn, 0..opts.products, |conn, i| {
        // Every type appears: the first products cycle through all of them.
        let product_type = types[i % types.len()];
        let bank = i % banks.len();
        let min_wan: i64 = pick(rng, &[10, 50, 100, 200, 500]);
        let max_wan: i64 = min_wan * pick(rng, &[5, 10, 20, 40]);
        let min_rate = rng.gen_range(26_000..=42_000) / 500 * 500;
        let max_rate = min_rate + rng.gen_range(2..=30) * 500;
        let (mut methods, eligibility) = product_profile(product_type, rng);
        methods.sort();
        methods.dedup();
        let cmd = CreateProduct {
            name: format!("{}·{}", product_label(product_type), i + 1),
            description: format!("{}，面向中小微企业", product_label(product_type)),
            product_type,
            min_amount: Money::from_fen(min_wan * 1_000_000),
            max_amount: Money::from_fen(max_wan * 1_000_000),
            min_term_months: pick(rng, &[1i64, 3, 6, 12]),
            max_term_months: pick(rng, &[12i64, 24, 36, 60]),
            min_rate: Rate::from_units(min_rate),
            max_rate: Rate::from_units(max_rate),
            guarantee_methods: methods,
            response_sla_days: Some(rng.gen_range(1..=5i64)),
            status: None,
            eligibility,
        };
        let guaranteed = cmd.guarantee_methods.contains(&GuaranteeMethod::Guarantee);
        let view = app::products::create(conn, &banks[bank], cmd, Keep).map_err(fail)?;
        if i % 25 == 24 {
            let pause = PatchProduct {
                status: Some(ProductStatus::Paused),
                ..Default::default()
            };
            app::products::patch(conn, &banks[bank], view.id, pause).map_err(fail)?;
        } else {
            index.insert(view.id, products.len());
            products.push(Published {
                id: view.id,
                bank,
                min_rate: Rate::from_units(min_rate),
                guaranteed,
            });
        }
        report.products += 1;
        Ok(())
    })
}

/// Enterprises register (`app::session::enroll`) the day the platform opened; their
/// province's finance office records their qualifications as they are certified
/// (`app::enterprises::add_qualification`).
fn seed_enterprises(
    conn: &mut DbConnection,
    rng: &mut StdRng,
    opts: &SeedOptions,
    hash: &str,
    today: NaiveDate,
    world: &mut World,
    report: &mut SeedReport,
) -> anyhow::Result<()> {
    // Tiers of the 优质中小企业 gradient, most firms holding nothing.
    let tiers: [&[(QualificationKind, QualificationLevel)]; 6] = [
        &[],
        &[],
        &[(
            QualificationKind::InnovativeSme,
            QualificationLevel::Provincial,
        )],
        &[
            (
                QualificationKind::SpecializedSme,
                QualificationLevel::Provincial,
            ),
            (QualificationKind::HighTech, QualificationLevel::National),
        ],
        &[
            (QualificationKind::LittleGiant, QualificationLevel::National),
            (
                QualificationKind::SpecializedSme,
                QualificationLevel::Provincial,
            ),
        ],
        &[(QualificationKind::TechSme, QualificationLevel::Provincial)],
    ];
    let registered = at_hour(today - Days::new(800), 10);
    let (offices, enterprises) = (&world.offices, &mut world.enterprises);
    in_chunks(conn, 0..opts.enterprises, |conn, n| {
        let region = pick(rng, &REGIONS);
        let city = if region.starts_with("37") {
            "青岛"
        } else {
            "苏州"
        };
        let name = format!(
            "{city}{}{}有限公司（{}）",
            pick(rng, &NAME_PARTS),
            pick(rng, &NAME_TAILS),
            n + 1
        );
        let industry = pick(
            rng,
            &[
                Industry::Industry,
                Industry::Industry,
                Industry::SoftwareIt,
                Industry::Wholesale,
                Industry::Retail,
                Industry::Construction,
                Industry::Transport,
            ],
        );
        let username = format!("demo_ent_{}", n + 1);
        let request = RegisterRequest {
            username: username.clone(),
            password: DEMO_PASSWORD.into(),
            enterprise: EnterpriseInput {
                name: name.clone(),
                credit_code: demo_credit_code(n as u64, region),
                region_code: region.into(),
                industry,
                employees: rng.gen_range(5..600i64),
                annual_revenue: Money::from_fen(rng.gen_range(50..30_000i64) * 1_000_000),
                total_assets: Money::from_fen(rng.gen_range(50..30_000i64) * 1_000_000),
                established_on: today - Days::new(rng.gen_range(900..9000u64)),
                has_prior_loan: rng.gen_bool(0.6),
                // From the index, not the generator, so the rest of the world stays as it was.
                ownership: Some(demo_ownership(n)),
                sector_code: Some(demo_sector(industry, n).into()),
            },
        };
        let id = clock::at(registered, || app::session::enroll(conn, &request, hash))
            .map_err(fail)?
            .organization
            .id;
        let caller = app::session::act_as(conn, &username).map_err(fail)?;
        let office = offices
            .iter()
            .find(|(prefix, _)| prefix.len() == 2 && region.starts_with(prefix))
            .map(|(_, c)| c)
            .ok_or_else(|| anyhow::anyhow!("no province office supervises {region}"))?;
        for (kind, level) in tiers[n % tiers.len()] {
            let certified_on = today - Days::new(rng.gen_range(30..900u64));
            let cmd = CreateQualification {
                kind: *kind,
                level: *level,
                certified_on,
                expires_on: certified_on + Days::new(3 * 365),
                certificate_no: format!("DEMO-{}-{}", kind.as_str(), n + 1),
            };
            let recorded = at_hour(certified_on.max(registered.date()), 11);
            clock::at(recorded, || {
                app::enterprises::add_qualification(conn, office, id, cmd, Keep)
            })
            .map_err(fail)?;
            report.qualifications += 1;
        }
        if n < opts.enterprise_users {
            report
                .users
                .push((username, format!("enterprise {name} ({region})")));
        }
        enterprises.push(caller);
        report.enterprises += 1;
        Ok(())
    })
}

/// Enterprises post their demands (`app::demands::create`): those that will be matched over
/// the last two years, those whose match still waits on a bank in the last month, the rest now.
fn seed_demands(
    conn: &mut DbConnection,
    rng: &mut StdRng,
    opts: &SeedOptions,
    today: NaiveDate,
    cx: &SeedContext,
    world: &mut World,
    report: &mut SeedReport,
) -> anyhow::Result<()> {
    if world.enterprises.is_empty() {
        return Ok(());
    }
    let with_match = opts.loans + opts.other_matches;
    let (enterprises, demands) = (&world.enterprises, &mut world.demands);
    in_chunks(conn, 0..opts.demands, |conn, i| {
        let member = i % enterprises.len();
        let mut methods = vec![pick(rng, GuaranteeMethod::ALL)];
        if rng.gen_bool(0.4) {
            methods.push(pick(rng, GuaranteeMethod::ALL));
        }
        methods.sort();
        methods.dedup();
        let preferred: Vec<ProductType> = if rng.gen_bool(0.3) {
            vec![pick(rng, ProductType::ALL)]
        } else {
            vec![]
        };
        let max_rate = rng
            .gen_bool(0.5)
            .then(|| Rate::from_units(rng.gen_range(30_000..=50_000i64) / 500 * 500));
        let needed_by = rng
            .gen_bool(0.5)
            .then(|| today + Days::new(rng.gen_range(30..365u64)));
        let waiting = i >= opts.loans && i < with_match && (i - opts.loans) % 5 < 2;
        let posted = if i < with_match {
            let days_ago = if waiting { 1..30u64 } else { 8..730u64 };
            at_hour(today - Days::new(rng.gen_range(days_ago)), 9)
        } else {
            clock::now()
        };
        let cmd = CreateDemand {
            amount: Money::from_fen(
                pick(rng, &[30i64, 80, 100, 200, 300, 500, 800, 1000, 2000]) * 1_000_000,
            ),
            term_months: pick(rng, &[6i64, 12, 12, 24, 36]),
            purpose: pick(rng, Purpose::ALL),
            guarantee_methods: methods,
            max_rate,
            preferred_product_types: preferred,
            needed_by,
            description: "演示融资需求".into(),
        };
        let (amount, term_months) = (cmd.amount, cmd.term_months);
        let caller = &enterprises[member];
        let view = clock::at(posted, || {
            app::demands::create(conn, caller, cmd, cx.matching, Keep)
        })
        .map_err(fail)?;
        demands.push(Posted {
            id: view.id,
            member,
            at: posted,
            amount,
            term_months,
        });
        report.demands += 1;
        Ok(())
    })
}

/// Two platform-wide policies, made by the admin (`app::subsidies::policies::create`): a
/// 1.5-point 贴息 and a 1 % 担保费补贴 (G1-style).
fn seed_policies(conn: &mut DbConnection, today: NaiveDate, world: &World) -> anyhow::Result<()> {
    let from = NaiveDate::from_ymd_opt(chrono::Datelike::year(&today) - 2, 1, 1).unwrap_or(today);
    let policies = [
        (
            "中小微企业贷款贴息（演示）",
            PolicyKind::InterestSubsidy,
            r#"{"base":"fixed_points","points":"1.50","day_count":"act_360","max_months":24,"principal_cap":"50000000.00"}"#,
        ),
        (
            "专精特新担保费补贴（演示）",
            PolicyKind::GuaranteeFeeSubsidy,
            r#"{"subsidy_percent":"1.00","max_fee_rate":"1.20","counter_guarantee":["credit","third_party"],"day_count":"months_30_360","per_enterprise_annual_cap":"100000.00","cap_at_fee_paid":true}"#,
        ),
    ];
    for (name, kind, rule) in policies {
        let cmd = CreatePolicy {
            name: name.into(),
            kind,
            effective_from: from,
            effective_to: None,
            budget: Money::from_fen(100_000_000 * 100),
            eligibility: Default::default(),
            rule: serde_json::from_str::<RuleInput>(rule)?,
        };
        app::subsidies::policies::create(conn, &world.admin, cmd, Keep).map_err(fail)?;
    }
    Ok(())
}
