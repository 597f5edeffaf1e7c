-- Report deltas a write appends in its transaction instead of updating the shared cells
-- (issue 14: no hot row on the write path). A background job on every instance folds them into
-- stats_cells (db::rollups::fold); readers add the rows still here, so reports stay exact.
-- The columns are stats_cells' columns.
CREATE TABLE stats_pending (
    id INTEGER PRIMARY KEY NOT NULL,
    fact TEXT NOT NULL,
    dim TEXT NOT NULL,
    group_key TEXT NOT NULL,
    grain TEXT NOT NULL,
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
    outstanding_fen BIGINT NOT NULL,
    overdue_fen BIGINT NOT NULL,
    npl_fen BIGINT NOT NULL,
    repaid BIGINT NOT NULL,
    written_off_fen BIGINT NOT NULL,
    fee_fen BIGINT NOT NULL
);
