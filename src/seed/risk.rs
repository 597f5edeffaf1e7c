//! Risk sharing in the demo world (SPEC §3.15): the first finance office's 政银担 "4321"
//! scheme and 风险补偿资金池, its region's loans enrolled while they were current (each the day
//! after its disbursement), and — once servicing has made some of them non-performing —
//! compensation claims on those in every state, with a recovery on a paid one. Everything goes
//! through the use cases, as an office, a bank and the platform's API would.

use chrono::{Days, NaiveDate};

use super::servicing::{all_loans, event};
use super::{at_hour, fail, SeedReport, World};
use crate::app::clock;
use crate::app::effects::Keep;
use crate::app::risk;
use crate::app::risk::{
    self as claims, BonusBody, CompensationRecovery, CreateScheme, Enroll, PayCompensationClaim,
    RejectCompensationClaim, SharesBody, SubmitCompensationClaim,
};
use crate::db::DbConnection;
use crate::domain::money::Money;
use crate::domain::rate::Rate;
use crate::domain::servicing::{LoanEventKind, LoanStatus};
use crate::domain::subsidy::PolicyEligibility;

/// Enrollments at most (a demo, not a load test).
const ENROLLED_AT_MOST: usize = 400;

/// A loan enrolled in a scheme.
pub(super) struct Enrolled {
    enrollment: i64,
    loan: i64,
}

fn rate(s: &str) -> anyhow::Result<Rate> {
    Rate::parse(s).map_err(|e| anyhow::anyhow!("bad rate {s}: {e:?}"))
}

/// The two schemes and their enrollments; before servicing, while every loan is current.
pub(super) fn seed_schemes(
    conn: &mut DbConnection,
    today: NaiveDate,
    world: &World,
    report: &mut SeedReport,
) -> anyhow::Result<Vec<Enrolled>> {
    let Some((prefix, office)) = world.offices.first() else {
        return Ok(Vec::new());
    };
    let from = today - Days::new(800);
    let scheme = |name: &str,
                  kind,
                  capital: &str,
                  shares: [&str; 4],
                  bonus: [&str; 2],
                  max: &str|
     -> anyhow::Result<CreateScheme> {
        Ok(CreateScheme {
            name: name.into(),
            kind,
            region_prefix: None,
            capital: Money::parse(capital).map_err(|e| anyhow::anyhow!("bad capital: {e:?}"))?,
            leverage: "10".into(),
            shares: SharesBody {
                government: rate(shares[0])?,
                guarantor: rate(shares[1])?,
                reguarantor: rate(shares[2])?,
                bank: rate(shares[3])?,
            },
            bonus_points: BonusBody {
                first_loan: rate(bonus[0])?,
                credit: rate(bonus[1])?,
            },
            max_compensation_percent: rate(max)?,
            per_loan_cap: None,
            eligibility: PolicyEligibility::default(),
            effective_from: from,
            effective_to: None,
        })
    };
    use crate::domain::risk::SchemeKind;
    let bodies = [
        scheme(
            "政银担“4321”风险分担",
            SchemeKind::RiskSharing,
            "200000000.00",
            ["10", "40", "30", "20"],
            ["0", "0"],
            "100",
        )?,
        scheme(
            "科技贷款风险补偿资金池",
            SchemeKind::CompensationPool,
            "100000000.00",
            ["50", "0", "0", "50"],
            ["5", "5"],
            "80",
        )?,
    ];
    let mut ids = Vec::new();
    for body in bodies {
        let v = clock::at(at_hour(from, 10), || {
            risk::create_scheme(conn, office, body, Keep)
        })
        .map_err(fail)?;
        ids.push(v.id);
        report.risk_schemes += 1;
    }
    let mut enrolled = Vec::new();
    for loan in all_loans(conn)? {
        if enrolled.len() >= ENROLLED_AT_MOST {
            break;
        }
        if !loan.fields.region_code.starts_with(prefix) {
            continue;
        }
        // Guaranteed loans share their risk 4321; the others go to the pool.
        let scheme = ids[usize::from(loan.fields.guarantor_id.is_none())];
        let day = loan.fields.disbursed_on + Days::new(1);
        let e = clock::at(at_hour(day.min(today), 16), || {
            risk::enroll(conn, office, scheme, Enroll { loan_id: loan.id }, Keep)
        });
        // A loan the scheme does not take (or that no longer fits) is simply not enrolled.
        if let Ok(e) = e {
            enrolled.push(Enrolled {
                enrollment: e.id,
                loan: loan.id,
            });
        }
    }
    report.enrollments = enrolled.len();
    Ok(enrolled)
}

/// The bank that made `loan`.
fn all_bank<'w>(
    world: &'w World,
    conn: &mut DbConnection,
    loan: i64,
) -> anyhow::Result<Option<&'w crate::app::caller::Caller>> {
    let l = crate::db::matches::find_loan(conn, loan, &crate::domain::scope::Scope::Everything)?;
    Ok(l.and_then(|l| world.banks.iter().find(|b| b.org_id == l.fields.bank_id)))
}

/// Claims on the enrolled loans servicing made non-performing: submitted by their bank, then
/// paid (the first with a recovery), rejected, approved or left submitted, in turn.
pub(super) fn seed_claims(
    conn: &mut DbConnection,
    today: NaiveDate,
    world: &World,
    enrolled: &[Enrolled],
    report: &mut SeedReport,
) -> anyhow::Result<()> {
    let Some((_, office)) = world.offices.first() else {
        return Ok(());
    };
    // Some enrolled loans still performing turn bad today, so that every claim state shows
    // even in a small world.
    let current: std::collections::HashSet<i64> = all_loans(conn)?
        .into_iter()
        .filter(|l| l.servicing.status == LoanStatus::Current)
        .map(|l| l.id)
        .collect();
    for e in enrolled
        .iter()
        .filter(|e| current.contains(&e.loan))
        .step_by(3)
    {
        let Some(loan) = all_bank(world, conn, e.loan)? else {
            continue;
        };
        event(
            conn,
            loan,
            e.loan,
            LoanEventKind::Npl,
            today,
            None,
            today,
            report,
        )?;
    }
    let bad: std::collections::HashMap<i64, _> = all_loans(conn)?
        .into_iter()
        .filter(|l| matches!(l.servicing.status, LoanStatus::Npl | LoanStatus::WrittenOff))
        .map(|l| (l.id, l))
        .collect();
    let mut recovered = false;
    for (k, e) in enrolled
        .iter()
        .filter(|e| bad.contains_key(&e.loan))
        .enumerate()
    {
        let loan = &bad[&e.loan];
        let Some(bank) = world.banks.iter().find(|b| b.org_id == loan.fields.bank_id) else {
            continue;
        };
        let loss = loan.servicing.outstanding_fen + loan.servicing.written_off_fen;
        if loss <= 0 {
            continue;
        }
        let body = SubmitCompensationClaim {
            enrollment_id: e.enrollment,
            loss_principal: Money::from_fen(loss),
        };
        let Ok(c) = claims::submit(conn, bank, body, Keep) else {
            continue;
        };
        report.compensation_claims += 1;
        let paid = |conn: &mut DbConnection| {
            claims::pay(
                conn,
                office,
                c.id,
                PayCompensationClaim {
                    paid_on: today,
                    reference: format!("FXBC-{}", c.id),
                },
            )
        };
        match k % 4 {
            3 => {}
            2 => {
                claims::approve(conn, office, c.id).map_err(fail)?;
            }
            0 => {
                if claims::approve(conn, office, c.id).is_ok() {
                    paid(conn).map_err(fail)?;
                    if !recovered {
                        let body = CompensationRecovery {
                            amount: Money::from_fen(loss / 10),
                            on: today,
                        };
                        claims::recover(conn, bank, c.id, body, Keep).map_err(fail)?;
                        recovered = true;
                    }
                }
            }
            _ => {
                let body = RejectCompensationClaim {
                    reason: "清收处置材料不全".into(),
                };
                claims::reject(conn, office, c.id, body).map_err(fail)?;
            }
        }
    }
    Ok(())
}
