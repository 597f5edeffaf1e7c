-- Award policies (SPEC §3.16): a lump-sum award is claimed by an enterprise without a loan or
-- a period; a guarantor award by a guarantor for a period, over many loans. So a claim's loan,
-- enterprise and period become optional — but a loan claim still has all three.
ALTER TABLE policies DROP CONSTRAINT policies_kind_check;
ALTER TABLE policies ADD CONSTRAINT policies_kind_check CHECK (kind IN
    ('interest_subsidy', 'guarantee_fee_subsidy', 'lump_sum_award', 'guarantor_award'));
ALTER TABLE subsidy_claims
    ALTER COLUMN loan_id DROP NOT NULL,
    ALTER COLUMN enterprise_id DROP NOT NULL,
    ALTER COLUMN period_start DROP NOT NULL,
    ALTER COLUMN period_end DROP NOT NULL;
ALTER TABLE subsidy_claims ADD CONSTRAINT subsidy_claims_shape_check CHECK (
    loan_id IS NULL
    OR (enterprise_id IS NOT NULL AND period_start IS NOT NULL AND period_end IS NOT NULL));
-- A lump-sum award is paid once per enterprise per policy (a rejected claim does not count).
CREATE UNIQUE INDEX subsidy_claims_one_award ON subsidy_claims (policy_id, enterprise_id)
    WHERE loan_id IS NULL AND enterprise_id IS NOT NULL AND state <> 'rejected';
CREATE INDEX subsidy_claims_payee_idx ON subsidy_claims (payee_org_id, policy_id);
