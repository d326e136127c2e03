package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"

	"golang.org/x/mod/sumdb/tlog"
)

// Tiles group the tree's stored hashes so that a proof reads few rows. The tile of
// tile level T and index j holds the hashes of tree levels 8T to 8T+7 under hashes
// j*256 … j*256+255 of level 8T: 256 + 128 + … + 2 = 510 hashes, in the order
// tlog.StoredHashes emits them (which is tlog.StoredHashIndex's order within the
// tile, as if its 256 bottom hashes were the leaves of a tree of their own). Every
// sibling an inclusion proof needs at levels 8T to 8T+7 lies in one tile, so a
// proof at ten million leaves reads three tiles, the top one not yet complete.
//
// Only complete tiles are stored, each written in the transaction of the leaf that
// completes it; hashes of tiles not yet complete are read from the leaf rows. The
// leaf rows stay the log's record (verify recomputes them and checks every tile
// against them): the tiles hold nothing that is not also there.
const (
	tileHeight   = 8
	tileWidth    = 1 << tileHeight // hashes in a tile's bottom row
	tileHashes   = 2*tileWidth - 2 // hashes in a tile
	tileBytes    = tileHashes * tlog.HashSize
	maxTileLevel = 62 / tileHeight // a tree of fewer than 2^63 leaves has levels 0 to 62
)

// tile is a complete tile, as stored.
type tile struct {
	level  int
	index  int64
	hashes []byte // tileBytes
}

// tileOf returns the tile that holds the hash of subtree (level, k), and the hash's
// position in it.
func tileOf(level int, k int64) (tl int, j int64, pos int) {
	tl = level / tileHeight
	s := level % tileHeight
	w := int64(tileWidth >> s)
	return tl, k / w, int(tlog.StoredHashIndex(s, k%w))
}

// tileComplete reports whether tile (tl, j) is complete in a tree of n leaves,
// that is whether the leaf that completes it, (j+1)*2^(8tl+8) - 1, is in the tree.
func tileComplete(tl int, j, n int64) bool {
	shift := tileHeight * (tl + 1)
	return shift < 63 && j < n>>shift
}

// tileIndexes returns the stored-hash indexes of the hashes of tile (tl, j) that a
// tree of n leaves has, in the tile's order.
func tileIndexes(tl int, j, n int64) []int64 {
	base := tl * tileHeight
	var out []int64
	for b := int64(0); b < tileWidth; b++ {
		k := j*tileWidth + b // the bottom hash's index at level base
		if k >= n>>base {
			break
		}
		out = append(out, tlog.StoredHashIndex(base, k))
		// Bottom hash b completes the subtrees of the levels above it in the tile
		// that it is the last of.
		for s := 1; s < tileHeight && (b+1)%(1<<s) == 0; s++ {
			out = append(out, tlog.StoredHashIndex(base+s, (k+1)>>s-1))
		}
	}
	return out
}

// tiler fills tiles from the stored hashes of successive leaves.
type tiler struct {
	partial [maxTileLevel + 1][]byte
}

// add takes the stored hashes of leaf n (tlog.StoredHashes: level 0, 1, …) and
// returns the tiles they complete.
func (t *tiler) add(n int64, hs []tlog.Hash) []tile {
	var done []tile
	for level, h := range hs {
		tl := level / tileHeight
		if t.partial[tl] == nil {
			t.partial[tl] = make([]byte, 0, tileBytes)
		}
		t.partial[tl] = append(t.partial[tl], h[:]...)
		if len(t.partial[tl]) == tileBytes {
			done = append(done, tile{level: tl, index: (n+1)>>(tileHeight*(tl+1)) - 1, hashes: t.partial[tl]})
			t.partial[tl] = nil
		}
	}
	return done
}

// loadTiler reads, in q, the hashes of the tiles not yet complete in a log of n
// leaves.
func loadTiler(ctx context.Context, q queryer, n int64) (tiler, error) {
	var t tiler
	for tl := 0; tl <= maxTileLevel && n>>(tl*tileHeight) > 0; tl++ {
		indexes := tileIndexes(tl, n>>(tileHeight*(tl+1)), n)
		if len(indexes) == 0 {
			continue
		}
		hs, err := readStored(ctx, q, indexes)
		if err != nil {
			return t, err
		}
		t.partial[tl] = make([]byte, 0, tileBytes)
		for _, h := range hs {
			t.partial[tl] = append(t.partial[tl], h[:]...)
		}
	}
	return t, nil
}

// readTile returns the stored tile (tl, j), or nil if there is none.
func (l *Log) readTile(ctx context.Context, tl int, j int64) ([]byte, error) {
	var b []byte
	err := l.tileStmt.QueryRowContext(ctx, tl, j).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("audit: tile %d/%d: %w", tl, j, err)
	}
	if len(b) != tileBytes {
		return nil, fmt.Errorf("audit: tile %d/%d is malformed: %d bytes, want %d", tl, j, len(b), tileBytes)
	}
	return b, nil
}

// reader reads committed stored hashes for proofs about the tree of the first n
// leaves: those in tiles complete in that tree from their tiles, the others (and
// any in a tile that is missing) from their leaves' rows. What it reads is kept in
// the log's cache: committed tiles and hashes never change.
func (l *Log) reader(ctx context.Context, n int64) tlog.HashReader {
	return tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(indexes))
		var rest []int64
		var restAt []int
		for i, x := range indexes {
			level, k := tlog.SplitStoredHashIndex(x)
			tl, j, pos := tileOf(level, k)
			if tileComplete(tl, j, n) {
				key := tileKey{tl, j}
				b, ok := l.tileCache.get(key)
				if !ok {
					var err error
					if b, err = l.readTile(ctx, tl, j); err != nil {
						return nil, err
					}
					if b != nil {
						l.tileCache.put(key, b)
					}
				}
				if b != nil {
					copy(out[i][:], b[pos*tlog.HashSize:])
					continue
				}
			}
			if h, ok := l.hashCache.get(x); ok {
				out[i] = h
				continue
			}
			rest, restAt = append(rest, x), append(restAt, i)
		}
		hs, err := readStored(ctx, l.db.R, rest)
		if err != nil {
			return nil, err
		}
		for i, h := range hs {
			out[restAt[i]] = h
			l.hashCache.put(rest[i], h)
		}
		return out, nil
	})
}

type tileKey struct {
	level int
	index int64
}

// cache keeps up to about 2×max entries, the most recently used: when the current
// generation fills, it becomes the old one, and what is used from the old one is
// moved to the current. Safe for concurrent use.
type cache[K comparable, V any] struct {
	mu       sync.Mutex
	max      int
	cur, old map[K]V
}

func newCache[K comparable, V any](max int) *cache[K, V] {
	return &cache[K, V]{max: max, cur: make(map[K]V)}
}

func (c *cache[K, V]) get(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.cur[k]; ok {
		return v, true
	}
	v, ok := c.old[k]
	if ok {
		c.putLocked(k, v)
	}
	return v, ok
}

func (c *cache[K, V]) put(k K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.putLocked(k, v)
}

func (c *cache[K, V]) putLocked(k K, v V) {
	if len(c.cur) >= c.max {
		c.old, c.cur = c.cur, make(map[K]V, c.max)
	}
	c.cur[k] = v
}

// backfillTiles writes the complete tiles that a log written before tiles existed
// lacks, from its leaf rows.
func (l *Log) backfillTiles(ctx context.Context) error {
	n, err := l.Size(ctx)
	if err != nil {
		return err
	}
	for tl := 0; tileComplete(tl, 0, n); tl++ {
		want := n >> (tileHeight * (tl + 1))
		var have int64
		if err := l.db.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM audit_tiles WHERE level = $1", tl).Scan(&have); err != nil {
			return fmt.Errorf("audit: tiles: %w", err)
		}
		if have >= want {
			continue
		}
		const perTx = 64
		for from := int64(0); from < want; from += perTx {
			var tiles []tile
			for j := from; j < min(want, from+perTx); j++ {
				b, err := l.readTile(ctx, tl, j)
				if err != nil || b != nil {
					if err != nil {
						return err
					}
					continue
				}
				hs, err := readStored(ctx, l.db.R, tileIndexes(tl, j, n))
				if err != nil {
					return err
				}
				t := tile{level: tl, index: j, hashes: make([]byte, 0, tileBytes)}
				for _, h := range hs {
					t.hashes = append(t.hashes, h[:]...)
				}
				tiles = append(tiles, t)
			}
			if len(tiles) == 0 {
				continue
			}
			err := l.db.Update(ctx, func(tx *sql.Tx) error {
				for _, t := range tiles {
					if _, err := l.db.Exec(ctx, tx, qInsertTile, t.level, t.index, t.hashes); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("audit: writing the tiles of a log from before tiles: %w", err)
			}
		}
	}
	return nil
}
