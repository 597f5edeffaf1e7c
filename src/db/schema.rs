//! Table definitions, written by hand to use only the portable types MultiConnection supports
//! (money in fen as BIGINT, enums and JSON as TEXT, UTC timestamps without zone).

diesel::table! {
    organizations (id) {
        id -> BigInt,
        kind -> Text,
        name -> Text,
        credit_code -> Nullable<Text>,
        region_code -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    enterprises (org_id) {
        org_id -> BigInt,
        industry -> Text,
        employees -> BigInt,
        annual_revenue_fen -> BigInt,
        total_assets_fen -> BigInt,
        established_on -> Date,
        has_prior_loan -> Bool,
        size_class -> Text,
        updated_at -> Timestamp,
        ownership -> Nullable<Text>,
        sector_code -> Nullable<Text>,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        org_id -> BigInt,
        username -> Text,
        password_hash -> Text,
        created_at -> Timestamp,
        token_version -> BigInt,
        disabled_at -> Nullable<Timestamp>,
        kept_jti -> Nullable<Text>,
    }
}

diesel::table! {
    revoked_tokens (jti) {
        jti -> Text,
        user_id -> BigInt,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    login_throttle (username, client) {
        username -> Text,
        client -> Text,
        failures -> BigInt,
        last_failure_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    idempotency_keys (scope, idem_key) {
        scope -> Text,
        idem_key -> Text,
        request_hash -> Text,
        status_code -> Nullable<BigInt>,
        response_body -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    qualifications (id) {
        id -> BigInt,
        enterprise_id -> BigInt,
        kind -> Text,
        level -> Text,
        certified_on -> Date,
        expires_on -> Date,
        certificate_no -> Text,
        created_by -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    products (id) {
        id -> BigInt,
        bank_id -> BigInt,
        name -> Text,
        description -> Text,
        product_type -> Text,
        min_amount_fen -> BigInt,
        max_amount_fen -> BigInt,
        min_term_months -> BigInt,
        max_term_months -> BigInt,
        min_rate_units -> BigInt,
        max_rate_units -> BigInt,
        /// JSON array of guarantee methods.
        guarantee_methods -> Text,
        response_sla_days -> BigInt,
        status -> Text,
        /// JSON of `domain::product::Eligibility`.
        eligibility -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    demands (id) {
        id -> BigInt,
        enterprise_id -> BigInt,
        amount_fen -> BigInt,
        term_months -> BigInt,
        purpose -> Text,
        /// JSON array of guarantee methods.
        guarantee_methods -> Text,
        max_rate_units -> Nullable<BigInt>,
        /// JSON array of product types.
        preferred_product_types -> Text,
        needed_by -> Nullable<Date>,
        description -> Text,
        status -> Text,
        closed_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        /// The enterprise's region when the demand was posted (reporting snapshot).
        region_code -> Text,
        /// When its first match was made; its first loan was disbursed (reporting).
        matched_at -> Nullable<Timestamp>,
        loaned_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(enterprises -> organizations (org_id));
diesel::joinable!(qualifications -> organizations (enterprise_id));
diesel::joinable!(products -> organizations (bank_id));
diesel::joinable!(demands -> organizations (enterprise_id));
diesel::joinable!(users -> organizations (org_id));

diesel::table! {
    catalog_shards (shard) {
        shard -> BigInt,
        products_version -> BigInt,
        demands_version -> BigInt,
        access_version -> BigInt,
    }
}

diesel::table! {
    matches (id) {
        id -> BigInt,
        demand_id -> BigInt,
        product_id -> BigInt,
        bank_id -> BigInt,
        enterprise_id -> BigInt,
        state -> Text,
        initiated_by -> Text,
        live_key -> Nullable<Text>,
        respond_by -> Nullable<Date>,
        decide_by -> Nullable<Date>,
        approved_amount_fen -> Nullable<BigInt>,
        approved_rate_units -> Nullable<BigInt>,
        approved_term_months -> Nullable<BigInt>,
        disbursed_fen -> BigInt,
        reject_reason_code -> Nullable<Text>,
        reject_reason -> Nullable<Text>,
        respond_overdue_notified -> Bool,
        decide_overdue_notified -> Bool,
        responded_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        /// The enterprise's region when the match was made (reporting snapshot).
        region_code -> Text,
        /// Its size class and valid qualification kinds then, and the product's type.
        size_class -> Text,
        qualification_kinds -> Text,
        product_type -> Text,
    }
}

diesel::table! {
    match_events (id) {
        id -> BigInt,
        match_id -> BigInt,
        action -> Text,
        from_state -> Nullable<Text>,
        to_state -> Text,
        actor_user_id -> BigInt,
        actor_org_id -> BigInt,
        note -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    loans (id) {
        id -> BigInt,
        match_id -> BigInt,
        demand_id -> BigInt,
        product_id -> BigInt,
        bank_id -> BigInt,
        enterprise_id -> BigInt,
        amount_fen -> BigInt,
        rate_units -> BigInt,
        term_months -> BigInt,
        disbursed_on -> Date,
        first_loan -> Bool,
        guarantor_id -> Nullable<BigInt>,
        guarantee_fee_rate_units -> Nullable<BigInt>,
        counter_guarantee -> Nullable<Text>,
        created_by -> BigInt,
        created_at -> Timestamp,
        /// Reporting snapshot at disbursement: the enterprise's region, size class and valid
        /// qualification kinds (comma-separated, sorted), the product type, and 信用贷款.
        region_code -> Text,
        size_class -> Text,
        qualification_kinds -> Text,
        product_type -> Text,
        credit -> Bool,
        /// Servicing (SPEC §3.12, `domain::servicing`).
        maturity_on -> Date,
        outstanding_fen -> BigInt,
        status -> Text,
        written_off_fen -> BigInt,
        last_event_on -> Nullable<Date>,
        maturing_announced -> Bool,
        /// The loan this one renews (SPEC §3.13).
        renewal_of -> Nullable<BigInt>,
    }
}

diesel::table! {
    /// Bridge funds (应急转贷, SPEC §3.14).
    bridge_funds (id) {
        id -> BigInt,
        name -> Text,
        capital_fen -> BigInt,
        reserved_fen -> BigInt,
        region_prefix -> Nullable<Text>,
        daily_fee_rate_units -> BigInt,
        max_days -> BigInt,
        max_amount_fen -> BigInt,
        max_share_units -> BigInt,
        eligibility -> Text,
        created_by_org -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Bridges lent by a fund; `domain::bridge` is the state machine.
    bridge_loans (id) {
        id -> BigInt,
        fund_id -> BigInt,
        loan_id -> BigInt,
        renewal_id -> BigInt,
        enterprise_id -> BigInt,
        bank_id -> BigInt,
        amount_fen -> BigInt,
        days -> BigInt,
        state -> Text,
        reject_reason -> Nullable<Text>,
        disbursed_on -> Nullable<Date>,
        due_on -> Nullable<Date>,
        repaid_on -> Nullable<Date>,
        fee_fen -> Nullable<BigInt>,
        fee_breakdown -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// Renewals (续贷, SPEC §3.13); `domain::renewal` is the state machine.
    renewals (id) {
        id -> BigInt,
        loan_id -> BigInt,
        bank_id -> BigInt,
        enterprise_id -> BigInt,
        state -> Text,
        amount_fen -> BigInt,
        term_months -> BigInt,
        no_principal_repayment -> Bool,
        note -> Nullable<Text>,
        respond_by -> Date,
        approved_amount_fen -> Nullable<BigInt>,
        approved_rate_units -> Nullable<BigInt>,
        approved_term_months -> Nullable<BigInt>,
        reject_reason_code -> Nullable<Text>,
        reject_reason -> Nullable<Text>,
        new_loan_id -> Nullable<BigInt>,
        requested_by -> BigInt,
        decided_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        decision_working_days -> Nullable<BigInt>,
    }
}

diesel::table! {
    /// A renewal's audit trail.
    renewal_events (id) {
        id -> BigInt,
        renewal_id -> BigInt,
        action -> Text,
        from_state -> Nullable<Text>,
        to_state -> Text,
        actor_user_id -> BigInt,
        actor_org_id -> BigInt,
        note -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// What a loan's bank reported after 放款, in order.
    loan_events (id) {
        id -> BigInt,
        loan_id -> BigInt,
        kind -> Text,
        on_date -> Date,
        principal_fen -> Nullable<BigInt>,
        interest_fen -> Nullable<BigInt>,
        note -> Nullable<Text>,
        status_after -> Text,
        outstanding_after_fen -> BigInt,
        actor_user_id -> BigInt,
        actor_org_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Reporting rollups; see migrations/*/000007_rollups and `db::rollups`.
    stats_cells (fact, dim, grain, period, region_code, group_key) {
        fact -> Text,
        dim -> Text,
        group_key -> Text,
        grain -> Text,
        period -> Date,
        region_code -> Text,
        n -> BigInt,
        amount_fen -> BigInt,
        first_loan_fen -> BigInt,
        credit_fen -> BigInt,
        rate_amount -> Text,
        matched -> BigInt,
        matched_fen -> BigInt,
        with_loan -> BigInt,
        loan_fen -> BigInt,
        enterprises -> Binary,
        first_loan_enterprises -> Binary,
        response_times -> Binary,
        outstanding_fen -> BigInt,
        overdue_fen -> BigInt,
        npl_fen -> BigInt,
        repaid -> BigInt,
        written_off_fen -> BigInt,
        fee_fen -> BigInt,
    }
}

diesel::table! {
    /// Risk sharing and compensation schemes (SPEC §3.15); `domain::risk` holds the rules.
    risk_schemes (id) {
        id -> BigInt,
        name -> Text,
        kind -> Text,
        region_prefix -> Nullable<Text>,
        capital_fen -> BigInt,
        leverage_units -> BigInt,
        capacity_fen -> BigInt,
        government_units -> BigInt,
        guarantor_units -> BigInt,
        reguarantor_units -> BigInt,
        bank_units -> BigInt,
        bonus_first_loan_units -> BigInt,
        bonus_credit_units -> BigInt,
        max_compensation_units -> BigInt,
        per_loan_cap_fen -> Nullable<BigInt>,
        eligibility -> Text,
        effective_from -> Date,
        effective_to -> Nullable<Date>,
        enrolled_fen -> BigInt,
        created_by_org -> BigInt,
        created_at -> Timestamp,
        committed_fen -> BigInt,
        paid_fen -> BigInt,
        recovered_fen -> BigInt,
    }
}

diesel::table! {
    compensation_claims (id) {
        id -> BigInt,
        scheme_id -> BigInt,
        enrollment_id -> BigInt,
        loan_id -> BigInt,
        enterprise_id -> BigInt,
        bank_id -> BigInt,
        guarantor_id -> Nullable<BigInt>,
        claimant_org_id -> BigInt,
        state -> Text,
        loss_principal_fen -> BigInt,
        base_fen -> BigInt,
        amount_fen -> BigInt,
        breakdown -> Text,
        reject_reason -> Nullable<Text>,
        paid_on -> Nullable<Date>,
        reference -> Nullable<Text>,
        recovered_fen -> BigInt,
        returned_fen -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    risk_enrollments (id) {
        id -> BigInt,
        scheme_id -> BigInt,
        loan_id -> BigInt,
        enterprise_id -> BigInt,
        bank_id -> BigInt,
        guarantor_id -> Nullable<BigInt>,
        principal_fen -> BigInt,
        enrolled_by_org -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Report deltas appended by writers, waiting to be folded into `stats_cells`.
    stats_pending (id) {
        id -> BigInt,
        fact -> Text,
        dim -> Text,
        group_key -> Text,
        grain -> Text,
        period -> Date,
        region_code -> Text,
        n -> BigInt,
        amount_fen -> BigInt,
        first_loan_fen -> BigInt,
        credit_fen -> BigInt,
        rate_amount -> Text,
        matched -> BigInt,
        matched_fen -> BigInt,
        with_loan -> BigInt,
        loan_fen -> BigInt,
        enterprises -> Binary,
        first_loan_enterprises -> Binary,
        response_times -> Binary,
        outstanding_fen -> BigInt,
        overdue_fen -> BigInt,
        npl_fen -> BigInt,
        repaid -> BigInt,
        written_off_fen -> BigInt,
        fee_fen -> BigInt,
    }
}

diesel::table! {
    stats_state (id) {
        id -> BigInt,
        built -> Bool,
    }
}

diesel::table! {
    calendar_days (day) {
        day -> Date,
        kind -> Text,
    }
}

diesel::table! {
    webhooks (id) {
        id -> BigInt,
        org_id -> BigInt,
        url -> Text,
        /// JSON array of event names.
        events -> Text,
        secret -> Text,
        active -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> BigInt,
        webhook_id -> BigInt,
        delivery_uid -> Text,
        event -> Text,
        payload -> Text,
        status -> Text,
        attempts -> BigInt,
        next_attempt_at -> Timestamp,
        locked_by -> Nullable<Text>,
        locked_until -> Nullable<Timestamp>,
        last_status_code -> Nullable<BigInt>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(match_events -> matches (match_id));
diesel::joinable!(loans -> matches (match_id));
diesel::joinable!(loan_events -> loans (loan_id));
diesel::joinable!(renewal_events -> renewals (renewal_id));
diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));
diesel::joinable!(subsidy_claims -> policies (policy_id));
diesel::table! {
    lpr_rates (effective_on) {
        effective_on -> Date,
        one_year_units -> BigInt,
        five_year_units -> BigInt,
    }
}

diesel::table! {
    policies (id) {
        id -> BigInt,
        owner_org_id -> BigInt,
        region_prefix -> Nullable<Text>,
        name -> Text,
        kind -> Text,
        effective_from -> Date,
        effective_to -> Nullable<Date>,
        budget_fen -> BigInt,
        eligibility -> Text,
        rule -> Text,
        status -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    subsidy_claims (id) {
        id -> BigInt,
        policy_id -> BigInt,
        loan_id -> Nullable<BigInt>,
        enterprise_id -> Nullable<BigInt>,
        payee_org_id -> BigInt,
        period_start -> Nullable<Date>,
        period_end -> Nullable<Date>,
        state -> Text,
        amount_fen -> BigInt,
        breakdown -> Text,
        submitted_by -> BigInt,
        reason -> Nullable<Text>,
        paid_on -> Nullable<Date>,
        payment_reference -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    targets (id) {
        id -> BigInt,
        owner_org_id -> BigInt,
        name -> Text,
        metric -> Text,
        /// Fen for amounts, a plain count otherwise.
        value_units -> BigInt,
        from_date -> Date,
        to_date -> Date,
        region_prefix -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    bridge_funds,
    bridge_loans,
    compensation_claims,
    risk_enrollments,
    risk_schemes,
    revoked_tokens,
    organizations,
    enterprises,
    users,
    qualifications,
    products,
    demands,
    catalog_shards,
    matches,
    match_events,
    loan_events,
    loans,
    renewal_events,
    renewals,
    calendar_days,
    webhooks,
    webhook_deliveries,
    lpr_rates,
    policies,
    subsidy_claims,
    targets,
);
