//! The renewal state machine (续贷 / 无还本续贷, SPEC §3.13), in one place.
//!
//! ```text
//!  enterprise or bank requests ──► requested ──approve (bank)──► approved ──disburse (bank)──► disbursed
//!                                     │  │                         │
//!                     reject (bank) ◄─┘  └─ withdraw (enterprise) ─┴─► withdrawn
//!                         ▼
//!                      rejected
//! ```
//! Every other (state, action) pair is `invalid_transition`. A requested renewal past its
//! `respond_by` is overdue. Only a `current` or `overdue` loan, before its maturity, may be
//! renewed (`loan_renewable`).

use chrono::NaiveDate;

use super::servicing::LoanStatus;

str_enum! {
    pub enum RenewalState {
        /// Asked for; the bank decides by `respond_by`.
        Requested = "requested" / "已申请",
        /// The bank committed to renew (续贷承诺): amount, rate and term fixed.
        Approved = "approved" / "已承诺",
        /// Refused by the bank, with a reason.
        Rejected = "rejected" / "已拒绝",
        /// Withdrawn by the enterprise.
        Withdrawn = "withdrawn" / "已撤回",
        /// The new loan was disbursed and the old one closed as `renewed`.
        Disbursed = "disbursed" / "已续贷",
    }
}

str_enum! {
    pub enum RenewalAction {
        Request = "request" / "申请",
        Approve = "approve" / "承诺",
        Reject = "reject" / "拒绝",
        Withdraw = "withdraw" / "撤回",
        Disburse = "disburse" / "续贷放款",
    }
}

/// Who may take an action on a renewal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RenewalParty {
    Bank,
    Enterprise,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RenewalError {
    #[error("{action} is not allowed for a renewal that is {from}")]
    InvalidTransition {
        from: RenewalState,
        action: RenewalAction,
    },
    #[error("only the {expected} may {action} a renewal")]
    WrongParty {
        action: RenewalAction,
        expected: &'static str,
    },
    #[error("a loan that is {status} cannot be renewed (only current or overdue loans)")]
    LoanNotRenewable { status: LoanStatus },
    #[error("the loan matured on {maturity_on}: a renewal must be asked for before maturity")]
    LoanMatured { maturity_on: NaiveDate },
}

impl RenewalState {
    /// A live renewal blocks another one for the same loan.
    pub fn is_live(self) -> bool {
        matches!(self, RenewalState::Requested | RenewalState::Approved)
    }

    /// Waiting for the bank's decision past `respond_by`.
    pub fn is_overdue(self, respond_by: NaiveDate, today: NaiveDate) -> bool {
        self == RenewalState::Requested && respond_by < today
    }
}

/// The state after `action` by `party` on a renewal that is `from`.
pub fn transition(
    from: RenewalState,
    action: RenewalAction,
    party: RenewalParty,
) -> Result<RenewalState, RenewalError> {
    use RenewalAction as A;
    use RenewalState as S;
    let expected = match action {
        A::Withdraw => Some((RenewalParty::Enterprise, "enterprise")),
        A::Approve | A::Reject | A::Disburse => Some((RenewalParty::Bank, "loan's bank")),
        A::Request => None,
    };
    if let Some((who, name)) = expected {
        if who != party {
            return Err(RenewalError::WrongParty {
                action,
                expected: name,
            });
        }
    }
    match (from, action) {
        (S::Requested, A::Approve) => Ok(S::Approved),
        (S::Requested, A::Reject) => Ok(S::Rejected),
        (S::Requested | S::Approved, A::Withdraw) => Ok(S::Withdrawn),
        (S::Approved, A::Disburse) => Ok(S::Disbursed),
        _ => Err(RenewalError::InvalidTransition { from, action }),
    }
}

/// Whether a loan may be renewed on `today`: `current` or `overdue`, and not yet matured.
pub fn loan_renewable(
    status: LoanStatus,
    maturity_on: NaiveDate,
    today: NaiveDate,
) -> Result<(), RenewalError> {
    if !matches!(status, LoanStatus::Current | LoanStatus::Overdue) {
        return Err(RenewalError::LoanNotRenewable { status });
    }
    if maturity_on < today {
        return Err(RenewalError::LoanMatured { maturity_on });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use RenewalAction as A;
    use RenewalParty as P;
    use RenewalState as S;

    /// The whole table, for the right party: every pair not listed is refused.
    #[test]
    fn the_transition_table_whole() {
        let allowed = [
            (S::Requested, A::Approve, S::Approved),
            (S::Requested, A::Reject, S::Rejected),
            (S::Requested, A::Withdraw, S::Withdrawn),
            (S::Approved, A::Withdraw, S::Withdrawn),
            (S::Approved, A::Disburse, S::Disbursed),
        ];
        for &from in S::ALL {
            for &action in A::ALL {
                let party = if action == A::Withdraw {
                    P::Enterprise
                } else {
                    P::Bank
                };
                let want = allowed
                    .iter()
                    .find(|(f, a, _)| *f == from && *a == action)
                    .map(|(_, _, to)| *to);
                match want {
                    Some(to) => assert_eq!(transition(from, action, party), Ok(to)),
                    None => assert_eq!(
                        transition(from, action, party),
                        Err(RenewalError::InvalidTransition { from, action }),
                        "{from} {action}"
                    ),
                }
            }
        }
    }

    #[test]
    fn each_action_belongs_to_one_party() {
        assert!(matches!(
            transition(S::Requested, A::Approve, P::Enterprise),
            Err(RenewalError::WrongParty { .. })
        ));
        assert!(matches!(
            transition(S::Requested, A::Withdraw, P::Bank),
            Err(RenewalError::WrongParty { .. })
        ));
        assert!(matches!(
            transition(S::Approved, A::Disburse, P::Enterprise),
            Err(RenewalError::WrongParty { .. })
        ));
    }

    #[test]
    fn only_open_loans_before_maturity_renew() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let m = d("2026-06-30");
        assert_eq!(
            loan_renewable(LoanStatus::Current, m, d("2026-06-30")),
            Ok(())
        );
        assert_eq!(
            loan_renewable(LoanStatus::Overdue, m, d("2026-01-01")),
            Ok(())
        );
        assert_eq!(
            loan_renewable(LoanStatus::Current, m, d("2026-07-01")),
            Err(RenewalError::LoanMatured { maturity_on: m })
        );
        for s in [
            LoanStatus::Npl,
            LoanStatus::Repaid,
            LoanStatus::Renewed,
            LoanStatus::WrittenOff,
        ] {
            assert_eq!(
                loan_renewable(s, m, d("2026-01-01")),
                Err(RenewalError::LoanNotRenewable { status: s })
            );
        }
        assert!(S::Requested.is_overdue(d("2026-01-05"), d("2026-01-06")));
        assert!(!S::Approved.is_overdue(d("2026-01-05"), d("2026-01-06")));
    }
}
