package audit

import (
	"context"
	"database/sql"
	"fmt"
)

// Fill appends events next(i) until the log holds n leaves, many per transaction,
// with the tree's hashes computed in memory: the same rows Append writes, much
// faster. It is for benchmarks and tests that need a large log. progress, if not
// nil, is called after each transaction.
func (l *Log) Fill(ctx context.Context, n int64, next func(i int64) Event, progress func(done, total int64)) error {
	size, err := l.Size(ctx)
	if err != nil {
		return err
	}
	const perTx = 20000
	for size < n {
		end := min(n, size+perTx)
		err := l.db.Update(ctx, func(tx *sql.Tx) error {
			// Append's frontier, read afresh if a write was rolled back since; it
			// stays true of the database if this function succeeds (and is read
			// again if it fails, as the store's epoch then changes).
			if err := l.ensureTree(ctx, tx); err != nil {
				return err
			}
			if l.tree.Size() != size {
				return fmt.Errorf("the log holds %d leaves, not %d: another writer appended", l.tree.Size(), size)
			}
			l.db.Touch(leavesUnpublished) // too many to publish: other processes read them
			leaf, err := tx.PrepareContext(ctx, leafInsert.SQL())
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
				err = l.add(data, func(hashes string) error {
					_, err := leaf.ExecContext(ctx, i, string(data), hashes, e.At.UnixMilli())
					return err
				}, func(t tile) error {
					_, err := tx.ExecContext(ctx, qInsertTile, t.level, t.index, t.hashes)
					return err
				})
				if err != nil {
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
