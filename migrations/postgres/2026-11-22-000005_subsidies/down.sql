DROP TABLE subsidy_claims;
DROP TABLE policies;
DROP TABLE lpr_rates;
