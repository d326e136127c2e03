package pgscratch

import (
	"context"
	"database/sql"
	"os"
	"strings"
	"testing"
)

// A scratch database exists once made, under the prefix, and not once dropped.
func TestCreateAndDrop(t *testing.T) {
	server := os.Getenv("FAIRDEBT_TEST_POSTGRES")
	if server == "" {
		t.Skip("PostgreSQL only (set FAIRDEBT_TEST_POSTGRES; .ci/run does)")
	}
	ctx := context.Background()
	dsn, drop, err := Create(ctx, server, "fairdebt_scratch_test_")
	if err != nil {
		t.Fatal(err)
	}
	name := dsn[strings.LastIndex(dsn, "/")+1:]
	if i := strings.IndexByte(name, '?'); i >= 0 {
		name = name[:i]
	}
	if !strings.HasPrefix(name, "fairdebt_scratch_test_") {
		t.Errorf("database %q lacks the prefix", name)
	}
	conn, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.PingContext(ctx); err != nil { // still open when dropped: WITH (FORCE)
		t.Fatalf("the scratch database: %v", err)
	}
	defer conn.Close()
	exists := func() bool {
		t.Helper()
		admin, err := sql.Open("pgx", server)
		if err != nil {
			t.Fatal(err)
		}
		defer admin.Close()
		var n int
		if err := admin.QueryRowContext(ctx, "SELECT COUNT(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n == 1
	}
	if !exists() {
		t.Fatalf("%s was not made", name)
	}
	if err := drop(); err != nil {
		t.Fatal(err)
	}
	if exists() {
		t.Errorf("%s is still there after drop", name)
	}
	if _, _, err := Create(ctx, "postgres://127.0.0.1:1/none?connect_timeout=1", "x_"); err == nil {
		t.Error("a scratch database on a server that is not there")
	}
}
