package cli

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"

	"github.com/fairdebt/fairdebt/internal/store"
)

// openStore opens the database --db names: a postgres:// URL, a SQLite file,
// or, when empty, the SQLite file in the data directory.
func openStore(ctx context.Context, db, data string) (*store.DB, error) {
	switch {
	case store.IsPostgres(db):
		return store.OpenPostgres(ctx, db)
	case db == "":
		db = filepath.Join(data, "fairdebt.db")
	}
	return store.OpenSQLite(ctx, db)
}

// writeAtomic writes a file through a temporary file in the same directory and
// renames it into place, so a crash leaves the old file or the new one, never
// half of one. The file is readable by its owner only: what these commands
// write holds a borrower's messages and debts.
func writeAtomic(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".partial-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriter(tmp)
	err = write(w)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
