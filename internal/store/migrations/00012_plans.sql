-- Repayment plans: proposed by a borrower, accepted, countered or declined by the
-- lender's side; while one is active its borrower carries the plan_active hold.
-- instalments is the schedule as JSON: [{"due_date","amount","paid"}].

-- +goose Up
CREATE TABLE plans (
    id          TEXT PRIMARY KEY,
    borrower_id TEXT NOT NULL REFERENCES borrowers (id),
    debt_id     TEXT NOT NULL REFERENCES debts (id),
    state       TEXT NOT NULL,
    monthly     BIGINT NOT NULL,
    instalments TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX plans_borrower ON plans (borrower_id, created_at);
CREATE INDEX plans_state ON plans (state);

-- +goose Down
DROP TABLE plans;
