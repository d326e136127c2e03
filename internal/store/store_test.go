package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/fairdebt/fairdebt/internal/dbtest"
)

// engine is the database the tests run on: sqlite, or postgres when
// FAIRDEBT_TEST_POSTGRES is set (see dbtest).
func engine() string {
	if dbtest.Postgres() {
		return "postgres"
	}
	return "sqlite"
}

// sqliteOnly skips a test of what only SQLite has (pragmas, the write-ahead
// log, read-only opens).
func sqliteOnly(t *testing.T) {
	t.Helper()
	if engine() != "sqlite" {
		t.Skip("SQLite only")
	}
}

// newDSN returns where a test's database is (see dbtest.DSN).
func newDSN(t *testing.T) string {
	t.Helper()
	return dbtest.DSN(t)
}

// openAt opens the database at dsn (from newDSN) on the test's engine.
func openAt(t *testing.T, dsn string) (*DB, error) {
	t.Helper()
	if IsPostgres(dsn) {
		return OpenPostgres(context.Background(), dsn)
	}
	return OpenSQLite(context.Background(), dsn)
}

func open(t *testing.T) *DB {
	t.Helper()
	db, err := openAt(t, newDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestMigrationsAndPragmas(t *testing.T) {
	db := open(t)
	if engine() == "sqlite" {
		var mode string
		if err := db.R.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
			t.Errorf("journal_mode %q (%v), want wal", mode, err)
		}
		var fk int
		if err := db.R.QueryRow("PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
			t.Errorf("foreign_keys %d (%v), want 1", fk, err)
		}
	}
	for _, table := range []string{"lenders", "agencies", "borrowers", "debts", "installments", "cases", "parties",
		"contact_methods", "optouts", "holds", "attempts", "promises", "api_tokens"} {
		var n int
		if err := db.R.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
			t.Errorf("table %s: %v", table, err)
		}
	}
	if _, err := db.R.Exec("INSERT INTO lenders (id, name, created_at) VALUES ('x', 'x', 0)"); err == nil {
		t.Error("the reader pool accepted a write")
	}
	// Foreign keys hold on either engine.
	if err := db.Update(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec("INSERT INTO borrowers (id, lender_id, name, timezone, pack, created_at) VALUES ('b', 'no such lender', 'n', 'UTC', 'cn', 0)")
		return err
	}); err == nil {
		t.Error("a borrower of a lender that does not exist was written")
	}
}

// TestUpdateIsolatesFailures runs many writes at once, some failing: each failing
// write is undone alone, the others commit, and every caller learns its own result.
func TestUpdateIsolatesFailures(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	errBoom := errors.New("boom")
	var wg sync.WaitGroup
	results := make([]error, 200)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = db.Update(ctx, func(tx *sql.Tx) error {
				if _, err := tx.Exec("INSERT INTO lenders (id, name, created_at) VALUES ($1, 'n', 0)", strconv.Itoa(i)); err != nil {
					return err
				}
				switch i % 10 {
				case 3:
					return errBoom
				case 7:
					panic("write panicked on purpose")
				}
				return nil
			})
		}()
	}
	wg.Wait()
	want := 0
	for i, err := range results {
		switch i % 10 {
		case 3:
			if !errors.Is(err, errBoom) {
				t.Errorf("write %d: %v, want boom", i, err)
			}
		case 7:
			if err == nil {
				t.Errorf("write %d: a panic was reported as success", i)
			}
		default:
			want++
			if err != nil {
				t.Errorf("write %d: %v", i, err)
			}
		}
	}
	var n int
	if err := db.R.QueryRow("SELECT COUNT(*) FROM lenders").Scan(&n); err != nil || n != want {
		t.Errorf("%d rows (%v), want %d: failed writes must leave nothing", n, err, want)
	}
}

// TestUpdateSingle mixes savepoint-free writes with ordinary ones: a single write
// whose statement fails (a duplicate key) leaves nothing and does not disturb the
// others, and each caller's answer matches what is in the database.
func TestUpdateSingle(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	results := make([]error, 300)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			insert := func(tx *sql.Tx) error {
				// Every fifth write reuses an id: one of each pair must fail.
				id := i
				if i%5 == 4 {
					id = i - 1
				}
				_, err := tx.Exec("INSERT INTO lenders (id, name, created_at) VALUES ($1, 'n', 0)", strconv.Itoa(id))
				return err
			}
			if i%2 == 0 {
				results[i] = db.UpdateSingle(ctx, insert)
			} else {
				results[i] = db.Update(ctx, insert)
			}
		}()
	}
	wg.Wait()
	ok := 0
	for i, err := range results {
		if err == nil {
			ok++
			continue
		}
		if i%5 != 3 && i%5 != 4 {
			t.Errorf("write %d: %v", i, err)
		}
	}
	if want := len(results) * 4 / 5; ok != want {
		t.Errorf("%d writes succeeded, want %d (one of each duplicate pair)", ok, want)
	}
	var n int
	if err := db.R.QueryRow("SELECT COUNT(*) FROM lenders").Scan(&n); err != nil || n != ok {
		t.Errorf("%d rows (%v), but %d writes reported success", n, err, ok)
	}
}

// TestUpdateSinglePanicAbortsBatch: after a savepoint-free write panics, nothing of
// its batch may commit, every caller in it hears of the failure, and the abort
// hooks run; later writes work again.
//
// On PostgreSQL the batch is run again with a savepoint for every write function
// (see commit), so the panicking write is undone alone and the others commit.
func TestUpdateSinglePanicAbortsBatch(t *testing.T) {
	if engine() == "postgres" {
		db := open(t)
		var wg sync.WaitGroup
		results := make([]error, 20)
		for i := range results {
			wg.Go(func() {
				results[i] = db.UpdateSingle(context.Background(), func(tx *sql.Tx) error {
					_, err := tx.Exec("INSERT INTO lenders (id, name, created_at) VALUES ($1, 'n', 0)", strconv.Itoa(i))
					if i == 10 && err == nil {
						panic("after its write")
					}
					return err
				})
			})
		}
		wg.Wait()
		var n int
		if err := db.R.QueryRow("SELECT COUNT(*) FROM lenders WHERE id <> '10'").Scan(&n); err != nil || n != 19 ||
			!errors.Is(results[10], errPanicked) {
			t.Errorf("%d other rows (%v), the panicking write: %v", n, err, results[10])
		}
		return
	}
	checkBatchAborted(t, func(i int) error { panic("after its write") }, errPanicked)
}

// On PostgreSQL single writes run without savepoints until a statement of one
// fails: then the batch is rolled back and every write runs again, each in a
// savepoint, so that only the failing one fails.
func TestSingleWritesRunAgainAfterAFailedStatement(t *testing.T) {
	if engine() != "postgres" {
		t.Skip("PostgreSQL only: on SQLite a failed statement undoes only itself")
	}
	db := open(t)
	ctx := context.Background()
	for _, failing := range []int{-1, 10} {
		runs := make([]int, 20)
		// Hold the writer so that the next writes queue up and share one batch.
		hold, release := make(chan struct{}), make(chan struct{})
		go db.Update(ctx, func(*sql.Tx) error { close(hold); <-release; return nil })
		<-hold
		var wg sync.WaitGroup
		results := make([]error, len(runs))
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i] = db.UpdateSingle(ctx, func(tx *sql.Tx) error {
					runs[i]++ // on the writer goroutine, one function at a time
					if i == failing {
						_, err := tx.Exec("SELECT 1 / 0")
						return err
					}
					_, err := tx.Exec("INSERT INTO lenders (id, name, created_at) VALUES ($1, 'n', 0)", fmt.Sprintf("%d-%d", failing, i))
					return err
				})
			}()
			for len(db.queue) < i+1 { // queued in order
				runtime.Gosched()
			}
		}
		close(release)
		wg.Wait()
		for i, err := range results {
			if (err != nil) != (i == failing) {
				t.Errorf("failing %d: write %d: %v", failing, i, err)
			}
			// The writes up to the failing one ran twice; those after it, once.
			want := 1
			if i <= failing {
				want = 2
			}
			if runs[i] != want {
				t.Errorf("failing %d: write %d ran %d times, want %d", failing, i, runs[i], want)
			}
		}
		ok := 20
		if failing >= 0 {
			ok--
		}
		var n int
		if err := db.R.QueryRow("SELECT COUNT(*) FROM lenders WHERE id LIKE $1", fmt.Sprintf("%d-%%", failing)).Scan(&n); err != nil || n != ok {
			t.Errorf("failing %d: %d rows (%v)", failing, n, err)
		}
	}
}

// A write that fails after its statement with AbortBatch takes its whole batch
// down, as a panic does.
func TestAbortBatch(t *testing.T) {
	boom := errors.New("audit append failed")
	checkBatchAborted(t, func(int) error { return AbortBatch(boom) }, boom)
}

// checkBatchAborted queues 20 single writes in one batch, of which write 10 fails
// after its statement by calling fail; every write must fail, write 10 with an
// error that wraps want, and nothing must be left written.
func checkBatchAborted(t *testing.T, fail func(i int) error, want error) {
	db := open(t)
	ctx := context.Background()
	aborts := 0
	db.OnAbort(func() { aborts++ })
	// Hold the writer so that the next writes queue up and share one batch.
	hold, release := make(chan struct{}), make(chan struct{})
	go db.Update(ctx, func(*sql.Tx) error { close(hold); <-release; return nil })
	<-hold
	var wg sync.WaitGroup
	results := make([]error, 20)
	queued := make(chan struct{}, len(results))
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn := func(tx *sql.Tx) error {
				_, err := tx.Exec("INSERT INTO lenders (id, name, created_at) VALUES ($1, 'n', 0)", strconv.Itoa(i))
				if i == 10 && err == nil {
					return fail(i)
				}
				return err
			}
			queued <- struct{}{}
			results[i] = db.UpdateSingle(ctx, fn)
		}()
	}
	for range results {
		<-queued
	}
	for len(db.queue) < len(results) {
		runtime.Gosched()
	}
	close(release)
	wg.Wait()
	for i, err := range results {
		if err == nil {
			t.Errorf("write %d reported success in a batch that was rolled back", i)
		}
	}
	if !errors.Is(results[10], want) {
		t.Errorf("the failing write got %v, want %v", results[10], want)
	}
	var n int
	if err := db.R.QueryRow("SELECT COUNT(*) FROM lenders").Scan(&n); err != nil || n != 0 {
		t.Errorf("%d rows (%v) after the batch was rolled back, want 0", n, err)
	}
	// On PostgreSQL the batch first ran without savepoints and was rolled back
	// to be run again with them (see commit), which runs the hooks once more.
	if want := map[string]int{"sqlite": 1, "postgres": 2}[engine()]; aborts != want {
		t.Errorf("abort hooks ran %d times, want %d", aborts, want)
	}
	if err := db.UpdateSingle(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec("INSERT INTO lenders (id, name, created_at) VALUES ('after', 'n', 0)")
		return err
	}); err != nil {
		t.Errorf("a write after the aborted batch: %v", err)
	}
}

// TestWALStaysBounded writes without pause, so that the background checkpointer
// never catches up on its own: the log must still stay near its bound instead of
// growing with everything written.
func TestWALStaysBounded(t *testing.T) {
	sqliteOnly(t)
	old := walCheckpointPages
	walCheckpointPages = 256 // 1 MiB
	t.Cleanup(func() { walCheckpointPages = old })
	path := filepath.Join(t.TempDir(), "t.db")
	db, err := OpenSQLite(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	blob := make([]byte, 16<<10)
	const writes = 1000 // 16 MB
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < writes; i += 8 {
				if err := db.UpdateSingle(ctx, func(tx *sql.Tx) error {
					_, err := tx.Exec("INSERT INTO lenders (id, name, created_at) VALUES ($1, $2, 0)", i, blob)
					return err
				}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	fi, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	if limit := int64(4 * 256 * 4096); fi.Size() > limit {
		t.Errorf("write-ahead log is %d bytes after writing %d MB, want at most %d", fi.Size(), writes*len(blob)>>20, limit)
	}
}

func TestUpdateAfterCloseAndCancelled(t *testing.T) {
	db := open(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := db.Update(ctx, func(*sql.Tx) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Update(context.Background(), func(*sql.Tx) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v, want ErrClosed", err)
	}
}

// TestCloseDrainsQueuedWrites closes while writes are queued: each either commits
// and reports nil, or reports ErrClosed and left nothing.
func TestCloseDrainsQueuedWrites(t *testing.T) {
	path := newDSN(t)
	db, err := openAt(t, path)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for i := range 300 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := db.Update(context.Background(), func(tx *sql.Tx) error {
				_, err := tx.Exec("INSERT INTO lenders (id, name, created_at) VALUES ($1, 'n', 0)", strconv.Itoa(i))
				return err
			})
			if err == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			} else if !errors.Is(err, ErrClosed) {
				t.Errorf("write %d: %v", i, err)
			}
		}()
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	db, err = openAt(t, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.R.QueryRow("SELECT COUNT(*) FROM lenders").Scan(&n); err != nil || n != ok {
		t.Errorf("%d rows after reopening (%v), %d writes acknowledged", n, err, ok)
	}
}

// A read-only open reads beside a writer that holds its write lock, and refuses
// to write.
func TestOpenSQLiteReadOnly(t *testing.T) {
	sqliteOnly(t)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.db")
	db, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec("INSERT INTO lenders (id, name, created_at) VALUES ('L1', 'n', 0)")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// Hold the writer inside a write transaction while the reader works.
	hold, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- db.Update(ctx, func(tx *sql.Tx) error {
			if _, err := tx.Exec("INSERT INTO lenders (id, name, created_at) VALUES ('L2', 'n', 0)"); err != nil {
				return err
			}
			close(hold)
			<-release
			return nil
		})
	}()
	<-hold
	ro, err := OpenSQLiteReadOnly(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	start := time.Now()
	if err := ro.R.QueryRow("SELECT COUNT(*) FROM lenders").Scan(&n); err != nil || n != 1 {
		t.Fatalf("read beside a writer: %d, %v", n, err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("the read waited %v for the writer", d)
	}
	if err := ro.Update(ctx, func(*sql.Tx) error { return nil }); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("Update on a read-only database: %v", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := ro.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenSQLiteReadOnly(ctx, filepath.Join(t.TempDir(), "none.db")); err == nil {
		t.Fatal("opened a database that does not exist")
	}
}

// Migration 3 moves the audit log's refs onto the attempts that the leaves record,
// keeps every leaf as it was, and goes back down again.
func TestMigrationAuditTiles(t *testing.T) {
	sqliteOnly(t)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.db")
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, raw, sub)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 2); err != nil {
		t.Fatal(err)
	}
	// Foreign keys are off on this connection: the attempts need no cases.
	for _, q := range []string{
		`INSERT INTO audit_leaves (idx, ref, data, hashes, created_at) VALUES
			(0, 'attempt/a1', 'd0', 'h0', 1), (1, 'party/p1', 'd1', 'h1', 2), (2, 'attempt/a1', 'd2', 'h2', 3), (3, 'attempt/a2', 'd3', 'h3', 4)`,
		`INSERT INTO attempts (id, case_id, borrower_id, agency_id, party_id, party_role, channel, purpose, at, pack, allowed,
			decision, message, collectors, caller_id_registered) VALUES
			('a1', 'c', 'b', 'g', 'p', 'debtor', 'call', 'collect', 1, 'cn', 1, '{}', '', 1, 1),
			('a2', 'c', 'b', 'g', 'p', 'debtor', 'call', 'collect', 3, 'cn', 0, '{}', '', 1, 1),
			('a3', 'c', 'b', 'g', 'p', 'debtor', 'call', 'collect', 5, 'cn', 0, '{}', '', 1, 1)`,
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := p.UpTo(ctx, 3); err != nil {
		t.Fatal(err)
	}
	leafOf := func(id string) (d, o sql.NullInt64) {
		t.Helper()
		if err := raw.QueryRow("SELECT decision_leaf, outcome_leaf FROM attempts WHERE id = ?", id).Scan(&d, &o); err != nil {
			t.Fatal(err)
		}
		return d, o
	}
	if d, o := leafOf("a1"); d.Int64 != 0 || !d.Valid || o.Int64 != 2 || !o.Valid {
		t.Errorf("a1: leaves %v %v, want 0 and 2", d, o)
	}
	if d, o := leafOf("a2"); d.Int64 != 3 || !d.Valid || o.Valid {
		t.Errorf("a2: leaves %v %v, want 3 and none", d, o)
	}
	if d, o := leafOf("a3"); d.Valid || o.Valid {
		t.Errorf("a3: leaves %v %v, want none", d, o)
	}
	var leaves, aliased int
	if err := raw.QueryRow("SELECT COUNT(*), SUM(rowid = idx) FROM audit_leaves WHERE data = 'd' || idx AND hashes = 'h' || idx").Scan(&leaves, &aliased); err != nil {
		t.Fatal(err)
	}
	if leaves != 4 || aliased != 4 {
		t.Errorf("%d leaves kept as they were, %d keyed by rowid; want 4 and 4", leaves, aliased)
	}
	if _, err := raw.Exec("INSERT INTO audit_tiles (level, idx, hashes) VALUES (0, 0, x'00')"); err != nil {
		t.Errorf("audit_tiles: %v", err)
	}
	if _, err := p.DownTo(ctx, 2); err != nil {
		t.Fatal(err)
	}
	var refs string
	if err := raw.QueryRow("SELECT group_concat(ref, ',') FROM (SELECT ref FROM audit_leaves ORDER BY idx)").Scan(&refs); err != nil {
		t.Fatal(err)
	}
	if refs != "attempt/a1,,attempt/a1,attempt/a2" {
		t.Errorf("refs after going down: %q", refs)
	}
}

// A write function's statements through Exec and QueryRow run even once its
// caller's context has ended: cut short after a first write, the function could
// only fail its whole batch.
func TestExecIgnoresCancellation(t *testing.T) {
	db := open(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := db.Prepare(ctx, "INSERT INTO lenders (id, name, created_at) VALUES ($1, $2, 0)"); err != nil {
		t.Fatal(err)
	}
	err := db.UpdateSingle(ctx, func(tx *sql.Tx) error {
		if _, err := db.Exec(ctx, tx, "INSERT INTO lenders (id, name, created_at) VALUES ($1, $2, 0)", "a", "A"); err != nil {
			return err
		}
		cancel() // the client goes away
		var n int
		if err := db.QueryRow(ctx, tx, "SELECT COUNT(*) FROM lenders").Scan(&n); err != nil || n != 1 {
			return AbortBatch(fmt.Errorf("count %d, %w", n, err))
		}
		if _, err := db.Exec(ctx, tx, "INSERT INTO lenders (id, name, created_at) VALUES ('b', 'B', 0)"); err != nil {
			return AbortBatch(err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.R.QueryRow("SELECT COUNT(*) FROM lenders").Scan(&n); err != nil || n != 2 {
		t.Fatalf("%d lenders (%v), want 2", n, err)
	}
}

// The PostgreSQL migrations are SQLite's with two type names changed, and
// nothing else, but for the PostgreSQL-only ones, which SQLite runs empty.
func TestMigrationsForPostgres(t *testing.T) {
	lite, err := migrationsFor(goose.DialectSQLite3)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := migrationsFor(goose.DialectPostgres)
	if err != nil {
		t.Fatal(err)
	}
	names, err := fs.Glob(lite, "*.sql")
	if err != nil || len(names) < 14 {
		t.Fatalf("migrations %v, %v", names, err)
	}
	changed, pgOnly := 0, 0
	for _, name := range names {
		a, err1 := fs.ReadFile(lite, name)
		b, err2 := fs.ReadFile(pg, name)
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: %v %v", name, err1, err2)
		}
		if strings.Contains(string(b), "BLOB") || strings.Contains(string(b), "INTEGER PRIMARY KEY") {
			t.Errorf("%s: SQLite types left for PostgreSQL", name)
		}
		if strings.HasPrefix(string(b), postgresOnlyMigration) {
			pgOnly++
			if string(a) != sqliteNoop {
				t.Errorf("%s: PostgreSQL only, but SQLite runs %q", name, a)
			}
			continue
		}
		if string(a) != string(b) {
			changed++
		}
		if postgresTypes.Replace(string(a)) != string(b) {
			t.Errorf("%s: more than the type names differ", name)
		}
	}
	if changed != 1 { // 00003_audit_tiles.sql
		t.Errorf("%d migrations changed for PostgreSQL, want 1", changed)
	}
	if pgOnly != 2 { // 00016_partitions.sql, 00018_attempt_keys.sql
		t.Errorf("%d migrations for PostgreSQL only, want 2", pgOnly)
	}
	if engine() != "postgres" {
		return
	}
	db := open(t)
	for col, want := range map[string]string{"audit_leaves.idx": "bigint", "audit_tiles.hashes": "bytea", "attempts.at": "bigint"} {
		table, column, _ := strings.Cut(col, ".")
		var got string
		if err := db.R.QueryRow("SELECT data_type FROM information_schema.columns WHERE table_name = $1 AND column_name = $2",
			table, column).Scan(&got); err != nil || got != want {
			t.Errorf("%s is %q (%v), want %s", col, got, err, want)
		}
	}
}

// Rows left with InsertLater go in with one statement for all their tables and
// the batch's write_log row; a row that fails there fails its function alone,
// once the batch has run again with every row inserted at once.
func TestInsertLaterAcrossTables(t *testing.T) {
	if engine() != "postgres" {
		t.Skip("PostgreSQL only: on SQLite every row is inserted at once")
	}
	db := open(t)
	ctx := context.Background()
	lenders := NewInsert("lenders", "id text", "name text", "created_at bigint")
	agencies := NewInsert("agencies", "id text", "name text", "approved boolean", "created_at bigint")
	if err := db.Update(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec("INSERT INTO lenders (id, name, created_at) VALUES ('taken', 'n', 0)")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for _, failing := range []int{-1, 7} {
		hold, release := make(chan struct{}), make(chan struct{})
		go db.Update(ctx, func(*sql.Tx) error { close(hold); <-release; return nil })
		<-hold
		var wg sync.WaitGroup
		results := make([]error, 12)
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i] = db.UpdateSingleDeferred(ctx, func(tx *sql.Tx) error {
					id := fmt.Sprintf("%d-%d", failing, i)
					if err := db.InsertLater(ctx, tx, agencies, id, "a", true, int64(i)); err != nil {
						return err
					}
					if i == failing {
						id = "taken"
					}
					return db.InsertLater(ctx, tx, lenders, id, "l", int64(i))
				})
			}()
			for len(db.queue) < i+1 {
				runtime.Gosched()
			}
		}
		close(release)
		wg.Wait()
		for i, err := range results {
			if (err != nil) != (i == failing) {
				t.Errorf("failing %d: write %d: %v", failing, i, err)
			}
		}
		ok := len(results)
		if failing >= 0 {
			ok--
		}
		for _, table := range []string{"lenders", "agencies"} {
			var n int
			if err := db.R.QueryRow("SELECT COUNT(*) FROM "+table+" WHERE id LIKE $1", fmt.Sprintf("%d-%%", failing)).Scan(&n); err != nil || n != ok {
				t.Errorf("failing %d: %d rows in %s, want %d (%v)", failing, n, table, ok, err)
			}
		}
	}
	if _, ok := db.flushes["agencies,lenders,write_log"]; !ok {
		t.Errorf("no one statement inserted agencies, lenders and write_log rows; statements: %q", db.flushes)
	}
}
