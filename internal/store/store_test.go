package store

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"sync"
	"testing"
)

func open(t *testing.T) *DB {
	t.Helper()
	db, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestMigrationsAndPragmas(t *testing.T) {
	db := open(t)
	var mode string
	if err := db.R.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode %q (%v), want wal", mode, err)
	}
	var fk int
	if err := db.R.QueryRow("PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
		t.Errorf("foreign_keys %d (%v), want 1", fk, err)
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
				if _, err := tx.Exec("INSERT INTO lenders (id, name, created_at) VALUES ($1, 'n', 0)", i); err != nil {
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
	path := filepath.Join(t.TempDir(), "t.db")
	db, err := OpenSQLite(context.Background(), path)
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
				_, err := tx.Exec("INSERT INTO lenders (id, name, created_at) VALUES ($1, 'n', 0)", i)
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
	db, err = OpenSQLite(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.R.QueryRow("SELECT COUNT(*) FROM lenders").Scan(&n); err != nil || n != ok {
		t.Errorf("%d rows after reopening (%v), %d writes acknowledged", n, err, ok)
	}
}
