// Package dbtest says where a test's database is: a file in the test's
// temporary directory (SQLite), or, when FAIRDEBT_TEST_POSTGRES names a
// PostgreSQL server (.ci/start-postgres starts one), a new database on it,
// dropped when the test ends. It opens nothing itself (see storetest), so
// that the store's own tests can use it.
package dbtest

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/fairdebt/fairdebt/internal/pgscratch"
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
	dsn, drop, err := pgscratch.Create(context.Background(), admin, "fairdebt_test_")
	if err != nil {
		t.Fatalf("%s: %v", Env, err)
	}
	t.Cleanup(func() {
		if err := drop(); err != nil {
			t.Error(err)
		}
	})
	return dsn
}
