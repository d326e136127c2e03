package audit

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"golang.org/x/mod/sumdb/note"
)

// ExportFormat names the export's format, in its first line.
const ExportFormat = "fairdebt-audit-export/1"

// An export is JSON Lines: a header, then every signed checkpoint, then every
// leaf in order. The checkpoints come first so that a verifier can check each
// one's root as the leaves stream past, with only the tree's frontier in memory.
type exportHeader struct {
	Format     string `json:"format"`
	Leaves     int64  `json:"leaves"`
	ExportedAt string `json:"exported_at"`
}

type exportLine struct {
	Checkpoint *string `json:"checkpoint,omitempty"`
	Index      *int64  `json:"index,omitempty"`
	Leaf       *string `json:"leaf,omitempty"`
}

// Export writes the whole log, as one consistent snapshot, to w: every leaf and
// every signed checkpoint, for a regulator or a court to verify with
// VerifyExport and the verifier key alone. It returns the number of leaves.
func (l *Log) Export(ctx context.Context, w io.Writer, now time.Time) (int64, error) {
	tx, err := l.db.R.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return 0, fmt.Errorf("audit: export: %w", err)
	}
	defer tx.Rollback()
	var n int64
	if err := tx.QueryRowContext(ctx, qNextIndex).Scan(&n); err != nil {
		return 0, fmt.Errorf("audit: export: %w", err)
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(exportHeader{Format: ExportFormat, Leaves: n, ExportedAt: now.UTC().Format(time.RFC3339)}); err != nil {
		return 0, err
	}
	rows, err := tx.QueryContext(ctx, "SELECT note FROM audit_checkpoints WHERE size <= $1 ORDER BY size", n)
	if err != nil {
		return 0, fmt.Errorf("audit: export checkpoints: %w", err)
	}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			rows.Close()
			return 0, err
		}
		if err := enc.Encode(exportLine{Checkpoint: &c}); err != nil {
			rows.Close()
			return 0, err
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	rows, err = tx.QueryContext(ctx, "SELECT idx, data FROM audit_leaves WHERE idx < $1 ORDER BY idx", n)
	if err != nil {
		return 0, fmt.Errorf("audit: export leaves: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var i int64
		var d string
		if err := rows.Scan(&i, &d); err != nil {
			return 0, err
		}
		if err := enc.Encode(exportLine{Index: &i, Leaf: &d}); err != nil {
			return 0, err
		}
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	return n, bw.Flush()
}

// VerifyExport checks an export with the verifier key vkey alone: every
// checkpoint's signature, that the leaves are complete and in order, and that the
// tree recomputed from them has each checkpoint's root at its size. A mismatch is
// a *TamperError; a file that is not an export is another error.
func VerifyExport(r io.Reader, vkey string, progress func(done, total int64)) (VerifyReport, error) {
	var rep VerifyReport
	if _, err := note.NewVerifier(vkey); err != nil {
		return rep, fmt.Errorf("audit: verifier key: %w", err)
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<16), 16<<20)
	line := 0
	next := func(out any) (bool, error) {
		if !sc.Scan() {
			return false, sc.Err()
		}
		line++
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(out); err != nil {
			return false, fmt.Errorf("audit: export line %d: %w", line, err)
		}
		return true, nil
	}
	var h exportHeader
	if ok, err := next(&h); err != nil || !ok || h.Format != ExportFormat {
		return rep, fmt.Errorf("audit: not a %s file (line 1: %v)", ExportFormat, err)
	}
	roots := map[int64]Checkpoint{}
	var tree Recomputer
	check := func() error {
		c, ok := roots[tree.Size()]
		if !ok {
			return nil
		}
		root, err := tree.Root()
		if err != nil {
			return err
		}
		if root != c.Root {
			return &TamperError{Index: tree.Size() - 1, Msg: fmt.Sprintf("the signed checkpoint of size %d does not match the tree of the exported leaves", c.Size)}
		}
		rep.Checkpoints++
		return nil
	}
	for {
		var l exportLine
		ok, err := next(&l)
		if err != nil {
			return rep, err
		}
		if !ok {
			break
		}
		switch {
		case l.Checkpoint != nil:
			if tree.Size() > 0 {
				return rep, fmt.Errorf("audit: export line %d: a checkpoint after the leaves", line)
			}
			c, err := OpenCheckpoint([]byte(*l.Checkpoint), vkey)
			if err != nil {
				return rep, &TamperError{Index: 0, Msg: fmt.Sprintf("line %d: a checkpoint does not verify: %v", line, err)}
			}
			roots[c.Size] = c
		case l.Index != nil && l.Leaf != nil:
			if *l.Index != tree.Size() {
				return rep, &TamperError{Index: tree.Size(), Msg: fmt.Sprintf("missing or out of order: line %d holds leaf %d", line, *l.Index)}
			}
			if len(roots) == 0 {
				return rep, errors.New("audit: the export holds no signed checkpoint, so nothing vouches for its leaves")
			}
			if tree.Size() == 0 {
				if err := check(); err != nil { // a checkpoint of the empty tree
					return rep, err
				}
			}
			if _, err := tree.Add([]byte(*l.Leaf)); err != nil {
				return rep, err
			}
			rep.Leaves++
			if err := check(); err != nil {
				return rep, err
			}
			if progress != nil && tree.Size()%65536 == 0 {
				progress(tree.Size(), h.Leaves)
			}
		default:
			return rep, fmt.Errorf("audit: export line %d: neither a checkpoint nor a leaf", line)
		}
	}
	if tree.Size() != h.Leaves {
		return rep, &TamperError{Index: tree.Size(), Msg: fmt.Sprintf("the export announces %d leaves and holds %d", h.Leaves, tree.Size())}
	}
	var beyond []int64
	for s := range roots {
		if s > tree.Size() {
			beyond = append(beyond, s)
		}
	}
	if len(beyond) > 0 {
		sort.Slice(beyond, func(i, j int) bool { return beyond[i] < beyond[j] })
		return rep, &TamperError{Index: tree.Size(), Msg: fmt.Sprintf("a signed checkpoint claims %d leaves; the export holds %d", beyond[0], tree.Size())}
	}
	if progress != nil {
		progress(tree.Size(), h.Leaves)
	}
	return rep, nil
}
