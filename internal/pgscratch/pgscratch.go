// Package pgscratch makes scratch databases on a PostgreSQL server, for the
// tests (dbtest) and the benchmarks (bench attempts --db): a new database with
// a random name, and a function that drops it.
package pgscratch

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// Create makes a database named prefix and random hex digits on the server
// that server (a postgres:// URL of a database on it) names, and returns the
// URL of the new database and a function that drops it, closing whatever is
// still connected to it.
func Create(ctx context.Context, server, prefix string) (dsn string, drop func() error, err error) {
	u, err := url.Parse(server)
	if err != nil {
		return "", nil, err
	}
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", nil, err
	}
	name := prefix + hex.EncodeToString(b)
	if err := exec(ctx, server, "CREATE DATABASE "+name); err != nil {
		return "", nil, fmt.Errorf("creating a scratch database on %s: %w", u.Redacted(), err)
	}
	drop = func() error {
		if err := exec(context.Background(), server, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("dropping %s: %w", name, err)
		}
		return nil
	}
	u.Path = "/" + name
	return u.String(), drop, nil
}

// exec runs one statement on its own connection to server.
func exec(ctx context.Context, server, statement string) error {
	conn, err := sql.Open("pgx", server)
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = conn.ExecContext(ctx, statement)
	return err
}
