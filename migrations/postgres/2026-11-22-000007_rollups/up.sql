-- Reporting rollups (统计口径: a record counts where and as what it was when it was made).
-- Snapshots on the fact rows, so that a later change of an enterprise's region, size class or
-- qualifications neither rewrites history nor leaves a rollup cell it cannot find again.
ALTER TABLE demands ADD COLUMN region_code TEXT NOT NULL DEFAULT '';
ALTER TABLE demands ADD COLUMN matched_at TIMESTAMP;
ALTER TABLE demands ADD COLUMN loaned_at TIMESTAMP;
ALTER TABLE matches ADD COLUMN region_code TEXT NOT NULL DEFAULT '';
ALTER TABLE matches ADD COLUMN size_class TEXT NOT NULL DEFAULT '';
ALTER TABLE matches ADD COLUMN qualification_kinds TEXT NOT NULL DEFAULT '';
ALTER TABLE matches ADD COLUMN product_type TEXT NOT NULL DEFAULT '';
ALTER TABLE loans ADD COLUMN region_code TEXT NOT NULL DEFAULT '';
ALTER TABLE loans ADD COLUMN size_class TEXT NOT NULL DEFAULT '';
ALTER TABLE loans ADD COLUMN qualification_kinds TEXT NOT NULL DEFAULT '';
ALTER TABLE loans ADD COLUMN product_type TEXT NOT NULL DEFAULT '';
ALTER TABLE loans ADD COLUMN credit BOOLEAN NOT NULL DEFAULT FALSE;

UPDATE demands SET
    region_code = COALESCE((SELECT o.region_code FROM organizations o WHERE o.id = demands.enterprise_id), ''),
    matched_at = (SELECT MIN(m.created_at) FROM matches m WHERE m.demand_id = demands.id),
    loaned_at = (SELECT MIN(l.created_at) FROM loans l WHERE l.demand_id = demands.id);
UPDATE matches SET
    region_code = COALESCE((SELECT o.region_code FROM organizations o WHERE o.id = matches.enterprise_id), ''),
    size_class = COALESCE((SELECT e.size_class FROM enterprises e WHERE e.org_id = matches.enterprise_id), ''),
    qualification_kinds = COALESCE((SELECT string_agg(kind, ',' ORDER BY kind) FROM (
        SELECT DISTINCT q.kind FROM qualifications q
        WHERE q.enterprise_id = matches.enterprise_id
          AND q.certified_on <= CAST(matches.created_at AS DATE) AND CAST(matches.created_at AS DATE) <= q.expires_on
        ORDER BY q.kind) k), ''),
    product_type = COALESCE((SELECT p.product_type FROM products p WHERE p.id = matches.product_id), '');
UPDATE loans SET
    region_code = COALESCE((SELECT o.region_code FROM organizations o WHERE o.id = loans.enterprise_id), ''),
    size_class = COALESCE((SELECT e.size_class FROM enterprises e WHERE e.org_id = loans.enterprise_id), ''),
    qualification_kinds = COALESCE((SELECT string_agg(kind, ',' ORDER BY kind) FROM (
        SELECT DISTINCT q.kind FROM qualifications q
        WHERE q.enterprise_id = loans.enterprise_id
          AND q.certified_on <= loans.disbursed_on AND loans.disbursed_on <= q.expires_on
        ORDER BY q.kind) k), ''),
    product_type = COALESCE((SELECT p.product_type FROM products p WHERE p.id = loans.product_id), ''),
    credit = (loans.guarantor_id IS NULL AND EXISTS (
        SELECT 1 FROM products p WHERE p.id = loans.product_id AND p.guarantee_methods LIKE '%"credit"%'));

-- Range reads of matches by creation date (bank supervision).
CREATE INDEX matches_created_idx ON matches (created_at);

-- One row per (fact, dimension, group key, grain, period, region): the additive figures and
-- the sets of enterprises (roaring bitmaps) that make distinct counts exact over any range.
-- `grain` is 'day' or 'month' (period = its first day): a range reads whole months plus the
-- days at its ragged edges. Columns a fact does not use stay 0.
CREATE TABLE stats_cells (
    fact TEXT NOT NULL CHECK (fact IN ('loan', 'demand', 'match')),
    dim TEXT NOT NULL,
    group_key TEXT NOT NULL,
    grain TEXT NOT NULL CHECK (grain IN ('day', 'month')),
    period DATE NOT NULL,
    region_code TEXT NOT NULL,
    n BIGINT NOT NULL,
    amount_fen BIGINT NOT NULL,
    first_loan_fen BIGINT NOT NULL,
    credit_fen BIGINT NOT NULL,
    rate_amount TEXT NOT NULL,
    matched BIGINT NOT NULL,
    matched_fen BIGINT NOT NULL,
    with_loan BIGINT NOT NULL,
    loan_fen BIGINT NOT NULL,
    enterprises BYTEA NOT NULL,
    first_loan_enterprises BYTEA NOT NULL,
    response_times BYTEA NOT NULL,
    PRIMARY KEY (fact, dim, grain, period, region_code, group_key)
);

-- Whether stats_cells reflects the fact tables (false until the first rebuild after this
-- migration; `finmatch` rebuilds on start).
CREATE TABLE stats_state (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    built BOOLEAN NOT NULL
);
INSERT INTO stats_state (id, built) VALUES (1, FALSE);
