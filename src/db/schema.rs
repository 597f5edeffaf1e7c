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
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        org_id -> BigInt,
        username -> Text,
        password_hash -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    login_throttle (username) {
        username -> Text,
        failures -> BigInt,
        window_started_at -> Timestamp,
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
    }
}

diesel::joinable!(enterprises -> organizations (org_id));
diesel::joinable!(qualifications -> organizations (enterprise_id));
diesel::joinable!(products -> organizations (bank_id));
diesel::joinable!(demands -> organizations (enterprise_id));
diesel::joinable!(users -> organizations (org_id));
diesel::allow_tables_to_appear_in_same_query!(
    organizations,
    enterprises,
    users,
    qualifications,
    products,
    demands
);

diesel::table! {
    catalog_state (id) {
        id -> BigInt,
        products_version -> BigInt,
        demands_version -> BigInt,
    }
}
