-- Compensation claims on risk schemes (SPEC §3.15): the amount is src/domain/risk.rs's. A
-- scheme's balance = capital − compensation approved or paid + what recoveries returned; an
-- approval takes from it by one conditional update (the CHECK backs it).
ALTER TABLE risk_schemes ADD COLUMN committed_fen BIGINT NOT NULL DEFAULT 0;
ALTER TABLE risk_schemes ADD COLUMN paid_fen BIGINT NOT NULL DEFAULT 0;
ALTER TABLE risk_schemes ADD COLUMN recovered_fen BIGINT NOT NULL DEFAULT 0;

CREATE TABLE compensation_claims (
    id BIGSERIAL PRIMARY KEY,
    scheme_id BIGINT NOT NULL REFERENCES risk_schemes (id),
    -- One claim per enrollment.
    enrollment_id BIGINT NOT NULL UNIQUE REFERENCES risk_enrollments (id),
    loan_id BIGINT NOT NULL REFERENCES loans (id),
    enterprise_id BIGINT NOT NULL,
    bank_id BIGINT NOT NULL,
    guarantor_id BIGINT,
    claimant_org_id BIGINT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('submitted', 'approved', 'rejected', 'paid')),
    loss_principal_fen BIGINT NOT NULL CHECK (loss_principal_fen > 0),
    base_fen BIGINT NOT NULL,
    amount_fen BIGINT NOT NULL,
    breakdown TEXT NOT NULL,
    reject_reason TEXT,
    paid_on DATE,
    reference TEXT,
    recovered_fen BIGINT NOT NULL DEFAULT 0,
    returned_fen BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX compensation_claims_scheme_idx ON compensation_claims (scheme_id, id);
