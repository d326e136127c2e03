-- +fairdebt PostgreSQL only
-- (SQLite runs an empty migration in this one's place: see store.migrationsFor.)
--
-- On PostgreSQL, attempts (by at) and audit_leaves (by created_at), the two
-- tables that grow with every decision, are range-partitioned by month (UTC,
-- in Unix milliseconds like the columns), so that old months can be detached,
-- archived or dropped one table at a time and a query for a time window reads
-- only its months. Each table gets a DEFAULT partition that takes every row no
-- month partition covers, so a row of any time has a home. The month
-- partitions are made by store.EnsurePartitions (at open, then daily), named
-- attempts_y2026m05 and audit_leaves_y2026m05; rows already in the database
-- when this migration runs all go to the DEFAULT partition, and the months
-- they are in get no partition of their own. Adding a month scans the DEFAULT
-- partition while every write waits, so the DEFAULT partition of a large
-- database migrated here is best emptied into partitions of its months (or
-- one partition for all of them) in a maintenance window.
--
-- PostgreSQL has no index across partitions, and a unique index on a
-- partitioned table must include the partition key: a primary key on
-- (id, at) would let the same id be recorded in two months, and a trigger
-- that looked for the id in the other partitions would not see what a
-- concurrent transaction has not committed yet. What must stay
-- unique is therefore also written to a small unpartitioned table, by a
-- trigger on the partitioned one, whose own unique indexes the database
-- enforces as before (a second transaction inserting the same key waits for
-- the first and fails if it commits):
--
--  * attempts_unique: an attempt's id, and its (agency_id, idempotency_key)
--    when it has a key;
--  * audit_leaves_unique: a leaf's idx.
--
-- The triggers keep them exact on INSERT, DELETE and on an UPDATE that changes
-- a key (an UPDATE that moves a row to another partition runs the DELETE and
-- INSERT triggers instead). Writers need not change: the keys are written in
-- the statement, and the transaction, that writes the row. Dropping,
-- detaching or truncating a partition fires no row trigger and leaves its
-- keys behind, still taken: an id is never used twice. The partitioned tables
-- keep plain indexes on the same columns for the lookups by id and idx.
--
-- No foreign key refers to either table. The foreign keys from attempts are
-- kept.

-- +goose Up
ALTER TABLE attempts RENAME TO attempts_unpartitioned;
-- LIKE copies the columns in their order, with NOT NULL and the defaults.
CREATE TABLE attempts (LIKE attempts_unpartitioned INCLUDING ALL EXCLUDING INDEXES) PARTITION BY RANGE (at);
CREATE TABLE attempts_default PARTITION OF attempts DEFAULT;
INSERT INTO attempts SELECT * FROM attempts_unpartitioned;

CREATE TABLE attempts_unique (
    id              TEXT PRIMARY KEY,
    agency_id       TEXT NOT NULL,
    idempotency_key TEXT
);
CREATE UNIQUE INDEX attempts_unique_idempotency ON attempts_unique (agency_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
INSERT INTO attempts_unique (id, agency_id, idempotency_key) SELECT id, agency_id, idempotency_key FROM attempts_unpartitioned;
DROP TABLE attempts_unpartitioned;

ALTER TABLE attempts
    ADD FOREIGN KEY (case_id) REFERENCES cases (id),
    ADD FOREIGN KEY (borrower_id) REFERENCES borrowers (id),
    ADD FOREIGN KEY (agency_id) REFERENCES agencies (id),
    ADD FOREIGN KEY (party_id) REFERENCES parties (id),
    ADD FOREIGN KEY (contact_method_id) REFERENCES contact_methods (id);
CREATE INDEX attempts_id ON attempts (id);
CREATE INDEX attempts_idempotency ON attempts (agency_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX attempts_borrower_at ON attempts (borrower_id, at);

-- +goose StatementBegin
CREATE FUNCTION attempts_unique_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        DELETE FROM attempts_unique WHERE id = OLD.id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO attempts_unique (id, agency_id, idempotency_key) VALUES (NEW.id, NEW.agency_id, NEW.idempotency_key);
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER attempts_unique_insert_delete AFTER INSERT OR DELETE ON attempts
    FOR EACH ROW EXECUTE FUNCTION attempts_unique_sync();
CREATE TRIGGER attempts_unique_update AFTER UPDATE OF id, agency_id, idempotency_key ON attempts
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id OR OLD.agency_id IS DISTINCT FROM NEW.agency_id
        OR OLD.idempotency_key IS DISTINCT FROM NEW.idempotency_key)
    EXECUTE FUNCTION attempts_unique_sync();

ALTER TABLE audit_leaves RENAME TO audit_leaves_unpartitioned;
CREATE TABLE audit_leaves (LIKE audit_leaves_unpartitioned INCLUDING ALL EXCLUDING INDEXES) PARTITION BY RANGE (created_at);
CREATE TABLE audit_leaves_default PARTITION OF audit_leaves DEFAULT;
INSERT INTO audit_leaves SELECT * FROM audit_leaves_unpartitioned;

CREATE TABLE audit_leaves_unique (
    idx BIGINT PRIMARY KEY
);
INSERT INTO audit_leaves_unique (idx) SELECT idx FROM audit_leaves_unpartitioned;
DROP TABLE audit_leaves_unpartitioned;

CREATE INDEX audit_leaves_idx ON audit_leaves (idx);

-- +goose StatementBegin
CREATE FUNCTION audit_leaves_unique_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        DELETE FROM audit_leaves_unique WHERE idx = OLD.idx;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO audit_leaves_unique (idx) VALUES (NEW.idx);
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_leaves_unique_insert_delete AFTER INSERT OR DELETE ON audit_leaves
    FOR EACH ROW EXECUTE FUNCTION audit_leaves_unique_sync();
CREATE TRIGGER audit_leaves_unique_update AFTER UPDATE OF idx ON audit_leaves
    FOR EACH ROW WHEN (OLD.idx IS DISTINCT FROM NEW.idx)
    EXECUTE FUNCTION audit_leaves_unique_sync();

-- +goose Down
-- Back to one table each, with the names migration 15 left.
ALTER TABLE audit_leaves RENAME TO audit_leaves_partitioned;
CREATE TABLE audit_leaves (LIKE audit_leaves_partitioned INCLUDING ALL EXCLUDING INDEXES);
INSERT INTO audit_leaves SELECT * FROM audit_leaves_partitioned;
DROP TABLE audit_leaves_partitioned;
DROP TABLE audit_leaves_unique;
DROP FUNCTION audit_leaves_unique_sync();
ALTER TABLE audit_leaves ADD CONSTRAINT audit_leaves_v3_pkey PRIMARY KEY (idx);

ALTER TABLE attempts RENAME TO attempts_partitioned;
CREATE TABLE attempts (LIKE attempts_partitioned INCLUDING ALL EXCLUDING INDEXES);
INSERT INTO attempts SELECT * FROM attempts_partitioned;
DROP TABLE attempts_partitioned;
DROP TABLE attempts_unique;
DROP FUNCTION attempts_unique_sync();
ALTER TABLE attempts
    ADD PRIMARY KEY (id),
    ADD FOREIGN KEY (case_id) REFERENCES cases (id),
    ADD FOREIGN KEY (borrower_id) REFERENCES borrowers (id),
    ADD FOREIGN KEY (agency_id) REFERENCES agencies (id),
    ADD FOREIGN KEY (party_id) REFERENCES parties (id),
    ADD FOREIGN KEY (contact_method_id) REFERENCES contact_methods (id);
CREATE UNIQUE INDEX attempts_idempotency ON attempts (agency_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX attempts_borrower_at ON attempts (borrower_id, at);
