//! Awards in the demo world (SPEC §3.16): the first finance office's one-off 5万 for the
//! enterprises of its region certified 专精特新 in the last year — filed by the office for
//! each of them (免申即享), then approved, paid or left to decide — and its 融资担保降费奖补
//! on every guarantor's guarantees of the last full year, with the 重庆 tiers and 安徽's 1.5 %
//! fee ceiling. Everything goes through the use cases.

use chrono::{Datelike, Days, NaiveDate};

use super::{fail, SeedReport, World};
use crate::app::effects::Keep;
use crate::app::subsidies::claims::{self, CreateClaim, PayClaim};
use crate::app::subsidies::policies::{self, CreatePolicy};
use crate::app::subsidies::rule_input::RuleInput;
use crate::db::DbConnection;
use crate::domain::money::Money;
use crate::domain::subsidy::{PolicyEligibility, PolicyKind};

pub(super) fn seed_awards(
    conn: &mut DbConnection,
    today: NaiveDate,
    world: &World,
    report: &mut SeedReport,
) -> anyhow::Result<()> {
    let Some((_, office)) = world.offices.first() else {
        return Ok(());
    };
    let policy = |name: &str, kind, budget_yuan: i64, eligibility: &str, rule: &str| {
        anyhow::Ok(CreatePolicy {
            name: name.into(),
            kind,
            effective_from: today - Days::new(800),
            effective_to: None,
            budget: Money::from_fen(budget_yuan * 100),
            eligibility: serde_json::from_str::<PolicyEligibility>(eligibility)?,
            rule: serde_json::from_str::<RuleInput>(rule)?,
        })
    };
    let lump = policy(
        "新认定专精特新企业一次性奖励（演示）",
        PolicyKind::LumpSumAward,
        2_000_000,
        r#"{"qualifications_any": [{"kind": "specialized_sme", "min_level": "provincial"}]}"#,
        &format!(
            r#"{{"amount": "50000.00", "certified_from": "{}"}}"#,
            today - Days::new(365)
        ),
    )?;
    let lump = policies::create(conn, office, lump, Keep).map_err(fail)?;
    let mut filed = Vec::new();
    for e in &world.enterprises {
        let cmd = CreateClaim {
            policy_id: lump.id,
            loan_id: None,
            enterprise_id: Some(e.org_id),
            guarantor_id: None,
            period_start: None,
            period_end: None,
        };
        // Enterprises outside the region or not newly certified are not eligible.
        if let Ok(c) = claims::create(conn, office, cmd, Keep) {
            filed.push(c.id);
        }
    }
    let award = policy(
        "融资担保降费奖补（演示）",
        PolicyKind::GuarantorAward,
        50_000_000,
        "{}",
        r#"{"subsidy_percent": "1", "max_fee_rate": "1.5",
            "tiers": [{"min_small_micro_share": "80", "subsidy_percent": "1.2"},
                      {"min_small_micro_share": "90", "subsidy_percent": "1.3"}],
            "per_guarantor_cap": "30000000.00"}"#,
    )?;
    let award = policies::create(conn, office, award, Keep).map_err(fail)?;
    let year = today.year() - 1;
    let period = (
        NaiveDate::from_ymd_opt(year, 1, 1),
        NaiveDate::from_ymd_opt(year + 1, 1, 1),
    );
    let mut guarantor_claims = Vec::new();
    for g in &world.guarantors {
        let cmd = CreateClaim {
            policy_id: award.id,
            loan_id: None,
            enterprise_id: None,
            guarantor_id: Some(*g),
            period_start: period.0,
            period_end: period.1,
        };
        if let Ok(c) = claims::create(conn, office, cmd, Keep) {
            guarantor_claims.push(c.id);
        }
    }
    report.award_claims = filed.len() + guarantor_claims.len();
    // Decided in turn: paid, approved, left submitted (the lump sums until the budget runs out).
    for (k, id) in filed.iter().chain(&guarantor_claims).enumerate() {
        if k % 3 == 2 || claims::approve(conn, office, *id).is_err() {
            continue;
        }
        if k % 3 == 0 {
            let pay = PayClaim {
                paid_on: today,
                reference: format!("JB-{id}"),
            };
            claims::pay(conn, office, *id, pay).map_err(fail)?;
        }
    }
    Ok(())
}
