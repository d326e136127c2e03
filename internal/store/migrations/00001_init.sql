-- fairdebt schema. Portable SQL for SQLite and PostgreSQL: text ids, times as
-- BIGINT milliseconds since the Unix epoch (UTC), money as BIGINT minor units,
-- personal data sealed (AES-GCM, base64 text) with keyed-hash lookup columns.

-- +goose Up
CREATE TABLE lenders (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE agencies (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    approved   BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE borrowers (
    id               TEXT PRIMARY KEY,
    lender_id        TEXT NOT NULL REFERENCES lenders (id),
    name             TEXT NOT NULL,
    timezone         TEXT NOT NULL,
    pack             TEXT NOT NULL,
    id_number_enc    TEXT NOT NULL DEFAULT '',
    id_number_masked TEXT NOT NULL DEFAULT '',
    created_at       BIGINT NOT NULL
);
CREATE INDEX borrowers_lender ON borrowers (lender_id);

CREATE TABLE debts (
    id          TEXT PRIMARY KEY,
    borrower_id TEXT NOT NULL REFERENCES borrowers (id),
    lender_id   TEXT NOT NULL REFERENCES lenders (id),
    currency    TEXT NOT NULL,
    principal   BIGINT NOT NULL,
    fees        BIGINT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX debts_borrower ON debts (borrower_id);

CREATE TABLE installments (
    debt_id  TEXT NOT NULL REFERENCES debts (id),
    seq      INTEGER NOT NULL,
    due_date TEXT NOT NULL,
    amount   BIGINT NOT NULL,
    paid     BIGINT NOT NULL,
    PRIMARY KEY (debt_id, seq)
);

CREATE TABLE cases (
    id          TEXT PRIMARY KEY,
    debt_id     TEXT NOT NULL REFERENCES debts (id),
    borrower_id TEXT NOT NULL REFERENCES borrowers (id),
    agency_id   TEXT NOT NULL REFERENCES agencies (id),
    status      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX cases_agency ON cases (agency_id);
CREATE INDEX cases_borrower ON cases (borrower_id);

CREATE TABLE parties (
    id                 TEXT PRIMARY KEY,
    borrower_id        TEXT NOT NULL REFERENCES borrowers (id),
    role               TEXT NOT NULL,
    name               TEXT NOT NULL,
    relation           TEXT NOT NULL,
    consent_by         TEXT NOT NULL DEFAULT '',
    consent_method     TEXT NOT NULL DEFAULT '',
    consent_evidence   TEXT NOT NULL DEFAULT '',
    consent_at         BIGINT,
    consent_revoked_at BIGINT,
    objected_at        BIGINT,
    created_at         BIGINT NOT NULL
);
CREATE INDEX parties_borrower ON parties (borrower_id);

CREATE TABLE contact_methods (
    id         TEXT PRIMARY KEY,
    party_id   TEXT NOT NULL REFERENCES parties (id),
    kind       TEXT NOT NULL,
    value_enc  TEXT NOT NULL,
    value_hash TEXT NOT NULL,
    masked     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (party_id, value_hash)
);
CREATE INDEX contact_methods_hash ON contact_methods (value_hash);

CREATE TABLE optouts (
    party_id   TEXT NOT NULL REFERENCES parties (id),
    channel    TEXT NOT NULL,
    source     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (party_id, channel)
);

CREATE TABLE holds (
    borrower_id TEXT NOT NULL REFERENCES borrowers (id),
    hold        TEXT NOT NULL,
    note        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (borrower_id, hold)
);

CREATE TABLE attempts (
    id                   TEXT PRIMARY KEY,
    case_id              TEXT NOT NULL REFERENCES cases (id),
    borrower_id          TEXT NOT NULL REFERENCES borrowers (id),
    agency_id            TEXT NOT NULL REFERENCES agencies (id),
    party_id             TEXT NOT NULL REFERENCES parties (id),
    party_role           TEXT NOT NULL,
    contact_method_id    TEXT REFERENCES contact_methods (id),
    channel              TEXT NOT NULL,
    purpose              TEXT NOT NULL,
    at                   BIGINT NOT NULL,
    pack                 TEXT NOT NULL,
    allowed              BOOLEAN NOT NULL,
    decision             TEXT NOT NULL,
    message              TEXT NOT NULL,
    collectors           INTEGER NOT NULL,
    caller_id_registered BOOLEAN NOT NULL,
    result               TEXT,
    result_at            BIGINT,
    idempotency_key      TEXT
);
CREATE UNIQUE INDEX attempts_idempotency ON attempts (agency_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
-- One index serves both the snapshot (by borrower) and a case's list (a case's
-- attempts are its borrower's, filtered): every index is one more page per insert.
CREATE INDEX attempts_borrower_at ON attempts (borrower_id, at);

CREATE TABLE promises (
    id         TEXT PRIMARY KEY,
    case_id    TEXT NOT NULL REFERENCES cases (id),
    amount     BIGINT NOT NULL,
    due_date   TEXT NOT NULL,
    status     TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX promises_case ON promises (case_id);

CREATE TABLE api_tokens (
    id         TEXT PRIMARY KEY,
    hash       TEXT NOT NULL UNIQUE,
    scope      TEXT NOT NULL,
    agency_id  TEXT REFERENCES agencies (id),
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

-- +goose Down
DROP TABLE api_tokens;
DROP TABLE promises;
DROP TABLE attempts;
DROP TABLE holds;
DROP TABLE optouts;
DROP TABLE contact_methods;
DROP TABLE parties;
DROP TABLE cases;
DROP TABLE installments;
DROP TABLE debts;
DROP TABLE borrowers;
DROP TABLE agencies;
DROP TABLE lenders;
