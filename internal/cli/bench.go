package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/fairdebt/fairdebt/internal/api"
	"github.com/fairdebt/fairdebt/internal/audit"
	"github.com/fairdebt/fairdebt/internal/collection"
	"github.com/fairdebt/fairdebt/internal/demo"
	"github.com/fairdebt/fairdebt/internal/loadgen"
	"github.com/fairdebt/fairdebt/internal/secret"
	"github.com/fairdebt/fairdebt/internal/store"
)

// The gate's performance target: at least this many decisions a second with a p99
// latency no higher than benchTargetP99, on a 2-core machine with SQLite and
// durable commits.
const (
	benchTargetRate = 5000
	benchTargetP99  = 25 * time.Millisecond
)

type benchOptions struct {
	clients, borrowers int
	duration, warmup   time.Duration
	url, token         string
	db                 string // a postgres:// server to bench on instead of SQLite
	replicas           int
	inProcess          bool // PostgreSQL: serve in this process (to profile it) rather than in a child
	json               bool
	cpuprofile         string
}

func (a *app) benchCommand(stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Benchmarks: the collection service under load, the audit log, the evidence analyser",
		Long: `bench measures what fairdebt sustains: decisions through the collection service's
HTTP API (attempts), appends and proofs of a large audit log (audit), and the
evidence analyser on a generated phone export (evidence). Each prints its figures
beside its targets.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(a.benchAttemptsCommand(stdout, stderr), a.benchAuditCommand(stdout, stderr), a.benchEvidenceCommand(stdout, stderr),
		a.benchWorklistCommand(stdout, stderr), a.benchAllCommand(stdout, stderr))
	return cmd
}

func (a *app) benchAttemptsCommand(stdout, stderr io.Writer) *cobra.Command {
	var o benchOptions
	cmd := &cobra.Command{
		Use:   "attempts",
		Short: "Measure decisions/s and latency of POST /v1/attempts under concurrent load",
		Long: fmt.Sprintf(`attempts measures the recording gate end to end: --clients concurrent HTTP clients
post contact attempts to POST /v1/attempts over loopback for --duration (after an
uncounted --warmup), and it reports decisions per second and the latency of every
decision (p50, p90, p99, max), allowed and denied alike.

The target: at least %s decisions/s with p99 ≤ %v on a 2-core machine, on
SQLite with durable commits (synchronous=FULL): every attempt is decided, recorded and
fsynced before its answer is sent, and many decisions share one commit. The clients
are a closed loop, so the mean latency is about clients ÷ decisions/s: at 5,000/s,
48 clients wait about 10 ms on average, and 128 would need about twice the rate
to meet the p99 target. On two cores the service reaches its knee at about 48
clients: more add latency much faster than throughput (64 gave 6%% more decisions/s
for 20%% more p99 in side-by-side runs), so 48 is the default operating point.

Without --url, it starts the service in this process on 127.0.0.1 with a fresh
temporary data directory, on the real SQLite store, seeds it with the demo dataset
(--borrowers borrowers) and works the cases of the demo agency %s (three in
four) with that agency's token. The load generator shares the CPUs with the server.
With --url and --token, it drives an already running server instead, on at most
--borrowers of the open cases the token sees.

With --db postgres://…, it makes a scratch database on that PostgreSQL server
(dropped afterwards), seeds it from this process and starts --replicas
fairdebt serve processes on it (each a child process of this one, one data
directory for their keys); the clients are spread over them evenly. The target
with three replicas: at least 3,000 decisions/s. Give the server durable
commits (fsync=on, synchronous_commit=on) for figures that mean anything; both
are printed.

Each client loops: it picks a case at random, posts an attempt (mostly a call to the
debtor, sometimes an SMS with a 120-character Chinese message, sometimes a call to an
emergency contact to locate the debtor) and records an outcome for about half of the
allowed ones; outcomes are counted apart. Any answer other than 201 (200 for an
outcome) is an error: the first few are printed, and the command exits 1.`,
			"5,000", benchTargetP99, demo.AgencyID),
		Example: `  fairdebt bench attempts
  fairdebt bench attempts --clients 128 --duration 30s --json
  fairdebt bench attempts --url http://127.0.0.1:8080 --token fdt_...
  fairdebt bench attempts --db postgres://postgres@127.0.0.1:5432/postgres --replicas 3`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return a.benchAttempts(ctx, o, stdout, stderr)
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.clients, "clients", benchClients, "concurrent HTTP clients, each with one request in flight")
	f.DurationVar(&o.duration, "duration", 10*time.Second, "how long to measure")
	f.DurationVar(&o.warmup, "warmup", 2*time.Second, "how long to run first without counting")
	f.IntVar(&o.borrowers, "borrowers", 1000, "demo borrowers to seed and spread the attempts over (with --url: at most this many cases)")
	f.StringVar(&o.url, "url", "", "drive the server at this base URL instead of starting one (needs --token)")
	f.StringVar(&o.token, "token", "", "API token for --url: an agency token, or an admin token")
	f.StringVar(&o.db, "db", "", "a postgres:// URL: bench on a scratch database on that server, served by --replicas processes")
	f.IntVar(&o.replicas, "replicas", 1, "with --db: how many fairdebt serve processes share the database")
	f.BoolVar(&o.json, "json", false, "print the result as JSON, and no progress")
	f.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of the load (warmup included) to this file")
	_ = f.MarkHidden("cpuprofile")
	f.BoolVar(&o.inProcess, "in-process", false, "with --db and one replica: serve in this process, so that --cpuprofile sees the server")
	_ = f.MarkHidden("in-process")
	return cmd
}

func (o *benchOptions) validate() error {
	switch {
	case o.clients < 1:
		return errors.New("--clients: must be at least 1")
	case o.clients > 100_000:
		return errors.New("--clients: at most 100000")
	case o.duration <= 0:
		return errors.New("--duration: must be positive")
	case o.warmup < 0:
		return errors.New("--warmup: must not be negative")
	case o.borrowers < 1:
		return errors.New("--borrowers: must be at least 1")
	case o.url == "" && o.token != "":
		return errors.New("--token: only with --url")
	case o.url != "" && o.token == "":
		return errors.New("--url: needs --token")
	case o.url != "" && !strings.HasPrefix(o.url, "http://") && !strings.HasPrefix(o.url, "https://"):
		return fmt.Errorf("--url: %q is not an http:// or https:// URL", o.url)
	case o.db != "" && o.url != "":
		return errors.New("--db: not with --url (which drives a server already running)")
	case o.db != "" && !store.IsPostgres(o.db):
		return errors.New("--db: must be a postgres:// URL (without it, the benchmark runs on SQLite)")
	case o.replicas < 1 || o.replicas > 16:
		return errors.New("--replicas: must be between 1 and 16")
	case o.replicas > 1 && o.db == "":
		return errors.New("--replicas: only with --db (a SQLite file has one writer process)")
	case o.inProcess && (o.db == "" || o.replicas > 1):
		return errors.New("--in-process: only with --db and one replica")
	}
	return nil
}

// benchReport is the result of `bench attempts`; it is also its --json output.
type benchReport struct {
	Server        *benchServerDoc `json:"server,omitempty"`
	URL           string          `json:"url,omitempty"` // the --url driven
	Replicas      int             `json:"replicas,omitempty"`
	Clients       int             `json:"clients"`
	DurationS     float64         `json:"duration_s"`
	WarmupS       float64         `json:"warmup_s"`
	Cases         int             `json:"cases"`
	Attempts      int64           `json:"attempts"`
	ElapsedS      float64         `json:"elapsed_s"`
	DecisionsPerS float64         `json:"decisions_per_s"`
	Allowed       int64           `json:"allowed"`
	Denied        int64           `json:"denied"`
	LatencyMS     benchLatency    `json:"latency_ms"`
	Outcomes      int64           `json:"outcomes"`
	OutcomeMS     benchLatency    `json:"outcome_latency_ms"`
	Errors        int64           `json:"errors"`
	ErrorSamples  []string        `json:"error_samples,omitempty"`
	GOMAXPROCS    int             `json:"gomaxprocs"`
	NumCPU        int             `json:"num_cpu"`
	GoVersion     string          `json:"go_version"`
	Target        string          `json:"target"` // what was aimed at, "" if nothing
	TargetMet     bool            `json:"target_met"`
}

// benchTarget returns the target of a run and whether the run met it: on
// SQLite, benchTargetRate at p99 ≤ benchTargetP99; on PostgreSQL with three
// replicas or more, benchTargetReplicasRate. Other setups have none.
func benchTarget(o benchOptions, res *loadgen.Result) (string, bool) {
	switch {
	case o.url != "":
		return "", false
	case o.db == "":
		return fmt.Sprintf("≥ %d decisions/s at p99 ≤ %v (2 cores, SQLite, durable commits)", benchTargetRate, benchTargetP99),
			res.Attempts > 0 && res.Rate() >= benchTargetRate && res.Latency.P99 <= benchTargetP99
	case o.replicas >= 3:
		return fmt.Sprintf("≥ %d decisions/s (2 cores, PostgreSQL, 3 replicas)", benchTargetReplicasRate),
			res.Attempts > 0 && res.Rate() >= benchTargetReplicasRate
	}
	return "", false
}

type benchLatency struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// benchServerDoc describes the in-process server.
type benchServerDoc struct {
	URL         string  `json:"url"`
	Store       string  `json:"store"`
	JournalMode string  `json:"journal_mode"`
	Synchronous string  `json:"synchronous"`
	DataDir     string  `json:"data_dir"`
	FileSystem  string  `json:"file_system,omitempty"`
	Borrowers   int     `json:"borrowers"`
	SeedS       float64 `json:"seed_s"`
}

func benchMS(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func latencyMS(p loadgen.Percentiles) benchLatency {
	return benchLatency{P50: benchMS(p.P50), P90: benchMS(p.P90), P99: benchMS(p.P99), Max: benchMS(p.Max)}
}

func (a *app) benchAttempts(ctx context.Context, o benchOptions, stdout, stderr io.Writer) error {
	if err := o.validate(); err != nil {
		return inputError(err)
	}
	progress := func(format string, args ...any) {
		if !o.json {
			fmt.Fprintf(stderr, "bench: "+format+"\n", args...)
		}
	}
	rep := &benchReport{Clients: o.clients, DurationS: o.duration.Seconds(), WarmupS: o.warmup.Seconds(),
		GOMAXPROCS: runtime.GOMAXPROCS(0), NumCPU: runtime.NumCPU(), GoVersion: runtime.Version()}
	url, token := o.url, o.token
	var replicas []string
	if url == "" {
		var srv *benchServer
		var err error
		switch {
		case o.db != "" && o.inProcess:
			progress("seeding %d demo borrowers on a scratch PostgreSQL database...", o.borrowers)
			srv, err = a.startBenchServer(ctx, o.borrowers, o.db, stderr)
		case o.db != "":
			progress("seeding %d demo borrowers on a scratch PostgreSQL database...", o.borrowers)
			srv, err = a.startBenchReplicas(ctx, o.db, o.replicas, o.borrowers, progress)
		default:
			progress("seeding %d demo borrowers on a fresh SQLite database...", o.borrowers)
			srv, err = a.startBenchServer(ctx, o.borrowers, "", stderr)
		}
		if err != nil {
			return err
		}
		defer srv.close()
		url, token, replicas, rep.Server = srv.url, srv.token, srv.replicas, &srv.doc
		rep.Replicas = 1 + len(replicas)
	} else {
		rep.URL = url
	}
	client := loadgen.NewClient(o.clients)
	limit := 0
	if o.url != "" {
		limit = o.borrowers
	}
	targets, err := loadgen.Discover(ctx, client, url, token, limit)
	if err != nil {
		return fmt.Errorf("listing the cases: %w", err)
	}
	if len(targets) == 0 {
		return errors.New("the token sees no open case to work")
	}
	rep.Cases = len(targets)
	progress("%d clients on %d cases: %v warmup, then %v measured", o.clients, len(targets), o.warmup, o.duration)

	cfg := loadgen.Config{URL: url, Replicas: replicas, Token: token, Targets: targets, Clients: o.clients, Duration: o.duration,
		Warmup: o.warmup, Client: client}
	if !o.json {
		cfg.Progress = func(p loadgen.Progress) {
			if p.Warmup {
				fmt.Fprintf(stderr, "bench: %3.0fs  warmup  %6.0f decisions/s\n", p.Elapsed.Seconds(), p.Rate)
			} else {
				fmt.Fprintf(stderr, "bench: %3.0fs  %8d decisions  %6.0f decisions/s\n", p.Elapsed.Seconds(), p.Attempts, p.Rate)
			}
		}
	}
	stopProfile, err := startCPUProfile(o.cpuprofile)
	if err != nil {
		return err
	}
	res, err := loadgen.Run(ctx, cfg)
	stopProfile()
	if err != nil {
		return err
	}

	rep.Attempts, rep.Allowed, rep.Denied, rep.Outcomes = res.Attempts, res.Allowed, res.Denied, res.Outcomes
	rep.ElapsedS, rep.DecisionsPerS = res.Elapsed.Seconds(), res.Rate()
	rep.LatencyMS, rep.OutcomeMS = latencyMS(res.Latency), latencyMS(res.OutcomeLatency)
	rep.Errors, rep.ErrorSamples = res.Errors, res.ErrorSamples
	rep.Target, rep.TargetMet = benchTarget(o, res)

	if o.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		printBench(stdout, rep, res)
	}
	if res.Errors > 0 {
		return &exitError{exitFailure, fmt.Errorf("%d requests failed", res.Errors)}
	}
	if ctx.Err() != nil {
		return &exitError{exitFailure, errors.New("interrupted: the numbers cover part of the run")}
	}
	return nil
}

func printBench(w io.Writer, rep *benchReport, res *loadgen.Result) {
	if s := rep.Server; s != nil {
		fs := ""
		if s.FileSystem != "" {
			fs = " (" + s.FileSystem + ")"
		}
		if rep.Replicas > 1 || strings.HasPrefix(s.Store, "PostgreSQL") {
			fmt.Fprintf(w, "server: %s at %s; %s, synchronous_commit=%s, group commit; %d demo borrowers seeded in %.1fs\n",
				s.Store, s.URL, s.JournalMode, s.Synchronous, s.Borrowers, s.SeedS)
		} else {
			fmt.Fprintf(w, "server: in-process at %s; %s, journal_mode=%s, synchronous=%s, group commit; data in %s%s; %d demo borrowers seeded in %.1fs\n",
				s.URL, s.Store, s.JournalMode, s.Synchronous, s.DataDir, fs, s.Borrowers, s.SeedS)
		}
	} else {
		fmt.Fprintf(w, "server: %s\n", rep.URL)
	}
	fmt.Fprintf(w, "load: %d clients on %d cases, %v measured after %v warmup; GOMAXPROCS %d, %d CPUs, %s\n",
		rep.Clients, rep.Cases, time.Duration(rep.DurationS*float64(time.Second)), time.Duration(rep.WarmupS*float64(time.Second)),
		rep.GOMAXPROCS, rep.NumCPU, rep.GoVersion)
	pct := func(n int64) float64 {
		if res.Attempts == 0 {
			return 0
		}
		return 100 * float64(n) / float64(res.Attempts)
	}
	l := res.Latency
	fmt.Fprintf(w, "attempts: %d in %.1fs = %.0f decisions/s (allowed %.0f%%, denied %.0f%%); latency p50 %s p90 %s p99 %s max %s; outcomes %d; errors %d\n",
		res.Attempts, res.Elapsed.Seconds(), res.Rate(), pct(res.Allowed), pct(res.Denied),
		fmtLatency(l.P50), fmtLatency(l.P90), fmtLatency(l.P99), fmtLatency(l.Max), res.Outcomes, res.Errors)
	if res.Outcomes > 0 {
		ol := res.OutcomeLatency
		fmt.Fprintf(w, "outcomes: %d (%.0f/s); latency p50 %s p90 %s p99 %s max %s\n", res.Outcomes,
			float64(res.Outcomes)/res.Elapsed.Seconds(), fmtLatency(ol.P50), fmtLatency(ol.P90), fmtLatency(ol.P99), fmtLatency(ol.Max))
	}
	if rep.Target != "" {
		verdict := "met"
		if !rep.TargetMet {
			verdict = "NOT met"
		}
		fmt.Fprintf(w, "target: %s: %s\n", rep.Target, verdict)
	}
	for _, s := range res.ErrorSamples {
		fmt.Fprintf(w, "error: %s\n", s)
	}
	if n := res.Errors - int64(len(res.ErrorSamples)); n > 0 {
		fmt.Fprintf(w, "error: ... and %d more\n", n)
	}
}

func fmtLatency(d time.Duration) string {
	if d >= 100*time.Millisecond {
		return fmt.Sprintf("%.0fms", benchMS(d))
	}
	return fmt.Sprintf("%.1fms", benchMS(d))
}

// benchServer is a fairdebt service running in this process for a benchmark.
type benchServer struct {
	doc   benchServerDoc
	token string
	close func()
	// url is where the load goes; replicas are more processes serving the
	// same database, which share the clients with it.
	url      string
	replicas []string
}

// startBenchServer starts the service on 127.0.0.1 on a fresh temporary data
// directory, as `serve --demo` would, seeded with borrowers demo borrowers.
//
// With pgServer (a postgres:// URL), the database is a scratch database on that
// server instead, dropped on close.
func (a *app) startBenchServer(ctx context.Context, borrowers int, pgServer string, stderr io.Writer) (_ *benchServer, err error) {
	reg, _, err := a.registry()
	if err != nil {
		return nil, err
	}
	const pack = "cn"
	dir, err := os.MkdirTemp("", "fairdebt-bench-")
	if err != nil {
		return nil, err
	}
	var cleanup []func()
	closeAll := func() {
		for i := len(cleanup) - 1; i >= 0; i-- {
			cleanup[i]()
		}
	}
	cleanup = append(cleanup, func() { os.RemoveAll(dir) })
	defer func() {
		if err != nil {
			closeAll()
		}
	}()
	keys, _, err := secret.Generate()
	if err != nil {
		return nil, err
	}
	var db *store.DB
	var doc benchServerDoc
	if pgServer != "" {
		scratch, drop, err := scratchDatabase(ctx, pgServer)
		if err != nil {
			return nil, err
		}
		cleanup = append(cleanup, drop)
		if db, err = store.OpenPostgres(ctx, scratch); err != nil {
			return nil, err
		}
		cleanup = append(cleanup, func() { db.Close() })
		if doc, err = postgresDoc(ctx, db, 1); err != nil {
			return nil, err
		}
		doc.Store += " (in this process)"
		doc.Borrowers = borrowers
	} else {
		if db, err = store.OpenSQLite(ctx, filepath.Join(dir, "fairdebt.db")); err != nil {
			return nil, err
		}
		cleanup = append(cleanup, func() { db.Close() })
		doc = benchServerDoc{Store: "SQLite", DataDir: dir, FileSystem: loadgen.FSType(dir), Borrowers: borrowers}
		// The reader pool is opened with the writer's pragmas: ask it what they are.
		if err := db.R.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&doc.JournalMode); err != nil {
			return nil, err
		}
		var syncMode int
		if err := db.R.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&syncMode); err != nil {
			return nil, err
		}
		doc.Synchronous = map[int]string{0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}[syncMode]
	}
	signer, _, _, err := audit.LoadSigner(dir, AuditOrigin)
	if err != nil {
		return nil, err
	}
	svc, err := collection.New(collection.Config{DB: db, Keys: keys, Packs: reg, DefaultPack: pack, AuditSigner: signer})
	if err != nil {
		return nil, err
	}
	// Checkpoint as serve does, so that the benchmark pays for it.
	ckptCtx, stopCkpt := context.WithCancel(context.Background())
	ckptDone := make(chan error, 1)
	go func() { ckptDone <- svc.RunAuditCheckpoints(ckptCtx) }()
	cleanup = append(cleanup, func() { stopCkpt(); <-ckptDone })
	start := time.Now()
	seeded, err := demo.Seed(ctx, demo.Config{DB: db, Keys: keys, Packs: reg, Pack: pack, Now: time.Now(), Borrowers: borrowers})
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	doc.SeedS = time.Since(start).Seconds()

	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := newHTTPServer(api.New(svc, log, prometheus.NewRegistry()))
	go func() { _ = srv.Serve(ln) }()
	cleanup = append(cleanup, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	})
	doc.URL = "http://" + ln.Addr().String()
	return &benchServer{doc: doc, token: seeded.AgencyToken, close: closeAll, url: doc.URL}, nil
}

// startCPUProfile writes a CPU profile to path (none when path is empty) until
// the returned function is called; calling it again does nothing.
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, inputError(fmt.Errorf("--cpuprofile: %w", fileError(err)))
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	var once sync.Once
	return func() { once.Do(func() { pprof.StopCPUProfile(); f.Close() }) }, nil
}
