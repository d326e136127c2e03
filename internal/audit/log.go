package audit

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/fairdebt/fairdebt/internal/store"
)

// Log is the audit log in a fairdebt database: leaves in audit_leaves, the tree's
// stored hashes (tlog's layout: every complete subtree's hash, at
// tlog.StoredHashIndex) in audit_hashes, signed checkpoints in audit_checkpoints.
//
// Leaves are appended inside the write transaction of the event they record, so
// that the database never holds an event without its leaf or a leaf without its
// event. Append keeps no state in memory: the next index and every hash it needs
// are read in that transaction, so a write that is rolled back, alone or with its
// whole batch, takes its leaf and hashes with it.
type Log struct {
	db *store.DB
}

// SQL the log runs; prepared on the writer connection by New.
const (
	qNextIndex  = "SELECT COALESCE(MAX(idx) + 1, 0) FROM audit_leaves"
	qInsertLeaf = "INSERT INTO audit_leaves (idx, ref, data, created_at) VALUES (?, ?, ?, ?)"
	qInsertHash = "INSERT INTO audit_hashes (idx, hash) VALUES (?, ?)"
	qHash       = "SELECT hash FROM audit_hashes WHERE idx = ?"
)

// New returns the log of db.
func New(ctx context.Context, db *store.DB) (*Log, error) {
	if err := db.Prepare(ctx, qNextIndex, qInsertLeaf, qInsertHash, qHash); err != nil {
		return nil, err
	}
	return &Log{db: db}, nil
}

// Append adds e as the next leaf and returns its index. It must run inside a
// store.Update function, in that function's transaction tx, after the writes of
// the event it records; if the function then fails, the leaf goes with them. ref
// names what the event is about ("attempt/<id>"), so that its leaves can be found
// for a receipt; it is not part of the leaf.
func (l *Log) Append(ctx context.Context, tx *sql.Tx, ref string, e Event) (int64, error) {
	data, err := e.Canonical()
	if err != nil {
		return 0, err
	}
	var n int64
	if err := l.db.QueryRow(ctx, tx, qNextIndex).Scan(&n); err != nil {
		return 0, fmt.Errorf("audit: next index: %w", err)
	}
	hashes, err := tlog.StoredHashes(n, data, l.txReader(ctx, tx))
	if err != nil {
		return 0, fmt.Errorf("audit: hashes of leaf %d: %w", n, err)
	}
	if _, err := l.db.Exec(ctx, tx, qInsertLeaf, n, ref, string(data), e.At.UnixMilli()); err != nil {
		return 0, fmt.Errorf("audit: leaf %d: %w", n, err)
	}
	at := tlog.StoredHashIndex(0, n)
	for i, h := range hashes {
		if _, err := l.db.Exec(ctx, tx, qInsertHash, at+int64(i), encodeHash(h)); err != nil {
			return 0, fmt.Errorf("audit: hash %d of leaf %d: %w", at+int64(i), n, err)
		}
	}
	return n, nil
}

func encodeHash(h tlog.Hash) string { return base64.StdEncoding.EncodeToString(h[:]) }

func decodeHash(s string) (tlog.Hash, error) {
	var h tlog.Hash
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != tlog.HashSize {
		return h, fmt.Errorf("audit: malformed stored hash %q", s)
	}
	copy(h[:], b)
	return h, nil
}

// txReader reads stored hashes in the writer's transaction.
func (l *Log) txReader(ctx context.Context, tx *sql.Tx) tlog.HashReader {
	return tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(indexes))
		for i, idx := range indexes {
			var s string
			if err := l.db.QueryRow(ctx, tx, qHash, idx).Scan(&s); err != nil {
				return nil, fmt.Errorf("audit: stored hash %d: %w", idx, err)
			}
			h, err := decodeHash(s)
			if err != nil {
				return nil, err
			}
			out[i] = h
		}
		return out, nil
	})
}

// reader reads committed stored hashes, all of one request in one query.
func (l *Log) reader(ctx context.Context) tlog.HashReader {
	return tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		if len(indexes) == 0 {
			return nil, nil
		}
		q := make([]byte, 0, 64+len(indexes)*4)
		q = append(q, "SELECT idx, hash FROM audit_hashes WHERE idx IN ("...)
		args := make([]any, len(indexes))
		for i, x := range indexes {
			if i > 0 {
				q = append(q, ',')
			}
			q = append(q, '?')
			args[i] = x
		}
		q = append(q, ')')
		rows, err := l.db.R.QueryContext(ctx, string(q), args...)
		if err != nil {
			return nil, fmt.Errorf("audit: stored hashes: %w", err)
		}
		defer rows.Close()
		got := make(map[int64]tlog.Hash, len(indexes))
		for rows.Next() {
			var idx int64
			var s string
			if err := rows.Scan(&idx, &s); err != nil {
				return nil, fmt.Errorf("audit: stored hashes: %w", err)
			}
			h, err := decodeHash(s)
			if err != nil {
				return nil, err
			}
			got[idx] = h
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("audit: stored hashes: %w", err)
		}
		out := make([]tlog.Hash, len(indexes))
		for i, x := range indexes {
			h, ok := got[x]
			if !ok {
				return nil, fmt.Errorf("audit: stored hash %d is missing", x)
			}
			out[i] = h
		}
		return out, nil
	})
}

// Size returns the number of committed leaves.
func (l *Log) Size(ctx context.Context) (int64, error) {
	var n int64
	if err := l.db.R.QueryRowContext(ctx, qNextIndex).Scan(&n); err != nil {
		return 0, fmt.Errorf("audit: size: %w", err)
	}
	return n, nil
}

// TreeHash returns the root hash of the tree of the first n leaves.
func (l *Log) TreeHash(ctx context.Context, n int64) (tlog.Hash, error) {
	return tlog.TreeHash(n, l.reader(ctx))
}

// Leaf returns the data of leaf i.
func (l *Log) Leaf(ctx context.Context, i int64) ([]byte, error) {
	var s string
	err := l.db.R.QueryRowContext(ctx, "SELECT data FROM audit_leaves WHERE idx = ?", i).Scan(&s)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("audit: no leaf %d", i)
	}
	if err != nil {
		return nil, fmt.Errorf("audit: leaf %d: %w", i, err)
	}
	return []byte(s), nil
}

// Find returns the indexes of the leaves about ref, in order.
func (l *Log) Find(ctx context.Context, ref string) ([]int64, error) {
	rows, err := l.db.R.QueryContext(ctx, "SELECT idx FROM audit_leaves WHERE ref = ? ORDER BY idx", ref)
	if err != nil {
		return nil, fmt.Errorf("audit: find %s: %w", ref, err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var i int64
		if err := rows.Scan(&i); err != nil {
			return nil, fmt.Errorf("audit: find %s: %w", ref, err)
		}
		out = append(out, i)
	}
	return out, rows.Err()
}

// ProveLeaf returns the proof that leaf i is in the tree of the first n leaves.
func (l *Log) ProveLeaf(ctx context.Context, n, i int64) (tlog.RecordProof, error) {
	if i < 0 || i >= n {
		return nil, fmt.Errorf("audit: leaf %d is not in a tree of %d leaves", i, n)
	}
	return tlog.ProveRecord(n, i, l.reader(ctx))
}

// ProveExtends returns the proof that the tree of the first n leaves extends (is
// consistent with) the tree of the first m.
func (l *Log) ProveExtends(ctx context.Context, n, m int64) (tlog.TreeProof, error) {
	if m < 1 || m > n {
		return nil, fmt.Errorf("audit: no proof that a tree of %d leaves extends one of %d (want 1 ≤ %d ≤ %d)", n, m, m, n)
	}
	return tlog.ProveTree(n, m, l.reader(ctx))
}
