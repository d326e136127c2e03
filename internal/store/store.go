// Package store opens fairdebt's database, applies its migrations and runs every
// write through one group-committing writer.
//
// SQLite (the default, embedded) runs in WAL mode with one writer connection that
// takes immediate transactions and a separate pool of readers. Writes are queued to
// a single goroutine, which runs each queued function inside its own savepoint and
// commits a whole batch at once: under load many writes share one fsync, and no write
// is acknowledged before the commit that contains it has returned.
//
// PostgreSQL (OpenPostgres, through pgx) runs the same migrations and the same
// writer over one connection; there every write function gets a savepoint, since
// a failed statement aborts a PostgreSQL transaction instead of undoing only
// itself.
//
// Several processes (replicas) may write one PostgreSQL database. Their write
// transactions take turns: each batch's transaction first takes one advisory
// lock, held until it commits, so that a batch sees everything every earlier
// batch of any process committed, and nothing commits beside it. That is the
// per-debtor serialisation caps need (and more: the audit log has one sequencer,
// the lock's holder), at the cost of one writer at a time; see DESIGN in
// docs/scale-out.md. Each process keeps caches of what it wrote; the write_log
// table tells it, at the start of each batch, what the others wrote since its
// last one (OnForeignWrites, Touch).
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
)

//go:embed migrations/*.sql
var migrations embed.FS

// MaxBatch is the most writes committed in one transaction.
const MaxBatch = 512

// ErrClosed is returned by Update after Close.
var ErrClosed = errors.New("store: closed")

// ErrReadOnly is returned by Update on a database opened with OpenSQLiteReadOnly.
var ErrReadOnly = errors.New("store: opened read-only")

// DB is an open database: a reader pool for queries and a group-committing writer.
type DB struct {
	// R is the pool for reads. Reads see every committed write.
	R *sql.DB
	w *sql.DB

	queue   chan *update
	done    chan struct{}
	mu      sync.RWMutex // guards closed against sends on queue
	closed  bool
	onAbort []func()
	// epoch changes whenever work a write function did may have been rolled back,
	// or another process wrote.
	epoch atomic.Uint64

	stmtMu sync.RWMutex
	stmts  map[string]*sql.Stmt // prepared on the writer connection

	ckpt               *sql.DB // checkpoints the write-ahead log in the background
	stopCkpt, ckptDone chan struct{}

	closeOnce sync.Once
	closeErr  error
	readOnly  bool
	// savepointAlways runs UpdateSingle functions in a savepoint too: on
	// PostgreSQL a failed statement aborts the transaction it is in.
	savepointAlways bool

	// Shared writing (PostgreSQL): see the package comment. Touched only on the
	// writer goroutine.
	shared    bool
	writerID  string              // this process's name in write_log
	seenGen   int64               // the last write_log row this process has taken into account
	seenBy    string              // and the writer that row names
	touched   []string            // keys the current batch's functions touched
	touchedIn map[string]struct{} // the same, as a set
	published []string            // what the batch's functions that succeeded published
	onForeign []func(keys []string)

	// Rows InsertLater left for the end of the batch (PostgreSQL), and whether
	// the function running may leave them. Touched only on the writer goroutine.
	pending  []pendingRow
	flushes  map[string]string // Flush's statements by their tables
	deferNow bool
}

// walCheckpointPages bounds the write-ahead log: when a commit leaves more pages
// than this in it (64 MiB of 4 KiB pages), the writer checkpoints before its next
// batch. A variable only so that a test can make it small.
var walCheckpointPages = 16384

// CheckpointInterval is how often the write-ahead log is copied into the database.
const CheckpointInterval = 200 * time.Millisecond

func (db *DB) checkpointer() {
	defer close(db.ckptDone)
	t := time.NewTicker(CheckpointInterval)
	defer t.Stop()
	for {
		select {
		case <-db.stopCkpt:
			return
		case <-t.C:
			// PASSIVE never blocks the writer; what it cannot copy now waits for the
			// next tick. Errors (a busy database) are retried the same way.
			_, _ = db.ckpt.Exec("PRAGMA wal_checkpoint(PASSIVE)")
		}
	}
}

type update struct {
	ctx  context.Context
	fn   func(*sql.Tx) error
	err  error
	done chan struct{}
	// single marks a function that writes with at most one statement, its last (see
	// UpdateSingle): it runs without a savepoint.
	single bool
	// deferred marks a single function whose InsertLater rows may wait for the
	// end of the batch (see UpdateSingleDeferred).
	deferred bool
}

// OpenSQLite opens (creating if needed) the SQLite database at path and migrates it.
func OpenSQLite(ctx context.Context, path string) (*DB, error) {
	dsn := func(txlock string, extra ...string) string {
		q := url.Values{}
		for _, p := range append([]string{"journal_mode(WAL)", "foreign_keys(1)", "busy_timeout(10000)", "synchronous(FULL)",
			"temp_store(MEMORY)"}, extra...) {
			q.Add("_pragma", p)
		}
		q.Set("_txlock", txlock)
		return "file:" + path + "?" + q.Encode()
	}
	// A background connection checkpoints, so commits seldom wait for the database
	// file to be written and synced. But a passive checkpoint never catches up with
	// a writer that never pauses, and the log only starts again from its beginning
	// after a checkpoint that has caught up: under sustained load it would grow
	// without bound. So the writer checkpoints itself when the log passes
	// walCheckpointPages (copying only what the background has not), and
	// journal_size_limit shrinks the file back when the log restarts.
	w, err := sql.Open("sqlite", dsn("immediate", fmt.Sprintf("wal_autocheckpoint(%d)", walCheckpointPages),
		fmt.Sprintf("journal_size_limit(%d)", walCheckpointPages*4096)))
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if err := migrate(ctx, w, goose.DialectSQLite3); err != nil {
		w.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite", dsn("deferred")+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, err
	}
	n := max(4, 2*runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	ckpt, err := sql.Open("sqlite", dsn("deferred"))
	if err != nil {
		w.Close()
		r.Close()
		return nil, err
	}
	ckpt.SetMaxOpenConns(1)
	db := &DB{R: r, w: w, ckpt: ckpt, queue: make(chan *update, 4*MaxBatch), done: make(chan struct{}),
		stopCkpt: make(chan struct{}), ckptDone: make(chan struct{}), stmts: map[string]*sql.Stmt{}}
	go db.checkpointer()
	go db.writer()
	if err := db.Prepare(ctx, savepoint, release, rollbackTo); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// OpenSQLiteReadOnly opens an existing SQLite database at path for reading only:
// a reader pool (R), and no writer, migrations or checkpoints, so that a tool
// (audit verify, export) can run beside a service that is writing without ever
// taking a write lock. Update fails with ErrReadOnly.
func OpenSQLiteReadOnly(ctx context.Context, path string) (*DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "query_only(1)"} {
		q.Add("_pragma", p)
	}
	r, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	if err := r.PingContext(ctx); err != nil {
		r.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	var mode string
	if err := r.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		r.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	return &DB{R: r, readOnly: true, stmts: map[string]*sql.Stmt{}}, nil
}

// OpenPostgres opens the PostgreSQL database at dsn (postgres://…, as pgx reads
// it) and migrates it: a writer connection and a pool of readers, as for SQLite.
func OpenPostgres(ctx context.Context, dsn string) (*DB, error) {
	w, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	if err := migrate(ctx, w, goose.DialectPostgres); err != nil {
		w.Close()
		return nil, err
	}
	if err := ensurePartitions(ctx, w, time.Now()); err != nil {
		w.Close()
		return nil, err
	}
	r, err := openPostgresReader(ctx, dsn)
	if err != nil {
		w.Close()
		return nil, err
	}
	db := &DB{R: r, w: w, queue: make(chan *update, 4*MaxBatch), done: make(chan struct{}), stmts: map[string]*sql.Stmt{},
		savepointAlways: true, shared: true, writerID: newWriterID(), touchedIn: map[string]struct{}{}}
	err = w.QueryRowContext(ctx, "SELECT gen, writer FROM write_log ORDER BY gen DESC LIMIT 1").Scan(&db.seenGen, &db.seenBy)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("store: write log: %w", err)
	}
	go db.writer()
	if err := db.Prepare(ctx, savepoint, release, rollbackTo, qWritersLock, qWriteLogSince, writeLogInsert.SQL()); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// openPostgresReader opens the pool of readers: its transactions are read-only,
// as SQLite's readers are query-only.
func openPostgresReader(ctx context.Context, dsn string) (*sql.DB, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, fmt.Errorf("store: postgres URL: %w", err)
	}
	q := u.Query()
	q.Set("default_transaction_read_only", "on") // passed to the server as a run-time parameter
	u.RawQuery = q.Encode()
	r, err := sql.Open("pgx", u.String())
	if err != nil {
		return nil, err
	}
	n := max(4, 2*runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	if err := r.PingContext(ctx); err != nil {
		r.Close()
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	return r, nil
}

// OpenPostgresReadOnly opens the PostgreSQL database at dsn for reading only, as
// OpenSQLiteReadOnly does a SQLite file: no writer and no migrations.
func OpenPostgresReadOnly(ctx context.Context, dsn string) (*DB, error) {
	r, err := openPostgresReader(ctx, dsn)
	if err != nil {
		return nil, err
	}
	return &DB{R: r, readOnly: true, stmts: map[string]*sql.Stmt{}}, nil
}

// IsPostgres reports whether dsn names a PostgreSQL database rather than a
// SQLite file.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// postgresTypes are the only words in which the migrations' SQL differs
// between the engines: SQLite's BLOB is PostgreSQL's BYTEA, and an INTEGER
// PRIMARY KEY (SQLite's 64-bit row id) must be a BIGINT.
var postgresTypes = strings.NewReplacer("INTEGER PRIMARY KEY", "BIGINT PRIMARY KEY", "BLOB", "BYTEA")

// postgresOnlyMigration is the first line of a migration that only PostgreSQL
// runs (one that partitions tables). SQLite runs sqliteNoop in its place, so
// that both engines count the same versions, up and down.
const postgresOnlyMigration = "-- +fairdebt PostgreSQL only\n"

// sqliteNoop is the empty migration SQLite runs instead of a
// postgresOnlyMigration.
const sqliteNoop = "-- +goose Up\n-- +goose Down\n"

// migrationsFor returns the migrations for a dialect: the same files, with the
// type names PostgreSQL spells differently, and for SQLite the
// postgresOnlyMigration ones emptied.
func migrationsFor(dialect goose.Dialect) (fs.FS, error) {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	out := fstest.MapFS{}
	err = fs.WalkDir(sub, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(sub, path)
		if err != nil {
			return err
		}
		text := string(data)
		switch {
		case dialect == goose.DialectPostgres:
			text = postgresTypes.Replace(text)
		case strings.HasPrefix(text, postgresOnlyMigration):
			text = sqliteNoop
		}
		out[path] = &fstest.MapFile{Data: []byte(text), Mode: 0o444}
		return nil
	})
	return out, err
}

func migrate(ctx context.Context, db *sql.DB, dialect goose.Dialect) error {
	sub, err := migrationsFor(dialect)
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(dialect, db, sub)
	if err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	return nil
}

// Epoch returns a number that changes whenever the work of a write function may
// have been rolled back: the function failed (its savepoint was rolled back, or its
// failed statement), or its whole batch was; and whenever another process has
// written (see Shared). Between two write functions on the writer goroutine, a
// cache of what earlier writes wrote is still true of the database if Epoch has
// not changed since it was filled.
func (db *DB) Epoch() uint64 { return db.epoch.Load() }

// ReadOnly reports whether db was opened with OpenSQLiteReadOnly.
func (db *DB) ReadOnly() bool { return db.readOnly }

// OnAbort registers f to run, on the writer goroutine, whenever a batch fails to
// commit: whatever the batch's functions did to in-memory state must be forgotten.
// Register before the first Update.
func (db *DB) OnAbort(f func()) { db.onAbort = append(db.onAbort, f) }

// Update runs fn in a write transaction and returns once that transaction has
// committed (nil) or failed. Functions run one at a time on a single goroutine, each
// in its own savepoint: an error from fn undoes only fn's writes. Because they run
// one at a time, fn may use state that only Update functions touch without locks.
func (db *DB) Update(ctx context.Context, fn func(*sql.Tx) error) error {
	return db.enqueue(&update{ctx: ctx, fn: fn, done: make(chan struct{})})
}

// UpdateSingle is Update for a function whose only write that may fail on its own
// is one statement: it reads, decides, then writes once or returns an error without
// writing. Such a function needs no savepoint, because a statement that fails
// undoes its own changes, which saves the writer two statements and a copy of every
// page the write touches. Writes after that statement must not fail on their own:
// if one does, fn returns AbortBatch(err) and the whole batch is rolled back and
// fails. So it is if fn panics, as nothing can tell whether its write happened.
// On PostgreSQL, where a failed statement aborts its transaction, the function
// runs without a savepoint first; if a statement of it fails there, the whole
// batch is rolled back and run again with a savepoint for every function (where
// AbortBatch still fails the whole batch). Such a function may therefore run
// twice: what it does to memory must be undone by the OnAbort hooks, as for any
// rolled-back batch.
func (db *DB) UpdateSingle(ctx context.Context, fn func(*sql.Tx) error) error {
	return db.enqueue(&update{ctx: ctx, fn: fn, done: make(chan struct{}), single: true})
}

// UpdateSingleDeferred is UpdateSingle for a function whose rows inserted with
// InsertLater may wait until its batch commits (on PostgreSQL; see
// InsertLater). Such a function must call Flush before it reads a table that
// it, or a function before it in the batch, may have left rows for; the writer
// flushes before running any other kind of function. Its one write that may fail
// on its own must be its last statement, as for UpdateSingle; rows it leaves
// count as written by its last statement.
func (db *DB) UpdateSingleDeferred(ctx context.Context, fn func(*sql.Tx) error) error {
	return db.enqueue(&update{ctx: ctx, fn: fn, done: make(chan struct{}), single: true, deferred: true})
}

func (db *DB) enqueue(u *update) error {
	if db.readOnly {
		return ErrReadOnly
	}
	if err := u.ctx.Err(); err != nil {
		return err
	}
	db.mu.RLock()
	if db.closed {
		db.mu.RUnlock()
		return ErrClosed
	}
	db.queue <- u
	db.mu.RUnlock()
	// Once queued, wait for the real outcome even if ctx ends: a write that commits
	// after the caller gave up must not be reported as failed.
	<-u.done
	return u.err
}

func (db *DB) writer() {
	defer close(db.done)
	batch := make([]*update, 0, MaxBatch)
	for u := range db.queue {
		db.commit(db.fill(append(batch[:0], u)))
	}
}

// fill adds to batch the writes queued, up to MaxBatch, without waiting.
func (db *DB) fill(batch []*update) []*update {
	for len(batch) < MaxBatch {
		select {
		case u, ok := <-db.queue:
			if !ok {
				return batch
			}
			batch = append(batch, u)
		default:
			return batch
		}
	}
	return batch
}

func (db *DB) commit(batch []*update) {
	defer func() {
		for _, u := range batch {
			close(u.done)
		}
	}()
	defer db.resetTouched()
	// On PostgreSQL, UpdateSingle functions first run without savepoints, which
	// saves two of the four round trips of a decision. Should a statement of one
	// fail there (which aborts a PostgreSQL transaction), the batch is rolled
	// back and run again with a savepoint for every function.
	for fast := db.savepointAlways; ; fast = false {
		var again bool
		if batch, again = db.commitOnce(batch, fast); !again {
			return
		}
	}
}

// commitOnce runs the batch's functions in one transaction and commits it. With
// fast, on PostgreSQL, UpdateSingle functions run without savepoints, and when
// one fails in a way that may have aborted the transaction, commitOnce rolls it
// back, forgets every function's outcome and returns true: run it again. On a
// shared database it first adds to the batch the writes queued while it waited
// for the writers' lock, and returns the batch it ran.
func (db *DB) commitOnce(batch []*update, fast bool) (_ []*update, again bool) {
	ctx := context.Background()
	tx, err := db.w.Begin()
	if err == nil && db.shared {
		if err = db.beginShared(tx); err != nil {
			_ = tx.Rollback()
		}
	}
	if err != nil {
		db.epoch.Add(1)
		for _, u := range batch {
			u.err = fmt.Errorf("store: begin: %w", err)
		}
		return batch, false
	}
	if db.shared {
		// Other processes held the lock for a while, perhaps: what this one's
		// clients asked meanwhile joins this turn rather than wait for the next.
		batch = db.fill(batch)
	}
	defer func() { db.pending = db.pending[:0] }()
	// tryAgain rolls the first try back, to run the batch again with savepoints.
	tryAgain := func() bool {
		_ = tx.Rollback()
		db.epoch.Add(1)
		for _, f := range db.onAbort {
			f()
		}
		for _, u := range batch {
			u.err = nil
		}
		return true
	}
	db.published = db.published[:0]
	ok := 0
	for _, u := range batch {
		if u.err = u.ctx.Err(); u.err != nil {
			continue
		}
		published := len(db.published)
		if fast && !u.deferred && db.Flush(ctx, tx) != nil {
			return batch, tryAgain()
		}
		switch {
		case u.single && !db.savepointAlways:
			u.err = runSingle(tx, u.fn)
			if errors.Is(u.err, errPanicked) {
				_ = tx.Rollback()
				db.abort(batch, errors.New("store: rolled back: another write in the same transaction panicked"))
				return batch, false
			}
		case u.single && fast:
			left := len(db.pending)
			db.deferNow = u.deferred
			u.err = runSingle(tx, u.fn)
			db.deferNow = false
			if u.err != nil && mayHaveAborted(u.err) {
				return batch, tryAgain()
			}
			if u.err != nil {
				db.pending = db.pending[:left] // the rows of a function that failed
			}
		default:
			u.err = db.run(tx, u.fn)
		}
		if u.err != nil {
			db.epoch.Add(1)
			db.published = db.published[:published] // its writes are undone
		}
		if errors.Is(u.err, errAbortBatch) {
			_ = tx.Rollback()
			db.abort(batch, errors.New("store: rolled back: another write in the same transaction failed part-way"))
			return batch, false
		}
		if u.err == nil {
			ok++
		}
	}
	if ok == 0 {
		_ = tx.Rollback()
		return batch, false
	}
	var gen int64
	if db.shared {
		if gen, err = db.endShared(tx, fast); err != nil {
			_ = tx.Rollback()
			db.abort(batch, err)
			return batch, false
		}
	}
	if fast && db.Flush(ctx, tx) != nil {
		return batch, tryAgain()
	}
	if err := tx.Commit(); err != nil {
		db.doubt()
		db.abort(batch, fmt.Errorf("store: commit: %w", err))
		return batch, false
	}
	if db.shared {
		db.seenGen, db.seenBy = gen, db.writerID
		if err := db.durable(); err != nil {
			db.doubt()
			db.abort(batch, err)
		}
	}
	return batch, false
}

// mayHaveAborted reports whether err, from a function run without a savepoint
// on PostgreSQL, may have left its transaction aborted: a statement failed on
// the server, the function panicked or asked for the batch to be rolled back,
// or the connection failed. An error of the function's own (a case not found,
// a conflict) leaves the transaction usable: by UpdateSingle's contract the
// function has then written nothing.
func mayHaveAborted(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) || errors.Is(err, errPanicked) || errors.Is(err, errAbortBatch) ||
		errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrTxDone) || pgconn.SafeToRetry(err) || pgconn.Timeout(err)
}

// abort fails every write of a batch that did not commit and tells the OnAbort
// hooks to forget what those writes did to memory.
func (db *DB) abort(batch []*update, err error) {
	db.epoch.Add(1)
	for _, u := range batch {
		if u.err == nil {
			u.err = err
		}
	}
	for _, f := range db.onAbort {
		f()
	}
}

// errPanicked marks a write whose function panicked.
var errPanicked = errors.New("store: write panicked")

// errAbortBatch marks an error returned through AbortBatch.
var errAbortBatch = errors.New("store: batch aborted")

// AbortBatch wraps err so that the writer rolls back the whole transaction the
// write function runs in, failing every write of its batch, instead of undoing the
// function's writes alone. A function run by UpdateSingle returns it when it fails
// after its one statement (for example while appending to the audit log what that
// statement did): without a savepoint, only the whole transaction can undo it.
func AbortBatch(err error) error { return fmt.Errorf("%w: %w", errAbortBatch, err) }

// runSingle runs a write function, turning a panic into an error that wraps
// errPanicked.
func runSingle(tx *sql.Tx, fn func(*sql.Tx) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v", errPanicked, p)
		}
	}()
	return fn(tx)
}

const (
	savepoint  = "SAVEPOINT w"
	release    = "RELEASE SAVEPOINT w"
	rollbackTo = "ROLLBACK TO SAVEPOINT w"
)

// run runs fn inside a savepoint, undoing its writes if it fails or panics.
func (db *DB) run(tx *sql.Tx, fn func(*sql.Tx) error) (err error) {
	ctx := context.Background()
	if _, err := db.Exec(ctx, tx, savepoint); err != nil {
		return fmt.Errorf("store: savepoint: %w", err)
	}
	err = runSingle(tx, fn) // a panic becomes an error, and is undone like one
	if err != nil {
		if _, rerr := db.Exec(ctx, tx, rollbackTo); rerr != nil {
			err = errors.Join(err, rerr)
		}
	}
	if _, rerr := db.Exec(ctx, tx, release); rerr != nil && err == nil {
		err = fmt.Errorf("store: release savepoint: %w", rerr)
	}
	return err
}

// Prepare prepares statements on the writer connection, so writes that run them
// through Exec or QueryRow skip SQLite's parser. Call it before the statements are
// needed, never from inside an Update function (the writer has one connection).
func (db *DB) Prepare(ctx context.Context, queries ...string) error {
	if db.readOnly {
		return nil // nothing is written, so nothing needs preparing on the writer
	}
	db.stmtMu.Lock()
	defer db.stmtMu.Unlock()
	for _, q := range queries {
		if db.stmts[q] != nil {
			continue
		}
		st, err := db.w.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("store: prepare %q: %w", q, err)
		}
		db.stmts[q] = st
	}
	return nil
}

func (db *DB) stmt(ctx context.Context, tx *sql.Tx, query string) *sql.Stmt {
	db.stmtMu.RLock()
	st := db.stmts[query]
	db.stmtMu.RUnlock()
	if st == nil {
		return nil
	}
	return tx.StmtContext(ctx, st)
}

// Exec runs a statement in tx, prepared if Prepare has seen it. Statements of a
// write function run to their end even if ctx ends meanwhile (ctx's values are
// kept): a statement cut short after the function has written fails the whole
// batch, and with it every other caller's write. (The writer skips a function
// whose context has ended before it starts.)
func (db *DB) Exec(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	ctx = context.WithoutCancel(ctx)
	if st := db.stmt(ctx, tx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, query, args...)
}

// QueryRow runs a one-row query in tx, prepared if Prepare has seen it; like
// Exec, it is not cut short when ctx ends.
func (db *DB) QueryRow(ctx context.Context, tx *sql.Tx, query string, args ...any) *sql.Row {
	ctx = context.WithoutCancel(ctx)
	if st := db.stmt(ctx, tx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return tx.QueryRowContext(ctx, query, args...)
}

// Close waits for queued writes to commit, then closes the database.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		if db.readOnly {
			db.closeErr = db.R.Close()
			return
		}
		db.mu.Lock()
		db.closed = true
		close(db.queue)
		db.mu.Unlock()
		<-db.done
		if db.ckpt != nil {
			close(db.stopCkpt)
			<-db.ckptDone
			// Leave a small log behind: copy everything and truncate it.
			_, _ = db.ckpt.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
		}
		db.stmtMu.Lock()
		for q, st := range db.stmts {
			st.Close()
			delete(db.stmts, q)
		}
		db.stmtMu.Unlock()
		db.closeErr = errors.Join(db.R.Close(), db.w.Close())
		if db.ckpt != nil {
			db.closeErr = errors.Join(db.closeErr, db.ckpt.Close())
		}
	})
	return db.closeErr
}
