//! A claim's life: `ClaimState`, `ClaimAction` and the one table that moves a claim.

str_enum! {
    /// submitted → approved → paid, or submitted → rejected.
    pub enum ClaimState {
        Submitted = "submitted" / "已提交",
        Approved = "approved" / "已批准",
        Rejected = "rejected" / "已驳回",
        Paid = "paid" / "已拨付",
    }
}

str_enum! {
    /// What a finance office does to a claim.
    pub enum ClaimAction {
        Approve = "approve" / "批准",
        Reject = "reject" / "驳回",
        Pay = "pay" / "拨付",
    }
}

impl ClaimState {
    /// submitted ──approve──▶ approved ──pay──▶ paid; submitted ──reject──▶ rejected. Nothing
    /// else moves a claim.
    pub fn after(self, action: ClaimAction) -> Option<ClaimState> {
        use ClaimAction as A;
        use ClaimState::*;
        match (self, action) {
            (Submitted, A::Approve) => Some(Approved),
            (Submitted, A::Reject) => Some(Rejected),
            (Approved, A::Pay) => Some(Paid),
            _ => None,
        }
    }
}

impl ClaimAction {
    /// The one arrow this action draws: (from, to).
    pub fn arrow(self) -> (ClaimState, ClaimState) {
        ClaimState::ALL
            .iter()
            .find_map(|s| s.after(self).map(|to| (*s, to)))
            .expect("every claim action has an arrow")
    }
}

#[cfg(test)]
mod tests {
    /// The whole claim table: every (state, action) pair.
    #[test]
    fn claim_states_move_only_along_the_arrows() {
        use super::ClaimAction as A;
        use super::ClaimState as S;
        let arrows = [
            (S::Submitted, A::Approve, S::Approved),
            (S::Submitted, A::Reject, S::Rejected),
            (S::Approved, A::Pay, S::Paid),
        ];
        for &s in S::ALL {
            for &a in A::ALL {
                let expected = arrows
                    .iter()
                    .find(|(f, x, _)| *f == s && *x == a)
                    .map(|(_, _, to)| *to);
                assert_eq!(s.after(a), expected, "{s} --{a}-->");
            }
        }
        assert_eq!(A::Pay.arrow(), (S::Approved, S::Paid));
    }
}
