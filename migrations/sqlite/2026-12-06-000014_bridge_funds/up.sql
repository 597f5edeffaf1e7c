-- Bridge funds (应急转贷资金, SPEC §3.14): a government fund lends briefly so an enterprise can
-- repay a maturing loan its bank committed to renew. src/domain/bridge.rs holds the rules.
CREATE TABLE bridge_funds (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    name TEXT NOT NULL,
    capital_fen BIGINT NOT NULL CHECK (capital_fen > 0),
    -- Principal of bridges approved, disbursed or overdue: an approval adds to it with a
    -- conditional update that keeps it within the capital, so approvals never overdraw.
    reserved_fen BIGINT NOT NULL DEFAULT 0 CHECK (reserved_fen >= 0 AND reserved_fen <= capital_fen),
    region_prefix TEXT,
    daily_fee_rate_units BIGINT NOT NULL,
    max_days BIGINT NOT NULL,
    max_amount_fen BIGINT NOT NULL,
    max_share_units BIGINT NOT NULL,
    eligibility TEXT NOT NULL,
    created_by_org BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE bridge_loans (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    fund_id BIGINT NOT NULL REFERENCES bridge_funds (id),
    loan_id BIGINT NOT NULL REFERENCES loans (id),
    renewal_id BIGINT NOT NULL REFERENCES renewals (id),
    enterprise_id BIGINT NOT NULL REFERENCES organizations (id),
    bank_id BIGINT NOT NULL REFERENCES organizations (id),
    amount_fen BIGINT NOT NULL CHECK (amount_fen > 0),
    days BIGINT NOT NULL CHECK (days > 0),
    state TEXT NOT NULL CHECK (state IN ('requested', 'approved', 'rejected', 'disbursed', 'repaid', 'overdue')),
    reject_reason TEXT,
    disbursed_on DATE,
    due_on DATE,
    repaid_on DATE,
    fee_fen BIGINT,
    fee_breakdown TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX bridge_loans_fund_idx ON bridge_loans (fund_id, id);
CREATE INDEX bridge_loans_enterprise_idx ON bridge_loans (enterprise_id, id);
CREATE INDEX bridge_loans_due_idx ON bridge_loans (state, due_on);
