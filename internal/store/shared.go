package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
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
	qWritersLock   = "SELECT pg_advisory_xact_lock($1)"
	qWriteLogSince = "SELECT gen, writer, keys FROM write_log WHERE gen > $1 ORDER BY gen"
	qWriteLogAdd   = "INSERT INTO write_log (gen, writer, keys) VALUES ($1, $2, $3)"
	qWriteLogPrune = "DELETE FROM write_log WHERE gen <= $1"
)

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

// OnForeignWrites registers f to run, on the writer goroutine at the start of a
// batch, when other processes have committed writes since this process's last
// batch: keys are what their functions touched (see Touch), or nil when they
// are not known (too old: forget everything). Epoch changes then too. Register
// before the first Update.
func (db *DB) OnForeignWrites(f func(keys []string)) { db.onForeign = append(db.onForeign, f) }

// beginShared takes the writers' lock in tx and takes into account what other
// processes wrote since this one's last batch.
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
	next := db.seenGen + 1
	gap, foreign := false, false
	var keys []string
	for rows.Next() {
		var gen int64
		var writer, k string
		if err := rows.Scan(&gen, &writer, &k); err != nil {
			return fmt.Errorf("store: write log: %w", err)
		}
		if gen != next {
			gap = true
		}
		next = gen + 1
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
	db.seenGen = next - 1
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

// endShared adds the batch's row to write_log in tx, now and then pruning old
// rows, and returns the row's gen.
func (db *DB) endShared(tx *sql.Tx) (int64, error) {
	ctx := context.Background()
	gen := db.seenGen + 1
	if _, err := db.Exec(ctx, tx, qWriteLogAdd, gen, db.writerID, strings.Join(db.touched, "\n")); err != nil {
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
	if len(db.touched) == 0 {
		return
	}
	clear(db.touchedIn)
	db.touched = db.touched[:0]
}
