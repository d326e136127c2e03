// Package dbtest says where a test's database is: a file in the test's
// temporary directory (SQLite), or, when FAIRDEBT_TEST_POSTGRES names a
// PostgreSQL server (.ci/start-postgres starts one), a new database on it,
// dropped when the test ends. It opens nothing itself (see storetest), so
// that the store's own tests can use it.
package dbtest

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
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
