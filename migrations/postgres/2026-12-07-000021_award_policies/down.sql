DROP INDEX subsidy_claims_payee_idx;
DROP INDEX subsidy_claims_one_award;
DELETE FROM subsidy_claims WHERE loan_id IS NULL;
DELETE FROM policies WHERE kind IN ('lump_sum_award', 'guarantor_award');
ALTER TABLE subsidy_claims DROP CONSTRAINT subsidy_claims_shape_check;
ALTER TABLE subsidy_claims
    ALTER COLUMN loan_id SET NOT NULL,
    ALTER COLUMN enterprise_id SET NOT NULL,
    ALTER COLUMN period_start SET NOT NULL,
    ALTER COLUMN period_end SET NOT NULL;
ALTER TABLE policies DROP CONSTRAINT policies_kind_check;
ALTER TABLE policies ADD CONSTRAINT policies_kind_check
    CHECK (kind IN ('interest_subsidy', 'guarantee_fee_subsidy'));
