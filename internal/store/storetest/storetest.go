// Package storetest opens a fresh database for a test: SQLite in the test's
// temporary directory, or, when FAIRDEBT_TEST_POSTGRES names a PostgreSQL
// server (.ci/start-postgres starts one), a new database on it, dropped when
// the test ends.
package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/fairdebt/fairdebt/internal/store"
)

// Env names the environment variable with the PostgreSQL server's URL.
const Env = "FAIRDEBT_TEST_POSTGRES"

// Postgres reports whether the tests run on PostgreSQL.
func Postgres() bool { return os.Getenv(Env) != "" }

// DSN returns where a new test database is: a file path for SQLite, or the URL
// of a new PostgreSQL database.
func DSN(t testing.TB) string {
	t.Helper()
	admin := os.Getenv(Env)
	if admin == "" {
		return filepath.Join(t.TempDir(), "t.db")
	}
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("%s: %v", Env, err)
	}
	conn, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	name := fmt.Sprintf("fairdebt_test_%d_%d", os.Getpid(), rand.Int64())
	if _, err := conn.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("creating a test database on %s: %v", u.Redacted(), err)
	}
	t.Cleanup(func() {
		conn, err := sql.Open("pgx", admin)
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		if _, err := conn.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Errorf("dropping %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

// Open opens a new test database (see DSN), closed when the test ends.
func Open(t testing.TB) *store.DB {
	t.Helper()
	return OpenAt(t, DSN(t))
}

// OpenAt opens the database at dsn (from DSN), closed when the test ends.
func OpenAt(t testing.TB, dsn string) *store.DB {
	t.Helper()
	var db *store.DB
	var err error
	if store.IsPostgres(dsn) {
		db, err = store.OpenPostgres(context.Background(), dsn)
	} else {
		db, err = store.OpenSQLite(context.Background(), dsn)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// SQLiteOnly skips a test of what only the SQLite files have (their bytes,
// read-only opens, pragmas) when the tests run on PostgreSQL.
func SQLiteOnly(t testing.TB) {
	t.Helper()
	if Postgres() {
		t.Skip("SQLite only: this test reads the database file")
	}
}
