// Package storetest opens a fresh database for a test: SQLite in the test's
// temporary directory, or, when FAIRDEBT_TEST_POSTGRES names a PostgreSQL
// server (.ci/start-postgres starts one), a new database on it, dropped when
// the test ends.
package storetest

import (
	"context"
	"testing"

	"github.com/fairdebt/fairdebt/internal/dbtest"
	"github.com/fairdebt/fairdebt/internal/store"
)

// Env names the environment variable with the PostgreSQL server's URL.
const Env = dbtest.Env

// Postgres reports whether the tests run on PostgreSQL.
func Postgres() bool { return dbtest.Postgres() }

// DSN returns where a new test database is (see dbtest.DSN).
func DSN(t testing.TB) string {
	t.Helper()
	return dbtest.DSN(t)
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
