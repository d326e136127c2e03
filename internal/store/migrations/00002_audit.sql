-- The tamper-evident audit log (internal/audit): leaves, with the Merkle tree's
-- stored hashes (golang.org/x/mod/sumdb/tlog's layout), and signed checkpoints.
-- Hashes are base64 (standard) text, portable to PostgreSQL. Rows are only ever
-- inserted.

-- +goose Up
CREATE TABLE audit_leaves (
    idx        BIGINT PRIMARY KEY,
    ref        TEXT NOT NULL,   -- what the leaf is about, to find its receipts: "attempt/<id>"
    data       TEXT NOT NULL,   -- canonical JSON of the event; no clear-text personal data
    -- The tree hashes that appending this leaf completes (tlog.StoredHashes): the
    -- leaf's own hash, then one per complete subtree it closes, level by level;
    -- concatenated, base64. The hash of subtree (level L, index k) is in leaf
    -- (k+1)*2^L - 1, at position L.
    hashes     TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX audit_leaves_ref ON audit_leaves (ref);

CREATE TABLE audit_checkpoints (
    size       BIGINT PRIMARY KEY,
    root       TEXT NOT NULL,
    note       TEXT NOT NULL,   -- the signed note (golang.org/x/mod/sumdb/note)
    created_at BIGINT NOT NULL
);

-- +goose Down
DROP TABLE audit_checkpoints;
DROP TABLE audit_leaves;
