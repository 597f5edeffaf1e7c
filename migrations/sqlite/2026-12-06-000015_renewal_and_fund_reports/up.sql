-- Reports on renewals and bridge funds (SPEC §3.13–3.14) come from the rollup cells too
-- (facts `renewal` and `bridge`): bridges add the fees they earned.
-- SQLite cannot change a CHECK: the cells (rebuilt on the next start anyway) get a new table.
DROP TABLE stats_cells;
CREATE TABLE stats_cells (
    fact TEXT NOT NULL CHECK (fact IN ('loan', 'demand', 'match', 'renewal', 'bridge')),
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
    fee_fen BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (fact, dim, grain, period, region_code, group_key)
);
-- How many working days the bank took to decide, kept as it was on the day of the decision
-- (the calendar may change later; a rebuild counts what the write counted).
ALTER TABLE renewals ADD COLUMN decision_working_days BIGINT CHECK (decision_working_days >= 0);
-- At most one live bridge per renewal, whoever races.
CREATE UNIQUE INDEX bridge_loans_one_live_idx ON bridge_loans (renewal_id)
    WHERE state IN ('requested', 'approved', 'disbursed', 'overdue');
-- The cells of existing renewals and bridges are built on the next start.
UPDATE stats_state SET built = FALSE;
