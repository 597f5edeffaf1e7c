-- Reports on renewals and bridge funds (SPEC §3.13–3.14) come from the rollup cells too
-- (facts `renewal` and `bridge`): bridges add the fees they earned.
ALTER TABLE stats_cells ADD COLUMN fee_fen BIGINT NOT NULL DEFAULT 0;
ALTER TABLE stats_cells DROP CONSTRAINT stats_cells_fact_check;
ALTER TABLE stats_cells ADD CONSTRAINT stats_cells_fact_check
    CHECK (fact IN ('loan', 'demand', 'match', 'renewal', 'bridge'));
-- How many working days the bank took to decide, kept as it was on the day of the decision
-- (the calendar may change later; a rebuild counts what the write counted).
ALTER TABLE renewals ADD COLUMN decision_working_days BIGINT CHECK (decision_working_days >= 0);
-- At most one live bridge per renewal, whoever races.
CREATE UNIQUE INDEX bridge_loans_one_live_idx ON bridge_loans (renewal_id)
    WHERE state IN ('requested', 'approved', 'disbursed', 'overdue');
-- The cells of existing renewals and bridges are built on the next start.
UPDATE stats_state SET built = FALSE;
