-- The audit log, faster to append to and to prove from:
--
--  * audit_leaves is keyed by its rowid (INTEGER PRIMARY KEY is SQLite's alias for
--    it), so that an append writes one B-tree instead of three: the table, its
--    primary-key index and the ref index. PostgreSQL's migrations use BIGINT.
--  * A leaf no longer carries a free-text ref: the rows of the events it records
--    name it instead (attempts.decision_leaf and attempts.outcome_leaf), which is
--    what a receipt is looked up by.
--  * audit_tiles holds the tree's stored hashes again, grouped in tiles: a tile of
--    tile level T and index j holds the 510 hashes of tree levels 8T to 8T+7 under
--    hashes j*256 … j*256+255 of level 8T, in tlog's stored-hash order. A tile is
--    written once, in the transaction of the leaf that completes it, and never
--    changes. An inclusion proof then reads one tile per tile level (three at ten
--    million leaves) instead of one leaf row per tree level (24).

-- +goose Up
ALTER TABLE attempts ADD COLUMN decision_leaf BIGINT;
ALTER TABLE attempts ADD COLUMN outcome_leaf BIGINT;
UPDATE attempts SET
    decision_leaf = (SELECT idx FROM audit_leaves l WHERE l.ref = 'attempt/' || attempts.id ORDER BY idx LIMIT 1),
    outcome_leaf  = (SELECT idx FROM audit_leaves l WHERE l.ref = 'attempt/' || attempts.id ORDER BY idx LIMIT 1 OFFSET 1);

CREATE TABLE audit_leaves_v3 (
    idx        INTEGER PRIMARY KEY,
    data       TEXT NOT NULL,   -- canonical JSON of the event; no clear-text personal data
    -- The tree hashes that appending this leaf completes (tlog.StoredHashes): the
    -- leaf's own hash, then one per complete subtree it closes, level by level;
    -- concatenated, base64. The hash of subtree (level L, index k) is in leaf
    -- (k+1)*2^L - 1, at position L.
    hashes     TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
INSERT INTO audit_leaves_v3 (idx, data, hashes, created_at) SELECT idx, data, hashes, created_at FROM audit_leaves ORDER BY idx;
DROP TABLE audit_leaves;
ALTER TABLE audit_leaves_v3 RENAME TO audit_leaves;

CREATE TABLE audit_tiles (
    level  INTEGER NOT NULL,  -- tile level T: tree levels 8T to 8T+7
    idx    BIGINT NOT NULL,   -- tile index j at that level
    hashes BLOB NOT NULL,     -- 510 hashes of 32 bytes, in tlog's stored-hash order
    PRIMARY KEY (level, idx)
);

-- +goose Down
DROP TABLE audit_tiles;
CREATE TABLE audit_leaves_v2 (
    idx        BIGINT PRIMARY KEY,
    ref        TEXT NOT NULL,
    data       TEXT NOT NULL,
    hashes     TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
INSERT INTO audit_leaves_v2 (idx, ref, data, hashes, created_at)
    SELECT l.idx, COALESCE((SELECT 'attempt/' || a.id FROM attempts a WHERE a.decision_leaf = l.idx OR a.outcome_leaf = l.idx), ''),
           l.data, l.hashes, l.created_at
    FROM audit_leaves l;
DROP TABLE audit_leaves;
ALTER TABLE audit_leaves_v2 RENAME TO audit_leaves;
CREATE INDEX audit_leaves_ref ON audit_leaves (ref);
ALTER TABLE attempts DROP COLUMN outcome_leaf;
ALTER TABLE attempts DROP COLUMN decision_leaf;
