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

diesel::joinable!(enterprises -> organizations (org_id));
diesel::joinable!(users -> organizations (org_id));
diesel::allow_tables_to_appear_in_same_query!(organizations, enterprises, users);
