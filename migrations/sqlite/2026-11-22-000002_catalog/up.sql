-- Qualifications (资质) held by enterprises, with issuing level and validity dates.
CREATE TABLE qualifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    enterprise_id BIGINT NOT NULL REFERENCES organizations (id),
    kind TEXT NOT NULL CHECK (kind IN ('innovative_sme', 'specialized_sme', 'little_giant', 'single_champion',
                                       'high_tech', 'tech_sme', 'gazelle', 'unicorn')),
    level TEXT NOT NULL CHECK (level IN ('municipal', 'provincial', 'national')),
    certified_on DATE NOT NULL,
    expires_on DATE NOT NULL,
    certificate_no TEXT NOT NULL,
    created_by BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    CHECK (expires_on >= certified_on)
);
CREATE INDEX qualifications_enterprise_idx ON qualifications (enterprise_id, id);

-- Loan products (金融产品). Money in fen, rates in 1/10000 percent, lists and eligibility as JSON text.
CREATE TABLE products (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    bank_id BIGINT NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    product_type TEXT NOT NULL CHECK (product_type IN ('specialized_sme', 'first_loan', 'credit', 'little_giant',
        'tech_upgrade', 'renewal', 'ip_pledge', 'supply_chain', 'green', 'sci_tech', 'other')),
    min_amount_fen BIGINT NOT NULL,
    max_amount_fen BIGINT NOT NULL,
    min_term_months BIGINT NOT NULL,
    max_term_months BIGINT NOT NULL,
    min_rate_units BIGINT NOT NULL,
    max_rate_units BIGINT NOT NULL,
    guarantee_methods TEXT NOT NULL,
    response_sla_days BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'active', 'paused', 'retired')),
    eligibility TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (min_amount_fen > 0 AND min_amount_fen <= max_amount_fen),
    CHECK (min_term_months >= 1 AND min_term_months <= max_term_months AND max_term_months <= 360),
    CHECK (min_rate_units >= 0 AND min_rate_units <= max_rate_units)
);
CREATE INDEX products_bank_idx ON products (bank_id, id);
CREATE INDEX products_status_type_idx ON products (status, product_type, id);

-- Financing demands (融资需求) posted by enterprises.
CREATE TABLE demands (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    enterprise_id BIGINT NOT NULL REFERENCES organizations (id),
    amount_fen BIGINT NOT NULL CHECK (amount_fen > 0),
    term_months BIGINT NOT NULL CHECK (term_months BETWEEN 1 AND 360),
    purpose TEXT NOT NULL CHECK (purpose IN ('working_capital', 'equipment', 'technology_upgrade', 'rnd',
                                             'expansion', 'refinance', 'other')),
    guarantee_methods TEXT NOT NULL,
    max_rate_units BIGINT,
    preferred_product_types TEXT NOT NULL,
    needed_by DATE,
    description TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'in_progress', 'fulfilled', 'closed', 'expired')),
    closed_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX demands_enterprise_idx ON demands (enterprise_id, id);
CREATE INDEX demands_status_idx ON demands (status, id);
