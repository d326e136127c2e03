package audit

import (
	"context"
	"fmt"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Receipt is everything needed to check, offline and without trusting the
// operator, that an event is in the log: the leaf, its index, the inclusion proof
// and the signed checkpoint the proof leads to. Its JSON form is the public
// contract of receipts.
type Receipt struct {
	Index      int64    `json:"index" doc:"the leaf's index in the log"`
	Leaf       string   `json:"leaf" doc:"the leaf: the event's canonical JSON"`
	Proof      []string `json:"proof" doc:"the inclusion proof: base64 SHA-256 hashes, leaf to root"`
	Checkpoint string   `json:"checkpoint" doc:"the signed checkpoint (a signed note: origin, size, base64 root hash)"`
}

// Consistency proves that a later tree extends an earlier one.
type Consistency struct {
	From  int64    `json:"from" doc:"the earlier tree's size"`
	To    int64    `json:"to" doc:"the later tree's size"`
	Proof []string `json:"proof" doc:"base64 SHA-256 hashes"`
}

func encodeProof(p []tlog.Hash) []string {
	out := make([]string, len(p))
	for i, h := range p {
		out[i] = encodeHash(h)
	}
	return out
}

func decodeProof(p []string) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(p))
	for i, s := range p {
		h, err := decodeHash(s)
		if err != nil {
			return nil, err
		}
		out[i] = h
	}
	return out, nil
}

// Covering returns the latest signed checkpoint, first signing a new one with s
// if the latest does not yet include leaf index.
func (l *Log) Covering(ctx context.Context, s note.Signer, index int64) ([]byte, Checkpoint, error) {
	signed, c, err := l.LatestCheckpoint(ctx)
	if err != nil {
		return nil, Checkpoint{}, err
	}
	if signed == nil || c.Size <= index {
		if signed, err = l.Checkpoint(ctx, s); err != nil {
			return nil, Checkpoint{}, err
		}
		if _, c, err = l.LatestCheckpoint(ctx); err != nil {
			return nil, Checkpoint{}, err
		}
		if c.Size <= index {
			return nil, Checkpoint{}, fmt.Errorf("audit: no leaf %d in a log of %d", index, c.Size)
		}
	}
	return signed, c, nil
}

// Receipt returns the receipt of leaf index against the latest checkpoint,
// signing one with s if none includes the leaf yet.
func (l *Log) Receipt(ctx context.Context, s note.Signer, index int64) (Receipt, error) {
	signed, c, err := l.Covering(ctx, s, index)
	if err != nil {
		return Receipt{}, err
	}
	leaf, err := l.Leaf(ctx, index)
	if err != nil {
		return Receipt{}, err
	}
	p, err := l.ProveLeaf(ctx, c.Size, index)
	if err != nil {
		return Receipt{}, err
	}
	return Receipt{Index: index, Leaf: string(leaf), Proof: encodeProof(p), Checkpoint: string(signed)}, nil
}

// Consistency returns the proof that the tree of to leaves extends that of from.
func (l *Log) Consistency(ctx context.Context, from, to int64) (Consistency, error) {
	p, err := l.ProveExtends(ctx, to, from)
	if err != nil {
		return Consistency{}, err
	}
	return Consistency{From: from, To: to, Proof: encodeProof(p)}, nil
}

// VerifyReceipt checks a receipt offline: the checkpoint's signature under the
// verifier key vkey, and the inclusion of the leaf in the tree the checkpoint
// signs. It returns the event and the checkpoint.
func VerifyReceipt(r Receipt, vkey string) (Event, Checkpoint, error) {
	c, err := OpenCheckpoint([]byte(r.Checkpoint), vkey)
	if err != nil {
		return Event{}, Checkpoint{}, err
	}
	p, err := decodeProof(r.Proof)
	if err != nil {
		return Event{}, Checkpoint{}, err
	}
	if r.Index < 0 || r.Index >= c.Size {
		return Event{}, Checkpoint{}, fmt.Errorf("audit: receipt for leaf %d, but the checkpoint covers %d leaves", r.Index, c.Size)
	}
	if err := tlog.CheckRecord(p, c.Size, c.Root, r.Index, tlog.RecordHash([]byte(r.Leaf))); err != nil {
		return Event{}, Checkpoint{}, fmt.Errorf("audit: the leaf is not in the signed tree: %w", err)
	}
	e, err := ParseLeaf([]byte(r.Leaf))
	if err != nil {
		return Event{}, Checkpoint{}, err
	}
	return e, c, nil
}

// VerifyConsistency checks that the tree of checkpoint newer extends that of older
// (both already opened), with proof p.
func VerifyConsistency(older, newer Checkpoint, p Consistency) error {
	if older.Origin != newer.Origin {
		return fmt.Errorf("audit: checkpoints of two logs (%q, %q)", older.Origin, newer.Origin)
	}
	if p.From != older.Size || p.To != newer.Size {
		return fmt.Errorf("audit: the proof is from %d to %d, the checkpoints are of %d and %d", p.From, p.To, older.Size, newer.Size)
	}
	if older.Size == newer.Size {
		if older.Root != newer.Root {
			return fmt.Errorf("audit: two different trees of %d leaves: the log was rewritten", older.Size)
		}
		return nil
	}
	hs, err := decodeProof(p.Proof)
	if err != nil {
		return err
	}
	if err := tlog.CheckTree(hs, newer.Size, newer.Root, older.Size, older.Root); err != nil {
		return fmt.Errorf("audit: the newer tree does not extend the older one: %w", err)
	}
	return nil
}
