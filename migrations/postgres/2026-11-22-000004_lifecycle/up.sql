-- Matches (对接): one demand meeting one product, moved through the lifecycle in
-- src/domain/lifecycle.rs. `live_key` is 'demand:product' while the match is live and NULL
-- once rejected or withdrawn, so the UNIQUE index allows one live match per pair.
CREATE TABLE matches (
    id BIGSERIAL PRIMARY KEY,
    demand_id BIGINT NOT NULL REFERENCES demands (id),
    product_id BIGINT NOT NULL REFERENCES products (id),
    bank_id BIGINT NOT NULL REFERENCES organizations (id),
    enterprise_id BIGINT NOT NULL REFERENCES organizations (id),
    state TEXT NOT NULL CHECK (state IN ('applied', 'accepted', 'approved', 'disbursed', 'rejected', 'withdrawn')),
    initiated_by TEXT NOT NULL CHECK (initiated_by IN ('enterprise', 'bank')),
    live_key TEXT UNIQUE,
    respond_by DATE,
    decide_by DATE,
    approved_amount_fen BIGINT,
    approved_rate_units BIGINT,
    approved_term_months BIGINT,
    disbursed_fen BIGINT NOT NULL,
    reject_reason_code TEXT,
    reject_reason TEXT,
    respond_overdue_notified BOOLEAN NOT NULL,
    decide_overdue_notified BOOLEAN NOT NULL,
    responded_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (approved_amount_fen IS NULL OR disbursed_fen <= approved_amount_fen)
);
CREATE INDEX matches_demand_idx ON matches (demand_id);
CREATE INDEX matches_product_idx ON matches (product_id);
CREATE INDEX matches_bank_idx ON matches (bank_id, id);
CREATE INDEX matches_enterprise_idx ON matches (enterprise_id, id);
CREATE INDEX matches_state_idx ON matches (state, id);

-- The audit trail: every transition and disbursement, never updated.
CREATE TABLE match_events (
    id BIGSERIAL PRIMARY KEY,
    match_id BIGINT NOT NULL REFERENCES matches (id),
    action TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    actor_user_id BIGINT NOT NULL,
    actor_org_id BIGINT NOT NULL,
    note TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX match_events_match_idx ON match_events (match_id, id);

-- Loans (放款): one row per disbursement.
CREATE TABLE loans (
    id BIGSERIAL PRIMARY KEY,
    match_id BIGINT NOT NULL REFERENCES matches (id),
    demand_id BIGINT NOT NULL REFERENCES demands (id),
    product_id BIGINT NOT NULL REFERENCES products (id),
    bank_id BIGINT NOT NULL REFERENCES organizations (id),
    enterprise_id BIGINT NOT NULL REFERENCES organizations (id),
    amount_fen BIGINT NOT NULL CHECK (amount_fen > 0),
    rate_units BIGINT NOT NULL,
    term_months BIGINT NOT NULL,
    disbursed_on DATE NOT NULL,
    first_loan BOOLEAN NOT NULL,
    guarantor_id BIGINT REFERENCES organizations (id),
    guarantee_fee_rate_units BIGINT,
    counter_guarantee TEXT CHECK (counter_guarantee IS NULL OR counter_guarantee IN ('credit', 'third_party', 'collateral')),
    created_by BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX loans_match_idx ON loans (match_id);
CREATE INDEX loans_bank_idx ON loans (bank_id, id);
CREATE INDEX loans_enterprise_idx ON loans (enterprise_id, id);
CREATE INDEX loans_guarantor_idx ON loans (guarantor_id, id);
CREATE INDEX loans_disbursed_idx ON loans (disbursed_on);

-- The working-day calendar: exceptions to Monday–Friday (法定节假日 and 调休 make-up days).
CREATE TABLE calendar_days (
    day DATE PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('holiday', 'workday'))
);

-- Webhook subscriptions of an organization.
CREATE TABLE webhooks (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organizations (id),
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    secret TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX webhooks_org_idx ON webhooks (org_id);

-- The transactional outbox: one row per (event, subscription), written in the same
-- transaction as the change, delivered at least once by the worker (src/jobs).
CREATE TABLE webhook_deliveries (
    id BIGSERIAL PRIMARY KEY,
    webhook_id BIGINT NOT NULL REFERENCES webhooks (id),
    delivery_uid TEXT NOT NULL UNIQUE,
    event TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts BIGINT NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    locked_by TEXT,
    locked_until TIMESTAMP,
    last_status_code BIGINT,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    delivered_at TIMESTAMP
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id, id);
