package audit

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/fairdebt/fairdebt/internal/store"
)

// Log is the audit log in a fairdebt database: leaves in audit_leaves, each with
// the tree's stored hashes that appending it completed (tlog's layout: every
// complete subtree's hash, at tlog.StoredHashIndex), the same hashes again grouped
// in tiles in audit_tiles (see tile.go), and signed checkpoints in
// audit_checkpoints. A leaf row holds what is needed to recompute and check the
// tree; the tiles are what proofs are read from.
//
// Leaves are appended inside the write transaction of the event they record, so
// that the database never holds an event without its leaf or a leaf without its
// event. A write that is rolled back, alone or with its whole batch, takes its leaf
// and hashes with it.
//
// Append keeps the tree's frontier (the next index and the hashes of the complete
// subtrees not yet combined) and the tiles being filled in memory, so that it reads
// nothing while no write fails (the store's Epoch is unchanged); after a failed
// write it checks the log's size, and reads the cache afresh if a leaf went with
// the failure (see ensureTree).
type Log struct {
	db *store.DB

	// Touched only by write functions, on the store's writer goroutine.
	tree       Recomputer
	tiles      tiler
	treeEpoch  uint64
	treeLoaded bool
	lastLeaf   tlog.Hash // the hash of the last leaf the cache holds
	loads      int       // how often the cache was read afresh, for tests
	catchUps   int       // how often catchUp read leaves, for tests

	// On the reader pool.
	tileStmt  *sql.Stmt
	tileCache *cache[tileKey, []byte]  // complete tiles
	hashCache *cache[int64, tlog.Hash] // stored hashes read from leaf rows
}

// What the proof reader keeps: tiles of 16 KiB, hashes of 32 bytes; each cache
// holds up to twice as many.
const (
	cachedTiles  = 1024
	cachedHashes = 1 << 16
)

// SQL the log runs; the writes are prepared on the writer connection by New.
const (
	qNextIndex  = "SELECT COALESCE(MAX(idx) + 1, 0) FROM audit_leaves"
	qInsertTile = "INSERT INTO audit_tiles (level, idx, hashes) VALUES ($1, $2, $3)"
	qTile       = "SELECT hashes FROM audit_tiles WHERE level = $1 AND idx = $2"
	qLeafHashes = "SELECT idx, hashes FROM audit_leaves WHERE idx >= $1 AND idx < $2 ORDER BY idx"
)

// leafInsert writes a leaf's row; on PostgreSQL the rows of a batch's decisions
// are written together when it commits (store.InsertLater).
var leafInsert = store.NewInsert("audit_leaves", "idx bigint", "data text", "hashes text", "created_at bigint")

// New returns the log of db. On a writable database whose log was written before
// tiles existed, it first writes the missing tiles.
func New(ctx context.Context, db *store.DB) (*Log, error) {
	if err := db.Prepare(ctx, qNextIndex, leafInsert.SQL(), qInsertTile); err != nil {
		return nil, err
	}
	st, err := db.R.PrepareContext(ctx, qTile)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	l := &Log{db: db, tileStmt: st, tileCache: newCache[tileKey, []byte](cachedTiles), hashCache: newCache[int64, tlog.Hash](cachedHashes)}
	if !db.ReadOnly() {
		db.OnForeignWrites(l.foreignLeaves)
		if err := l.backfillTiles(ctx); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// Append adds e as the next leaf and returns its index. It must run inside a
// store.Update or store.UpdateSingle function, in that function's transaction tx;
// if the function then fails, the leaf goes with its event. Append writes one row,
// and now and then a tile after it: if that fails, it returns store.AbortBatch, as
// only the whole transaction can then undo the row.
func (l *Log) Append(ctx context.Context, tx *sql.Tx, e Event) (int64, error) {
	data, err := e.Canonical()
	if err != nil {
		return 0, err
	}
	if err := l.ensureTree(ctx, tx); err != nil {
		return 0, err
	}
	n := l.tree.Size()
	var stored string
	err = l.add(data, func(hashes string) error {
		stored = hashes
		return l.db.InsertLater(ctx, tx, leafInsert, n, string(data), hashes, e.At.UnixMilli())
	}, func(t tile) error {
		_, err := l.db.Exec(ctx, tx, qInsertTile, t.level, t.index, t.hashes)
		return err
	})
	if err != nil {
		return 0, err
	}
	l.db.Publish(leafFact + strconv.FormatInt(n, 10) + " " + stored)
	return n, nil
}

// leafFact starts what Append publishes of a leaf to other processes sharing
// the database: "leaf IDX HASHES", its index and stored hashes as its row holds
// them. A write that appends leaves without publishing them (Fill) touches
// leavesUnpublished instead.
const (
	leafFact          = "leaf "
	leavesUnpublished = "leaves?"
)

// foreignLeaves takes into the cache the leaves other processes appended, from
// what they published (store.DB.Publish), so that ensureTree need not read
// them. It runs as the store's epoch has just changed for their writes: the
// cache must have been true just before, and the leaves must follow on from
// it. Otherwise, or if it stops part-way, ensureTree's catchUp reads and checks
// what is left, as for any change of epoch; and a leaf a process appended
// without publishing it cannot go unnoticed either, as the next index the cache
// gives is then taken (audit_leaves' index is unique) and the write fails.
func (l *Log) foreignLeaves(facts []string) {
	if facts == nil || !l.treeLoaded || l.treeEpoch+1 != l.db.Epoch() {
		return
	}
	for _, f := range facts {
		if f == leavesUnpublished {
			return
		}
		rest, ok := strings.CutPrefix(f, leafFact)
		if !ok {
			continue
		}
		idx, s, _ := strings.Cut(rest, " ")
		n, err := strconv.ParseInt(idx, 10, 64)
		if err != nil || n != l.tree.Size() {
			return
		}
		hs, err := decodeHashes(s)
		if err != nil {
			return
		}
		if err := l.tree.addStored(hs); err != nil {
			l.treeLoaded = false
			return
		}
		l.tiles.add(n, hs)
		l.lastLeaf = hs[0]
	}
	l.treeEpoch = l.db.Epoch()
}

// add computes the hashes of leaf data as the next leaf, writes its row with
// insertLeaf and each tile it completes with insertTile, and keeps the cache in
// step. On any failure the cache is dropped, to be read afresh; a failure after the
// row is written is returned as store.AbortBatch.
func (l *Log) add(data []byte, insertLeaf func(hashes string) error, insertTile func(tile) error) error {
	// From here any failure leaves the cache ahead of the database: drop it. (The
	// write function fails too, which changes the store's epoch anyway.)
	l.treeLoaded = false
	n := l.tree.Size()
	hashes, err := l.tree.Add(data)
	if err != nil {
		return fmt.Errorf("audit: hashes of leaf %d: %w", n, err)
	}
	if err := insertLeaf(encodeHashes(hashes)); err != nil {
		return fmt.Errorf("audit: leaf %d: %w", n, err)
	}
	for _, t := range l.tiles.add(n, hashes) {
		if err := insertTile(t); err != nil {
			return store.AbortBatch(fmt.Errorf("audit: tile %d/%d: %w", t.level, t.index, err))
		}
	}
	l.lastLeaf, l.treeLoaded = hashes[0], true
	return nil
}

// ensureTree makes the cached frontier true of the database in tx. While the
// store's epoch is unchanged, it is. Once a write has failed or another process
// has written since, catchUp checks the cache with one read and brings it up to
// date. Writes fail for many reasons (a case not found, a conflict) that take no
// leaf; those cost one cheap read here, not a
// reload of the frontier and the tiles being filled.
func (l *Log) ensureTree(ctx context.Context, tx *sql.Tx) error {
	if l.treeLoaded && l.treeEpoch == l.db.Epoch() {
		return nil
	}
	epoch := l.db.Epoch()
	// Leaves left for the end of the batch must be in the table before it is read.
	if err := l.db.Flush(ctx, tx); err != nil {
		return err
	}
	if l.treeLoaded {
		if err := l.catchUp(ctx, tx); err == nil {
			l.treeEpoch = epoch
			return nil
		}
		// Read everything afresh instead, which checks as it goes.
	}
	var n int64
	if err := l.db.QueryRow(ctx, tx, qNextIndex).Scan(&n); err != nil {
		return fmt.Errorf("audit: next index: %w", err)
	}
	if err := l.loadTree(ctx, tx, n); err != nil {
		return err
	}
	l.treeEpoch, l.treeLoaded = epoch, true
	return nil
}

// maxCatchUp is the most leaves other processes may have appended since this
// one's cache was last true for catchUp to read them; past it the frontier is
// read afresh.
const maxCatchUp = 1 << 16

// errStale says the cached frontier is not the database's.
var errStale = errors.New("audit: the cached tree is not the log's")

// catchUp makes the cached frontier true of the database in tx with one query,
// or returns an error (errStale) if it cannot. It reads the leaves from the
// last one the cache holds. That leaf must still be there, with the hash the
// cache has for it: a write that failed after appending takes its leaves off the
// end, and since a rollback takes a process's leaves from the last backwards,
// the last one still there means all before it are. (While other processes
// write the database, the same index may then hold another leaf: the hash tells
// them apart.) The leaves after it, which other processes appended (see
// store.DB.Shared), go into the frontier and the tiles from their stored hashes;
// the tiles they completed are already stored.
func (l *Log) catchUp(ctx context.Context, tx *sql.Tx) error {
	size := l.tree.Size()
	from := max(size-1, 0)
	l.treeLoaded = false // until all of it is read
	l.catchUps++
	rows, err := tx.QueryContext(ctx, qLeafHashes, from, size+maxCatchUp+1)
	if err != nil {
		return fmt.Errorf("audit: catch up: %w", err)
	}
	defer rows.Close()
	checked := size == 0
	for rows.Next() {
		var idx int64
		var s string
		if err := rows.Scan(&idx, &s); err != nil {
			return fmt.Errorf("audit: catch up: %w", err)
		}
		hs, err := decodeHashes(s)
		if err != nil {
			return fmt.Errorf("audit: leaf %d: %w", idx, err)
		}
		if !checked {
			if idx != size-1 || hs[0] != l.lastLeaf {
				return errStale
			}
			checked = true
			continue
		}
		if idx != l.tree.Size() {
			return fmt.Errorf("audit: catch up: leaf %d where %d was due", idx, l.tree.Size())
		}
		if err := l.tree.addStored(hs); err != nil {
			return fmt.Errorf("audit: leaf %d: %w", idx, err)
		}
		l.tiles.add(idx, hs)
		l.lastLeaf = hs[0]
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("audit: catch up: %w", err)
	}
	switch {
	case !checked:
		return errStale // the cache's last leaf is gone
	case l.tree.Size() > size+maxCatchUp:
		return errStale // too many to read this way
	}
	l.treeLoaded = true
	return nil
}

// loadTree reads, in tx, the frontier of the tree of the first n leaves: the hash
// of each complete subtree not yet combined into a larger one (one per set bit of
// n), and the hashes of the tiles not yet complete.
func (l *Log) loadTree(ctx context.Context, tx *sql.Tx, n int64) error {
	l.treeLoaded = false // until all of it is read
	l.loads++
	var indexes []int64
	for level := 0; n>>level > 0; level++ {
		if n>>level&1 == 1 {
			indexes = append(indexes, tlog.StoredHashIndex(level, n>>level-1))
		}
	}
	if n > 0 {
		indexes = append(indexes, tlog.StoredHashIndex(0, n-1)) // the last leaf's own hash, last
	}
	hashes, err := readStored(ctx, tx, indexes)
	if err != nil {
		return err
	}
	l.tree = Recomputer{n: n, frontier: make(map[int64]tlog.Hash, len(indexes))}
	for i, x := range indexes {
		l.tree.frontier[x] = hashes[i]
	}
	if n > 0 {
		l.lastLeaf = hashes[len(hashes)-1]
		if n&1 == 0 { // not on the frontier: a leaf at an odd index is combined
			delete(l.tree.frontier, tlog.StoredHashIndex(0, n-1))
		}
	}
	l.tiles, err = loadTiler(ctx, tx, n)
	return err
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

// encodeHashes is the hashes column: the hashes concatenated, base64.
func encodeHashes(hs []tlog.Hash) string {
	b := make([]byte, 0, len(hs)*tlog.HashSize)
	for _, h := range hs {
		b = append(b, h[:]...)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// decodeHashes reads a hashes column.
func decodeHashes(s string) ([]tlog.Hash, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) == 0 || len(b)%tlog.HashSize != 0 {
		return nil, fmt.Errorf("audit: malformed stored hashes %.20q", s)
	}
	out := make([]tlog.Hash, len(b)/tlog.HashSize)
	for i := range out {
		copy(out[i][:], b[i*tlog.HashSize:])
	}
	return out, nil
}

// storedAt returns where stored hash x is kept: the leaf whose append completed
// its subtree, and its position in that leaf's hashes.
func storedAt(x int64) (leaf int64, pos int) {
	level, k := tlog.SplitStoredHashIndex(x)
	return (k+1)<<level - 1, level
}

// queryer is the reader pool or the writer's transaction.
type queryer interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}

// readStored reads stored hashes from their leaves' rows, all in one query, in q.
func readStored(ctx context.Context, q queryer, indexes []int64) ([]tlog.Hash, error) {
	if len(indexes) == 0 {
		return nil, nil
	}
	query := make([]byte, 0, 64+len(indexes)*4)
	query = append(query, "SELECT idx, hashes FROM audit_leaves WHERE idx IN ("...)
	args := make([]any, 0, len(indexes))
	for i, x := range indexes {
		leaf, _ := storedAt(x)
		if i > 0 {
			query = append(query, ',')
		}
		query = append(query, '$')
		query = strconv.AppendInt(query, int64(i+1), 10)
		args = append(args, leaf)
	}
	query = append(query, ')')
	rows, err := q.QueryContext(ctx, string(query), args...)
	if err != nil {
		return nil, fmt.Errorf("audit: stored hashes: %w", err)
	}
	defer rows.Close()
	got := make(map[int64][]tlog.Hash, len(indexes))
	for rows.Next() {
		var idx int64
		var s string
		if err := rows.Scan(&idx, &s); err != nil {
			return nil, fmt.Errorf("audit: stored hashes: %w", err)
		}
		if got[idx], err = decodeHashes(s); err != nil {
			return nil, fmt.Errorf("audit: leaf %d: %w", idx, err)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit: stored hashes: %w", err)
	}
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		leaf, pos := storedAt(x)
		hs := got[leaf]
		if pos >= len(hs) {
			return nil, fmt.Errorf("audit: stored hash %d (leaf %d, level %d) is missing", x, leaf, pos)
		}
		out[i] = hs[pos]
	}
	return out, nil
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
	return tlog.TreeHash(n, l.reader(ctx, n))
}

// Leaf returns the data of leaf i.
func (l *Log) Leaf(ctx context.Context, i int64) ([]byte, error) {
	var s string
	err := l.db.R.QueryRowContext(ctx, "SELECT data FROM audit_leaves WHERE idx = $1", i).Scan(&s)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("audit: no leaf %d", i)
	}
	if err != nil {
		return nil, fmt.Errorf("audit: leaf %d: %w", i, err)
	}
	return []byte(s), nil
}

// ProveLeaf returns the proof that leaf i is in the tree of the first n leaves.
func (l *Log) ProveLeaf(ctx context.Context, n, i int64) (tlog.RecordProof, error) {
	if i < 0 || i >= n {
		return nil, fmt.Errorf("audit: leaf %d is not in a tree of %d leaves", i, n)
	}
	return tlog.ProveRecord(n, i, l.reader(ctx, n))
}

// ProveExtends returns the proof that the tree of the first n leaves extends (is
// consistent with) the tree of the first m.
func (l *Log) ProveExtends(ctx context.Context, n, m int64) (tlog.TreeProof, error) {
	if m < 1 || m > n {
		return nil, fmt.Errorf("audit: no proof that a tree of %d leaves extends one of %d (want 1 ≤ %d ≤ %d)", n, m, m, n)
	}
	return tlog.ProveTree(n, m, l.reader(ctx, n))
}
