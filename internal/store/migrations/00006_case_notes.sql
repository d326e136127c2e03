-- Notes on a case, written by the people who work it. A note is free text that may
-- hold personal data, so it is stored sealed (internal/secret), like contact values.

-- +goose Up
CREATE TABLE case_notes (
    id         TEXT PRIMARY KEY,
    case_id    TEXT NOT NULL REFERENCES cases (id),
    author     TEXT NOT NULL,   -- the principal's name: "user:<username>" or a token's name
    text_enc   TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX case_notes_case ON case_notes (case_id, created_at);

-- +goose Down
DROP TABLE case_notes;
