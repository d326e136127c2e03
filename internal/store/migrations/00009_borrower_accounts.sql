-- Borrowers sign in to the portal with one-time codes sent to the number or
-- address registered for them; third parties prove a number the same way. A
-- borrower's account is a user with role 'borrower' and borrower_id set, and no
-- password (its hash '!' matches none).
--
-- A code is kept only as a keyed hash (of its challenge id and the code), with
-- the masked destination, a count of wrong guesses and when it was used: one use.

-- +goose Up
ALTER TABLE users ADD COLUMN borrower_id TEXT REFERENCES borrowers (id);
CREATE UNIQUE INDEX users_borrower ON users (borrower_id) WHERE borrower_id IS NOT NULL;

CREATE TABLE otp_codes (
    id         TEXT PRIMARY KEY,
    purpose    TEXT NOT NULL,   -- 'borrower' or 'third_party'
    subject    TEXT NOT NULL,   -- the borrower's id, or the keyed hash of the number ('' for an unknown borrower)
    code_hash  TEXT NOT NULL,
    sent_to    TEXT NOT NULL,   -- masked
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    tries      INTEGER NOT NULL DEFAULT 0,
    used_at    BIGINT
);

-- +goose Down
DROP TABLE otp_codes;
DROP INDEX users_borrower;
ALTER TABLE users DROP COLUMN borrower_id;
