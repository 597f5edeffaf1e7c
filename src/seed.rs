//! `finmatch seed-demo`: a realistic demo world — finance offices, banks with products of every
//! type, guarantors, enterprises across regions, industries and qualification tiers, and their
//! demands. Deterministic for a given `--seed`; scales to benchmark sizes (for example
//! `--products 10000 --demands 200000`) through batched inserts.
//!
//! Organizations and users are made through the use cases' one way to make them
//! (`app::organizations::add`, `app::users::add`). Why products, demands, matches and loans
//! bypass the use cases and this is one long file: a benchmark world is written in
//! batches of thousands of rows per statement (one use case per row would take hours at a
//! million loans), and its report cells are rebuilt once at the end (`db::rollups::rebuild`),
//! which is exactly what the use cases' rollup deltas add up to. It is a data generator, not a
//! second way to make matches: nothing at runtime calls it.

use chrono::{Days, NaiveDate};
use diesel::prelude::*;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use crate::app::{self, subsidies::rule_input::RuleInput};
use crate::db::schema::{demands, enterprises, products, qualifications};
use crate::db::{self, DbConnection};
use crate::domain::credit_code::check_char;
use crate::domain::demand::{DemandStatus, Purpose};
use crate::domain::money::Money;
use crate::domain::org::OrgKind;
use crate::domain::product::{
    Eligibility, GuaranteeMethod, ProductStatus, ProductType, QualificationRequirement,
};
use crate::domain::qualification::{QualificationKind, QualificationLevel};
use crate::domain::size_class::{classify, Industry, SizeInputs};
use crate::domain::subsidy::{PolicyKind, PolicyStatus, StoredRule};

/// Password of every demo user.
pub const DEMO_PASSWORD: &str = "demo-password";

#[derive(Clone, Debug)]
pub struct SeedOptions {
    pub banks: usize,
    pub products: usize,
    pub enterprises: usize,
    pub demands: usize,
    /// Enterprises that get a login (`ent_<n>`); the rest are data only.
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

/// An organization, made the one way organizations are made (`app::organizations::add`).
fn insert_org(
    conn: &mut DbConnection,
    kind: OrgKind,
    name: &str,
    code: Option<&str>,
    region: Option<&str>,
) -> anyhow::Result<i64> {
    let now = db::now();
    let new = db::orgs::NewOrg {
        kind,
        name,
        credit_code: code,
        region_code: region,
        created_at: now,
        updated_at: now,
    };
    let org = app::organizations::add(conn, &new).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(org.id)
}

/// A user, made the one way users are made (`app::users::add`); every demo user shares one
/// hash of `DEMO_PASSWORD`.
fn insert_user(
    conn: &mut DbConnection,
    org_id: i64,
    username: &str,
    hash: &str,
) -> anyhow::Result<()> {
    app::users::add(conn, org_id, username, hash, db::now()).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(())
}

fn pick<T: Copy>(rng: &mut StdRng, items: &[T]) -> T {
    *items.choose(rng).unwrap_or(&items[0])
}

/// Builds the demo world in one pass. Fails if the demo users already exist.
pub fn seed(
    conn: &mut DbConnection,
    opts: &SeedOptions,
    password_hash: &str,
    today: NaiveDate,
) -> anyhow::Result<SeedReport> {
    let mut rng = StdRng::seed_from_u64(opts.seed);
    let mut report = SeedReport::default();
    if db::users::username_taken(conn, "demo_bank_1")? {
        anyhow::bail!("the demo data set is already present (user demo_bank_1 exists)");
    }
    // Small, named institutions first.
    let mut bank_ids = Vec::new();
    conn.write_transaction(|conn| -> anyhow::Result<()> {
        for (i, (prefix, name)) in OFFICES.iter().enumerate() {
            let id = insert_org(conn, OrgKind::FinanceOffice, name, None, Some(prefix))?;
            let username = format!("demo_office_{}", i + 1);
            insert_user(conn, id, &username, password_hash)?;
            report
                .users
                .push((username, format!("finance_office {name} ({prefix})")));
            report.finance_offices += 1;
        }
        for (i, name) in ["青岛市融资担保中心", "江苏省信用再担保集团"]
            .iter()
            .enumerate()
        {
            let id = insert_org(conn, OrgKind::Guarantor, name, None, None)?;
            let username = format!("demo_guarantor_{}", i + 1);
            insert_user(conn, id, &username, password_hash)?;
            report.users.push((username, format!("guarantor {name}")));
            report.guarantors += 1;
        }
        for i in 0..opts.banks.max(1) {
            let name = BANKS
                .get(i)
                .map(|s| (*s).to_owned())
                .unwrap_or_else(|| format!("演示银行{}号", i + 1));
            let id = insert_org(conn, OrgKind::Bank, &name, None, None)?;
            let username = format!("demo_bank_{}", i + 1);
            insert_user(conn, id, &username, password_hash)?;
            report.users.push((username, format!("bank {name}")));
            bank_ids.push(id);
        }
        report.banks = bank_ids.len();
        Ok(())
    })?;

    seed_products(conn, &mut rng, opts, &bank_ids, &mut report)?;
    let enterprise_ids = seed_enterprises(conn, &mut rng, opts, password_hash, today, &mut report)?;
    seed_demands(conn, &mut rng, opts, &enterprise_ids, today, &mut report)?;
    seed_matches_and_loans(conn, &mut rng, opts, today, &mut report)?;
    seed_policies(conn, today)?;
    report.stats_cells = db::rollups::rebuild(conn)?;
    conn.write_transaction(|c| {
        crate::db::catalog::bump_products(c)?;
        crate::db::catalog::bump_demands(c)
    })?;
    Ok(report)
}

const BATCH: usize = 500;

#[derive(Insertable)]
#[diesel(table_name = products)]
struct ProductRow {
    bank_id: i64,
    name: String,
    description: String,
    product_type: &'static str,
    min_amount_fen: i64,
    max_amount_fen: i64,
    min_term_months: i64,
    max_term_months: i64,
    min_rate_units: i64,
    max_rate_units: i64,
    guarantee_methods: String,
    response_sla_days: i64,
    status: &'static str,
    eligibility: String,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = demands)]
struct DemandRow {
    enterprise_id: i64,
    amount_fen: i64,
    term_months: i64,
    purpose: &'static str,
    guarantee_methods: String,
    max_rate_units: Option<i64>,
    preferred_product_types: String,
    needed_by: Option<NaiveDate>,
    description: &'static str,
    status: &'static str,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
    region_code: String,
}

fn seed_products(
    conn: &mut DbConnection,
    rng: &mut StdRng,
    opts: &SeedOptions,
    bank_ids: &[i64],
    report: &mut SeedReport,
) -> anyhow::Result<()> {
    let types = ProductType::ALL;
    let mut rows: Vec<ProductRow> = Vec::with_capacity(BATCH);
    let flush = |conn: &mut DbConnection, rows: &mut Vec<ProductRow>| -> QueryResult<()> {
        if !rows.is_empty() {
            conn.write_transaction(|c| crate::on_backend!(c, inner => diesel::insert_into(products::table).values(&*rows).execute(inner)))?;
            rows.clear();
        }
        Ok(())
    };
    for i in 0..opts.products {
        // Every type appears: the first products cycle through all of them.
        let product_type = types[i % types.len()];
        let bank_id = bank_ids[i % bank_ids.len()];
        let min_wan: i64 = pick(rng, &[10, 50, 100, 200, 500]);
        let max_wan: i64 = min_wan * pick(rng, &[5, 10, 20, 40]);
        let min_rate: i64 = rng.gen_range(26_000..=42_000) / 500 * 500;
        let max_rate = min_rate + rng.gen_range(2..=30) * 500;
        let (mut methods, eligibility) = product_profile(product_type, rng);
        methods.sort();
        methods.dedup();
        let status = if i % 25 == 24 {
            ProductStatus::Paused
        } else {
            ProductStatus::Active
        };
        let now = db::now();
        rows.push(ProductRow {
            bank_id,
            name: format!("{}·{}", product_label(product_type), i + 1),
            description: format!("{}，面向中小微企业", product_label(product_type)),
            product_type: product_type.as_str(),
            min_amount_fen: min_wan * 1_000_000,
            max_amount_fen: max_wan * 1_000_000,
            min_term_months: pick(rng, &[1i64, 3, 6, 12]),
            max_term_months: pick(rng, &[12i64, 24, 36, 60]),
            min_rate_units: min_rate,
            max_rate_units: max_rate,
            guarantee_methods: db::to_json_text(&methods),
            response_sla_days: rng.gen_range(1..=5i64),
            status: status.as_str(),
            eligibility: db::to_json_text(&eligibility),
            created_at: now,
            updated_at: now,
        });
        if rows.len() == BATCH {
            flush(conn, &mut rows)?;
        }
    }
    flush(conn, &mut rows)?;
    report.products = opts.products;
    Ok(())
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

fn seed_enterprises(
    conn: &mut DbConnection,
    rng: &mut StdRng,
    opts: &SeedOptions,
    password_hash: &str,
    today: NaiveDate,
    report: &mut SeedReport,
) -> anyhow::Result<Vec<i64>> {
    let mut ids = Vec::with_capacity(opts.enterprises);
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
    for chunk_start in (0..opts.enterprises).step_by(BATCH) {
        let chunk_end = (chunk_start + BATCH).min(opts.enterprises);
        conn.write_transaction(|conn| -> anyhow::Result<()> {
            for n in chunk_start..chunk_end {
                let region = pick(rng, &REGIONS);
                let name = format!(
                    "{}{}{}有限公司",
                    if region.starts_with("37") {
                        "青岛"
                    } else {
                        "苏州"
                    },
                    pick(rng, &NAME_PARTS),
                    pick(rng, &NAME_TAILS)
                );
                let name = format!("{name}（{}）", n + 1);
                let code = demo_credit_code(n as u64, region);
                let id = insert_org(conn, OrgKind::Enterprise, &name, Some(&code), Some(region))?;
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
                let employees = rng.gen_range(5..600i64);
                let revenue = Money::from_fen(rng.gen_range(50..30_000i64) * 1_000_000);
                let assets = Money::from_fen(rng.gen_range(50..30_000i64) * 1_000_000);
                let size = classify(
                    industry,
                    SizeInputs {
                        employees,
                        annual_revenue: revenue,
                        total_assets: assets,
                    },
                );
                let established = today - Days::new(rng.gen_range(200..9000u64));
                diesel::insert_into(enterprises::table)
                    .values((
                        enterprises::org_id.eq(id),
                        enterprises::industry.eq(industry.as_str()),
                        enterprises::employees.eq(employees),
                        enterprises::annual_revenue_fen.eq(revenue.fen()),
                        enterprises::total_assets_fen.eq(assets.fen()),
                        enterprises::established_on.eq(established),
                        enterprises::has_prior_loan.eq(rng.gen_bool(0.6)),
                        enterprises::size_class.eq(size.as_str()),
                        enterprises::updated_at.eq(db::now()),
                    ))
                    .execute(conn)?;
                for (kind, level) in tiers[n % tiers.len()] {
                    let certified = today - Days::new(rng.gen_range(30..900u64));
                    diesel::insert_into(qualifications::table)
                        .values((
                            qualifications::enterprise_id.eq(id),
                            qualifications::kind.eq(kind.as_str()),
                            qualifications::level.eq(level.as_str()),
                            qualifications::certified_on.eq(certified),
                            qualifications::expires_on.eq(certified + Days::new(3 * 365)),
                            qualifications::certificate_no.eq(format!(
                                "DEMO-{}-{}",
                                kind.as_str(),
                                n + 1
                            )),
                            qualifications::created_by.eq(0i64),
                            qualifications::created_at.eq(db::now()),
                        ))
                        .execute(conn)?;
                    report.qualifications += 1;
                }
                if n < opts.enterprise_users {
                    let username = format!("demo_ent_{}", n + 1);
                    insert_user(conn, id, &username, password_hash)?;
                    report
                        .users
                        .push((username, format!("enterprise {name} ({region})")));
                }
                ids.push(id);
            }
            Ok(())
        })?;
    }
    report.enterprises = ids.len();
    Ok(ids)
}

fn seed_demands(
    conn: &mut DbConnection,
    rng: &mut StdRng,
    opts: &SeedOptions,
    enterprise_ids: &[i64],
    today: NaiveDate,
    report: &mut SeedReport,
) -> anyhow::Result<()> {
    if enterprise_ids.is_empty() {
        return Ok(());
    }
    let purposes = Purpose::ALL;
    let regions = db::orgs::regions_of_kind(conn, "enterprise")?;
    let with_match = opts.loans + opts.other_matches;
    let mut rows: Vec<DemandRow> = Vec::with_capacity(BATCH);
    let flush = |conn: &mut DbConnection, rows: &mut Vec<DemandRow>| -> QueryResult<()> {
        if !rows.is_empty() {
            conn.write_transaction(|c| crate::on_backend!(c, inner => diesel::insert_into(demands::table).values(&*rows).execute(inner)))?;
            rows.clear();
        }
        Ok(())
    };
    for i in 0..opts.demands {
        let enterprise_id = enterprise_ids[i % enterprise_ids.len()];
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
        let max_rate: Option<i64> = if rng.gen_bool(0.5) {
            Some(rng.gen_range(30_000..=50_000i64) / 500 * 500)
        } else {
            None
        };
        let needed_by = if rng.gen_bool(0.5) {
            Some(today + Days::new(rng.gen_range(30..365u64)))
        } else {
            None
        };
        // Demands that will be matched were posted over the last two years, those whose match
        // still waits on a bank (applied, accepted) in the last month; the rest today.
        let waiting = i >= opts.loans && i < with_match && (i - opts.loans) % 5 < 2;
        let now = if i < with_match {
            let days_ago = if waiting { 1..30u64 } else { 8..730u64 };
            (today - Days::new(rng.gen_range(days_ago)))
                .and_hms_opt(9, 0, 0)
                .unwrap_or_default()
        } else {
            db::now()
        };
        rows.push(DemandRow {
            region_code: regions.get(&enterprise_id).cloned().unwrap_or_default(),
            enterprise_id,
            amount_fen: pick(rng, &[30i64, 80, 100, 200, 300, 500, 800, 1000, 2000]) * 1_000_000,
            term_months: pick(rng, &[6i64, 12, 12, 24, 36]),
            purpose: pick(rng, purposes).as_str(),
            guarantee_methods: db::to_json_text(&methods),
            max_rate_units: max_rate,
            preferred_product_types: db::to_json_text(&preferred),
            needed_by,
            description: "演示融资需求",
            status: if i < opts.loans {
                DemandStatus::Fulfilled.as_str()
            } else if i < opts.loans + opts.other_matches {
                // applied, accepted, approved are live; rejected and withdrawn reopen the demand.
                match (i - opts.loans) % 5 {
                    0..=2 => DemandStatus::InProgress.as_str(),
                    _ => DemandStatus::Open.as_str(),
                }
            } else {
                DemandStatus::Open.as_str()
            },
            created_at: now,
            updated_at: now,
        });
        if rows.len() == BATCH {
            flush(conn, &mut rows)?;
        }
    }
    flush(conn, &mut rows)?;
    report.demands = opts.demands;
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

#[derive(Insertable)]
#[diesel(table_name = crate::db::schema::matches)]
struct MatchRow {
    demand_id: i64,
    product_id: i64,
    bank_id: i64,
    enterprise_id: i64,
    state: &'static str,
    initiated_by: &'static str,
    live_key: Option<String>,
    respond_by: Option<NaiveDate>,
    decide_by: Option<NaiveDate>,
    approved_amount_fen: Option<i64>,
    approved_rate_units: Option<i64>,
    approved_term_months: Option<i64>,
    disbursed_fen: i64,
    reject_reason_code: Option<&'static str>,
    reject_reason: Option<&'static str>,
    respond_overdue_notified: bool,
    decide_overdue_notified: bool,
    responded_at: Option<chrono::NaiveDateTime>,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
    region_code: String,
    size_class: String,
    qualification_kinds: String,
    product_type: String,
}

/// The kinds of an enterprise's qualifications valid on a day, sorted, comma-separated.
fn kinds_on(ent: Option<&crate::domain::matching::EnterpriseFacts>, on: NaiveDate) -> String {
    let mut kinds: Vec<&str> = ent
        .map(|e| {
            e.qualifications
                .iter()
                .filter(|q| q.valid_on(on))
                .map(|q| q.kind.as_str())
                .collect()
        })
        .unwrap_or_default();
    kinds.sort();
    kinds.dedup();
    kinds.join(",")
}

/// Matches for the first demands: `loans` of them disbursed (with a loan each), then
/// `other_matches` cycling through applied, accepted, approved, rejected and withdrawn.
fn seed_matches_and_loans(
    conn: &mut DbConnection,
    rng: &mut StdRng,
    opts: &SeedOptions,
    today: NaiveDate,
    report: &mut SeedReport,
) -> anyhow::Result<()> {
    use crate::db::schema::{loans, matches};
    let wanted = (opts.loans + opts.other_matches).min(opts.demands) as i64;
    if wanted == 0 {
        return Ok(());
    }
    type D = (i64, i64, i64, i64, chrono::NaiveDateTime, String);
    let demand_rows: Vec<D> = demands::table
        .order(demands::id.asc())
        .limit(wanted)
        .select((
            demands::id,
            demands::enterprise_id,
            demands::amount_fen,
            demands::term_months,
            demands::created_at,
            demands::region_code,
        ))
        .load(conn)?;
    let product_rows: Vec<(i64, i64, i64, String, String)> = products::table
        .filter(products::status.eq("active"))
        .select((
            products::id,
            products::bank_id,
            products::min_rate_units,
            products::product_type,
            products::guarantee_methods,
        ))
        .load(conn)?;
    let product_info: std::collections::HashMap<i64, (String, bool)> = product_rows
        .iter()
        .map(|(id, _, _, t, g)| (*id, (t.clone(), g.contains("\"credit\""))))
        .collect();
    let ents = db::catalog::enterprises(conn, None)?;
    if product_rows.is_empty() {
        return Ok(());
    }
    let states = ["applied", "accepted", "approved", "rejected", "withdrawn"];
    let mut rows: Vec<MatchRow> = Vec::with_capacity(BATCH);
    /// A disbursed match's loan, written once the match ids are known.
    struct Planned {
        demand_id: i64,
        product_id: i64,
        bank_id: i64,
        enterprise_id: i64,
        amount: i64,
        on: NaiveDate,
        first: bool,
    }
    let mut planned: Vec<Planned> = Vec::new();
    let flush = |conn: &mut DbConnection, rows: &mut Vec<MatchRow>| -> QueryResult<()> {
        if !rows.is_empty() {
            conn.write_transaction(|c| crate::on_backend!(c, inner => diesel::insert_into(matches::table).values(&*rows).execute(inner)))?;
            rows.clear();
        }
        Ok(())
    };
    for (i, (demand_id, enterprise_id, amount, term, posted_at, region_code)) in
        demand_rows.into_iter().enumerate()
    {
        let (product_id, bank_id, rate, _, _) = product_rows[rng.gen_range(0..product_rows.len())];
        let created = (posted_at.date() + Days::new(rng.gen_range(0..7u64))).min(today);
        let created_at = created.and_hms_opt(9, 0, 0).unwrap_or_default();
        let responded_at = Some(created_at + chrono::TimeDelta::hours(rng.gen_range(1..120)));
        let state = if i < opts.loans {
            "disbursed"
        } else {
            states[(i - opts.loans) % states.len()]
        };
        let live = !matches!(state, "rejected" | "withdrawn");
        let approved = matches!(state, "approved" | "disbursed");
        if state == "disbursed" {
            planned.push(Planned {
                demand_id,
                product_id,
                bank_id,
                enterprise_id,
                amount,
                on: created + Days::new(10),
                first: rng.gen_bool(0.3),
            });
        }
        rows.push(MatchRow {
            demand_id,
            product_id,
            bank_id,
            enterprise_id,
            state,
            initiated_by: if i % 3 == 0 { "bank" } else { "enterprise" },
            live_key: live.then(|| crate::db::matches::live_key(demand_id, product_id)),
            respond_by: Some(created + Days::new(5)),
            decide_by: (state != "applied").then(|| created + Days::new(19)),
            approved_amount_fen: approved.then_some(amount),
            approved_rate_units: approved.then_some(rate),
            approved_term_months: approved.then_some(term),
            disbursed_fen: if state == "disbursed" { amount } else { 0 },
            reject_reason_code: (state == "rejected").then_some("insufficient_cash_flow"),
            reject_reason: (state == "rejected").then_some("经营性现金流不足"),
            respond_overdue_notified: false,
            decide_overdue_notified: false,
            responded_at: (state != "applied").then_some(responded_at).flatten(),
            created_at,
            updated_at: created_at,
            region_code,
            size_class: ents
                .get(&enterprise_id)
                .map(|e| e.facts.size_class.as_str().to_owned())
                .unwrap_or_default(),
            qualification_kinds: kinds_on(ents.get(&enterprise_id).map(|e| &e.facts), created),
            product_type: product_info
                .get(&product_id)
                .map(|(t, _)| t.clone())
                .unwrap_or_default(),
        });
        if rows.len() == BATCH {
            flush(conn, &mut rows)?;
        }
        report.matches += 1;
    }
    flush(conn, &mut rows)?;
    // One loan per disbursed match, at the approved amount.
    let ids: std::collections::HashMap<i64, i64> = matches::table
        .filter(matches::state.eq("disbursed"))
        .select((matches::demand_id, matches::id))
        .load::<(i64, i64)>(conn)?
        .into_iter()
        .collect();
    #[derive(Insertable)]
    #[diesel(table_name = loans)]
    struct LoanRow {
        match_id: i64,
        demand_id: i64,
        product_id: i64,
        bank_id: i64,
        enterprise_id: i64,
        amount_fen: i64,
        rate_units: i64,
        term_months: i64,
        disbursed_on: NaiveDate,
        first_loan: bool,
        created_by: i64,
        created_at: chrono::NaiveDateTime,
        region_code: String,
        size_class: String,
        qualification_kinds: String,
        product_type: String,
        credit: bool,
    }
    let mut batch: Vec<LoanRow> = Vec::with_capacity(BATCH);
    let flush_loans = |conn: &mut DbConnection, rows: &mut Vec<LoanRow>| -> QueryResult<()> {
        if !rows.is_empty() {
            conn.write_transaction(|c| crate::on_backend!(c, inner => diesel::insert_into(loans::table).values(&*rows).execute(inner)))?;
            rows.clear();
        }
        Ok(())
    };
    for Planned {
        demand_id,
        product_id,
        bank_id,
        enterprise_id,
        amount,
        on,
        first,
    } in planned
    {
        let Some(&match_id) = ids.get(&demand_id) else {
            continue;
        };
        let disbursed_on = on.min(today);
        let ent = ents.get(&enterprise_id).map(|e| &e.facts);
        let (product_type, credit) = product_info.get(&product_id).cloned().unwrap_or_default();
        batch.push(LoanRow {
            region_code: ent.map(|e| e.region_code.clone()).unwrap_or_default(),
            size_class: ent
                .map(|e| e.size_class.as_str().to_owned())
                .unwrap_or_default(),
            qualification_kinds: kinds_on(ent, disbursed_on),
            product_type,
            credit,
            match_id,
            demand_id,
            product_id,
            bank_id,
            enterprise_id,
            amount_fen: amount,
            rate_units: rng.gen_range(30_000..=45_000i64) / 50 * 50,
            term_months: 12,
            disbursed_on,
            first_loan: first,
            created_by: 0,
            created_at: db::now(),
        });
        if batch.len() == BATCH {
            flush_loans(conn, &mut batch)?;
        }
        report.loans += 1;
    }
    flush_loans(conn, &mut batch)?;
    // Which demands have a match and a loan (the funnel), as the API would have recorded.
    conn.write_transaction(|c| -> QueryResult<()> {
        diesel::update(
            demands::table
                .filter(demands::matched_at.is_null())
                .filter(demands::id.eq_any(matches::table.select(matches::demand_id))),
        )
        .set(demands::matched_at.eq(demands::created_at.nullable()))
        .execute(c)?;
        diesel::update(
            demands::table
                .filter(demands::loaned_at.is_null())
                .filter(demands::id.eq_any(loans::table.select(loans::demand_id))),
        )
        .set(demands::loaned_at.eq(demands::created_at.nullable()))
        .execute(c)?;
        Ok(())
    })?;
    Ok(())
}

/// Two platform-wide policies: a 1.5-point 贴息 and a 1 % 担保费补贴 (G1-style).
fn seed_policies(conn: &mut DbConnection, today: NaiveDate) -> anyhow::Result<()> {
    use crate::db::schema::organizations;
    let owner: i64 = organizations::table
        .filter(organizations::kind.eq("platform"))
        .select(organizations::id)
        .order(organizations::id.asc())
        .first(conn)?;
    let now = db::now();
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
        // Written as a client writes a rule, and checked the way the policy endpoint checks it.
        let rule = serde_json::from_str::<RuleInput>(rule)
            .ok()
            .and_then(|input| input.to_rule(kind).ok())
            .expect("the demo rules are valid");
        crate::db::subsidies::insert_policy(
            conn,
            &crate::db::subsidies::NewPolicy {
                owner_org_id: owner,
                region_prefix: None,
                name: name.into(),
                kind,
                effective_from: from,
                effective_to: None,
                budget_fen: 100_000_000 * 100,
                eligibility: db::JsonText(Default::default()),
                rule: db::JsonText(StoredRule::new(rule)),
                status: PolicyStatus::Active,
                created_at: now,
                updated_at: now,
            },
        )?;
    }
    Ok(())
}
