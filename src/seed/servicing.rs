//! After 放款 (SPEC §3.12–3.14): loans in every status, renewals in every state and a bridge
//! fund with bridges in every state, each step made by its party through the use cases on the
//! day it happened. Of every 20 loans: 12 repay on schedule (half their principal at half
//! term, the rest at maturity, as far as today reaches), 1 falls overdue (every other one
//! cured), 1 in 3 of the next becomes NPL (every other one recovered in part and written off),
//! 4 ask for a renewal (only those not yet matured can: their states cycle requested,
//! approved, rejected, withdrawn, disbursed), the rest have no event yet — about 60 % repaying,
//! 5 % overdue, 1.7 % NPL and 20 % renewing, as the benchmark world should.

use std::collections::HashMap;

use chrono::{Days, Months, NaiveDate};

use super::{at_hour, fail, SeedReport, World};
use crate::app::bridges::{BridgeDay, CreateFund, RequestBridge};
use crate::app::caller::Caller;
use crate::app::effects::Keep;
use crate::app::loans::LoanEventInput;
use crate::app::renewals::{ApproveRenewal, DisburseRenewal, RejectRenewal, RequestRenewal};
use crate::app::{self, clock};
use crate::db::matches::{LoanFilter, LoanRow};
use crate::db::DbConnection;
use crate::domain::money::Money;
use crate::domain::rate::Rate;
use crate::domain::scope::Scope;
use crate::domain::servicing::LoanEventKind;
use crate::domain::subsidy::PolicyEligibility;

/// Every loan of the demo world, oldest first.
pub(super) fn all_loans(conn: &mut DbConnection) -> anyhow::Result<Vec<LoanRow>> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let page = crate::db::matches::list_loans(
            conn,
            &Scope::Everything,
            &LoanFilter {
                after_id: after,
                limit: 1000,
                ..LoanFilter::default()
            },
        )?;
        let more = page.len() > 1000;
        let kept: Vec<LoanRow> = page.into_iter().take(1000).collect();
        after = kept.last().map(|l| l.id);
        out.extend(kept);
        if !more {
            return Ok(out);
        }
    }
}

/// One event by the loan's bank on `on` (skipped when `on` is after today).
#[allow(clippy::too_many_arguments)]
pub(super) fn event(
    conn: &mut DbConnection,
    bank: &Caller,
    loan: i64,
    kind: LoanEventKind,
    on: NaiveDate,
    principal: Option<Money>,
    today: NaiveDate,
    report: &mut SeedReport,
) -> anyhow::Result<bool> {
    if on > today {
        return Ok(false);
    }
    let e = LoanEventInput {
        kind,
        on,
        principal,
        interest: None,
        note: None,
    };
    clock::at(at_hour(on, 16), || {
        app::loans::record_event(conn, bank, loan, e, Keep)
    })
    .map_err(fail)?;
    report.loan_events += 1;
    Ok(true)
}

fn after(d: NaiveDate, days: u64) -> NaiveDate {
    d.checked_add_days(Days::new(days)).unwrap_or(d)
}

pub(super) fn seed_servicing(
    conn: &mut DbConnection,
    today: NaiveDate,
    world: &World,
    report: &mut SeedReport,
) -> anyhow::Result<()> {
    let banks: HashMap<i64, &Caller> = world.banks.iter().map(|b| (b.org_id, b)).collect();
    let enterprises: HashMap<i64, &Caller> =
        world.enterprises.iter().map(|e| (e.org_id, e)).collect();
    let mut approved_renewals = Vec::new();
    let mut renewals = 0usize;
    for (k, loan) in all_loans(conn)?.into_iter().enumerate() {
        let Some(bank) = banks.get(&loan.fields.bank_id).copied() else {
            continue;
        };
        let (id, on) = (loan.id, loan.fields.disbursed_on);
        let amount = loan.fields.amount_fen;
        let maturity = loan.servicing.maturity_on;
        let months = loan.fields.term_months.max(1) as u32;
        let half = on
            .checked_add_months(Months::new(months / 2))
            .unwrap_or(maturity);
        match k % 20 {
            0..=11 => {
                let first = Money::from_fen(amount / 2);
                if event(
                    conn,
                    bank,
                    id,
                    LoanEventKind::Repayment,
                    half,
                    Some(first),
                    today,
                    report,
                )? {
                    let rest = Money::from_fen(amount - amount / 2);
                    event(
                        conn,
                        bank,
                        id,
                        LoanEventKind::Repayment,
                        maturity,
                        Some(rest),
                        today,
                        report,
                    )?;
                }
            }
            12 => {
                let late = after(on, 60).min(today);
                if event(
                    conn,
                    bank,
                    id,
                    LoanEventKind::Overdue,
                    late,
                    None,
                    today,
                    report,
                )? && (k / 20) % 2 == 0
                {
                    event(
                        conn,
                        bank,
                        id,
                        LoanEventKind::Cured,
                        after(late, 20).min(today),
                        None,
                        today,
                        report,
                    )?;
                }
            }
            13 if k % 60 == 13 => {
                let late = after(on, 30).min(today);
                event(
                    conn,
                    bank,
                    id,
                    LoanEventKind::Overdue,
                    late,
                    None,
                    today,
                    report,
                )?;
                let bad = after(late, 90).min(today);
                event(conn, bank, id, LoanEventKind::Npl, bad, None, today, report)?;
                if (k / 60) % 2 == 0 {
                    let back = after(bad, 30).min(today);
                    let part = Money::from_fen(amount / 10);
                    if event(
                        conn,
                        bank,
                        id,
                        LoanEventKind::Recovery,
                        back,
                        Some(part),
                        today,
                        report,
                    )? {
                        event(
                            conn,
                            bank,
                            id,
                            LoanEventKind::WrittenOff,
                            after(back, 30).min(today),
                            None,
                            today,
                            report,
                        )?;
                    }
                }
            }
            14..=17 if maturity >= today => {
                let Some(ent) = enterprises.get(&loan.fields.enterprise_id).copied() else {
                    continue;
                };
                let asked = RequestRenewal {
                    amount: Money::from_fen(amount),
                    term_months: 12,
                    no_principal_repayment: k % 2 == 0,
                    note: Some("到期续贷".into()),
                };
                // Asked for 45 days ago, decided the next day (the requested ones are overdue).
                let now = at_hour(today - Days::new(45), 9);
                let Ok(r) = clock::at(now, || app::renewals::request(conn, ent, id, asked, Keep))
                else {
                    continue;
                };
                report.renewals += 1;
                renewals += 1;
                let commit = || ApproveRenewal {
                    approved_amount: Money::from_fen(amount),
                    annual_rate: Rate::from_units(34_500),
                    term_months: 12,
                };
                let later = at_hour(today - Days::new(44), 11);
                match renewals % 5 {
                    0 => {}
                    1 => {
                        clock::at(later, || {
                            app::renewals::approve(conn, bank, r.id, commit(), Keep)
                        })
                        .map_err(fail)?;
                        approved_renewals.push((id, r.id, ent, amount));
                    }
                    2 => {
                        let no = RejectRenewal {
                            reason_code: "declining_revenue".into(),
                            reason: "近两个季度营业收入下降，暂不续贷".into(),
                        };
                        clock::at(later, || app::renewals::reject(conn, bank, r.id, no, Keep))
                            .map_err(fail)?;
                    }
                    3 => {
                        clock::at(later, || {
                            app::renewals::withdraw(conn, ent, r.id, Default::default(), Keep)
                        })
                        .map_err(fail)?;
                    }
                    _ => {
                        clock::at(later, || {
                            app::renewals::approve(conn, bank, r.id, commit(), Keep)
                        })
                        .map_err(fail)?;
                        let pay = DisburseRenewal {
                            amount: Money::from_fen(amount),
                            disbursed_on: today,
                            annual_rate: Rate::from_units(34_500),
                            term_months: 12,
                        };
                        clock::at(at_hour(today, 15), || {
                            app::renewals::disburse(conn, bank, r.id, pay, Keep)
                        })
                        .map_err(fail)?;
                    }
                }
            }
            _ => {}
        }
    }
    seed_bridges(conn, today, world, &approved_renewals, report)
}

/// A 转贷 fund of the first office's region and a bridge on each approved renewal there,
/// their states cycling requested, approved, rejected, disbursed, repaid, overdue.
fn seed_bridges(
    conn: &mut DbConnection,
    today: NaiveDate,
    world: &World,
    approved: &[(i64, i64, &Caller, i64)],
    report: &mut SeedReport,
) -> anyhow::Result<()> {
    let Some((prefix, office)) = world.offices.first() else {
        return Ok(());
    };
    let fund = CreateFund {
        name: "山东省转贷应急资金".into(),
        capital: Money::from_fen(200_000_000_000),
        region_prefix: Some((*prefix).to_owned()),
        daily_fee_rate: Rate::from_units(200),
        max_days: 30,
        max_amount: Money::from_fen(3_000_000_000),
        max_share_of_renewal: Rate::from_units(950_000),
        eligibility: PolicyEligibility::default(),
    };
    let start = at_hour(today - Days::new(40), 9);
    let fund = clock::at(start, || {
        app::bridges::create_fund(conn, office, fund, Keep)
    })
    .map_err(fail)?;
    for (n, (loan, renewal, ent, amount)) in approved.iter().enumerate() {
        let ask = RequestBridge {
            fund_id: fund.id,
            loan_id: *loan,
            renewal_id: *renewal,
            amount: Money::from_fen((amount * 9 / 10).min(3_000_000_000)),
            days: 15,
        };
        let Ok(b) = clock::at(start, || app::bridges::request(conn, ent, ask, Keep)) else {
            continue;
        };
        report.bridges += 1;
        let step = |d: u64| at_hour(today - Days::new(40) + Days::new(d), 10);
        match n % 6 {
            0 => {}
            2 => {
                let no = crate::app::bridges::RejectBridge {
                    reason: "资金池本期额度已安排".into(),
                };
                clock::at(step(1), || app::bridges::reject(conn, office, b.id, no))
                    .map_err(fail)?;
            }
            k => {
                clock::at(step(1), || app::bridges::approve(conn, office, b.id)).map_err(fail)?;
                if k == 1 {
                    continue;
                }
                // Out 5 days ago (still within its 15), 35 days ago (repaid after 12) or 20
                // days ago (due 5 days ago: overdue).
                let out = today
                    - Days::new(match k {
                        3 => 5,
                        4 => 35,
                        _ => 20,
                    });
                clock::at(at_hour(out, 10), || {
                    app::bridges::disburse(conn, office, b.id, BridgeDay { on: out })
                })
                .map_err(fail)?;
                if k == 4 {
                    let back = out + Days::new(12);
                    clock::at(at_hour(back, 10), || {
                        app::bridges::repay(conn, office, b.id, BridgeDay { on: back })
                    })
                    .map_err(fail)?;
                }
            }
        }
    }
    clock::at(at_hour(today, 8), || app::bridges::announce_overdue(conn)).map_err(fail)?;
    Ok(())
}
