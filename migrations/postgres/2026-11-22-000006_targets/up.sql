-- Finance-office targets (e.g. "3000亿 from 10 banks to 10,000 enterprises in 2021").
CREATE TABLE targets (
    id BIGSERIAL PRIMARY KEY,
    owner_org_id BIGINT NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    metric TEXT NOT NULL CHECK (metric IN ('disbursed_amount', 'enterprises_served', 'first_loan_enterprises', 'participating_banks')),
    value_units BIGINT NOT NULL CHECK (value_units > 0),
    from_date DATE NOT NULL,
    to_date DATE NOT NULL,
    region_prefix TEXT,
    created_at TIMESTAMP NOT NULL,
    CHECK (to_date >= from_date)
);
