-- Risk sharing and compensation schemes (风险分担 / 风险补偿资金池, SPEC §3.15); the rules are
-- src/domain/risk.rs. Percents, points and leverage are stored in units of 1/10,000.
CREATE TABLE risk_schemes (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('compensation_pool', 'risk_sharing')),
    region_prefix TEXT,
    capital_fen BIGINT NOT NULL CHECK (capital_fen > 0),
    leverage_units BIGINT NOT NULL CHECK (leverage_units >= 10000),
    -- capital × leverage, to the fen: enrolled principal never exceeds it (the CHECK backs the
    -- conditional update that enrolls).
    capacity_fen BIGINT NOT NULL,
    government_units BIGINT NOT NULL,
    guarantor_units BIGINT NOT NULL,
    reguarantor_units BIGINT NOT NULL,
    bank_units BIGINT NOT NULL,
    bonus_first_loan_units BIGINT NOT NULL,
    bonus_credit_units BIGINT NOT NULL,
    max_compensation_units BIGINT NOT NULL,
    per_loan_cap_fen BIGINT,
    eligibility TEXT NOT NULL,
    effective_from DATE NOT NULL,
    effective_to DATE,
    enrolled_fen BIGINT NOT NULL DEFAULT 0,
    created_by_org BIGINT NOT NULL REFERENCES organizations (id),
    created_at TIMESTAMP NOT NULL,
    CHECK (enrolled_fen >= 0 AND enrolled_fen <= capacity_fen)
);

-- A loan enrolled in a scheme, with the principal it was enrolled for (its outstanding then).
CREATE TABLE risk_enrollments (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    scheme_id BIGINT NOT NULL REFERENCES risk_schemes (id),
    loan_id BIGINT NOT NULL REFERENCES loans (id),
    enterprise_id BIGINT NOT NULL REFERENCES organizations (id),
    bank_id BIGINT NOT NULL REFERENCES organizations (id),
    guarantor_id BIGINT,
    principal_fen BIGINT NOT NULL CHECK (principal_fen > 0),
    enrolled_by_org BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (scheme_id, loan_id)
);
CREATE INDEX risk_enrollments_scheme_idx ON risk_enrollments (scheme_id, id);
