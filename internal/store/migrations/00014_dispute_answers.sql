-- The lender's answers to a borrower's dispute: the text (sealed) and evidence
-- (stored as a complaint's is, content-addressed). Answering lifts the dispute
-- hold; the leaf records the text's and the files' SHA-256.

-- +goose Up
CREATE TABLE dispute_answers (
    id          TEXT PRIMARY KEY,
    borrower_id TEXT NOT NULL REFERENCES borrowers (id),
    text_enc    TEXT NOT NULL,
    actor       TEXT NOT NULL,
    answered_at BIGINT NOT NULL,
    leaf        BIGINT NOT NULL
);
CREATE INDEX dispute_answers_borrower ON dispute_answers (borrower_id, answered_at);

CREATE TABLE dispute_evidence (
    answer_id TEXT NOT NULL REFERENCES dispute_answers (id),
    sha256    TEXT NOT NULL REFERENCES evidence (sha256),
    name      TEXT NOT NULL,
    PRIMARY KEY (answer_id, sha256)
);

-- +goose Down
DROP TABLE dispute_evidence;
DROP TABLE dispute_answers;
