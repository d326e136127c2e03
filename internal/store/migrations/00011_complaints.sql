-- Complaints. A borrower files one in the portal, with evidence; the lender's
-- staff acknowledge, investigate and respond within the borrower's rule pack's
-- deadline (due_at; extended_due_at once extended), else it is escalated to the
-- regulator view; the borrower rates the response (unsatisfied escalates too).
-- Every state is a row of complaint_events and an audit leaf; the filing's leaf
-- is the borrower's receipt. Texts are sealed.
--
-- Evidence is stored once per content, addressed by its SHA-256 (of the file as
-- uploaded), sealed.

-- +goose Up
CREATE TABLE complaints (
    id              TEXT PRIMARY KEY,
    borrower_id     TEXT NOT NULL REFERENCES borrowers (id),
    case_id         TEXT NOT NULL DEFAULT '',
    agency_id       TEXT NOT NULL DEFAULT '',
    pack            TEXT NOT NULL,
    timezone        TEXT NOT NULL,
    category        TEXT NOT NULL,
    text_enc        TEXT NOT NULL,
    state           TEXT NOT NULL,
    filed_at        BIGINT NOT NULL,
    due_at          BIGINT NOT NULL,
    extended        BOOLEAN NOT NULL DEFAULT FALSE,
    response_enc    TEXT NOT NULL DEFAULT '',
    rating          TEXT NOT NULL DEFAULT '',
    escalated_at    BIGINT,
    receipt_leaf    BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX complaints_borrower ON complaints (borrower_id, filed_at);
CREATE INDEX complaints_open ON complaints (state, due_at);

CREATE TABLE complaint_events (
    complaint_id TEXT NOT NULL REFERENCES complaints (id),
    seq          INTEGER NOT NULL,
    at           BIGINT NOT NULL,
    state        TEXT NOT NULL,
    actor        TEXT NOT NULL,
    note_enc     TEXT NOT NULL DEFAULT '',
    leaf         BIGINT NOT NULL,
    PRIMARY KEY (complaint_id, seq)
);

CREATE TABLE evidence (
    sha256     TEXT PRIMARY KEY,
    size       BIGINT NOT NULL,
    type       TEXT NOT NULL,
    data_enc   TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE complaint_evidence (
    complaint_id TEXT NOT NULL REFERENCES complaints (id),
    sha256       TEXT NOT NULL REFERENCES evidence (sha256),
    name         TEXT NOT NULL,
    PRIMARY KEY (complaint_id, sha256)
);

-- +goose Down
DROP TABLE complaint_evidence;
DROP TABLE evidence;
DROP TABLE complaint_events;
DROP TABLE complaints;
