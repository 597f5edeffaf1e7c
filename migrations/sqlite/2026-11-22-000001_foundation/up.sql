-- Organizations: banks, guarantors, finance offices, enterprises and the platform operator.
CREATE TABLE organizations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('platform', 'bank', 'guarantor', 'finance_office', 'enterprise')),
    name TEXT NOT NULL,
    credit_code TEXT UNIQUE,
    region_code TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX organizations_kind_idx ON organizations (kind, id);
CREATE INDEX organizations_region_idx ON organizations (region_code);

-- The enterprise profile (one row per enterprise organization). Money in fen.
CREATE TABLE enterprises (
    org_id BIGINT PRIMARY KEY NOT NULL REFERENCES organizations (id),
    industry TEXT NOT NULL,
    employees BIGINT NOT NULL,
    annual_revenue_fen BIGINT NOT NULL,
    total_assets_fen BIGINT NOT NULL,
    established_on DATE NOT NULL,
    has_prior_loan BOOLEAN NOT NULL,
    size_class TEXT NOT NULL CHECK (size_class IN ('large', 'medium', 'small', 'micro')),
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id BIGINT NOT NULL REFERENCES organizations (id),
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX users_org_idx ON users (org_id);

-- Failed-login bookkeeping, shared by every instance (throttling survives restarts and scale-out).
CREATE TABLE login_throttle (
    username TEXT PRIMARY KEY NOT NULL,
    failures BIGINT NOT NULL,
    window_started_at TIMESTAMP NOT NULL,
    locked_until TIMESTAMP
);

-- Idempotency-Key records: the first response to (scope, key) is replayed for the same body.
CREATE TABLE idempotency_keys (
    scope TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status_code BIGINT,
    response_body TEXT,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (scope, idem_key)
);
