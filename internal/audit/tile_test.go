package audit

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"slices"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/fairdebt/fairdebt/internal/store"
	"github.com/fairdebt/fairdebt/internal/store/storetest"
)

// memHashes computes every stored hash of a tree of leaves in memory, by
// tlog.StoredHashIndex.
func memHashes(t *testing.T, leaves [][]byte) ([]tlog.Hash, tlog.HashReader) {
	t.Helper()
	var hashes []tlog.Hash
	r := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = hashes[x]
		}
		return out, nil
	})
	for n, d := range leaves {
		h, err := tlog.StoredHashes(int64(n), d, r)
		if err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, h...)
	}
	return hashes, r
}

// The tiles the tiler fills hold, in order, the stored hashes tileIndexes names;
// tileOf finds each hash where it is; a tile is complete exactly from the leaf that
// completes it on. Checked over two tile levels, independently of the database.
func TestTileLayout(t *testing.T) {
	const n = 1<<16 + 1<<10 + 37
	leaves := make([][]byte, n)
	for i := range leaves {
		leaves[i] = []byte{byte(i), byte(i >> 8), byte(i >> 16)}
	}
	hashes, _ := memHashes(t, leaves)
	var tl tiler
	count := map[int]int64{}
	for m := range int64(n) {
		for _, tile := range tl.add(m, hashes[tlog.StoredHashIndex(0, m):tlog.StoredHashIndex(0, m+1)]) {
			if tile.index != count[tile.level] {
				t.Fatalf("leaf %d completed tile %d/%d, want index %d", m, tile.level, tile.index, count[tile.level])
			}
			count[tile.level]++
			if !tileComplete(tile.level, tile.index, m+1) || tileComplete(tile.level, tile.index, m) {
				t.Fatalf("tile %d/%d, completed by leaf %d: tileComplete disagrees", tile.level, tile.index, m)
			}
			indexes := tileIndexes(tile.level, tile.index, n)
			if len(indexes) != tileHashes || len(tile.hashes) != tileBytes {
				t.Fatalf("tile %d/%d: %d indexes, %d bytes", tile.level, tile.index, len(indexes), len(tile.hashes))
			}
			for p, x := range indexes {
				if !bytes.Equal(tile.hashes[p*tlog.HashSize:(p+1)*tlog.HashSize], hashes[x][:]) {
					t.Fatalf("tile %d/%d position %d is not stored hash %d", tile.level, tile.index, p, x)
				}
				level, k := tlog.SplitStoredHashIndex(x)
				if gl, gj, gp := tileOf(level, k); gl != tile.level || gj != tile.index || gp != p {
					t.Fatalf("tileOf(%d, %d) = %d/%d@%d, want %d/%d@%d", level, k, gl, gj, gp, tile.level, tile.index, p)
				}
			}
		}
	}
	if count[0] != n>>8 || count[1] != n>>16 || len(count) != 2 {
		t.Fatalf("tiles completed per level: %v", count)
	}
	// Every stored hash is in exactly one tile, complete or not.
	seen := map[[3]int64]bool{}
	for x := range int64(len(hashes)) {
		level, k := tlog.SplitStoredHashIndex(x)
		tl, j, p := tileOf(level, k)
		key := [3]int64{int64(tl), j, int64(p)}
		if seen[key] {
			t.Fatalf("stored hash %d shares tile %d/%d position %d", x, tl, j, p)
		}
		seen[key] = true
		if p < 0 || p >= tileHashes {
			t.Fatalf("stored hash %d at position %d", x, p)
		}
	}
}

// Proofs read from tiles are the proofs of the tree computed in memory, at sizes
// on and around tile boundaries of two tile levels; a missing tile is read around
// (and reported by Verify); the tiles being filled are read back as the writer
// left them; a log whose tiles are gone gets them back when opened.
func TestProofsFromTiles(t *testing.T) {
	if testing.Short() {
		t.Skip("fills a log of 66,000 leaves")
	}
	ctx := context.Background()
	f := newFixture(t)
	const n = 1<<16 + 464
	if err := f.log.Fill(ctx, n, event, nil); err != nil {
		t.Fatal(err)
	}
	leaves := make([][]byte, n)
	for i := range leaves {
		leaves[i], _ = event(int64(i)).Canonical()
	}
	_, mem := memHashes(t, leaves)
	var tiles [2]int64
	if err := f.db.R.QueryRow("SELECT (SELECT COUNT(*) FROM audit_tiles WHERE level = 0), (SELECT COUNT(*) FROM audit_tiles WHERE level = 1)").
		Scan(&tiles[0], &tiles[1]); err != nil {
		t.Fatal(err)
	}
	if tiles != [2]int64{n >> 8, 1} {
		t.Fatalf("tiles per level: %v, want [%d 1]", tiles, n>>8)
	}
	check := func(t *testing.T, l *Log) {
		t.Helper()
		for _, size := range []int64{1, 255, 256, 257, 511, 512, 4097, 1<<16 - 1, 1 << 16, 1<<16 + 1, n} {
			want, _ := tlog.TreeHash(size, mem)
			if got, err := l.TreeHash(ctx, size); err != nil || got != want {
				t.Fatalf("tree hash of %d: %v, %v", size, got, err)
			}
			for _, i := range []int64{0, 1, 254, 255, 256, size / 3, size / 2, size - 2, size - 1} {
				if i < 0 || i >= size {
					continue
				}
				want, _ := tlog.ProveRecord(size, i, mem)
				got, err := l.ProveLeaf(ctx, size, i)
				if err != nil || !slices.Equal(got, want) {
					t.Fatalf("proof of leaf %d in %d: %v", i, size, err)
				}
			}
			for _, m := range []int64{1, size / 2, size - 1} {
				if m < 1 || m >= size {
					continue
				}
				want, _ := tlog.ProveTree(size, m, mem)
				got, err := l.ProveExtends(ctx, size, m)
				if err != nil || !slices.Equal(got, want) {
					t.Fatalf("proof that %d extends %d: %v", size, m, err)
				}
			}
		}
	}
	check(t, f.log)

	// The partial tiles read back for a log of m leaves are the tiler's after m.
	var mt tiler
	stored, _ := memHashes(t, leaves[:1<<16+300])
	for m := range int64(1<<16 + 300) {
		switch m {
		case 1, 255, 256, 300, 1<<16 - 1, 1 << 16, 1<<16 + 1, 1<<16 + 299:
			got, err := loadTiler(ctx, f.db.R, m)
			if err != nil {
				t.Fatal(err)
			}
			for tl := range got.partial {
				if !bytes.Equal(got.partial[tl], mt.partial[tl]) {
					t.Fatalf("tile level %d being filled at %d leaves: read %d bytes, want %d", tl, m, len(got.partial[tl]), len(mt.partial[tl]))
				}
			}
		}
		mt.add(m, stored[tlog.StoredHashIndex(0, m):tlog.StoredHashIndex(0, m+1)])
	}

	// A tile gone: proofs read around it (on a log opened afresh, read-only so
	// that it does not write the tile back); Verify names the leaf that completes
	// it.
	f.exec(t, "DELETE FROM audit_tiles WHERE level = 0 AND idx = 0")
	// (SQLite only: a PostgreSQL store has no read-only open yet.)
	if !storetest.Postgres() {
		ro, err := store.OpenSQLiteReadOnly(ctx, f.path)
		if err != nil {
			t.Fatal(err)
		}
		defer ro.Close()
		rl, err := New(ctx, ro)
		if err != nil {
			t.Fatal(err)
		}
		check(t, rl)
	}
	if _, err := f.log.Checkpoint(ctx, f.signer); err != nil {
		t.Fatal(err)
	}
	var te *TamperError
	if _, err := f.log.Verify(ctx, f.vkey, nil); !errors.As(err, &te) || te.Index != 255 {
		t.Fatalf("Verify with tile 0/0 missing: %v", err)
	}

	// Opening the log writes the missing tiles back, as it does for a log written
	// before tiles existed.
	var before []byte
	if err := f.db.R.QueryRow("SELECT hashes FROM audit_tiles WHERE level = 1 AND idx = 0").Scan(&before); err != nil {
		t.Fatal(err)
	}
	f.exec(t, "DELETE FROM audit_tiles")
	l, err := New(ctx, f.db)
	if err != nil {
		t.Fatal(err)
	}
	f.log = l
	var after []byte
	if err := f.db.R.QueryRow("SELECT hashes FROM audit_tiles WHERE level = 1 AND idx = 0").Scan(&after); err != nil || !bytes.Equal(after, before) {
		t.Fatalf("tile 1/0 written back: %v, equal %v", err, bytes.Equal(after, before))
	}
	if rep, err := f.log.Verify(ctx, f.vkey, nil); err != nil || rep.Tiles != n>>8+1 {
		t.Fatalf("Verify after writing the tiles back: %+v, %v", rep, err)
	}
	check(t, f.log)
}

// Verify finds an edited, truncated, extra or misplaced tile, naming the leaf
// whose row holds the first hash that differs.
func TestVerifyFindsTileTampering(t *testing.T) {
	const n = 700 // two complete tiles, one being filled
	checkTampering(t, []tamperCase{
		{"edit a bottom hash", func(t *testing.T, f *fixture) {
			// Position 3 of tile 0/1: the leaf hash of leaf 256+2 = 258.
			f.editTile(t, 0, 1, func(b []byte) { b[3*tlog.HashSize] ^= 1 })
		}, 258},
		{"edit an inner hash", func(t *testing.T, f *fixture) {
			// Position 509, the last: level 7, index 1 of the tile, completed by leaf 255+256.
			f.editTile(t, 0, 1, func(b []byte) { b[509*tlog.HashSize+5] ^= 1 })
		}, 511},
		{"truncate a tile", func(t *testing.T, f *fixture) {
			var b []byte
			if err := f.db.R.QueryRow("SELECT hashes FROM audit_tiles WHERE level = 0 AND idx = 0").Scan(&b); err != nil {
				t.Fatal(err)
			}
			f.exec(t, "UPDATE audit_tiles SET hashes = $1 WHERE level = 0 AND idx = 0", b[:100])
		}, 255},
		{"add a tile beyond the log", func(t *testing.T, f *fixture) {
			f.exec(t, "INSERT INTO audit_tiles (level, idx, hashes) VALUES (0, 2, $1)", make([]byte, tileBytes))
		}, n},
		{"add a tile of a level the log has not reached", func(t *testing.T, f *fixture) {
			f.exec(t, "INSERT INTO audit_tiles (level, idx, hashes) VALUES (1, 0, $1)", make([]byte, tileBytes))
		}, n},
		{"swap two tiles", func(t *testing.T, f *fixture) {
			f.exec(t, "UPDATE audit_tiles SET idx = 7 WHERE level = 0 AND idx = 0")
			f.exec(t, "UPDATE audit_tiles SET idx = 0 WHERE level = 0 AND idx = 1")
			f.exec(t, "UPDATE audit_tiles SET idx = 1 WHERE level = 0 AND idx = 7")
		}, 0},
	}, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		f.appendN(t, 0, 20)
		if err := f.log.Fill(ctx, n, event, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := f.log.Checkpoint(ctx, f.signer); err != nil {
			t.Fatal(err)
		}
		if rep, err := f.log.Verify(ctx, f.vkey, nil); err != nil || rep.Tiles != 2 {
			t.Fatalf("before tampering: %+v, %v", rep, err)
		}
	})
}

func (f *fixture) exec(t *testing.T, q string, args ...any) {
	t.Helper()
	err := f.db.Update(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec(q, args...)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) editTile(t *testing.T, tl int, j int64, edit func([]byte)) {
	t.Helper()
	var b []byte
	if err := f.db.R.QueryRow("SELECT hashes FROM audit_tiles WHERE level = $1 AND idx = $2", tl, j).Scan(&b); err != nil {
		t.Fatal(err)
	}
	edit(b)
	f.exec(t, "UPDATE audit_tiles SET hashes = $1 WHERE level = $2 AND idx = $3", b, tl, j)
}

// The cache keeps the most recently used entries, between max and 2×max of them.
func TestCache(t *testing.T) {
	c := newCache[int, int](3)
	for i := range 3 {
		c.put(i, 10*i)
	}
	c.put(3, 30) // 0, 1, 2 become the old generation
	if v, ok := c.get(1); !ok || v != 10 {
		t.Fatalf("get(1) from the old generation: %d %v", v, ok)
	}
	c.put(4, 40) // the current generation holds 3, 1, 4 and is full
	c.put(5, 50) // 3, 1, 4 become old; 0 and 2, unused, are gone
	for k, want := range map[int]bool{0: false, 2: false, 1: true, 3: true, 4: true, 5: true} {
		if v, ok := c.get(k); ok != want || ok && v != 10*k {
			t.Errorf("get(%d) = %d, %v; want present %v", k, v, ok, want)
		}
	}
}

// Writes that fail without appending (a case not found, a conflict) leave the
// cached frontier and tiles in place; one that takes a leaf with it makes the next
// append read them afresh. Either way the log stays true.
func TestFailedWritesWithoutLeavesKeepTheCache(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.appendN(t, 0, 250)
	boom := errors.New("boom")
	loads := f.log.loads
	for i := 250; i < 270; i++ { // across a tile's end
		if err := f.db.Update(ctx, func(*sql.Tx) error { return boom }); !errors.Is(err, boom) {
			t.Fatal(err)
		}
		f.appendN(t, i, i+1)
	}
	if f.log.loads != loads {
		t.Fatalf("failed writes that appended nothing made the cache reload %d times", f.log.loads-loads)
	}
	err := f.db.Update(ctx, func(tx *sql.Tx) error {
		if _, err := f.log.Append(ctx, tx, event(999)); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	f.appendN(t, 270, 271)
	if f.log.loads != loads+1 {
		t.Fatalf("after a rolled-back leaf the cache reloaded %d times, want once", f.log.loads-loads)
	}
	if _, err := f.log.Checkpoint(ctx, f.signer); err != nil {
		t.Fatal(err)
	}
	if rep, err := f.log.Verify(ctx, f.vkey, nil); err != nil || rep.Leaves != 271 || rep.Tiles != 1 {
		t.Fatalf("Verify: %+v, %v", rep, err)
	}
}
