-- Several fairdebt processes (replicas) may serve one PostgreSQL database. Each
-- keeps caches of what its own writes wrote; write_log tells each what the others
-- wrote since it last looked. Every write transaction on PostgreSQL holds the
-- writers' lock (see store.DB), reads the rows after the last one it saw, and adds
-- one: gen counts write transactions, writer names the process, keys lists what
-- the transaction's writes changed (newline-separated, as the writers touched
-- them: a borrower's state, a case, ...). Old rows are pruned; a process that
-- finds a gap forgets all its caches. On SQLite, one process writes; the table
-- stays empty.

-- +goose Up
CREATE TABLE write_log (
    gen    BIGINT PRIMARY KEY,
    writer TEXT NOT NULL,
    keys   TEXT NOT NULL
);

-- +goose Down
DROP TABLE write_log;
