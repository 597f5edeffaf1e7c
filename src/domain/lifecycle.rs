//! The match state machine (对接流程), in one place.
//!
//! ```text
//!  enterprise applies ──► applied ──accept──► accepted ──approve──► approved ──disburse──► disbursed
//!  bank claims (抢单) ─────────────────────────┘   │                    │                     │
//!                         │ reject               │ reject             │                     └─disburse (more tranches)
//!                         ▼                       ▼                    │
//!                      rejected               rejected              withdraw ──► withdrawn
//!  applied / accepted / approved ──withdraw (enterprise)──► withdrawn
//! ```
//! Every other (state, action) pair is refused as `invalid_transition`. An applied or
//! accepted match past its deadline is overdue (`MatchState::is_overdue`).

use chrono::NaiveDate;

str_enum! {
    pub enum MatchState {
        /// The enterprise applied; the bank must accept or reject by `respond_by`.
        Applied = "applied" / "已申请",
        /// The bank took the case (接单/意向) and must approve or reject by `decide_by`.
        Accepted = "accepted" / "已接单",
        /// Credit granted (授信): amount, rate and term fixed.
        Approved = "approved" / "已授信",
        /// At least one disbursement recorded (放款).
        Disbursed = "disbursed" / "已放款",
        /// Refused by the bank, with a reason (拒单有原因).
        Rejected = "rejected" / "已拒绝",
        /// Withdrawn by the enterprise.
        Withdrawn = "withdrawn" / "已撤回",
    }
}

str_enum! {
    pub enum MatchAction {
        Accept = "accept",
        Approve = "approve",
        Reject = "reject",
        Withdraw = "withdraw",
        Disburse = "disburse",
    }
}

str_enum! {
    /// What an entry of a match's audit trail records: its creation (`apply` by the
    /// enterprise, `claim` 抢单 by the bank) or one of the transitions.
    pub enum EventAction {
        Apply = "apply" / "申请",
        Claim = "claim" / "抢单",
        Accept = "accept" / "接单",
        Approve = "approve" / "授信",
        Reject = "reject" / "拒单",
        Withdraw = "withdraw" / "撤回",
        Disburse = "disburse" / "放款",
    }
}

impl From<MatchAction> for EventAction {
    fn from(a: MatchAction) -> Self {
        match a {
            MatchAction::Accept => EventAction::Accept,
            MatchAction::Approve => EventAction::Approve,
            MatchAction::Reject => EventAction::Reject,
            MatchAction::Withdraw => EventAction::Withdraw,
            MatchAction::Disburse => EventAction::Disburse,
        }
    }
}

str_enum! {
    /// Who may take an action: the product's bank or the demand's enterprise. A match's
    /// `initiated_by` is the party that created it.
    pub enum Party {
        Bank = "bank",
        Enterprise = "enterprise",
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("{action} is not allowed for a match that is {from}")]
    InvalidTransition {
        from: MatchState,
        action: MatchAction,
    },
    #[error("only the {expected} side may {action} a match")]
    WrongParty {
        action: MatchAction,
        expected: &'static str,
    },
}

impl MatchAction {
    pub fn party(self) -> Party {
        match self {
            MatchAction::Withdraw => Party::Enterprise,
            _ => Party::Bank,
        }
    }
}

impl MatchState {
    /// A live match blocks a second one for the same demand and product.
    pub fn is_live(self) -> bool {
        !matches!(self, MatchState::Rejected | MatchState::Withdrawn)
    }

    /// Waiting for the bank: to respond (applied) or to decide (accepted).
    pub fn awaits_bank(self) -> bool {
        matches!(self, MatchState::Applied | MatchState::Accepted)
    }

    /// The deadline a match in this state waits on: an applied match on the bank's answer
    /// (`respond_by`), an accepted one on its decision (`decide_by`); the others on none.
    pub fn deadline(self) -> Option<Deadline> {
        match self {
            MatchState::Applied => Some(Deadline::RespondBy),
            MatchState::Accepted => Some(Deadline::DecideBy),
            _ => None,
        }
    }

    /// The one rule for "overdue" (逾期未处理): the deadline this state waits on has passed.
    /// `db::matches` writes the same rule as SQL from `Deadline::state`.
    pub fn is_overdue(
        self,
        respond_by: Option<NaiveDate>,
        decide_by: Option<NaiveDate>,
        today: NaiveDate,
    ) -> bool {
        let due = match self.deadline() {
            Some(Deadline::RespondBy) => respond_by,
            Some(Deadline::DecideBy) => decide_by,
            None => None,
        };
        due.is_some_and(|d| d < today)
    }

    /// The state `action` leads to from `self`, if the table allows it.
    pub fn next(self, action: MatchAction) -> Option<MatchState> {
        use MatchAction::*;
        use MatchState::*;
        match (self, action) {
            (Applied, Accept) => Some(Accepted),
            (Accepted, Approve) => Some(Approved),
            (Applied | Accepted, Reject) => Some(Rejected),
            (Applied | Accepted | Approved, Withdraw) => Some(Withdrawn),
            (Approved | Disbursed, Disburse) => Some(Disbursed),
            _ => None,
        }
    }
}

/// The two deadlines of a match.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deadline {
    RespondBy,
    DecideBy,
}

impl Deadline {
    /// The state that waits on this deadline.
    pub fn state(self) -> MatchState {
        match self {
            Deadline::RespondBy => MatchState::Applied,
            Deadline::DecideBy => MatchState::Accepted,
        }
    }
}

/// Checks party first (a bank may never withdraw, an enterprise never approve), then the table.
pub fn transition(
    from: MatchState,
    action: MatchAction,
    by: Party,
) -> Result<MatchState, TransitionError> {
    if action.party() != by {
        let expected = match action.party() {
            Party::Bank => "bank",
            Party::Enterprise => "enterprise",
        };
        return Err(TransitionError::WrongParty { action, expected });
    }
    from.next(action)
        .ok_or(TransitionError::InvalidTransition { from, action })
}

#[cfg(test)]
mod tests {
    use super::MatchAction::*;
    use super::MatchState::*;
    use super::*;

    /// The whole table: every (state, action) pair, allowed ones listed, the rest refused.
    #[test]
    fn the_whole_table() {
        let allowed = [
            (Applied, Accept, Accepted),
            (Accepted, Approve, Approved),
            (Applied, Reject, Rejected),
            (Accepted, Reject, Rejected),
            (Applied, Withdraw, Withdrawn),
            (Accepted, Withdraw, Withdrawn),
            (Approved, Withdraw, Withdrawn),
            (Approved, Disburse, Disbursed),
            (Disbursed, Disburse, Disbursed),
        ];
        let mut checked = 0;
        for &state in MatchState::ALL {
            for &action in MatchAction::ALL {
                let expected = allowed
                    .iter()
                    .find(|(s, a, _)| *s == state && *a == action)
                    .map(|(_, _, to)| *to);
                let got = transition(state, action, action.party());
                match expected {
                    Some(to) => assert_eq!(got, Ok(to), "{state} --{action}-->"),
                    None => assert_eq!(
                        got,
                        Err(TransitionError::InvalidTransition {
                            from: state,
                            action
                        }),
                        "{state} --{action}-->"
                    ),
                }
                checked += 1;
            }
        }
        assert_eq!(checked, 6 * 5);
    }

    #[test]
    fn the_wrong_party_is_refused_before_the_table() {
        assert!(matches!(
            transition(Applied, Withdraw, Party::Bank),
            Err(TransitionError::WrongParty { .. })
        ));
        assert!(matches!(
            transition(Applied, Accept, Party::Enterprise),
            Err(TransitionError::WrongParty { .. })
        ));
        assert!(matches!(
            transition(Rejected, Approve, Party::Enterprise),
            Err(TransitionError::WrongParty { .. })
        ));
    }

    #[test]
    fn overdue_is_past_the_deadline_the_state_waits_on() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let (r, c, today) = (
            Some(d("2026-03-09")),
            Some(d("2026-03-20")),
            d("2026-03-10"),
        );
        assert!(Applied.is_overdue(r, c, today));
        assert!(
            !Applied.is_overdue(r, c, d("2026-03-09")),
            "the day itself is in time"
        );
        assert!(!Accepted.is_overdue(r, c, today));
        assert!(Accepted.is_overdue(r, c, d("2026-03-21")));
        for s in [Approved, Disbursed, Rejected, Withdrawn] {
            assert!(!s.is_overdue(r, c, d("2030-01-01")), "{s}");
        }
        for dl in [Deadline::RespondBy, Deadline::DecideBy] {
            assert_eq!(dl.state().deadline(), Some(dl));
        }
    }

    #[test]
    fn liveness() {
        assert!(Applied.is_live() && Approved.is_live() && Disbursed.is_live());
        assert!(!Rejected.is_live() && !Withdrawn.is_live());
        assert!(Applied.awaits_bank() && Accepted.awaits_bank() && !Approved.awaits_bank());
    }
}
