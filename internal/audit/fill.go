package audit

import (
	"context"
	"database/sql"
	"fmt"
)

// Fill appends events next(i) until the log holds n leaves, many per transaction,
// with the tree's hashes computed in memory: the same rows Append writes, much
// faster. It is for benchmarks and tests that need a large log; nothing else may
// write to the log meanwhile. progress, if not nil, is called after each
// transaction.
func (l *Log) Fill(ctx context.Context, n int64, next func(i int64) Event, progress func(done, total int64)) error {
	size, err := l.Size(ctx)
	if err != nil {
		return err
	}
	// The frontier of the existing tree, from its leaves.
	var tree Recomputer
	rows, err := l.db.R.QueryContext(ctx, "SELECT data FROM audit_leaves ORDER BY idx")
	if err != nil {
		return err
	}
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			rows.Close()
			return err
		}
		if _, err := tree.Add([]byte(d)); err != nil {
			rows.Close()
			return err
		}
	}
	rows.Close()
	if tree.Size() != size {
		return fmt.Errorf("audit: fill: %d leaves read, the log has %d", tree.Size(), size)
	}
	const perTx = 20000
	for size < n {
		end := min(n, size+perTx)
		err := l.db.Update(ctx, func(tx *sql.Tx) error {
			l.treeLoaded = false // Append's cache no longer knows the tree
			leaf, err := tx.PrepareContext(ctx, qInsertLeaf)
			if err != nil {
				return err
			}
			defer leaf.Close()
			for i := size; i < end; i++ {
				e := next(i)
				data, err := e.Canonical()
				if err != nil {
					return err
				}
				hs, err := tree.Add(data)
				if err != nil {
					return err
				}
				if _, err := leaf.ExecContext(ctx, i, fmt.Sprintf("fill/%d", i), string(data), encodeHashes(hs), e.At.UnixMilli()); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("audit: fill: %w", err)
		}
		size = end
		if progress != nil {
			progress(size, n)
		}
	}
	return nil
}
