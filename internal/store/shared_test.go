package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"sync"
	"testing"
)

// postgresOnly skips a test of what only several processes on PostgreSQL do.
func postgresOnly(t *testing.T) {
	t.Helper()
	if engine() != "postgres" {
		t.Skip("PostgreSQL only (set FAIRDEBT_TEST_POSTGRES; .ci/run does)")
	}
}

// openTwo opens two handles on a new PostgreSQL database, as two replicas
// would, closed when the test ends.
func openTwo(t *testing.T) (dsn string, a, b *DB) {
	t.Helper()
	dsn = newDSN(t)
	for _, db := range []**DB{&a, &b} {
		var err error
		if *db, err = openAt(t, dsn); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { (*db).Close() })
	}
	return dsn, a, b
}

// Two handles on one database stand for two replicas. Each reads a counter,
// then writes it one higher, as the gate reads a debtor's contacts and then
// records one more: without the writers' lock, read committed would let both
// read the same value and one increment would be lost.
func TestSharedWritersTakeTurns(t *testing.T) {
	postgresOnly(t)
	_, a, b := openTwo(t)
	ctx := context.Background()
	if _, err := a.w.Exec("CREATE TABLE counter (v BIGINT NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.w.Exec("INSERT INTO counter VALUES (0)"); err != nil {
		t.Fatal(err)
	}
	const each = 150
	var wg sync.WaitGroup
	errs := make(chan error, 2*each)
	for _, db := range []*DB{a, b} {
		for range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range each / 3 {
					errs <- db.Update(ctx, func(tx *sql.Tx) error {
						var v int64
						if err := tx.QueryRow("SELECT v FROM counter").Scan(&v); err != nil {
							return err
						}
						_, err := tx.Exec("UPDATE counter SET v = $1", v+1)
						return err
					})
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
	var v int64
	if err := a.R.QueryRow("SELECT v FROM counter").Scan(&v); err != nil {
		t.Fatal(err)
	}
	if v != 2*each {
		t.Fatalf("counter is %d after %d increments from two processes", v, 2*each)
	}
}

// What one process touches reaches the other's OnForeignWrites at its next
// batch, once; a process never hears of its own writes; and a process that has
// fallen behind the pruned log is told to forget everything.
func TestForeignWrites(t *testing.T) {
	postgresOnly(t)
	_, a, b := openTwo(t)
	type call struct{ keys []string }
	var heardA, heardB []call
	a.OnForeignWrites(func(keys []string) { heardA = append(heardA, call{keys}) })
	b.OnForeignWrites(func(keys []string) { heardB = append(heardB, call{keys}) })
	ctx := context.Background()
	touch := func(db *DB, keys ...string) {
		t.Helper()
		if err := db.Update(ctx, func(*sql.Tx) error {
			for _, k := range keys {
				db.Touch(k)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	touch(a, "b:1", "c:2", "b:1")
	touch(a, "b:3")
	epoch := b.Epoch()
	var seen []string
	if err := b.Update(ctx, func(*sql.Tx) error { seen = slices.Clone(heardB[0].keys); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(heardB) != 1 || !slices.Equal(seen, []string{"b:1", "c:2", "b:3"}) {
		t.Fatalf("b heard %v, want one call with a's keys in order, each once", heardB)
	}
	if b.Epoch() == epoch {
		t.Error("b's epoch did not change when a wrote")
	}
	touch(b, "b:9")
	if len(heardB) != 1 {
		t.Errorf("b heard its own write: %v", heardB)
	}
	touch(a)
	if len(heardA) != 1 || !slices.Equal(heardA[0].keys, []string{"b:9"}) {
		t.Errorf("a heard %v, want b's one key", heardA)
	}
	// A write that touches nothing is still heard, with no keys: it may have
	// appended to the audit log, which Epoch tells the log's cache.
	touch(a)
	touch(b)
	if len(heardB) != 2 || heardB[1].keys == nil || len(heardB[1].keys) != 0 {
		t.Errorf("b heard %v after a wrote without touching", heardB)
	}
	// A gap (rows pruned before b read them; pruning keeps the newest) means
	// forget everything.
	touch(a)
	touch(a)
	if _, err := a.w.Exec("DELETE FROM write_log WHERE gen < (SELECT MAX(gen) FROM write_log)"); err != nil {
		t.Fatal(err)
	}
	touch(b)
	if last := heardB[len(heardB)-1]; last.keys != nil {
		t.Errorf("b heard %v across a gap, want nil (forget everything)", last)
	}
}

// A batch that fails after touching publishes nothing of its own, and its
// keys do not leak into the next batch.
func TestTouchedKeysEndWithTheBatch(t *testing.T) {
	postgresOnly(t)
	dsn := newDSN(t)
	a, err := openAt(t, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx := context.Background()
	_ = a.Update(ctx, func(*sql.Tx) error { a.Touch("b:lost"); return errors.New("fails") })
	if err := a.Update(ctx, func(*sql.Tx) error { a.Touch("b:kept"); return nil }); err != nil {
		t.Fatal(err)
	}
	var keys string
	if err := a.R.QueryRow("SELECT keys FROM write_log ORDER BY gen DESC LIMIT 1").Scan(&keys); err != nil {
		t.Fatal(err)
	}
	if keys != "b:kept" {
		t.Errorf("the last row's keys are %q, want b:kept", keys)
	}
}

// Batches commit asynchronously (see durable): a write_log row another process
// saw may be lost in a crash of the server, and its gen taken by a later row. A
// process that finds the row it saw last gone, or another in its place, forgets
// everything.
func TestLostWriteLogRows(t *testing.T) {
	postgresOnly(t)
	dsn, a, b := openTwo(t)
	var heardA, heardB [][]string
	a.OnForeignWrites(func(keys []string) { heardA = append(heardA, keys) })
	b.OnForeignWrites(func(keys []string) { heardB = append(heardB, keys) })
	ctx := context.Background()
	touch := func(db *DB, keys ...string) {
		t.Helper()
		if err := db.Update(ctx, func(*sql.Tx) error {
			for _, k := range keys {
				db.Touch(k)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	// As the server crashing would: a plain pool, outside the writers' lock.
	raw := rawPostgres(t, dsn)
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := raw.Exec(q, args...); err != nil {
			t.Fatal(err)
		}
	}
	lastGen := func() int64 {
		t.Helper()
		var g int64
		if err := raw.QueryRow("SELECT COALESCE(MAX(gen), 0) FROM write_log").Scan(&g); err != nil {
			t.Fatal(err)
		}
		return g
	}
	wantGap := func(what string) {
		t.Helper()
		if len(heardB) == 0 || heardB[len(heardB)-1] != nil {
			t.Errorf("%s: b heard %q, want nil last (forget everything)", what, heardB)
		}
		heardB = nil
	}

	touch(a, "x")
	touch(b)
	if len(heardB) != 1 || !slices.Equal(heardB[0], []string{"x"}) {
		t.Fatalf("b heard %q, want a's key", heardB)
	}
	heardB = nil

	// b's own last row lost, and its gen taken by another process's row.
	g := lastGen()
	exec("DELETE FROM write_log WHERE gen = $1", g)
	exec("INSERT INTO write_log (gen, writer, keys) VALUES ($1, 'another', 'y')", g)
	touch(b)
	wantGap("the row b saw last replaced")

	// b's last row lost, and nothing written after it.
	exec("DELETE FROM write_log WHERE gen = $1", lastGen())
	touch(b)
	wantGap("the row b saw last lost")
	touch(b)
	if len(heardB) != 0 {
		t.Errorf("b heard %q after its own write alone", heardB)
	}

	// Every row lost.
	exec("DELETE FROM write_log")
	touch(b)
	wantGap("the log emptied")
	if g := lastGen(); g != 1 {
		t.Errorf("b wrote gen %d into an empty log, want 1", g)
	}

	// A process whose batch may be lost (its commit or flush failed) takes a
	// new name, so that the row it writes again at the same gen is not taken
	// for the lost one by a process that saw that one last (a process whose
	// batch wrote nothing rolls it back, and adds no row of its own).
	touch(b)
	heardA = nil
	if err := a.Update(ctx, func(*sql.Tx) error { return errors.New("nothing to write") }); err == nil {
		t.Fatal("a failed write succeeded")
	}
	if len(heardA) != 1 {
		t.Fatalf("a heard %q, want b's write", heardA)
	}
	heardA = nil
	exec("DELETE FROM write_log WHERE gen = $1", lastGen()) // b's row, lost
	b.doubt()
	touch(b) // b writes the same gen again
	touch(a)
	if len(heardA) != 1 || heardA[0] != nil {
		t.Errorf("a heard %q after b's row it saw was replaced by b's next, want nil", heardA)
	}
}
