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

use chrono::{Days, NaiveDate, NaiveDateTime, TimeDelta};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use crate::app::caller::Caller;
use crate::app::clock;
use crate::app::demands::CreateDemand;
use crate::app::effects::Keep;
use crate::app::enterprises::CreateQualification;
use crate::app::error::AppError;
use crate::app::matches::{
    AcceptBody, ApproveBody, CreateDisbursement, CreateMatch, GuaranteeInput, RejectBody,
    WithdrawBody,
};
use crate::app::products::{CreateProduct, PatchProduct};
use crate::app::session::{EnterpriseInput, RegisterRequest};
use crate::app::subsidies::policies::CreatePolicy;
use crate::app::{self, subsidies::rule_input::RuleInput};
use crate::catalog::MatchingCache;
use crate::db::{self, DbConnection};
use crate::domain::credit_code::check_char;
use crate::domain::demand::Purpose;
use crate::domain::money::Money;
use crate::domain::org::OrgKind;
use crate::domain::product::{
    Eligibility, GuaranteeMethod, ProductStatus, ProductType, QualificationRequirement,
};
use crate::domain::qualification::{QualificationKind, QualificationLevel};
use crate::domain::rate::Rate;
use crate::domain::size_class::Industry;
use crate::domain::subsidy::{CounterGuarantee, PolicyKind};

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
    pub stats_cells: usize,
    pub users: Vec<(String, String)>,
}

/// What the request handlers get from the server's state, for the use cases that need it.
pub struct SeedContext<'a> {
    pub matching: &'a MatchingCache,
    pub decide_working_days: u32,
}

const BANKS: [&str; 12] = [
    "中国工商银行青岛分行",
    "中国建设银行江苏省分行",
    "中国农业银行山东省分行",
    "中国银行苏州分行",
    "交通银行青岛分行",
    "招商银行南京分行",
    "青岛银行",
    "齐鲁银行",
    "江苏银行",
    "苏州银行",
    "兴业银行济南分行",
    "浦发银行苏州分行",
];

/// (region prefix, office name) — provinces and cities.
const OFFICES: [(&str, &str); 5] = [
    ("37", "山东省地方金融管理局"),
    ("3702", "青岛市地方金融管理局"),
    ("32", "江苏省地方金融管理局"),
    ("3205", "苏州市地方金融管理局"),
    ("320505", "苏州高新区金融办"),
];

/// District codes enterprises live in.
const REGIONS: [&str; 8] = [
    "370202", "370203", "370211", "370102", "320505", "320506", "320102", "320213",
];

const NAME_PARTS: [&str; 12] = [
    "海科", "天润", "恒信", "瑞达", "新材", "华芯", "中源", "博远", "精工", "鼎盛", "蓝海", "智造",
];
const NAME_TAILS: [&str; 6] = [
    "精密机械",
    "新材料科技",
    "信息技术",
    "生物医药",
    "电子科技",
    "智能装备",
];

/// 18-character credit code for the n-th demo organization (unique, checksum valid).
fn demo_credit_code(n: u64, region: &str) -> String {
    const CHARSET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    let mut body = format!("91{region}");
    let mut x = n + 31u64.pow(8); // fixed width: 9 base-31 digits
    let mut digits = Vec::with_capacity(9);
    for _ in 0..9 {
        digits.push(CHARSET[(x % 31) as usize] as char);
        x /= 31;
    }
    body.extend(digits.iter().rev());
    let check = check_char(body.as_bytes()).unwrap_or('0');
    format!("{body}{check}")
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
    seed_matches_and_loans(conn, &mut rng, opts, today, cx, &world, &mut report)?;
    seed_policies(conn, today, &world)?;
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

fn product_label(t: ProductType) -> &'static str {
    match t {
        ProductType::SpecializedSme => "专精特新贷",
        ProductType::FirstLoan => "首贷",
        ProductType::Credit => "信用贷",
        ProductType::LittleGiant => "小巨人贷",
        ProductType::TechUpgrade => "技改贷",
        ProductType::Renewal => "无还本续贷",
        ProductType::IpPledge => "知识产权质押贷",
        ProductType::SupplyChain => "供应链融资",
        ProductType::Green => "绿色贷",
        ProductType::SciTech => "科创贷",
        ProductType::Other => "经营贷",
    }
}

/// Guarantee methods and eligibility typical of each product type.
fn product_profile(t: ProductType, rng: &mut StdRng) -> (Vec<GuaranteeMethod>, Eligibility) {
    use GuaranteeMethod::*;
    let req = |kind, min_level| QualificationRequirement { kind, min_level };
    let mut e = Eligibility::default();
    let methods = match t {
        ProductType::SpecializedSme => {
            e.qualifications_any = vec![req(
                QualificationKind::SpecializedSme,
                QualificationLevel::Provincial,
            )];
            vec![Credit, Guarantee]
        }
        ProductType::LittleGiant => {
            e.qualifications_any = vec![req(
                QualificationKind::LittleGiant,
                QualificationLevel::National,
            )];
            vec![Credit]
        }
        ProductType::FirstLoan => {
            e.first_loan_only = true;
            vec![Credit, Guarantee]
        }
        ProductType::Credit => {
            e.min_years_established = Some(2);
            vec![Credit]
        }
        ProductType::SciTech => {
            e.qualifications_any = vec![
                req(QualificationKind::HighTech, QualificationLevel::Municipal),
                req(QualificationKind::TechSme, QualificationLevel::Municipal),
            ];
            vec![Credit, Pledge]
        }
        ProductType::IpPledge => vec![Pledge],
        ProductType::TechUpgrade => {
            e.industries = vec![Industry::Industry];
            vec![Mortgage, Guarantee]
        }
        ProductType::Green => vec![Credit, Mortgage],
        ProductType::SupplyChain => vec![Pledge, Guarantee],
        ProductType::Renewal => {
            e.min_annual_revenue = Some(Money::from_fen(5_000_000 * 100));
            vec![Mortgage, Guarantee, Credit]
        }
        ProductType::Other => vec![Mortgage, Guarantee],
    };
    if rng.gen_bool(0.3) {
        e.region_prefixes = vec![pick(rng, &["37", "3702", "32", "3205"]).to_owned()];
    }
    if rng.gen_bool(0.2) {
        e.size_classes = vec![
            crate::domain::size_class::SizeClass::Small,
            crate::domain::size_class::SizeClass::Micro,
        ];
    }
    (methods, e)
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

/// Where a seeded match ends.
#[derive(Clone, Copy, PartialEq)]
enum Outcome {
    Disbursed,
    Applied,
    Accepted,
    Approved,
    Rejected,
    Withdrawn,
}

/// Matches for the first demands, step by step as their parties would make them: `loans`
/// end disbursed, then `other_matches` cycle through applied, accepted, approved, rejected
/// and withdrawn. A demand no product takes stays open.
fn seed_matches_and_loans(
    conn: &mut DbConnection,
    rng: &mut StdRng,
    opts: &SeedOptions,
    today: NaiveDate,
    cx: &SeedContext,
    world: &World,
    report: &mut SeedReport,
) -> anyhow::Result<()> {
    if world.products.is_empty() {
        return Ok(());
    }
    let cycle = [
        Outcome::Applied,
        Outcome::Accepted,
        Outcome::Approved,
        Outcome::Rejected,
        Outcome::Withdrawn,
    ];
    let wanted = (opts.loans + opts.other_matches).min(world.demands.len());
    let latest = at_hour(today, 0);
    in_chunks(
        conn,
        world.demands[..wanted].iter().enumerate(),
        |conn, (i, demand)| {
            let outcome = if i < opts.loans {
                Outcome::Disbursed
            } else {
                cycle[(i - opts.loans) % cycle.len()]
            };
            let enterprise = &world.enterprises[demand.member];
            let by_bank = i % 3 == 0 && outcome != Outcome::Applied;
            let opened = (demand.at + TimeDelta::days(rng.gen_range(0..7)) + TimeDelta::hours(1))
                .min(latest);
            let Some((m, product)) = clock::at(opened, || {
                open_match(conn, rng, world, demand.id, enterprise, by_bank, cx)
            })?
            else {
                return Ok(());
            };
            report.matches += 1;
            let bank = &world.banks[product.bank];
            let mut when = opened;
            let mut next = |rng: &mut StdRng, hours: std::ops::Range<i64>| {
                when = (when + TimeDelta::hours(rng.gen_range(hours))).min(latest);
                when
            };
            let step = match outcome {
                Outcome::Applied => return Ok(()),
                Outcome::Withdrawn => clock::at(next(rng, 2..96), || {
                    let reason = Some("已通过其他渠道解决资金需求".into());
                    app::matches::lifecycle::withdraw(conn, enterprise, m, WithdrawBody { reason })
                }),
                Outcome::Rejected => clock::at(next(rng, 1..120), || {
                    let cmd = RejectBody {
                        reason_code: "insufficient_cash_flow".into(),
                        reason: "经营性现金流不足".into(),
                    };
                    app::matches::lifecycle::reject(conn, bank, m, cmd)
                }),
                Outcome::Accepted | Outcome::Approved | Outcome::Disbursed => {
                    if !by_bank {
                        clock::at(next(rng, 1..120), || {
                            let days = cx.decide_working_days;
                            app::matches::lifecycle::accept(
                                conn,
                                bank,
                                m,
                                AcceptBody::default(),
                                days,
                            )
                        })
                        .map_err(fail)?;
                    }
                    if outcome == Outcome::Accepted {
                        return Ok(());
                    }
                    clock::at(next(rng, 24..120), || {
                        let cmd = ApproveBody {
                            approved_amount: demand.amount,
                            annual_rate: product.min_rate,
                            term_months: demand.term_months,
                            note: None,
                        };
                        app::matches::lifecycle::approve(conn, bank, m, cmd)
                    })
                }
            };
            step.map_err(fail)?;
            if outcome != Outcome::Disbursed {
                return Ok(());
            }
            let guarantee = (product.guaranteed && rng.gen_bool(0.5)).then(|| GuaranteeInput {
                guarantor_id: world.guarantors[i % world.guarantors.len()],
                fee_rate: Rate::from_units(10_000),
                counter_guarantee: CounterGuarantee::Credit,
            });
            let disbursed_at = next(rng, 24..240);
            let cmd = CreateDisbursement {
                amount: demand.amount,
                annual_rate: Rate::from_units(rng.gen_range(30_000..=45_000i64) / 50 * 50),
                term_months: demand.term_months,
                disbursed_on: disbursed_at.date(),
                first_loan: rng.gen_bool(0.3),
                guarantee,
            };
            clock::at(disbursed_at, || {
                app::matches::disbursements::disburse(conn, bank, m, cmd, Keep)
            })
            .map_err(fail)?;
            report.loans += 1;
            Ok(())
        },
    )
}

/// Opens a match for the demand on one of the products its recommendations list as
/// eligible (`app::matching::recommendations`, as the enterprise reads them): applied by the
/// enterprise, or claimed by the product's bank. `None` when no product takes the demand.
fn open_match<'w>(
    conn: &mut DbConnection,
    rng: &mut StdRng,
    world: &'w World,
    demand_id: i64,
    enterprise: &Caller,
    by_bank: bool,
    cx: &SeedContext,
) -> anyhow::Result<Option<(i64, &'w Published)>> {
    let page =
        app::matching::recommendations(conn, enterprise, cx.matching, demand_id, false, 20, 0)
            .map_err(fail)?;
    let page: serde_json::Value = serde_json::from_str(&page.body)?;
    let mut fits: Vec<&Published> = page["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|item| item["product_id"].as_i64())
        .filter_map(|id| world.product_index.get(&id).map(|&i| &world.products[i]))
        .collect();
    fits.shuffle(rng);
    for product in fits {
        let caller = if by_bank {
            &world.banks[product.bank]
        } else {
            enterprise
        };
        let cmd = CreateMatch {
            demand_id,
            product_id: product.id,
        };
        match app::matches::lifecycle::create(conn, caller, cmd, cx.decide_working_days, Keep) {
            Ok(view) => return Ok(Some((view.id, product))),
            Err(e) if e.status.is_client_error() => continue,
            Err(e) => return Err(fail(e)),
        }
    }
    Ok(None)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::credit_code::CreditCode;

    #[test]
    fn demo_credit_codes_are_valid_and_distinct() {
        let codes: Vec<String> = (0..2000).map(|n| demo_credit_code(n, "370202")).collect();
        for c in &codes {
            assert!(CreditCode::parse(c).is_ok(), "{c}");
        }
        let mut sorted = codes.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), codes.len());
    }
}
