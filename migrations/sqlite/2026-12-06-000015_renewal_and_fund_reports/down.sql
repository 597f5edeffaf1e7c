DROP INDEX bridge_loans_one_live_idx;
ALTER TABLE renewals DROP COLUMN decision_working_days;
DROP TABLE stats_cells;
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
    enterprises BLOB NOT NULL,
    first_loan_enterprises BLOB NOT NULL,
    response_times BLOB NOT NULL,
    outstanding_fen BIGINT NOT NULL DEFAULT 0,
    overdue_fen BIGINT NOT NULL DEFAULT 0,
    npl_fen BIGINT NOT NULL DEFAULT 0,
    repaid BIGINT NOT NULL DEFAULT 0,
    written_off_fen BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (fact, dim, grain, period, region_code, group_key)
);
UPDATE stats_state SET built = FALSE;
