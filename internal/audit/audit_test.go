package audit

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/fairdebt/fairdebt/internal/store"
	"github.com/fairdebt/fairdebt/internal/store/storetest"
)

var t0 = time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)

func event(i64 int64) Event {
	i := int(i64)
	return Event{Type: TypeDecision, At: t0.Add(time.Duration(i) * time.Second), Actor: "tok_agency1",
		Subject: map[string]string{"case": fmt.Sprintf("C-%04d", i%7), "attempt": fmt.Sprintf("A-%06d", i)},
		Digests: map[string]string{"contact": fmt.Sprintf("%064x", i)},
		Facts:   map[string]any{"allowed": i%3 != 0, "channel": "call", "rules": []string{"cn.quiet_hours"}, "n": i}}
}

type fixture struct {
	path   string
	db     *store.DB
	log    *Log
	signer note.Signer
	vkey   string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	path := storetest.DSN(t)
	db := storetest.OpenAt(t, path)
	l, err := New(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvSignerKey, "")
	s, vkey, created, err := LoadSigner(dir, "fairdebt.test/audit")
	if err != nil || !created {
		t.Fatalf("LoadSigner: created %v, %v", created, err)
	}
	return &fixture{path: path, db: db, log: l, signer: s, vkey: vkey}
}

// appendN appends events from..to-1, each in its own write.
func (f *fixture) appendN(t *testing.T, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		var got int64
		err := f.db.Update(context.Background(), func(tx *sql.Tx) (err error) {
			got, err = f.log.Append(context.Background(), tx, event(int64(i)))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if got != int64(i) {
			t.Fatalf("event %d got leaf index %d", i, got)
		}
	}
}

func TestCanonical(t *testing.T) {
	e := event(1)
	a, err := e.Canonical()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"decision","time":"2026-11-29T10:00:01.000Z","actor":"tok_agency1","subject":{"attempt":"A-000001","case":"C-0001"},` +
		`"digests":{"contact":"` + fmt.Sprintf("%064x", 1) + `"},"facts":{"allowed":true,"channel":"call","n":1,"rules":["cn.quiet_hours"]}}`
	if string(a) != want {
		t.Fatalf("canonical form\n got %s\nwant %s", a, want)
	}
	// The same event at another zone and with maps built in another order.
	e.At = e.At.In(time.FixedZone("CST", 8*3600))
	e.Subject = map[string]string{"case": "C-0001", "attempt": "A-000001"}
	if b, _ := e.Canonical(); string(b) != string(a) {
		t.Fatalf("canonical form depends on zone or map order:\n%s\n%s", a, b)
	}
	back, err := ParseLeaf(a)
	if err != nil || back.Type != TypeDecision || !back.At.Equal(e.At) || back.Subject["case"] != "C-0001" {
		t.Fatalf("ParseLeaf: %+v, %v", back, err)
	}
	for name, bad := range map[string]Event{
		"type":         {Type: "gossip", At: t0, Actor: "x"},
		"time":         {Type: TypeOutcome, Actor: "x"},
		"actor":        {Type: TypeOutcome, At: t0},
		"key":          {Type: TypeOutcome, At: t0, Actor: "x", Subject: map[string]string{"Phone Number": "1"}},
		"float":        {Type: TypeOutcome, At: t0, Actor: "x", Facts: map[string]any{"amount": 1.5}},
		"utf8":         {Type: TypeOutcome, At: t0, Actor: "x\xff"},
		"utf8 fact":    {Type: TypeOutcome, At: t0, Actor: "x", Facts: map[string]any{"result": "a\xffb"}},
		"utf8 subject": {Type: TypeOutcome, At: t0, Actor: "x", Subject: map[string]string{"case": "\xc3"}},
		"nesting":      {Type: TypeOutcome, At: t0, Actor: "x", Facts: map[string]any{"m": map[string]any{}}},
	} {
		if _, err := bad.Canonical(); err == nil {
			t.Errorf("%s: an ill-formed event was accepted", name)
		}
	}
}

func TestAppendProveVerify(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	const n = 77
	f.appendN(t, 0, n)
	var leaves [][]byte
	for i := range n {
		d, _ := event(int64(i)).Canonical()
		leaves = append(leaves, d)
		got, err := f.log.Leaf(ctx, int64(i))
		if err != nil || string(got) != string(d) {
			t.Fatalf("leaf %d: %s, %v", i, got, err)
		}
	}
	_, mem := memHashes(t, leaves)
	for _, size := range []int64{1, 2, 3, 8, 33, n} {
		want, _ := tlog.TreeHash(size, mem)
		got, err := f.log.TreeHash(ctx, size)
		if err != nil || got != want {
			t.Fatalf("tree hash of %d leaves: %v, %v; want %v", size, got, err, want)
		}
		for _, i := range []int64{0, size / 2, size - 1} {
			p, err := f.log.ProveLeaf(ctx, size, i)
			if err != nil {
				t.Fatal(err)
			}
			if err := tlog.CheckRecord(p, size, want, i, tlog.RecordHash(leaves[i])); err != nil {
				t.Fatalf("inclusion of %d in %d: %v", i, size, err)
			}
			if err := tlog.CheckRecord(p, size, want, i, tlog.RecordHash(leaves[(i+1)%size])); err == nil && size > 1 {
				t.Fatalf("inclusion proof of %d accepted another leaf", i)
			}
		}
		if size < 2 {
			if _, err := f.log.ProveExtends(ctx, size, 0); err == nil {
				t.Fatal("proved that a tree extends the empty tree")
			}
			continue
		}
		old, _ := tlog.TreeHash(size/2, mem)
		p, err := f.log.ProveExtends(ctx, size, size/2)
		if err != nil {
			t.Fatal(err)
		}
		if err := tlog.CheckTree(p, size, want, size/2, old); err != nil {
			t.Fatalf("consistency %d -> %d: %v", size/2, size, err)
		}
	}
	if _, err := f.log.ProveLeaf(ctx, n, n); err == nil {
		t.Fatal("proved a leaf past the tree")
	}
	signed, err := f.log.Checkpoint(ctx, f.signer)
	if err != nil {
		t.Fatal(err)
	}
	c, err := OpenCheckpoint(signed, f.vkey)
	if err != nil || c.Size != n {
		t.Fatalf("checkpoint: %+v, %v", c, err)
	}
	if want, _ := tlog.TreeHash(n, mem); c.Root != want {
		t.Fatal("checkpoint root is not the tree hash")
	}
	// A second checkpoint with no new leaves is the same note.
	if again, err := f.log.Checkpoint(ctx, f.signer); err != nil || string(again) != string(signed) {
		t.Fatalf("re-checkpoint: %v", err)
	}
	rep, err := f.log.Verify(ctx, f.vkey, nil)
	if err != nil || rep.Leaves != n || rep.Checkpoints != 1 || rep.Hashes != tlog.StoredHashCount(n) {
		t.Fatalf("Verify: %+v, %v (want %d leaves, %d hashes)", rep, err, n, tlog.StoredHashCount(n))
	}
	// Another key's verifier rejects the checkpoint.
	_, other, _ := note.GenerateKey(nil, "fairdebt.test/audit")
	if _, err := f.log.Verify(ctx, other, nil); err == nil {
		t.Fatal("Verify accepted checkpoints under another key")
	}
}

// A write that fails after appending takes its leaf with it, alone or with its
// whole batch; the next leaf takes the free index and the log still verifies.
func TestAppendRollsBackWithItsWrite(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.appendN(t, 0, 5)
	boom := errors.New("boom")
	err := f.db.Update(ctx, func(tx *sql.Tx) error {
		if _, err := f.log.Append(ctx, tx, event(99)); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v", err)
	}
	if n, _ := f.log.Size(ctx); n != 5 {
		t.Fatalf("size %d after a failed write, want 5", n)
	}
	f.appendN(t, 5, 9)
	if _, err := f.log.Checkpoint(ctx, f.signer); err != nil {
		t.Fatal(err)
	}
	if _, err := f.log.Verify(ctx, f.vkey, nil); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyFindsTampering(t *testing.T) {
	const n = 40
	data := func(i int) string { d, _ := event(int64(i)).Canonical(); return string(d) }
	checkTampering(t, []tamperCase{
		{"edit a leaf", func(t *testing.T, f *fixture) {
			f.exec(t, "UPDATE audit_leaves SET data = $1 WHERE idx = 17", strings.Replace(data(17), `"allowed":true`, `"allowed":false`, 1))
		}, 17},
		{"delete a leaf", func(t *testing.T, f *fixture) { f.exec(t, "DELETE FROM audit_leaves WHERE idx = 23") }, 23},
		{"swap two leaves", func(t *testing.T, f *fixture) {
			f.exec(t, "UPDATE audit_leaves SET data = $1 WHERE idx = 30", data(31))
			f.exec(t, "UPDATE audit_leaves SET data = $1 WHERE idx = 31", data(30))
		}, 30},
		{"insert a leaf", func(t *testing.T, f *fixture) {
			// Leaves 25… move up one, rows and all, and a forged leaf takes 25.
			for i := n - 1; i >= 25; i-- {
				f.exec(t, "UPDATE audit_leaves SET idx = idx + 1 WHERE idx = $1", i)
			}
			f.exec(t, "INSERT INTO audit_leaves (idx, data, hashes, created_at) VALUES (25, $1, $2, 0)",
				data(5), encodeHashes([]tlog.Hash{tlog.RecordHash([]byte(data(5)))}))
		}, 25},
		{"append a leaf with made-up hashes", func(t *testing.T, f *fixture) {
			f.exec(t, "INSERT INTO audit_leaves (idx, data, hashes, created_at) VALUES ($1, $2, $3, 0)",
				n, data(5), encodeHashes([]tlog.Hash{tlog.RecordHash([]byte("x"))}))
		}, n},
		{"edit a stored hash", func(t *testing.T, f *fixture) {
			// Leaf 11 completes subtrees of levels 1 and 2; change level 1.
			hs := storedHashes(t, f, 11)
			hs[1] = tlog.RecordHash([]byte("x"))
			f.exec(t, "UPDATE audit_leaves SET hashes = $1 WHERE idx = 11", encodeHashes(hs))
		}, 11},
		{"delete a stored hash", func(t *testing.T, f *fixture) {
			hs := storedHashes(t, f, 7)
			f.exec(t, "UPDATE audit_leaves SET hashes = $1 WHERE idx = 7", encodeHashes(hs[:len(hs)-1]))
		}, 7},
		{"rewrite a leaf with its hashes", func(t *testing.T, f *fixture) {
			// The operator recomputes every hash after editing leaf 3; only the
			// signed checkpoint can tell.
			f.exec(t, "UPDATE audit_leaves SET data = $1 WHERE idx = 3", data(4))
			var leaves [][]byte
			for i := range n {
				if i == 3 {
					leaves = append(leaves, []byte(data(4)))
				} else {
					leaves = append(leaves, []byte(data(i)))
				}
			}
			var r Recomputer
			for i, d := range leaves {
				hs, _ := r.Add(d)
				f.exec(t, "UPDATE audit_leaves SET hashes = $1 WHERE idx = $2", encodeHashes(hs), i)
			}
		}, 0},
	}, func(t *testing.T, f *fixture) {
		f.appendN(t, 0, 20)
		if _, err := f.log.Checkpoint(context.Background(), f.signer); err != nil {
			t.Fatal(err)
		}
		f.appendN(t, 20, n)
	})
}

type tamperCase struct {
	name   string
	tamper func(t *testing.T, f *fixture)
	index  int64 // the leaf Verify must name
}

// checkTampering builds a log with build for each case, checks that it verifies,
// tampers with it, and checks that Verify names the case's leaf.
func checkTampering(t *testing.T, cases []tamperCase, build func(t *testing.T, f *fixture)) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t)
			build(t, f)
			if _, err := f.log.Verify(ctx, f.vkey, nil); err != nil {
				t.Fatalf("before tampering: %v", err)
			}
			c.tamper(t, f)
			_, err := f.log.Verify(ctx, f.vkey, nil)
			var te *TamperError
			if !errors.As(err, &te) {
				t.Fatalf("tampering not detected: %v", err)
			}
			if te.Index != c.index {
				t.Fatalf("detected at leaf %d (%v), want %d", te.Index, te, c.index)
			}
		})
	}
}

// A receipt verifies offline; a receipt taken before the operator rewrites the log
// still verifies against its own checkpoint, but no consistency proof leads from
// that checkpoint to one signed after the rewrite.
func TestReceiptsAndConsistency(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.appendN(t, 0, 10)
	r, err := f.log.Receipt(ctx, f.signer, 7)
	if err != nil {
		t.Fatal(err)
	}
	e, before, err := VerifyReceipt(r, f.vkey)
	if err != nil || e.Subject["attempt"] != "A-000007" || before.Size != 10 {
		t.Fatalf("VerifyReceipt: %+v %+v %v", e, before, err)
	}
	if r.Index != 7 {
		t.Fatalf("the receipt of leaf 7 has index %d", r.Index)
	}
	// Tampered receipts fail.
	bad := r
	bad.Leaf = strings.Replace(r.Leaf, `"allowed":true`, `"allowed":false`, 1)
	if bad.Leaf == r.Leaf {
		bad.Leaf = strings.Replace(r.Leaf, `"allowed":false`, `"allowed":true`, 1)
	}
	if _, _, err := VerifyReceipt(bad, f.vkey); err == nil {
		t.Fatal("a receipt with an edited leaf verified")
	}
	bad = r
	bad.Index = 6
	if _, _, err := VerifyReceipt(bad, f.vkey); err == nil {
		t.Fatal("a receipt with another index verified")
	}
	bad = r
	bad.Checkpoint = strings.Replace(r.Checkpoint, "\n10\n", "\n11\n", 1)
	if _, _, err := VerifyReceipt(bad, f.vkey); err == nil {
		t.Fatal("a receipt with an edited checkpoint verified")
	}

	// Honest growth: the new checkpoint extends the old one.
	f.appendN(t, 10, 25)
	signed, err := f.log.Checkpoint(ctx, f.signer)
	if err != nil {
		t.Fatal(err)
	}
	after, err := OpenCheckpoint(signed, f.vkey)
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.log.Consistency(ctx, before.Size, after.Size)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyConsistency(before, after, p); err != nil {
		t.Fatalf("honest growth: %v", err)
	}

	// The operator rewrites leaf 7, recomputes every hash and signs a new
	// checkpoint: the old receipt still verifies against its own checkpoint, and
	// nothing proves the new tree extends the old one.
	leaves := make([][]byte, 30)
	for i := range leaves {
		leaves[i], _ = event(int64(i)).Canonical()
	}
	leaves[7], _ = event(8).Canonical()
	f.appendN(t, 25, 30)
	err = f.db.Update(ctx, func(tx *sql.Tx) error {
		if _, err := tx.Exec("UPDATE audit_leaves SET data = $1 WHERE idx = 7", string(leaves[7])); err != nil {
			return err
		}
		var r Recomputer
		for i, d := range leaves {
			hs, _ := r.Add(d)
			if _, err := tx.Exec("UPDATE audit_leaves SET hashes = $1 WHERE idx = $2", encodeHashes(hs), i); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The operator restarts on the rewritten database: a running log would keep
	// proving from the hashes it has read and cached.
	if f.log, err = New(ctx, f.db); err != nil {
		t.Fatal(err)
	}
	signed, err = f.log.Checkpoint(ctx, f.signer)
	if err != nil {
		t.Fatal(err)
	}
	rewritten, err := OpenCheckpoint(signed, f.vkey)
	if err != nil || rewritten.Size != 30 {
		t.Fatal(err)
	}
	if _, _, err := VerifyReceipt(r, f.vkey); err != nil {
		t.Fatalf("the receipt from before the rewrite no longer verifies: %v", err)
	}
	p, err = f.log.Consistency(ctx, before.Size, rewritten.Size)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyConsistency(before, rewritten, p); err == nil {
		t.Fatal("a rewritten log was proved to extend the checkpoint from before the rewrite")
	}
	if _, err := f.log.Verify(ctx, f.vkey, nil); err == nil {
		t.Fatal("Verify passed a rewritten log whose earlier checkpoints disagree")
	}
}

// An export verifies with the verifier key alone; an edited, dropped or reordered
// leaf in it does not.
func TestExport(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.appendN(t, 0, 12)
	if _, err := f.log.Checkpoint(ctx, f.signer); err != nil {
		t.Fatal(err)
	}
	f.appendN(t, 12, 30)
	if _, err := f.log.Checkpoint(ctx, f.signer); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	n, err := f.log.Export(ctx, &b, t0)
	if err != nil || n != 30 {
		t.Fatalf("export: %d, %v", n, err)
	}
	rep, err := VerifyExport(strings.NewReader(b.String()), f.vkey, nil)
	if err != nil || rep.Leaves != 30 || rep.Checkpoints != 2 {
		t.Fatalf("VerifyExport: %+v, %v", rep, err)
	}
	lines := strings.SplitAfter(b.String(), "\n")
	// lines: header, 2 checkpoints, 30 leaves (and a final empty string).
	leafLine := func(i int) int { return 3 + i }
	edits := map[string]func([]string) []string{
		"edited leaf": func(l []string) []string {
			l[leafLine(5)] = strings.Replace(l[leafLine(5)], "A-000005", "A-000006", 1)
			return l
		},
		"dropped leaf": func(l []string) []string { return append(l[:leafLine(7)], l[leafLine(7)+1:]...) },
		"swapped leaves": func(l []string) []string {
			l[leafLine(3)], l[leafLine(4)] = l[leafLine(4)], l[leafLine(3)]
			return l
		},
		"truncated": func(l []string) []string { return l[:leafLine(20)] },
	}
	for name, edit := range edits {
		tampered := strings.Join(edit(append([]string(nil), lines...)), "")
		_, err := VerifyExport(strings.NewReader(tampered), f.vkey, nil)
		var te *TamperError
		if !errors.As(err, &te) {
			t.Errorf("%s: not detected (%v)", name, err)
		}
	}
	_, other, _ := note.GenerateKey(nil, "fairdebt.test/audit")
	if _, err := VerifyExport(strings.NewReader(b.String()), other, nil); err == nil {
		t.Error("an export verified under another key")
	}
	if _, err := VerifyExport(strings.NewReader("{}\n"), f.vkey, nil); err == nil {
		t.Error("a file that is not an export verified")
	}
}

// Fill writes the same log that appending one by one would.
func TestFill(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.appendN(t, 0, 10)
	if err := f.log.Fill(ctx, 1234, event, nil); err != nil {
		t.Fatal(err)
	}
	f.appendN(t, 1234, 1240)
	var leaves [][]byte
	for i := range 1240 {
		d, _ := event(int64(i)).Canonical()
		leaves = append(leaves, d)
	}
	_, mem := memHashes(t, leaves)
	want, _ := tlog.TreeHash(1240, mem)
	if got, err := f.log.TreeHash(ctx, 1240); err != nil || got != want {
		t.Fatalf("tree hash after Fill: %v %v", got, err)
	}
	if _, err := f.log.Checkpoint(ctx, f.signer); err != nil {
		t.Fatal(err)
	}
	if rep, err := f.log.Verify(ctx, f.vkey, nil); err != nil || rep.Leaves != 1240 {
		t.Fatalf("verify after Fill: %+v %v", rep, err)
	}
}

// A signing key given in a file or in the environment signs checkpoints that its
// verifier key (derived, never stored beside it) accepts.
func TestSignerFromFileAndEnv(t *testing.T) {
	sk, vk, err := note.GenerateKey(nil, "fairdebt.example/audit")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "signing.key")
	if err := os.WriteFile(path, []byte(sk+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, vkey, err := SignerFromFile(path)
	if err != nil || vkey != vk {
		t.Fatalf("SignerFromFile: %v; verifier %q, want %q", err, vkey, vk)
	}
	t.Setenv(EnvSignerKey, sk)
	dir := t.TempDir()
	s2, vkey2, created, err := LoadSigner(dir, "ignored")
	if err != nil || created || vkey2 != vk || s2.Name() != "fairdebt.example/audit" {
		t.Fatalf("LoadSigner from the environment: %v %v %q", err, created, vkey2)
	}
	if _, err := os.Stat(filepath.Join(dir, SignerKeyFile)); !os.IsNotExist(err) {
		t.Fatal("a key file was written although the key came from the environment")
	}
	c := Checkpoint{Origin: s.Name(), Size: 3, Root: tlog.RecordHash([]byte("x"))}
	signed, err := note.Sign(&note.Note{Text: c.Text()}, s)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := OpenCheckpoint(signed, vk); err != nil || got != c {
		t.Fatalf("OpenCheckpoint: %+v %v", got, err)
	}
	if _, _, err := SignerFromFile(filepath.Join(t.TempDir(), "none")); err == nil {
		t.Fatal("a missing key file was accepted")
	}
}

// Appends from many writers share batches; some writes fail after appending (their
// savepoint is rolled back), some take their whole batch down. The cached frontier
// must never outlive a rollback: the log holds exactly the acknowledged leaves, in
// a tree that verifies.
func TestAppendCacheSurvivesRollbacks(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	boom := errors.New("boom")
	var mu sync.Mutex
	acked := map[string]int64{} // attempt → leaf index
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 40 {
				k := int64(g*1000 + i)
				var idx int64
				var err error
				switch i % 7 {
				case 3: // fails after appending: the savepoint is rolled back
					err = f.db.Update(ctx, func(tx *sql.Tx) error {
						if _, err := f.log.Append(ctx, tx, event(k)); err != nil {
							return err
						}
						return boom
					})
				case 5: // a savepoint-free write that fails part-way: the batch goes
					err = f.db.UpdateSingle(ctx, func(tx *sql.Tx) error {
						if _, err := f.log.Append(ctx, tx, event(k)); err != nil {
							return store.AbortBatch(err)
						}
						return store.AbortBatch(boom)
					})
				default:
					err = f.db.UpdateSingle(ctx, func(tx *sql.Tx) (err error) {
						idx, err = f.log.Append(ctx, tx, event(k))
						return err
					})
				}
				if err == nil {
					mu.Lock()
					acked[fmt.Sprintf("A-%06d", k)] = idx
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	n, err := f.log.Size(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(len(acked)) {
		t.Fatalf("%d leaves for %d acknowledged appends", n, len(acked))
	}
	for attempt, idx := range acked {
		leaf, err := f.log.Leaf(ctx, idx)
		if err != nil {
			t.Fatal(err)
		}
		if e, err := ParseLeaf(leaf); err != nil || e.Subject["attempt"] != attempt {
			t.Fatalf("leaf %d, acknowledged for %s: %s, %v", idx, attempt, leaf, err)
		}
	}
	if _, err := f.log.Checkpoint(ctx, f.signer); err != nil {
		t.Fatal(err)
	}
	if _, err := f.log.Verify(ctx, f.vkey, nil); err != nil {
		t.Fatal(err)
	}
}

// storedHashes reads the hashes stored with leaf i.
func storedHashes(t *testing.T, f *fixture, i int) []tlog.Hash {
	t.Helper()
	var s string
	if err := f.db.R.QueryRow("SELECT hashes FROM audit_leaves WHERE idx = $1", i).Scan(&s); err != nil {
		t.Fatal(err)
	}
	hs, err := decodeHashes(s)
	if err != nil {
		t.Fatal(err)
	}
	return hs
}

// The hand-written canonical form is byte for byte what encoding/json writes for
// the leaf, over strings with every kind of character that needs escaping.
func TestCanonicalMatchesEncodingJSON(t *testing.T) {
	pieces := []string{"", "a", "Z9", "\"", "\\", "\n", "\r", "\t", "\b", "\f", "\x00", "\x1f", "\x7f", "<>&", "\u2028", "\u2029",
		"逾期", "é", "\U0001F600", "'", "/", "\u00a0", "\ufeff", "\u200b"}
	rng := rand.New(rand.NewPCG(7, 8))
	str := func() string {
		var b strings.Builder
		for range rng.IntN(6) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		return b.String()
	}
	for i := range 2000 {
		e := Event{Type: eventTypes[i%len(eventTypes)], At: t0.Add(time.Duration(rng.Int64N(1e15))), Actor: "x" + str(),
			Subject: map[string]string{}, Digests: map[string]string{}, Facts: map[string]any{}}
		for k := range rng.IntN(4) {
			e.Subject[fmt.Sprintf("s%d", k)] = str()
			e.Digests[fmt.Sprintf("d_%d", k)] = str()
		}
		e.Facts["b"], e.Facts["i"], e.Facts["j"] = rng.IntN(2) == 0, rng.IntN(1000)-500, rng.Int64()
		e.Facts["s"], e.Facts["l"] = str(), []string{str(), str()}
		if i%5 == 0 {
			e.Facts["n"] = []string(nil)
			e.Subject = nil
		}
		got, err := e.Canonical()
		if err != nil {
			t.Fatal(err)
		}
		l := leaf{Type: e.Type, Time: e.At.UTC().Format(timeLayout), Actor: e.Actor, Subject: e.Subject, Digests: e.Digests, Facts: e.Facts}
		if l.Subject == nil {
			l.Subject = map[string]string{}
		}
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(l); err != nil {
			t.Fatal(err)
		}
		if want := strings.TrimSuffix(b.String(), "\n"); string(got) != want {
			t.Fatalf("canonical form differs from encoding/json:\n got %s\nwant %s", got, want)
		}
	}
}
