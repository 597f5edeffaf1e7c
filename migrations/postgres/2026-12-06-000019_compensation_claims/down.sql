DROP TABLE compensation_claims;
ALTER TABLE risk_schemes DROP COLUMN recovered_fen;
ALTER TABLE risk_schemes DROP COLUMN paid_fen;
ALTER TABLE risk_schemes DROP COLUMN committed_fen;
