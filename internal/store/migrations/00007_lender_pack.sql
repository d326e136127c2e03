-- The rule pack a lender chooses for its borrowers. A borrower created without a
-- pack of its own gets its lender's; '' means the server's default pack.

-- +goose Up
ALTER TABLE lenders ADD COLUMN pack TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE lenders DROP COLUMN pack;
