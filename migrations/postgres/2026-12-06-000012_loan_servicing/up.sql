-- Loan servicing (贷后管理, SPEC §3.12): a loan's maturity, outstanding principal and status,
-- kept by the events its bank reports (src/domain/servicing.rs is the state machine).
ALTER TABLE loans ADD COLUMN maturity_on DATE;
-- make_interval clamps a day past the month's end to its last day, like the domain.
UPDATE loans SET maturity_on = (disbursed_on + make_interval(months => term_months::int))::date;
ALTER TABLE loans ALTER COLUMN maturity_on SET NOT NULL;
ALTER TABLE loans ADD COLUMN outstanding_fen BIGINT;
UPDATE loans SET outstanding_fen = amount_fen;
ALTER TABLE loans ALTER COLUMN outstanding_fen SET NOT NULL;
ALTER TABLE loans ADD CONSTRAINT loans_outstanding_range CHECK (outstanding_fen >= 0 AND outstanding_fen <= amount_fen);
ALTER TABLE loans ADD COLUMN status TEXT NOT NULL DEFAULT 'current'
    CHECK (status IN ('current', 'overdue', 'npl', 'repaid', 'renewed', 'written_off'));
ALTER TABLE loans ADD COLUMN written_off_fen BIGINT NOT NULL DEFAULT 0 CHECK (written_off_fen >= 0);
-- The date of the last event: a new one may not precede it.
ALTER TABLE loans ADD COLUMN last_event_on DATE;
-- `loan.maturing` is sent once per loan: the scan claims a loan by setting this.
ALTER TABLE loans ADD COLUMN maturing_announced BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX loans_maturing_idx ON loans (maturity_on) WHERE NOT maturing_announced;
CREATE INDEX loans_status_idx ON loans (status, id);
CREATE INDEX loans_maturity_idx ON loans (maturity_on, id);

-- What the bank reported, in order; the loan row holds the result.
CREATE TABLE loan_events (
    id BIGSERIAL PRIMARY KEY,
    loan_id BIGINT NOT NULL REFERENCES loans (id),
    kind TEXT NOT NULL CHECK (kind IN ('repayment', 'overdue', 'cured', 'npl', 'recovery', 'written_off', 'renewed')),
    on_date DATE NOT NULL,
    principal_fen BIGINT CHECK (principal_fen IS NULL OR principal_fen > 0),
    interest_fen BIGINT CHECK (interest_fen IS NULL OR interest_fen >= 0),
    note TEXT,
    status_after TEXT NOT NULL,
    outstanding_after_fen BIGINT NOT NULL,
    actor_user_id BIGINT NOT NULL,
    actor_org_id BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX loan_events_loan_idx ON loan_events (loan_id, id);

-- Servicing figures of the loan cells (by disbursement date, as every loan figure): principal
-- outstanding, the outstanding of overdue and of NPL loans, loans repaid, amount written off.
-- No loan has events yet, so every loan's whole amount is outstanding.
ALTER TABLE stats_cells ADD COLUMN outstanding_fen BIGINT NOT NULL DEFAULT 0;
ALTER TABLE stats_cells ADD COLUMN overdue_fen BIGINT NOT NULL DEFAULT 0;
ALTER TABLE stats_cells ADD COLUMN npl_fen BIGINT NOT NULL DEFAULT 0;
ALTER TABLE stats_cells ADD COLUMN repaid BIGINT NOT NULL DEFAULT 0;
ALTER TABLE stats_cells ADD COLUMN written_off_fen BIGINT NOT NULL DEFAULT 0;
UPDATE stats_cells SET outstanding_fen = amount_fen WHERE fact = 'loan';
