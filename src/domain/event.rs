//! Webhook events (SPEC §3.10) and the state of one delivery.

str_enum! {
    /// The events a webhook can subscribe to.
    pub enum WebhookEvent {
        /// to banks whose active product a new demand is eligible for
        DemandEligible = "demand.eligible",
        MatchCreated = "match.created",
        MatchAccepted = "match.accepted",
        MatchApproved = "match.approved",
        MatchRejected = "match.rejected",
        MatchWithdrawn = "match.withdrawn",
        /// once per missed deadline
        MatchOverdue = "match.overdue",
        LoanDisbursed = "loan.disbursed",
        SubsidyClaimApproved = "subsidy_claim.approved",
        SubsidyClaimPaid = "subsidy_claim.paid",
    }
}

str_enum! {
    /// A delivery is retried with backoff while `pending`, then `delivered` or `failed`.
    pub enum DeliveryStatus {
        Pending = "pending",
        Delivered = "delivered",
        Failed = "failed",
    }
}
