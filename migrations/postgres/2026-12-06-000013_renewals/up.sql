-- Renewals (续贷 / 无还本续贷, SPEC §3.13): asked for by the enterprise or the loan's bank, decided
-- by the bank by `respond_by`, disbursed as a new loan that closes the old one as `renewed`.
-- src/domain/renewal.rs is the state machine.
CREATE TABLE renewals (
    id BIGSERIAL PRIMARY KEY,
    loan_id BIGINT NOT NULL REFERENCES loans (id),
    bank_id BIGINT NOT NULL REFERENCES organizations (id),
    enterprise_id BIGINT NOT NULL REFERENCES organizations (id),
    state TEXT NOT NULL CHECK (state IN ('requested', 'approved', 'rejected', 'withdrawn', 'disbursed')),
    amount_fen BIGINT NOT NULL CHECK (amount_fen > 0),
    term_months BIGINT NOT NULL,
    no_principal_repayment BOOLEAN NOT NULL,
    note TEXT,
    respond_by DATE NOT NULL,
    approved_amount_fen BIGINT,
    approved_rate_units BIGINT,
    approved_term_months BIGINT,
    reject_reason_code TEXT,
    reject_reason TEXT,
    new_loan_id BIGINT REFERENCES loans (id),
    requested_by BIGINT NOT NULL,
    decided_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
-- At most one live renewal per loan, kept by the database.
CREATE UNIQUE INDEX renewals_one_live_idx ON renewals (loan_id) WHERE state IN ('requested', 'approved');
CREATE INDEX renewals_bank_idx ON renewals (bank_id, id);
CREATE INDEX renewals_enterprise_idx ON renewals (enterprise_id, id);
CREATE INDEX renewals_state_idx ON renewals (state, respond_by);

CREATE TABLE renewal_events (
    id BIGSERIAL PRIMARY KEY,
    renewal_id BIGINT NOT NULL REFERENCES renewals (id),
    action TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    actor_user_id BIGINT NOT NULL,
    actor_org_id BIGINT NOT NULL,
    note TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX renewal_events_renewal_idx ON renewal_events (renewal_id, id);

-- The loan a renewal loan renews.
ALTER TABLE loans ADD COLUMN renewal_of BIGINT REFERENCES loans (id);
