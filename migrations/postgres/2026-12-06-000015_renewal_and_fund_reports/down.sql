DROP INDEX bridge_loans_one_live_idx;
ALTER TABLE renewals DROP COLUMN decision_working_days;
DELETE FROM stats_cells WHERE fact IN ('renewal', 'bridge');
ALTER TABLE stats_cells DROP COLUMN fee_fen;
ALTER TABLE stats_cells DROP CONSTRAINT stats_cells_fact_check;
ALTER TABLE stats_cells ADD CONSTRAINT stats_cells_fact_check CHECK (fact IN ('loan', 'demand', 'match'));
