-- LPR (贷款市场报价利率) prints, rates in 1/10000 percent.
CREATE TABLE lpr_rates (
    effective_on DATE PRIMARY KEY NOT NULL,
    one_year_units BIGINT NOT NULL,
    five_year_units BIGINT NOT NULL
);
-- The published history (domain-notes §5); finance offices add new prints through the API.
INSERT INTO lpr_rates (effective_on, one_year_units, five_year_units) VALUES
    ('2019-08-20', 42500, 48500), ('2019-09-20', 42000, 48500), ('2019-11-20', 41500, 48000),
    ('2020-02-20', 40500, 47500), ('2020-04-20', 38500, 46500), ('2021-12-20', 38000, 46500),
    ('2022-01-20', 37000, 46000), ('2022-05-20', 37000, 44500), ('2022-08-22', 36500, 43000),
    ('2023-06-20', 35500, 42000), ('2023-08-21', 34500, 42000), ('2024-02-20', 34500, 39500),
    ('2024-07-22', 33500, 38500), ('2024-10-21', 31000, 36000), ('2025-05-20', 30000, 35000);

-- Subsidy policies: data a finance office writes. Rule and eligibility are JSON text.
CREATE TABLE policies (
    id BIGSERIAL PRIMARY KEY,
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

-- Subsidy claims: submitted → approved | rejected; approved → paid.
CREATE TABLE subsidy_claims (
    id BIGSERIAL PRIMARY KEY,
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
CREATE INDEX subsidy_claims_policy_idx ON subsidy_claims (policy_id, state);
CREATE INDEX subsidy_claims_loan_idx ON subsidy_claims (loan_id, policy_id);
CREATE INDEX subsidy_claims_enterprise_idx ON subsidy_claims (enterprise_id, id);
