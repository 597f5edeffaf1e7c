DELETE FROM subsidy_claims WHERE loan_id IS NULL;
DELETE FROM policies WHERE kind IN ('lump_sum_award', 'guarantor_award');
-- SQLite cannot alter a CHECK or a NOT NULL: both tables are rebuilt (children first, so no
-- foreign key ever points at a dropped table), keeping every row and id.
CREATE TABLE policies_old AS SELECT * FROM policies;
CREATE TABLE claims_old AS SELECT * FROM subsidy_claims;
DROP TABLE subsidy_claims;
DROP TABLE policies;
CREATE TABLE policies (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_org_id BIGINT NOT NULL REFERENCES organizations (id),
    region_prefix TEXT,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('interest_subsidy', 'guarantee_fee_subsidy')),
    effective_from DATE NOT NULL,
    effective_to DATE,
    budget_fen BIGINT NOT NULL CHECK (budget_fen >= 0),
    eligibility TEXT NOT NULL,
    rule TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'suspended')),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
INSERT INTO policies (id, owner_org_id, region_prefix, name, kind, effective_from, effective_to, budget_fen, eligibility, rule, status, created_at, updated_at) SELECT id, owner_org_id, region_prefix, name, kind, effective_from, effective_to, budget_fen, eligibility, rule, status, created_at, updated_at FROM policies_old;

CREATE TABLE subsidy_claims (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    policy_id BIGINT NOT NULL REFERENCES policies (id),
    loan_id BIGINT NOT NULL REFERENCES loans (id),
    enterprise_id BIGINT NOT NULL REFERENCES organizations (id),
    payee_org_id BIGINT NOT NULL REFERENCES organizations (id),
    period_start DATE NOT NULL,
    period_end DATE NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('submitted', 'approved', 'rejected', 'paid')),
    amount_fen BIGINT NOT NULL CHECK (amount_fen >= 0),
    breakdown TEXT NOT NULL,
    submitted_by BIGINT NOT NULL,
    reason TEXT,
    paid_on DATE,
    payment_reference TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (period_end > period_start)
);
INSERT INTO subsidy_claims (id, policy_id, loan_id, enterprise_id, payee_org_id, period_start, period_end, state, amount_fen, breakdown, submitted_by, reason, paid_on, payment_reference, created_at, updated_at) SELECT id, policy_id, loan_id, enterprise_id, payee_org_id, period_start, period_end, state, amount_fen, breakdown, submitted_by, reason, paid_on, payment_reference, created_at, updated_at FROM claims_old;
DROP TABLE claims_old;
DROP TABLE policies_old;
CREATE INDEX subsidy_claims_policy_idx ON subsidy_claims (policy_id, state);
CREATE INDEX subsidy_claims_loan_idx ON subsidy_claims (loan_id, policy_id);
CREATE INDEX subsidy_claims_enterprise_idx ON subsidy_claims (enterprise_id, id);
