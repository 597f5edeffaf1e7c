//! Webhook events (SPEC §3.10) and the state of one delivery.

str_enum! {
    /// The events a webhook can subscribe to.
    pub enum WebhookEvent {
        /// to banks whose active product a new demand is eligible for
        DemandEligible = "demand.eligible" / "新融资需求符合产品条件",
        MatchCreated = "match.created" / "企业申请对接",
        MatchAccepted = "match.accepted" / "对接已接单",
        MatchApproved = "match.approved" / "对接已授信",
        MatchRejected = "match.rejected" / "对接已拒绝",
        MatchWithdrawn = "match.withdrawn" / "对接已撤回",
        /// once per missed deadline
        MatchOverdue = "match.overdue" / "对接逾期未处理",
        LoanDisbursed = "loan.disbursed" / "贷款已放款",
        /// once per loan, 30 days before `maturity_on`
        LoanMaturing = "loan.maturing" / "贷款 30 天后到期",
        LoanOverdue = "loan.overdue" / "贷款逾期",
        LoanNpl = "loan.npl" / "贷款转为不良",
        LoanRepaid = "loan.repaid" / "贷款已结清",
        RenewalRequested = "renewal.requested" / "续贷已申请",
        RenewalApproved = "renewal.approved" / "续贷已承诺",
        RenewalRejected = "renewal.rejected" / "续贷已拒绝",
        /// once per bridge out past its due date
        BridgeLoanOverdue = "bridge_loan.overdue" / "过桥资金逾期",
        SubsidyClaimApproved = "subsidy_claim.approved" / "补贴申报已批准",
        SubsidyClaimPaid = "subsidy_claim.paid" / "补贴已拨付",
        CompensationClaimApproved = "compensation_claim.approved" / "风险补偿申请已批准",
        CompensationClaimPaid = "compensation_claim.paid" / "风险补偿已拨付",
    }
}

str_enum! {
    /// A delivery is retried with backoff while `pending`, then `delivered` or `failed`.
    pub enum DeliveryStatus {
        Pending = "pending" / "待投递",
        Delivered = "delivered" / "已送达",
        Failed = "failed" / "已失败",
    }
}

/// What happened to a pending delivery.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryEvent {
    /// The receiver answered 2xx.
    Delivered,
    /// The attempt failed and attempts are left: retry later.
    FailedWillRetry,
    /// The attempt failed and it was the last one.
    FailedGaveUp,
    /// The subscription was deleted while the delivery waited.
    SubscriptionDeleted,
}

impl DeliveryStatus {
    /// pending ──delivered──▶ delivered; pending ──failed, will retry──▶ pending;
    /// pending ──failed, gave up / subscription deleted──▶ failed. `delivered` and `failed`
    /// are final.
    pub fn after(self, event: DeliveryEvent) -> Option<DeliveryStatus> {
        use DeliveryEvent as E;
        use DeliveryStatus::*;
        match (self, event) {
            (Pending, E::Delivered) => Some(Delivered),
            (Pending, E::FailedWillRetry) => Some(Pending),
            (Pending, E::FailedGaveUp | E::SubscriptionDeleted) => Some(Failed),
            _ => None,
        }
    }
}

/// The outcome of attempt number `attempt` (1-based) of at most `max_attempts`.
pub fn attempt_outcome(delivered: bool, attempt: i64, max_attempts: i64) -> DeliveryEvent {
    match (delivered, attempt < max_attempts) {
        (true, _) => DeliveryEvent::Delivered,
        (false, true) => DeliveryEvent::FailedWillRetry,
        (false, false) => DeliveryEvent::FailedGaveUp,
    }
}

#[cfg(test)]
mod tests {
    use super::DeliveryEvent as E;
    use super::DeliveryStatus as S;

    /// The whole delivery table: every (state, event) pair.
    #[test]
    fn deliveries_move_only_along_the_arrows() {
        let events = [
            E::Delivered,
            E::FailedWillRetry,
            E::FailedGaveUp,
            E::SubscriptionDeleted,
        ];
        let arrows = [
            (S::Pending, E::Delivered, S::Delivered),
            (S::Pending, E::FailedWillRetry, S::Pending),
            (S::Pending, E::FailedGaveUp, S::Failed),
            (S::Pending, E::SubscriptionDeleted, S::Failed),
        ];
        for &s in S::ALL {
            for e in events {
                let expected = arrows
                    .iter()
                    .find(|(from, ev, _)| *from == s && *ev == e)
                    .map(|a| a.2);
                assert_eq!(s.after(e), expected, "{s} --{e:?}-->");
            }
        }
    }

    #[test]
    fn the_last_failed_attempt_gives_up() {
        assert_eq!(super::attempt_outcome(true, 5, 5), E::Delivered);
        assert_eq!(super::attempt_outcome(false, 4, 5), E::FailedWillRetry);
        assert_eq!(super::attempt_outcome(false, 5, 5), E::FailedGaveUp);
    }
}
