package audit

import (
	"context"
	"database/sql"
	"errors"
	"maps"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"

	"github.com/fairdebt/fairdebt/internal/store/storetest"
)

// Adding a leaf from the hashes stored for it leaves the same frontier as
// computing them.
func TestAddStoredMatchesAdd(t *testing.T) {
	var computed, stored Recomputer
	for i := range 1100 {
		hs, err := computed.Add([]byte{byte(i), byte(i >> 8)})
		if err != nil {
			t.Fatal(err)
		}
		if err := stored.addStored(hs); err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(computed.frontier, stored.frontier) || computed.n != stored.n {
			t.Fatalf("after leaf %d the frontiers differ: %v and %v", i, computed.frontier, stored.frontier)
		}
	}
	if err := stored.addStored(nil); err == nil {
		t.Error("a leaf with no hashes was taken")
	}
}

// Three processes (three handles on one PostgreSQL database) append to one log
// at once. Every leaf gets its own index, the tree verifies, and a process
// that finds others' leaves reads only those, not the whole frontier.
func TestThreeProcessesAppendToOneLog(t *testing.T) {
	if !storetest.Postgres() {
		t.Skip("PostgreSQL only (set FAIRDEBT_TEST_POSTGRES; .ci/run does)")
	}
	f := newFixture(t)
	ctx := context.Background()
	logs := []*Log{f.log}
	for range 2 {
		db := storetest.OpenAt(t, f.path)
		l, err := New(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		logs = append(logs, l)
	}
	const each = 300 // over a tile (256 leaves) in all, so tiles are made by all three
	var mu sync.Mutex
	got := map[int64]bool{}
	var wg sync.WaitGroup
	errs := make(chan error, len(logs)*each)
	for w, l := range logs {
		for g := range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := rand.New(rand.NewPCG(uint64(w), uint64(g)))
				for i := range each / 3 {
					var idx int64
					err := l.db.Update(ctx, func(tx *sql.Tx) (err error) {
						idx, err = l.Append(ctx, tx, event(int64(w*10_000+g*1000+i)))
						return err
					})
					if err == nil {
						mu.Lock()
						if got[idx] {
							t.Errorf("index %d given twice", idx)
						}
						got[idx] = true
						mu.Unlock()
					}
					errs <- err
					if r.IntN(4) == 0 {
						l.db.Update(ctx, func(*sql.Tx) error { return nil }) // a write without a leaf
					}
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	n := int64(len(logs) * each)
	if size, err := f.log.Size(ctx); err != nil || size != n {
		t.Fatalf("size %d (%v), want %d", size, err, n)
	}
	for i := range n {
		if !got[i] {
			t.Fatalf("no append got index %d", i)
		}
	}
	if _, err := f.log.Checkpoint(ctx, f.signer); err != nil {
		t.Fatal(err)
	}
	rep, err := f.log.Verify(ctx, f.vkey, nil)
	if err != nil {
		t.Fatalf("verify: %v (%+v)", err, rep)
	}
	var tiles int
	if err := f.db.R.QueryRow("SELECT COUNT(*) FROM audit_tiles WHERE level = 0").Scan(&tiles); err != nil || tiles != int(n/256) {
		t.Errorf("%d bottom tiles (%v), want %d", tiles, err, n/256)
	}
	for i, l := range logs {
		if l.loads > 1 {
			t.Errorf("process %d read the whole frontier %d times; catching up should read only new leaves", i, l.loads)
		}
		// No write failed: every other process's leaf came with what it
		// published, and none had to be read.
		if l.catchUps > 0 {
			t.Errorf("process %d read others' leaves %d times; they published them", i, l.catchUps)
		}
	}
}

// A process whose leaf was rolled back with its write (its cache a leaf
// ahead) and another that appended at that index meanwhile: the first must not
// take the other's leaf for its own, and the log verifies.
func TestRolledBackLeafThenAnotherProcessAppends(t *testing.T) {
	if !storetest.Postgres() {
		t.Skip("PostgreSQL only (set FAIRDEBT_TEST_POSTGRES; .ci/run does)")
	}
	f := newFixture(t)
	ctx := context.Background()
	other := storetest.OpenAt(t, f.path)
	l2, err := New(ctx, other)
	if err != nil {
		t.Fatal(err)
	}
	f.appendN(t, 0, 5)
	boom := errors.New("the write fails after its leaf")
	if err := f.db.Update(ctx, func(tx *sql.Tx) error {
		if _, err := f.log.Append(ctx, tx, event(100)); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	// Leaves 5 and 6: leaf 6 completes no subtree, so its stored hashes do not
	// cover leaf 5's.
	for i := range 2 {
		if err := other.Update(ctx, func(tx *sql.Tx) error {
			_, err := l2.Append(ctx, tx, event(int64(200+i)))
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	var idx int64
	if err := f.db.Update(ctx, func(tx *sql.Tx) (err error) {
		idx, err = f.log.Append(ctx, tx, event(300))
		return err
	}); err != nil || idx != 7 {
		t.Fatalf("the next leaf got index %d (%v), want 7", idx, err)
	}
	f.appendN(t, 8, 20)
	if _, err := f.log.Checkpoint(ctx, f.signer); err != nil {
		t.Fatal(err)
	}
	if rep, err := f.log.Verify(ctx, f.vkey, nil); err != nil {
		t.Fatalf("verify: %v (%+v)", err, rep)
	}
}

// A leaf whose write failed and was undone alone (its savepoint rolled back)
// while the rest of its batch committed is not published: another process that
// took it for appended would append after it, at an index no leaf holds.
func TestRolledBackLeafIsNotPublished(t *testing.T) {
	if !storetest.Postgres() {
		t.Skip("PostgreSQL only (set FAIRDEBT_TEST_POSTGRES; .ci/run does)")
	}
	f := newFixture(t)
	ctx := context.Background()
	other := storetest.OpenAt(t, f.path)
	l2, err := New(ctx, other)
	if err != nil {
		t.Fatal(err)
	}
	f.appendN(t, 0, 5)
	appendOther := func(i int64) int64 {
		t.Helper()
		var idx int64
		if err := other.Update(ctx, func(tx *sql.Tx) (err error) {
			idx, err = l2.Append(ctx, tx, event(i))
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return idx
	}
	appendOther(200) // leaf 5: the other process's cache is loaded
	// One batch of this process: a write that appends and then fails, and one
	// that succeeds without appending.
	hold, release := make(chan struct{}), make(chan struct{})
	go f.db.Update(ctx, func(*sql.Tx) error { close(hold); <-release; return nil })
	<-hold
	boom := errors.New("the write fails after its leaf")
	failed, succeeded := make(chan error, 1), make(chan error, 1)
	go func() {
		failed <- f.db.Update(ctx, func(tx *sql.Tx) error {
			if _, err := f.log.Append(ctx, tx, event(100)); err != nil {
				return err
			}
			return boom
		})
	}()
	for f.db.Queued() < 1 {
		runtime.Gosched()
	}
	go func() { succeeded <- f.db.Update(ctx, func(*sql.Tx) error { return nil }) }()
	for f.db.Queued() < 2 {
		runtime.Gosched()
	}
	close(release)
	if err1, err2 := <-failed, <-succeeded; !errors.Is(err1, boom) || err2 != nil {
		t.Fatalf("the batch's writes returned %v and %v, want %v and nil", err1, err2, boom)
	}
	if idx := appendOther(201); idx != 6 {
		t.Errorf("the other process appended at %d, want 6", idx)
	}
	f.appendN(t, 7, 20)
	if _, err := f.log.Checkpoint(ctx, f.signer); err != nil {
		t.Fatal(err)
	}
	if rep, err := f.log.Verify(ctx, f.vkey, nil); err != nil {
		t.Fatalf("verify: %v (%+v)", err, rep)
	}
}
