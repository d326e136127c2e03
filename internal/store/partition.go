package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// partitioned are the tables migration 16 range-partitions by month on
// PostgreSQL, with the column (Unix milliseconds) they are partitioned by.
// Each has a DEFAULT partition named <table>_default.
var partitioned = []struct{ table, key string }{
	{"attempts", "at"},
	{"audit_leaves", "created_at"},
}

// PartitionMonthsAhead is how many months after the current one
// EnsurePartitions makes partitions for: a process that runs it daily may
// miss several days and rows still find their month's partition.
const PartitionMonthsAhead = 3

// partitionLockTimeout bounds how long EnsurePartitions waits for a lock: the
// writers' lock, or a DEFAULT partition that queries are reading (attaching a
// partition locks it exclusively). Meanwhile every write waits for the
// writers' lock, and every read of the table queues behind the attach; the
// months ahead leave time to try again another day.
const partitionLockTimeout = "2s"

// EnsurePartitions makes sure that, on PostgreSQL, attempts and audit_leaves
// have a partition for the month (UTC) of now and for each of the
// PartitionMonthsAhead months after it. OpenPostgres runs it; a process that
// runs for long (serve) should run it again every day, so that each month's
// partitions exist before the month begins. It is idempotent, and safe to run
// from several processes sharing a database at once. While it runs, which is
// a moment unless it adds a partition and the DEFAULT partition is large, the
// writes of every process wait. On SQLite, or a database opened read-only, it
// does nothing.
//
// A month that already has rows in the DEFAULT partition is skipped, and its
// rows stay there: PostgreSQL refuses to add a partition whose range holds rows
// of the DEFAULT partition, since those rows would then be in the wrong
// partition. (Rows get there when they are written for a month before its
// partition exists: the rows of a database migrated to partitions, or rows
// written with a clock far ahead or behind.)
func (db *DB) EnsurePartitions(ctx context.Context, now time.Time) error {
	if !db.savepointAlways || db.readOnly { // SQLite, or nothing to write
		return nil
	}
	return ensurePartitions(ctx, db.w, now)
}

// ensurePartitions is EnsurePartitions on the PostgreSQL writer w, in one
// transaction.
func ensurePartitions(ctx context.Context, w *sql.DB, now time.Time) error {
	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: partitions: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "SET LOCAL lock_timeout = '"+partitionLockTimeout+"'"); err != nil {
		return fmt.Errorf("store: partitions: %w", err)
	}
	// The writers' lock, which every write transaction of every process takes
	// first, makes processes that run this at once take turns (the later ones
	// find the partitions made). And no write runs beside the attach, which
	// locks the DEFAULT partition and, for the foreign keys, the tables
	// attempts refers to (cases, parties, …): a write holding one of those
	// while waiting to read the DEFAULT partition would deadlock with it.
	if _, err := tx.ExecContext(ctx, qWritersLock, int64(writersLock)); err != nil {
		return fmt.Errorf("store: partitions: %w", err)
	}
	months := partitionMonths(now)
	for _, p := range partitioned {
		if err := ensureMonths(ctx, tx, p.table, p.key, months); err != nil {
			return fmt.Errorf("store: partitions of %s: %w", p.table, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: partitions: %w", err)
	}
	return nil
}

// partitionMonths returns the first instants (UTC) of the month of now and of
// the PartitionMonthsAhead months after it.
func partitionMonths(now time.Time) []time.Time {
	now = now.UTC()
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	months := make([]time.Time, PartitionMonthsAhead+1)
	for i := range months {
		months[i] = first.AddDate(0, i, 0)
	}
	return months
}

// monthPartition names table's partition for the month that begins at month.
func monthPartition(table string, month time.Time) string {
	return fmt.Sprintf("%s_y%04dm%02d", table, month.Year(), int(month.Month()))
}

// ensureMonths adds to table (partitioned by key) the partitions of months that
// it lacks, each for [month start, next month start) in Unix milliseconds.
func ensureMonths(ctx context.Context, tx *sql.Tx, table, key string, months []time.Time) error {
	var missing []time.Time
	for _, m := range months {
		var exists bool
		if err := tx.QueryRowContext(ctx, "SELECT to_regclass($1) IS NOT NULL", monthPartition(table, m)).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			missing = append(missing, m)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	// Attaching a partition locks the DEFAULT partition exclusively and checks
	// that none of its rows belong to the new one. Lock it first, so that no
	// row for the month can arrive there between the check below and the
	// attach.
	def := table + "_default"
	if _, err := tx.ExecContext(ctx, "LOCK TABLE "+def+" IN ACCESS EXCLUSIVE MODE"); err != nil {
		return err
	}
	for _, m := range missing {
		from, to := m.UnixMilli(), m.AddDate(0, 1, 0).UnixMilli()
		var taken bool
		if err := tx.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM "+def+" WHERE "+key+" >= $1 AND "+key+" < $2)",
			from, to).Scan(&taken); err != nil {
			return err
		}
		if taken {
			continue
		}
		// CREATE TABLE … PARTITION OF would lock the partitioned table
		// exclusively; ATTACH takes a weaker lock on it, so that queries that
		// need no DEFAULT partition (a month's rows) go on meanwhile.
		name := monthPartition(table, m)
		if _, err := tx.ExecContext(ctx, "CREATE TABLE "+name+" (LIKE "+table+" INCLUDING ALL)"); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("ALTER TABLE %s ATTACH PARTITION %s FOR VALUES FROM (%d) TO (%d)",
			table, name, from, to)); err != nil {
			return err
		}
	}
	return nil
}
