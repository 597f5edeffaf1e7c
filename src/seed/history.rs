//! Matches and loans for the first demands, each step made by its party through the use
//! cases, on the day it happened.

use chrono::{NaiveDate, TimeDelta};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::Rng;

use super::{at_hour, fail, in_chunks, Published, SeedContext, SeedOptions, SeedReport, World};
use crate::app::matches::{
    AcceptBody, ApproveBody, CreateDisbursement, CreateMatch, GuaranteeInput, RejectBody,
    WithdrawBody,
};
use crate::app::{self, caller::Caller, clock, effects::Keep};
use crate::db::DbConnection;
use crate::domain::rate::Rate;
use crate::domain::subsidy::CounterGuarantee;

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
pub(super) fn seed_matches_and_loans(
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
    let page = app::matching::recommendations(
        conn,
        enterprise,
        cx.matching,
        demand_id,
        app::matching::PageAsk {
            include_ineligible: false,
            limit: 20,
            offset: 0,
            lang: Default::default(),
        },
    )
    .map_err(fail)?;
    let page: serde_json::Value = serde_json::from_slice(&page.body)?;
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
