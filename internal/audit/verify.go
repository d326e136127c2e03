package audit

import (
	"bytes"
	"context"
	"fmt"
	"math"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// TamperError reports the first leaf at which the stored log differs from the tree
// recomputed from its leaves, or a checkpoint that does not match.
type TamperError struct {
	// Index is the first bad leaf index; for a checkpoint, the tree size it claims.
	Index int64
	Msg   string
}

func (e *TamperError) Error() string { return fmt.Sprintf("audit: leaf %d: %s", e.Index, e.Msg) }

// VerifyReport says what Verify checked.
type VerifyReport struct {
	Leaves, Hashes, Tiles, Checkpoints int64
}

// Verify recomputes the whole tree from the stored leaves and checks it against
// every stored hash, every tile and every stored checkpoint: each checkpoint's signature
// (with the verifier key vkey) and root hash. Because every checkpoint's root is
// recomputed from the same leaves, each later checkpoint is also checked to extend
// the earlier ones. It returns a *TamperError naming the first bad leaf on any
// mismatch: an edited, deleted, reordered or inserted leaf, or an edited, missing
// or extra stored hash or tile (for a tile, the leaf whose row holds the first
// hash that differs). progress, if not nil, is called now and then with the
// leaves checked so far and the total.
func (l *Log) Verify(ctx context.Context, vkey string, progress func(done, total int64)) (VerifyReport, error) {
	var rep VerifyReport
	if _, err := note.NewVerifier(vkey); err != nil {
		return rep, fmt.Errorf("audit: verifier key: %w", err)
	}
	type stored struct {
		size int64
		note string
	}
	var cps []stored
	rows, err := l.db.R.QueryContext(ctx, "SELECT size, note FROM audit_checkpoints ORDER BY size")
	if err != nil {
		return rep, fmt.Errorf("audit: checkpoints: %w", err)
	}
	for rows.Next() {
		var c stored
		if err := rows.Scan(&c.size, &c.note); err != nil {
			rows.Close()
			return rep, fmt.Errorf("audit: checkpoints: %w", err)
		}
		cps = append(cps, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return rep, fmt.Errorf("audit: checkpoints: %w", err)
	}
	// The rows come in order of size, which is unique.
	roots := map[int64]Checkpoint{}
	sizes := make([]int64, 0, len(cps))
	for _, c := range cps {
		cp, err := OpenCheckpoint([]byte(c.note), vkey)
		if err != nil {
			return rep, &TamperError{Index: c.size, Msg: fmt.Sprintf("checkpoint of size %d does not verify: %v", c.size, err)}
		}
		if cp.Size != c.size {
			return rep, &TamperError{Index: c.size, Msg: fmt.Sprintf("checkpoint of size %d: content does not match its row", c.size)}
		}
		roots[c.size] = cp
		sizes = append(sizes, c.size)
	}

	total, err := l.Size(ctx)
	if err != nil {
		return rep, err
	}
	leaves, err := l.db.R.QueryContext(ctx, "SELECT idx, data, hashes FROM audit_leaves ORDER BY idx")
	if err != nil {
		return rep, fmt.Errorf("audit: leaves: %w", err)
	}
	defer leaves.Close()

	var tree Recomputer
	var tiles tiler
	ci := 0
	lastGood := int64(0) // the size of the last checkpoint that matched
	checkCheckpoints := func(size int64) error {
		for ci < len(sizes) && sizes[ci] == size {
			root, err := tree.Root()
			if err != nil {
				return err
			}
			if root != roots[size].Root {
				// Every stored hash matched, so the leaves and hashes were rewritten
				// together: the checkpoints narrow down where.
				return &TamperError{Index: lastGood, Msg: fmt.Sprintf("the signed checkpoint of size %d does not match the tree recomputed from the leaves: "+
					"a leaf from %d to %d was changed and its hashes recomputed", size, lastGood, size-1)}
			}
			lastGood = size
			rep.Checkpoints++
			ci++
		}
		return nil
	}
	if err := checkCheckpoints(0); err != nil {
		return rep, err
	}
	var n int64
	for ; leaves.Next(); n++ {
		var idx int64
		var data, stored string
		if err := leaves.Scan(&idx, &data, &stored); err != nil {
			return rep, fmt.Errorf("audit: leaves: %w", err)
		}
		if idx != n {
			return rep, &TamperError{Index: n, Msg: fmt.Sprintf("missing: the next stored leaf is %d", idx)}
		}
		want, err := tree.Add([]byte(data))
		if err != nil {
			return rep, err
		}
		got, err := decodeHashes(stored)
		if err != nil {
			return rep, &TamperError{Index: n, Msg: err.Error()}
		}
		for i, w := range want {
			switch {
			case i >= len(got):
				return rep, &TamperError{Index: n, Msg: fmt.Sprintf("the stored hash of level %d is missing", i)}
			case got[i] != w:
				if i == 0 {
					return rep, &TamperError{Index: n, Msg: "the leaf's data does not match its stored hash (the leaf or the hash was changed)"}
				}
				return rep, &TamperError{Index: n, Msg: fmt.Sprintf("the stored hash of level %d does not match the tree recomputed from the leaves", i)}
			}
			rep.Hashes++
		}
		if len(got) > len(want) {
			return rep, &TamperError{Index: n, Msg: fmt.Sprintf("%d stored hashes belong to no subtree", len(got)-len(want))}
		}
		for _, t := range tiles.add(n, want) {
			if err := l.checkTile(ctx, t); err != nil {
				return rep, err
			}
			rep.Tiles++
		}
		rep.Leaves++
		if err := checkCheckpoints(n + 1); err != nil {
			return rep, err
		}
		if progress != nil && n%65536 == 0 {
			progress(n, total)
		}
		if err := ctx.Err(); err != nil {
			return rep, err
		}
	}
	if err := leaves.Err(); err != nil {
		return rep, fmt.Errorf("audit: leaves: %w", err)
	}
	if ci < len(sizes) {
		return rep, &TamperError{Index: n, Msg: fmt.Sprintf("a signed checkpoint claims %d leaves; the log holds %d (leaves were deleted)", sizes[ci], n)}
	}
	if err := l.checkNoExtraTiles(ctx, n); err != nil {
		return rep, err
	}
	if progress != nil {
		progress(n, total)
	}
	return rep, nil
}

// checkTile compares the stored tile t.level/t.index with t, recomputed.
func (l *Log) checkTile(ctx context.Context, t tile) error {
	got, err := l.readTile(ctx, t.level, t.index)
	if err != nil {
		return &TamperError{Index: (t.index+1)<<(tileHeight*(t.level+1)) - 1, Msg: err.Error()}
	}
	if got == nil {
		return &TamperError{Index: (t.index+1)<<(tileHeight*(t.level+1)) - 1,
			Msg: fmt.Sprintf("tile %d/%d is missing", t.level, t.index)}
	}
	if bytes.Equal(got, t.hashes) {
		return nil
	}
	indexes := tileIndexes(t.level, t.index, math.MaxInt64)
	for p := range indexes {
		at := p * tlog.HashSize
		if !bytes.Equal(got[at:at+tlog.HashSize], t.hashes[at:at+tlog.HashSize]) {
			level, k := tlog.SplitStoredHashIndex(indexes[p])
			return &TamperError{Index: (k+1)<<level - 1, Msg: fmt.Sprintf(
				"tile %d/%d: the hash of level %d does not match the tree recomputed from the leaves", t.level, t.index, level)}
		}
	}
	return nil
}

// checkNoExtraTiles checks that no stored tile lies beyond a log of n leaves.
func (l *Log) checkNoExtraTiles(ctx context.Context, n int64) error {
	rows, err := l.db.R.QueryContext(ctx, "SELECT level, idx FROM audit_tiles ORDER BY level, idx")
	if err != nil {
		return fmt.Errorf("audit: tiles: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var tl int
		var j int64
		if err := rows.Scan(&tl, &j); err != nil {
			return fmt.Errorf("audit: tiles: %w", err)
		}
		if tl < 0 || tl > maxTileLevel || j < 0 || !tileComplete(tl, j, n) {
			return &TamperError{Index: n, Msg: fmt.Sprintf("tile %d/%d belongs to no complete subtree of the %d leaves", tl, j, n)}
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("audit: tiles: %w", err)
	}
	return nil
}

// Recomputer computes a tree from its leaves, in order, keeping only the frontier:
// the hashes of the complete subtrees not yet combined into a larger one, at most
// one per level, which is all that later leaves and the root need.
type Recomputer struct {
	n        int64
	frontier map[int64]tlog.Hash
	served   []int64
}

// Add adds the next leaf and returns the hashes a log stores for it (as
// tlog.StoredHashes, from tlog.StoredHashIndex(0, n)).
func (r *Recomputer) Add(data []byte) ([]tlog.Hash, error) {
	if r.frontier == nil {
		r.frontier = map[int64]tlog.Hash{}
	}
	r.served = r.served[:0]
	hs, err := tlog.StoredHashes(r.n, data, tlog.HashReaderFunc(r.read))
	if err != nil {
		return nil, err
	}
	// The hashes read were left siblings, now combined; of the new ones only the
	// last, the top of a complete subtree, is not yet combined.
	for _, x := range r.served {
		delete(r.frontier, x)
	}
	r.frontier[tlog.StoredHashIndex(0, r.n)+int64(len(hs))-1] = hs[len(hs)-1]
	r.n++
	return hs, nil
}

// addStored adds the next leaf from the hashes a log stored for it (as Add
// returns them), without recomputing them.
func (r *Recomputer) addStored(hs []tlog.Hash) error {
	if want := tlog.StoredHashCount(r.n+1) - tlog.StoredHashCount(r.n); int64(len(hs)) != want {
		return fmt.Errorf("audit: %d stored hashes, want %d", len(hs), want)
	}
	if r.frontier == nil {
		r.frontier = map[int64]tlog.Hash{}
	}
	// The left siblings the new subtrees combined are no longer on the frontier.
	for level := range len(hs) - 1 {
		delete(r.frontier, tlog.StoredHashIndex(level, r.n>>level-1))
	}
	r.frontier[tlog.StoredHashIndex(0, r.n)+int64(len(hs))-1] = hs[len(hs)-1]
	r.n++
	return nil
}

func (r *Recomputer) read(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		h, ok := r.frontier[x]
		if !ok {
			return nil, fmt.Errorf("audit: internal error: hash %d is not on the frontier", x)
		}
		out[i], r.served = h, append(r.served, x)
	}
	return out, nil
}

// Size returns the number of leaves added.
func (r *Recomputer) Size() int64 { return r.n }

// Root returns the root hash of the tree of the leaves added so far. (The hashes
// it reads are noted as served, which only Add looks at, after resetting.)
func (r *Recomputer) Root() (tlog.Hash, error) {
	return tlog.TreeHash(r.n, tlog.HashReaderFunc(r.read))
}
