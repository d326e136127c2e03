package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
)

// writersLock is the PostgreSQL advisory lock every write transaction takes
// first ("fairdebt" in ASCII). Transaction-scoped: the server lets go of it when
// the transaction ends, however it ends, or when a killed process's session does.
const writersLock = 0x6661697264656274

// writeLogKept is how many write_log rows are kept. A process whose last batch is
// older than that finds a gap and forgets all its caches.
const writeLogKept = 10_000

const (
	// The writers' lock, and the transaction's commit made asynchronous: see
	// durable.
	qWritersLock = "SELECT pg_advisory_xact_lock($1), set_config('synchronous_commit', 'off', true)"
	// The rows after the last one this process saw, and that one, to check it is
	// still there; or, if the log ends before it, the log's last row.
	qWriteLogSince = "SELECT gen, writer, keys FROM write_log WHERE gen >= (SELECT LEAST($1, COALESCE(MAX(gen), 0)) FROM write_log) ORDER BY gen"
	qWriteLogPrune = "DELETE FROM write_log WHERE gen <= $1"
	// A transaction of its own that takes a transaction id commits durably (the
	// session's synchronous_commit is on): it waits until the write-ahead log is
	// flushed up to its commit, and so past every commit before it.
	qDurable = "SELECT pg_current_xact_id()"
)

// writeLogInsert adds a batch's row to write_log.
var writeLogInsert = NewInsert("write_log", "gen bigint", "writer text", "keys text")

func newWriterID() string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		panic("store: no randomness: " + err.Error())
	}
	return hex.EncodeToString(b)
}

// Shared reports whether other processes may write the database too
// (PostgreSQL): caches of what this process wrote must then be checked against
// OnForeignWrites.
func (db *DB) Shared() bool { return db.shared }

// Touch notes, from inside a write function, that the function changed what key
// names (a borrower's state, a case, …; the caller's own naming), for other
// processes to forget their caches of it. Keys must not contain a newline. On a
// database only this process writes it does nothing. A key touched by a
// function that then fails is still published: forgetting too much is safe.
func (db *DB) Touch(key string) {
	if !db.shared {
		return
	}
	if _, ok := db.touchedIn[key]; ok {
		return
	}
	db.touchedIn[key] = struct{}{}
	db.touched = append(db.touched, key)
}

// Publish tells other processes, from inside a write function, a fact about
// what the function wrote (the audit log's new leaf, say), for them to bring
// their caches up to date without reading it. Unlike a key touched, it is
// published only if the function succeeds, and its batch commits; it reaches
// OnForeignWrites after the keys touched in the same batch. It must not
// contain a newline. On a database only this process writes it does nothing.
func (db *DB) Publish(fact string) {
	if db.shared {
		db.published = append(db.published, fact)
	}
}

// Queued reports how many writes wait for the writer, for tests and metrics.
func (db *DB) Queued() int { return len(db.queue) }

// OnForeignWrites registers f to run, on the writer goroutine at the start of a
// batch, when other processes have committed writes since this process's last
// batch: keys are what their functions touched (see Touch) and published (see
// Publish), batch by batch in the order they committed, or nil when they are
// not known (too old: forget everything). Epoch changes then too. Register
// before the first Update.
func (db *DB) OnForeignWrites(f func(keys []string)) { db.onForeign = append(db.onForeign, f) }

// beginShared takes the writers' lock in tx and takes into account what other
// processes wrote since this one's last batch.
//
// A write_log row this process saw may be lost since: transactions commit
// asynchronously (see durable), so one that another process saw commit may
// vanish if the server crashes before flushing it, and its gen may then be
// taken by another row. So the row last seen is read again, and anything but
// that same row (same gen, same writer: a process takes a new writer name
// whenever its own commits are in doubt) counts as a gap.
func (db *DB) beginShared(tx *sql.Tx) error {
	ctx := context.Background()
	if _, err := db.Exec(ctx, tx, qWritersLock, int64(writersLock)); err != nil {
		return fmt.Errorf("store: writers' lock: %w", err)
	}
	rows, err := db.stmt(ctx, tx, qWriteLogSince).QueryContext(ctx, db.seenGen)
	if err != nil {
		return fmt.Errorf("store: write log: %w", err)
	}
	defer rows.Close()
	checked := db.seenGen == 0 // there is no row seen to check
	next, by := db.seenGen+1, db.seenBy
	gap, foreign := false, false
	var keys []string
	for rows.Next() {
		var gen int64
		var writer, k string
		if err := rows.Scan(&gen, &writer, &k); err != nil {
			return fmt.Errorf("store: write log: %w", err)
		}
		if !checked {
			checked = true
			if gen == db.seenGen && writer == db.seenBy {
				continue
			}
			gap = true
		}
		if gen != next {
			gap = true
		}
		next, by = gen+1, writer
		if writer != db.writerID {
			foreign = true
			if k != "" {
				keys = append(keys, strings.Split(k, "\n")...)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: write log: %w", err)
	}
	if !checked { // the log is empty, though this process saw a row
		gap, next, by = true, 1, ""
	}
	db.seenGen, db.seenBy = next-1, by
	if !gap && !foreign {
		return nil
	}
	db.epoch.Add(1)
	if gap {
		keys = nil
	} else if keys == nil {
		keys = []string{}
	}
	for _, f := range db.onForeign {
		f(keys)
	}
	return nil
}

// durable waits until the batch just committed is durable. Batches commit with
// synchronous_commit off, so that the writers' lock, which PostgreSQL lets go
// of only once the commit returns, is not held while the server flushes its
// log: the next writer runs meanwhile, and the flushes of several replicas'
// batches are shared. Only then do the batch's callers get their answers, so
// what was acknowledged is on disk; what another process read of it before
// that may yet be lost in a crash of the server, which beginShared notices.
func (db *DB) durable() error {
	if _, err := db.w.Exec(qDurable); err != nil {
		return fmt.Errorf("store: waiting for the commit to be flushed: %w", err)
	}
	return nil
}

// doubt notes that a batch of this process may or may not have committed, or
// been flushed: its row in write_log may vanish, and others must not mistake a
// later row of the same gen for it. The process takes a new writer name.
func (db *DB) doubt() {
	if db.shared {
		db.writerID = newWriterID()
	}
}

// endShared adds the batch's row to write_log in tx, now and then pruning old
// rows, and returns the row's gen. With fast, the row joins the rows the batch
// left for its last Flush.
func (db *DB) endShared(tx *sql.Tx, fast bool) (int64, error) {
	ctx := context.Background()
	gen := db.seenGen + 1
	args := []any{gen, db.writerID, strings.Join(slices.Concat(db.touched, db.published), "\n")}
	if fast {
		db.pending = append(db.pending, pendingRow{ins: writeLogInsert, args: args})
	} else if _, err := db.Exec(ctx, tx, writeLogInsert.one, args...); err != nil {
		return 0, fmt.Errorf("store: write log: %w", err)
	}
	if gen%1000 == 0 {
		if _, err := db.Exec(ctx, tx, qWriteLogPrune, gen-writeLogKept); err != nil {
			return 0, fmt.Errorf("store: write log: %w", err)
		}
	}
	return gen, nil
}

// resetTouched forgets the keys of the batch just ended.
func (db *DB) resetTouched() {
	db.published = db.published[:0]
	if len(db.touched) == 0 {
		return
	}
	clear(db.touchedIn)
	db.touched = db.touched[:0]
}
