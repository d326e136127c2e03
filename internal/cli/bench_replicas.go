package cli

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/fairdebt/fairdebt/internal/audit"
	"github.com/fairdebt/fairdebt/internal/demo"
	"github.com/fairdebt/fairdebt/internal/pgscratch"
	"github.com/fairdebt/fairdebt/internal/secret"
	"github.com/fairdebt/fairdebt/internal/store"
)

// benchTargetReplicasRate is the target of PostgreSQL with three replicas.
const benchTargetReplicasRate = 3000

// benchClients is bench attempts' default number of clients: the single
// process's knee on two cores (see its help).
const benchClients = 48

// selfCommand makes the command that runs fairdebt with args (a command and its
// flags) in a child process: this executable. A variable so that tests, whose
// executable is the test binary, can run it another way.
var selfCommand = func(args []string) (*exec.Cmd, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	return exec.Command(exe, args...), nil
}

// startBenchReplicas makes a scratch database on the PostgreSQL server at
// dsn, seeds it with the demo dataset from this process, and starts n `fairdebt
// serve` processes on it, one after another, sharing one data directory for
// their keys. The returned server's close stops them and drops the database.
func (a *app) startBenchReplicas(ctx context.Context, dsn string, n, borrowers int, progress func(string, ...any)) (_ *benchServer, err error) {
	reg, _, err := a.registry()
	if err != nil {
		return nil, err
	}
	const pack = "cn"
	var cleanup []func()
	closeAll := func() {
		for i := len(cleanup) - 1; i >= 0; i-- {
			cleanup[i]()
		}
	}
	defer func() {
		if err != nil {
			closeAll()
		}
	}()
	scratch, drop, err := scratchDatabase(ctx, dsn)
	if err != nil {
		return nil, err
	}
	cleanup = append(cleanup, drop)
	dir, err := os.MkdirTemp("", "fairdebt-bench-")
	if err != nil {
		return nil, err
	}
	cleanup = append(cleanup, func() { os.RemoveAll(dir) })
	keys, _, err := secret.Load(dir)
	if err != nil {
		return nil, err
	}
	if _, _, _, err := audit.LoadSigner(dir, AuditOrigin); err != nil {
		return nil, err
	}
	db, err := store.OpenPostgres(ctx, scratch)
	if err != nil {
		return nil, err
	}
	doc, err := postgresDoc(ctx, db, n)
	if err != nil {
		db.Close()
		return nil, err
	}
	doc.DataDir, doc.Borrowers = dir, borrowers
	start := time.Now()
	seeded, err := demo.Seed(ctx, demo.Config{DB: db, Keys: keys, Packs: reg, Pack: pack, Now: time.Now(), Borrowers: borrowers})
	db.Close()
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	doc.SeedS = time.Since(start).Seconds()
	admin := "fdt_" + randomHex(24)
	var urls []string
	for i := range n {
		progress("starting replica %d of %d...", i+1, n)
		u, stop, err := startServe(ctx, []string{"--db", scratch, "--data", dir, "--addr", "127.0.0.1:0", "--pack", pack,
			"--log-level", "info"}, admin)
		if err != nil {
			return nil, fmt.Errorf("replica %d: %w", i+1, err)
		}
		cleanup = append(cleanup, stop)
		urls = append(urls, u)
	}
	doc.URL = strings.Join(urls, " ")
	return &benchServer{doc: doc, token: seeded.AgencyToken, close: closeAll, replicas: urls[1:], url: urls[0]}, nil
}

// postgresDoc describes the PostgreSQL server of db, served by n processes:
// its version and whether its commits are durable.
func postgresDoc(ctx context.Context, db *store.DB, n int) (benchServerDoc, error) {
	var version, fsync, syncCommit string
	err := db.R.QueryRowContext(ctx, "SELECT current_setting('server_version'), current_setting('fsync'), current_setting('synchronous_commit')").
		Scan(&version, &fsync, &syncCommit)
	if err != nil {
		return benchServerDoc{}, err
	}
	version, _, _ = strings.Cut(version, " ")
	return benchServerDoc{Store: fmt.Sprintf("PostgreSQL %s, %d replica process(es)", version, n), JournalMode: "fsync=" + fsync,
		Synchronous: syncCommit}, nil
}

// startServe starts `fairdebt serve` with args in a child process and returns
// its URL, read from its log, once it listens.
func startServe(ctx context.Context, args []string, adminToken string) (string, func(), error) {
	cmd, err := selfCommand(append([]string{"serve"}, args...))
	if err != nil {
		return "", nil, err
	}
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	cmd.Env = append(cmd.Env, EnvAdminToken+"="+adminToken)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
	urls := make(chan string, 1)
	var tail []string // the last lines, for an error
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			if _, rest, ok := strings.Cut(line, "msg=listening url="); ok {
				urls <- strings.Fields(rest)[0]
				break
			}
			tail = append(tail[max(0, len(tail)-9):], line)
		}
		close(urls)
		_, _ = io.Copy(io.Discard, stderr)
	}()
	select {
	case u, ok := <-urls:
		if !ok {
			stop()
			return "", nil, fmt.Errorf("the server stopped before it listened: %s", strings.Join(tail, "\n"))
		}
		return u, stop, nil
	case <-time.After(60 * time.Second):
		stop()
		return "", nil, errors.New("the server did not listen within 60 s")
	case <-ctx.Done():
		stop()
		return "", nil, ctx.Err()
	}
}

// scratchDatabase creates a new database on the PostgreSQL server at dsn and
// returns its URL and a function that drops it.
func scratchDatabase(ctx context.Context, dsn string) (string, func(), error) {
	if _, err := url.Parse(dsn); err != nil {
		return "", nil, inputError(fmt.Errorf("--db: %w", err))
	}
	scratch, drop, err := pgscratch.Create(ctx, dsn, "fairdebt_bench_")
	if err != nil {
		return "", nil, fmt.Errorf("--db: %w", err)
	}
	return scratch, func() { _ = drop() }, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("no randomness: " + err.Error())
	}
	return hex.EncodeToString(b)
}
