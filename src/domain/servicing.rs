//! Loan servicing (贷后管理), in one place: a loan's status machine, what each reported event
//! does to it, and the balance history (`spells`) that subsidies and reports read.
//!
//! ```text
//!            overdue              npl
//!  current ─────────► overdue ─────────► npl ──written_off──► written_off
//!     ▲  │  ◄─────────  cured      ▲      │
//!     │  └──────────── npl ────────┘      │
//!     │  (五级分类 may classify straight from current)
//!  current | overdue | npl ──repayment/recovery to 0──► repaid
//!  current | overdue | npl ──renewal disbursed (§3.13)──► renewed
//! ```
//! `repayment` and `recovery` lower `outstanding` by their principal and never change the
//! status unless it reaches 0. Every other (status, event) pair is `invalid_transition`.

use chrono::{Months, NaiveDate};

use super::money::Money;

str_enum! {
    pub enum LoanStatus {
        /// 正常: performing.
        Current = "current" / "正常",
        /// 逾期: a payment is past due.
        Overdue = "overdue" / "逾期",
        /// 不良: classified non-performing (五级分类 substandard or worse).
        Npl = "npl" / "不良",
        /// 结清: outstanding reached 0.
        Repaid = "repaid" / "结清",
        /// 续贷结清: closed by the disbursement of its renewal.
        Renewed = "renewed" / "续贷结清",
        /// 核销: written off; what was outstanding is kept as `written_off_amount`.
        WrittenOff = "written_off" / "核销",
    }
}

str_enum! {
    pub enum LoanEventKind {
        /// 还款: principal repaid (and interest, recorded for information).
        Repayment = "repayment" / "还款",
        /// 逾期: the loan became overdue.
        Overdue = "overdue" / "逾期",
        /// 逾期纠正: an overdue loan is performing again.
        Cured = "cured" / "恢复正常",
        /// 不良: classified non-performing.
        Npl = "npl" / "不良",
        /// 清收: principal recovered on a non-performing (or overdue) loan.
        Recovery = "recovery" / "清收",
        /// 核销: the rest written off.
        WrittenOff = "written_off" / "核销",
        /// 续贷结清: closed by its renewal's disbursement (recorded by the platform, §3.13).
        Renewed = "renewed" / "续贷结清",
    }
}

impl LoanStatus {
    /// A loan still on the bank's books.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            LoanStatus::Current | LoanStatus::Overdue | LoanStatus::Npl
        )
    }

    /// Whether a day in this status earns an interest subsidy (overdue and NPL days only when
    /// the rule includes them; closed loans never).
    pub fn earns_subsidy(self, include_overdue_days: bool) -> bool {
        match self {
            LoanStatus::Current => true,
            LoanStatus::Overdue | LoanStatus::Npl => include_overdue_days,
            LoanStatus::Repaid | LoanStatus::Renewed | LoanStatus::WrittenOff => false,
        }
    }
}

/// What an event did to a loan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Applied {
    pub status: LoanStatus,
    pub outstanding: Money,
    /// Set by `written_off`: the outstanding principal written off.
    pub written_off: Money,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ServicingError {
    /// The table does not allow this event in this status (409 `invalid_transition`).
    #[error("{kind} is not allowed for a loan that is {from}")]
    InvalidTransition {
        from: LoanStatus,
        kind: LoanEventKind,
    },
    /// `repayment`/`recovery` without a principal, or a non-positive one (422).
    #[error("{kind} needs a principal greater than 0")]
    PrincipalRequired { kind: LoanEventKind },
    /// More principal than is outstanding (422).
    #[error("principal {principal} is more than the outstanding {outstanding}")]
    AboveOutstanding {
        principal: Money,
        outstanding: Money,
    },
    /// A principal on an event that moves no money (422).
    #[error("{kind} takes no principal")]
    NoPrincipal { kind: LoanEventKind },
}

/// The state machine: what `kind` (with `principal` for repayments and recoveries) does to a
/// loan that is `status` with `outstanding` left.
pub fn apply(
    status: LoanStatus,
    outstanding: Money,
    kind: LoanEventKind,
    principal: Option<Money>,
) -> Result<Applied, ServicingError> {
    use LoanEventKind as K;
    use LoanStatus as S;
    let invalid = || ServicingError::InvalidTransition { from: status, kind };
    let moves_money = matches!(kind, K::Repayment | K::Recovery);
    if !moves_money && principal.is_some_and(|p| !p.is_zero()) {
        return Err(ServicingError::NoPrincipal { kind });
    }
    let keep = |status| Applied {
        status,
        outstanding,
        written_off: Money::ZERO,
    };
    match (status, kind) {
        (S::Current | S::Overdue | S::Npl, K::Repayment | K::Recovery) => {
            // A recovery (清收) is collection on a loan gone bad; a performing loan repays.
            if kind == K::Recovery && status == S::Current {
                return Err(invalid());
            }
            let p = match principal {
                Some(p) if p.fen() > 0 => p,
                _ => return Err(ServicingError::PrincipalRequired { kind }),
            };
            if p > outstanding {
                return Err(ServicingError::AboveOutstanding {
                    principal: p,
                    outstanding,
                });
            }
            let left = Money::from_fen(outstanding.fen() - p.fen());
            Ok(Applied {
                status: if left.is_zero() { S::Repaid } else { status },
                outstanding: left,
                written_off: Money::ZERO,
            })
        }
        (S::Current, K::Overdue) => Ok(keep(S::Overdue)),
        (S::Overdue, K::Cured) => Ok(keep(S::Current)),
        (S::Current | S::Overdue, K::Npl) => Ok(keep(S::Npl)),
        (S::Npl, K::WrittenOff) => Ok(Applied {
            status: S::WrittenOff,
            outstanding: Money::ZERO,
            written_off: outstanding,
        }),
        (S::Current | S::Overdue | S::Npl, K::Renewed) => Ok(Applied {
            status: S::Renewed,
            outstanding: Money::ZERO,
            written_off: Money::ZERO,
        }),
        _ => Err(invalid()),
    }
}

/// `disbursed_on + term_months`, a day past the month's end clamped to its last day.
pub fn maturity_on(disbursed_on: NaiveDate, term_months: u32) -> NaiveDate {
    // chrono clamps a day past the month's end to its last day.
    disbursed_on
        .checked_add_months(Months::new(term_months))
        .unwrap_or(NaiveDate::MAX)
}

/// One reported event as the history sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoanEvent {
    pub on: NaiveDate,
    pub kind: LoanEventKind,
    pub principal: Option<Money>,
}

/// A stretch of days with one status and one outstanding balance, from `from` (inclusive) to
/// the next spell's `from` (exclusive); the last spell runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spell {
    pub from: NaiveDate,
    pub status: LoanStatus,
    pub outstanding: Money,
}

/// The balance history of a loan of `principal` disbursed on `disbursed_on` after `events`
/// (in the order they were recorded, which is date order). An event on day D takes effect
/// from D on; several events on one day leave one spell with the last state of the day.
/// Events that the machine refuses are skipped (they were never stored).
pub fn spells(principal: Money, disbursed_on: NaiveDate, events: &[LoanEvent]) -> Vec<Spell> {
    let mut out = vec![Spell {
        from: disbursed_on,
        status: LoanStatus::Current,
        outstanding: principal,
    }];
    for e in events {
        let Some(last) = out.last().copied() else {
            break;
        };
        let Ok(next) = apply(last.status, last.outstanding, e.kind, e.principal) else {
            continue;
        };
        let spell = Spell {
            from: e.on.max(disbursed_on),
            status: next.status,
            outstanding: next.outstanding,
        };
        match out.last_mut() {
            Some(l) if l.from == spell.from => *l = spell,
            _ => out.push(spell),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use LoanEventKind as K;
    use LoanStatus as S;

    fn m(s: &str) -> Money {
        Money::parse(s).unwrap()
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// The whole table: every (status, event) pair, with what it gives.
    #[test]
    fn the_transition_table_whole() {
        let hundred = m("100.00");
        for &from in S::ALL {
            for &kind in K::ALL {
                let principal = matches!(kind, K::Repayment | K::Recovery).then(|| m("40.00"));
                let got = apply(from, hundred, kind, principal);
                let expected = match (from, kind) {
                    (S::Current | S::Overdue | S::Npl, K::Repayment) => Some((from, m("60.00"))),
                    (S::Overdue | S::Npl, K::Recovery) => Some((from, m("60.00"))),
                    (S::Current, K::Overdue) => Some((S::Overdue, hundred)),
                    (S::Overdue, K::Cured) => Some((S::Current, hundred)),
                    (S::Current | S::Overdue, K::Npl) => Some((S::Npl, hundred)),
                    (S::Npl, K::WrittenOff) => Some((S::WrittenOff, Money::ZERO)),
                    (S::Current | S::Overdue | S::Npl, K::Renewed) => {
                        Some((S::Renewed, Money::ZERO))
                    }
                    _ => None,
                };
                match expected {
                    Some((status, outstanding)) => {
                        let a = got.unwrap_or_else(|e| panic!("{from} {kind}: {e}"));
                        assert_eq!(
                            (a.status, a.outstanding),
                            (status, outstanding),
                            "{from} {kind}"
                        );
                    }
                    None => assert_eq!(
                        got,
                        Err(ServicingError::InvalidTransition { from, kind }),
                        "{from} {kind}"
                    ),
                }
            }
        }
    }

    #[test]
    fn repaying_everything_closes_the_loan_and_more_is_refused() {
        let a = apply(S::Overdue, m("100.00"), K::Repayment, Some(m("100.00"))).unwrap();
        assert_eq!((a.status, a.outstanding), (S::Repaid, Money::ZERO));
        let a = apply(S::Npl, m("100.00"), K::Recovery, Some(m("100.00"))).unwrap();
        assert_eq!(a.status, S::Repaid);
        assert_eq!(
            apply(S::Current, m("100.00"), K::Repayment, Some(m("100.01"))),
            Err(ServicingError::AboveOutstanding {
                principal: m("100.01"),
                outstanding: m("100.00")
            })
        );
        for p in [None, Some(Money::ZERO)] {
            assert_eq!(
                apply(S::Current, m("100.00"), K::Repayment, p),
                Err(ServicingError::PrincipalRequired { kind: K::Repayment })
            );
        }
        assert_eq!(
            apply(S::Current, m("100.00"), K::Overdue, Some(m("1.00"))),
            Err(ServicingError::NoPrincipal { kind: K::Overdue })
        );
        let a = apply(S::Npl, m("70.00"), K::WrittenOff, None).unwrap();
        assert_eq!((a.outstanding, a.written_off), (Money::ZERO, m("70.00")));
    }

    #[test]
    fn maturity_clamps_to_the_month_end() {
        assert_eq!(maturity_on(d("2026-01-31"), 1), d("2026-02-28"));
        assert_eq!(maturity_on(d("2026-01-15"), 12), d("2027-01-15"));
        assert_eq!(maturity_on(d("2024-02-29"), 12), d("2025-02-28"));
    }

    #[test]
    fn spells_follow_the_events() {
        let ev = |on: &str, kind, p: Option<&str>| LoanEvent {
            on: d(on),
            kind,
            principal: p.map(m),
        };
        let s = spells(
            m("1000.00"),
            d("2026-01-01"),
            &[
                ev("2026-03-01", K::Repayment, Some("400.00")),
                ev("2026-04-10", K::Overdue, None),
                ev("2026-05-01", K::Cured, None),
                // Two events on one day: one spell with the day's last state.
                ev("2026-06-01", K::Overdue, None),
                ev("2026-06-01", K::Repayment, Some("600.00")),
            ],
        );
        let want = [
            ("2026-01-01", S::Current, "1000.00"),
            ("2026-03-01", S::Current, "600.00"),
            ("2026-04-10", S::Overdue, "600.00"),
            ("2026-05-01", S::Current, "600.00"),
            ("2026-06-01", S::Repaid, "0.00"),
        ];
        let want: Vec<Spell> = want
            .iter()
            .map(|(f, st, o)| Spell {
                from: d(f),
                status: *st,
                outstanding: m(o),
            })
            .collect();
        assert_eq!(s, want);
        assert_eq!(spells(m("5.00"), d("2026-01-01"), &[]).len(), 1);
    }
}
