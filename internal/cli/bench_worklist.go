package cli

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/fairdebt/fairdebt/internal/collection"
	"github.com/fairdebt/fairdebt/internal/loadgen"
	"github.com/fairdebt/fairdebt/internal/secret"
	"github.com/fairdebt/fairdebt/internal/store"
	"github.com/fairdebt/fairdebt/internal/web"
)

// benchWorklistTargetP99 is the worklist's target: one collector's worklist, read
// and shown, within this at the 99th percentile, over 1M and 10M cases.
const benchWorklistTargetP99 = 50 * time.Millisecond

type benchWorklistOptions struct {
	cases, worklist, agencies, queries int
	data, db                           string
	json, inMemory                     bool
	cpuprofile                         string
}

// benchWorklistReport is what bench worklist prints with --json.
type benchWorklistReport struct {
	Machine    string  `json:"machine"`
	Store      string  `json:"store"`    // SQLite or PostgreSQL
	Database   string  `json:"database"` // the file, or the URL without its password
	Cases      int     `json:"cases"`
	OpenCases  int     `json:"open_cases"` // on collectors' worklists
	Agencies   int     `json:"agencies"`
	Collectors int     `json:"collectors"`
	Reused     bool    `json:"reused"`    // the fill was there already (--data, --db)
	InMemory   bool    `json:"in_memory"` // the database file was read once before measuring (--in-memory)
	FillS      float64 `json:"fill_s"`    // filling in this run
	DatabaseMB float64 `json:"database_mb"`
	Queries    int     `json:"queries"`
	RowsMin    int     `json:"rows_min"`
	RowsMean   float64 `json:"rows_mean"`
	RowsMax    int     `json:"rows_max"`
	// DataMS is the batched read alone (collection.Service.Worklist); PageMS what
	// GET /cases costs in all, the gate's preview of every call and the HTML
	// included; PageAgainMS the same page loaded again at once.
	DataMS      benchLatency `json:"data_ms"`
	PageMS      benchLatency `json:"page_ms"`
	PageAgainMS benchLatency `json:"page_again_ms"`
	TargetP99MS float64      `json:"target_p99_ms"`
	TargetMet   bool         `json:"target_met"`
}

func (a *app) benchWorklistCommand(stdout, stderr io.Writer) *cobra.Command {
	var o benchWorklistOptions
	cmd := &cobra.Command{
		Use:   "worklist",
		Short: "Measure one collector's worklist over a database of 1M or 10M cases",
		Long: fmt.Sprintf(`worklist measures what a collector waits for when they open their worklist, on a
database of --cases synthetic cases (made-up names and numbers only):

  1. it fills the database: per case a borrower (the debtor party, a phone number
     sealed as the service seals it, an emergency contact for one in five, a
     dispute hold for one in fifty), a debt with one to six monthly
     installments, and the case; 30%% of the cases open, 10%% paused, 60%% closed,
     spread over --agencies agencies and as many collectors as give each about
     --worklist open cases (one case in ten is on nobody's worklist); promises to
     pay on a quarter of the open cases;
  2. data: the worklist's batched read (cases, borrowers, arrears, promises) for
     --queries random collectors, one at a time;
  3. page: GET /cases of the web UI, signed in, for --queries other random
     collectors: the read, the gate's preview of a call to every debtor, and the
     HTML; then the same page once more ("again": with what the first load read
     still in memory).

The target: p99 ≤ %v for the data read and the first page load, at 1M and 10M
cases. A 10M fill takes a while and some GB: with --data DIR the database (and its
keys) stays in DIR, and a later run with the same flags measures it again without
filling (an interrupted fill is resumed). Without --data, a temporary directory is
used and removed. --db postgres://... fills and measures a PostgreSQL database
instead (empty, or filled by this command before).`, benchWorklistTargetP99),
		Example: `  fairdebt bench worklist
  fairdebt bench worklist --cases 10000000 --data /var/tmp/worklist-10m
  fairdebt bench worklist --cases 1000000 --db postgres://user@127.0.0.1/bench --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.validate(); err != nil {
				return inputError(err)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return a.benchWorklist(ctx, o, stdout, stderr)
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.cases, "cases", 1_000_000, "cases in the database (open, paused and closed)")
	f.IntVar(&o.worklist, "worklist", 300, "open cases on each collector's worklist")
	f.IntVar(&o.agencies, "agencies", 20, "agencies the cases and collectors are spread over")
	f.IntVar(&o.queries, "queries", 200, "collectors whose worklist is read, and as many whose page is loaded")
	f.StringVar(&o.data, "data", "", "keep the SQLite database (and its keys) in this directory, and measure the fill it holds")
	f.StringVar(&o.db, "db", "", "a PostgreSQL database (postgres://...) to fill and measure instead of SQLite")
	f.BoolVar(&o.json, "json", false, "print the result as JSON, and no progress")
	f.BoolVar(&o.inMemory, "in-memory", false, "read the SQLite database file once before measuring, so that the page cache holds it if memory allows (as on a server whose memory holds its database); without it, the measure depends on what the page cache holds")
	f.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of the measurements (not the fill) to this file")
	_ = f.MarkHidden("cpuprofile")
	return cmd
}

// maxBenchCases bounds --cases: the case ids have eight digits.
const maxBenchCases = 99_999_999

func (o *benchWorklistOptions) validate() error {
	switch {
	case o.cases < 1000:
		return errors.New("--cases: at least 1000")
	case o.cases > maxBenchCases:
		return fmt.Errorf("--cases: at most %d", maxBenchCases)
	case o.worklist < 1:
		return errors.New("--worklist: at least 1")
	case o.worklist > 500:
		return errors.New("--worklist: at most 500 (the worklist page shows 500 cases)")
	case o.agencies < 1 || o.agencies > 1000:
		return errors.New("--agencies: from 1 to 1000")
	case o.queries < 1 || o.queries > 100_000:
		return errors.New("--queries: from 1 to 100000")
	case o.db != "" && !store.IsPostgres(o.db):
		return fmt.Errorf("--db: %q is not a postgres:// URL (for SQLite, use --data DIR)", o.db)
	case o.db != "" && o.inMemory:
		return errors.New("--in-memory: for SQLite only (PostgreSQL's files are the server's)")
	}
	if o.data != "" {
		if st, err := os.Stat(o.data); err == nil && !st.IsDir() {
			return fmt.Errorf("--data: %s is not a directory", o.data)
		}
	}
	return nil
}

func (a *app) benchWorklist(ctx context.Context, o benchWorklistOptions, stdout, stderr io.Writer) error {
	say := func(format string, args ...any) {
		if !o.json {
			fmt.Fprintf(stderr, "bench: "+format+"\n", args...)
		}
	}
	reg, _, err := a.registry()
	if err != nil {
		return err
	}
	dir := o.data
	if dir == "" {
		if dir, err = os.MkdirTemp("", "fairdebt-bench-worklist-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return inputError(fmt.Errorf("--data: %w", err))
	}
	keys, _, err := secret.Load(dir)
	if err != nil {
		return err
	}
	fill := newWorklistFill(o.cases, o.worklist, o.agencies)
	fill.postgres = o.db != ""
	rep := &benchWorklistReport{Machine: fmt.Sprintf("%s/%s, %d CPUs, %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version()),
		Cases: fill.cases, OpenCases: fill.openOnWorklists(), Agencies: fill.agencies, Collectors: fill.collectors, Queries: o.queries,
		TargetP99MS: benchMS(benchWorklistTargetP99)}
	open := func() (*store.DB, error) {
		if o.db != "" {
			return store.OpenPostgres(ctx, o.db)
		}
		return store.OpenSQLite(ctx, filepath.Join(dir, "fairdebt.db"))
	}
	if o.db != "" {
		rep.Store, rep.Database = "PostgreSQL", redactURL(o.db)
	} else {
		rep.Store, rep.Database = "SQLite", filepath.Join(dir, "fairdebt.db")
	}
	db, err := open()
	if err != nil {
		return err
	}
	defer func() { db.Close() }()

	done, started, err := fill.check(ctx, db)
	if err != nil {
		return err
	}
	rep.Reused = done == fill.cases
	if !rep.Reused {
		if done > 0 {
			say("resuming the fill of %s after %d cases: %d agencies, %d collectors, about %d open cases each",
				rep.Database, done, fill.agencies, fill.collectors, o.worklist)
		} else {
			say("filling %s with %d cases: %d agencies, %d collectors, about %d open cases each",
				rep.Database, fill.cases, fill.agencies, fill.collectors, o.worklist)
		}
		start, last := time.Now(), time.Now()
		err := fill.run(ctx, db, keys, done, started, func(n int) {
			if time.Since(last) >= 10*time.Second || n == fill.cases {
				rate := float64(n-done) / time.Since(start).Seconds()
				say("  %d of %d cases (%.0f%%), %.0f cases/s, %s to go", n, fill.cases, 100*float64(n)/float64(fill.cases), rate,
					(time.Duration(float64(fill.cases-n)/rate) * time.Second).Round(time.Second))
				last = time.Now()
			}
		})
		if err != nil {
			return err
		}
		rep.FillS = time.Since(start).Seconds()
		// Measure the service as it runs in its steady state, not while the fill is
		// still being written out: SQLite's write-ahead log copied into the
		// database, PostgreSQL's statistics gathered (as autovacuum would).
		say("filled in %.1fs; settling the database...", rep.FillS)
		if o.db != "" {
			if _, err := db.R.ExecContext(ctx, "ANALYZE"); err != nil {
				return err
			}
		} else {
			if err := db.Close(); err != nil {
				return err
			}
			if db, err = open(); err != nil {
				return err
			}
		}
	} else {
		say("measuring the fill %s holds: %d cases, %d agencies, %d collectors", rep.Database, fill.cases, fill.agencies, fill.collectors)
	}
	if o.inMemory {
		say("reading the database file into memory...")
		if err := readThrough(ctx, rep.Database); err != nil {
			return err
		}
		rep.InMemory = true
	}
	if rep.DatabaseMB, err = databaseMB(ctx, db, o.db != "", rep.Database); err != nil {
		return err
	}

	svc, err := collection.New(collection.Config{DB: db, Keys: keys, Packs: reg, DefaultPack: "cn"})
	if err != nil {
		return err
	}
	ui, err := web.New(svc, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})), http.NotFoundHandler())
	if err != nil {
		return err
	}
	if err := measureWorklists(ctx, svc, ui, db, fill, o.queries, o.cpuprofile, rep, say); err != nil {
		return err
	}
	rep.TargetMet = rep.DataMS.P99 <= rep.TargetP99MS && rep.PageMS.P99 <= rep.TargetP99MS
	if o.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printBenchWorklist(stdout, rep)
	return nil
}

// measureWorklists times the worklist's read for queries random collectors,
// then the page for as many others, first visit and next, with a CPU profile
// of both to cpuprofile (if not empty).
func measureWorklists(ctx context.Context, svc *collection.Service, ui http.Handler, db *store.DB, fill worklistFill, queries int,
	cpuprofile string, rep *benchWorklistReport, say func(string, ...any)) error {
	// Two samples of collectors, distinct while there are enough.
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0x3011))
	perm := rng.Perm(fill.collectors)
	reader, viewer := make([]int, queries), make([]int, queries)
	for k := range queries {
		reader[k], viewer[k] = perm[k%len(perm)], perm[(queries+k)%len(perm)]
	}

	// The page's collectors sign in as anyone does, with a password made for
	// this run.
	say("signing in %d collectors...", queries)
	password := "bench-" + strconv.FormatUint(rng.Uint64(), 36)
	hash, err := secret.HashPassword(password)
	if err != nil {
		return err
	}
	ids := make([]any, queries)
	for k, c := range viewer {
		ids[k] = fill.collectorID(c)
	}
	err = db.Update(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE users SET password_hash = $1 WHERE id IN ("+store.Placeholders(2, len(ids))+")",
			append([]any{hash}, ids...)...)
		return err
	})
	if err != nil {
		return err
	}
	sessions := make([]string, queries)
	principals := make([]collection.Principal, queries)
	for k, c := range viewer {
		if sessions[k], principals[k], err = svc.Login(ctx, fill.username(c), password, "bench"); err != nil {
			return fmt.Errorf("signing in %s: %w", fill.username(c), err)
		}
	}

	stopProfile, err := startCPUProfile(cpuprofile)
	if err != nil {
		return err
	}
	defer stopProfile()
	say("reading %d random collectors' worklists...", queries)
	data := make([]time.Duration, queries)
	rep.RowsMin = -1
	total := 0
	for k, c := range reader {
		p := collection.Principal{Role: collection.RoleCollector, AgencyID: fill.agencyID(fill.agencyOf(c)), UserID: fill.collectorID(c),
			Name: "user:" + fill.username(c)}
		t0 := time.Now()
		rows, err := svc.Worklist(ctx, p, "", collection.Page{Limit: 500})
		data[k] = time.Since(t0)
		if err != nil {
			return err
		}
		n := len(rows)
		total += n
		if rep.RowsMin < 0 || n < rep.RowsMin {
			rep.RowsMin = n
		}
		rep.RowsMax = max(rep.RowsMax, n)
	}
	rep.RowsMean = float64(total) / float64(queries)
	rep.DataMS = latencyMS(loadgen.Summarize(data))

	say("loading %d other collectors' worklist pages, twice each...", queries)
	first, again := make([]time.Duration, queries), make([]time.Duration, queries)
	for k, c := range viewer {
		var body string
		for _, d := range []*time.Duration{&first[k], &again[k]} {
			req := httptest.NewRequestWithContext(ctx, http.MethodGet, "/cases", nil)
			req.AddCookie(&http.Cookie{Name: "__Host-fd_session", Value: sessions[k]})
			rec := httptest.NewRecorder()
			t0 := time.Now()
			ui.ServeHTTP(rec, req)
			*d = time.Since(t0)
			if rec.Code != http.StatusOK {
				return fmt.Errorf("GET /cases as %s: %d %s", fill.username(c), rec.Code, firstLine(rec.Body.String()))
			}
			body = rec.Body.String()
		}
		// The page shows the collector's worklist, whole.
		rows, err := svc.Worklist(ctx, principals[k], "", collection.Page{Limit: 500})
		if err != nil {
			return err
		}
		if n := strings.Count(body, `class="case-link"`); n != len(rows) {
			return fmt.Errorf("GET /cases as %s shows %d cases, not the %d of the worklist", fill.username(c), n, len(rows))
		}
	}
	stopProfile()
	rep.PageMS, rep.PageAgainMS = latencyMS(loadgen.Summarize(first)), latencyMS(loadgen.Summarize(again))
	return ctx.Err()
}

// readThrough reads the file at path from start to end, for the operating
// system to keep it in its page cache.
func readThrough(ctx context.Context, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	for ctx.Err() == nil {
		if _, err := f.Read(buf); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
	return ctx.Err()
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

func printBenchWorklist(w io.Writer, r *benchWorklistReport) {
	filled := fmt.Sprintf("filled in %.1fs", r.FillS)
	if r.Reused {
		filled = "filled before"
	}
	if r.InMemory {
		filled += "; the file read into memory first"
	}
	fmt.Fprintf(w, "database: %s %s, %.0f MB; %d cases (%d open on %d collectors' worklists) in %d agencies, %s\n",
		r.Store, r.Database, r.DatabaseMB, r.Cases, r.OpenCases, r.Collectors, r.Agencies, filled)
	fmt.Fprintf(w, "machine: %s; one query at a time, %d random collectors for each measure; rows per worklist: min %d, mean %.0f, max %d\n",
		r.Machine, r.Queries, r.RowsMin, r.RowsMean, r.RowsMax)
	fmt.Fprintf(w, "%-34s %9s %9s %9s %9s\n", "", "p50", "p90", "p99", "max")
	row := func(name string, l benchLatency, target string) {
		ms := func(v float64) string { return fmtLatency(time.Duration(v * float64(time.Millisecond))) }
		fmt.Fprintf(w, "%-34s %9s %9s %9s %9s  %s\n", name, ms(l.P50), ms(l.P90), ms(l.P99), ms(l.Max), target)
	}
	verdict := func(l benchLatency) string {
		if l.P99 <= r.TargetP99MS {
			return fmt.Sprintf("target p99 ≤ %.0f ms: met", r.TargetP99MS)
		}
		return fmt.Sprintf("target p99 ≤ %.0f ms: NOT met", r.TargetP99MS)
	}
	row("worklist data read", r.DataMS, verdict(r.DataMS))
	row("worklist page (GET /cases), first", r.PageMS, verdict(r.PageMS))
	row("worklist page, again", r.PageAgainMS, "")
}

// databaseMB is the size of the database: its files for SQLite (path), the
// database for PostgreSQL.
func databaseMB(ctx context.Context, db *store.DB, postgres bool, path string) (float64, error) {
	if postgres {
		var n int64
		err := db.R.QueryRowContext(ctx, "SELECT pg_database_size(current_database())").Scan(&n)
		return float64(n) / 1e6, err
	}
	var n int64
	for _, f := range []string{path, path + "-wal"} {
		if st, err := os.Stat(f); err == nil {
			n += st.Size()
		}
	}
	return float64(n) / 1e6, nil
}

// redactURL is a database URL without its password.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "postgres://..."
	}
	return u.Redacted()
}

// worklistFill is the synthetic database bench worklist measures: how many
// cases, and how they are spread over agencies and collectors. Cases come in
// blocks of ten (three open, one paused, six closed); block b is on collector b
// mod collectors' worklist, except in every tenth round of blocks, which is on
// nobody's; a collector's agency is their number mod agencies. So each
// collector's cases are spread over the whole table, as years of placements
// would spread them.
type worklistFill struct {
	cases, agencies, collectors int
	postgres                    bool
}

const benchLender = "bench-lender"

func newWorklistFill(cases, worklist, agencies int) worklistFill {
	// 30% of the cases are open, and nine in ten of those on a worklist.
	return worklistFill{cases: cases, agencies: agencies, collectors: max(1, cases*27/100/worklist)}
}

func (f worklistFill) agencyID(agency int) string { return fmt.Sprintf("bench-agency-%03d", agency) }
func (f worklistFill) collectorID(c int) string   { return fmt.Sprintf("bench-collector-%06d", c) }
func (f worklistFill) username(c int) string      { return fmt.Sprintf("bench.collector.%06d", c) }
func (f worklistFill) agencyOf(collector int) int { return collector % f.agencies }
func caseStatus(i int) string {
	switch i % 10 {
	case 0, 1, 2:
		return collection.CaseOpen
	case 3:
		return collection.CasePaused
	}
	return collection.CaseClosed
}
func benchCaseID(i int) string                  { return fmt.Sprintf("case-%08d", i) }
func (f worklistFill) blockCollector(b int) int { return b % f.collectors }
func (f worklistFill) onNobodys(b int) bool     { return (b/f.collectors)%10 == 9 }
func (f worklistFill) openOnWorklists() (n int) {
	for b := 0; b*10 < f.cases; b++ {
		if !f.onNobodys(b) {
			n += min(3, f.cases-b*10)
		}
	}
	return n
}

// check says how much of the fill the database holds: how many cases (0 for an
// empty database), and whether the lender, agencies and collectors are there.
// A database with anything else in it, or another fill, is refused.
func (f worklistFill) check(ctx context.Context, db *store.DB) (done int, started bool, err error) {
	var lenders, bench int
	if err := db.R.QueryRowContext(ctx, "SELECT COUNT(*), COUNT(CASE WHEN id = $1 THEN 1 END) FROM lenders", benchLender).
		Scan(&lenders, &bench); err != nil {
		return 0, false, err
	}
	if lenders == 0 {
		return 0, false, nil
	}
	if bench == 0 || lenders > 1 {
		return 0, false, inputError(errors.New("the database holds data other than this benchmark's: give an empty database or directory, or one this command filled"))
	}
	var agencies, collectors int
	if err := db.R.QueryRowContext(ctx, "SELECT (SELECT COUNT(*) FROM agencies), (SELECT COUNT(*) FROM users WHERE role = $1)",
		collection.RoleCollector).Scan(&agencies, &collectors); err != nil {
		return 0, false, err
	}
	var last sql.NullString
	if err := db.R.QueryRowContext(ctx, "SELECT MAX(id) FROM cases").Scan(&last); err != nil {
		return 0, false, err
	}
	if last.Valid {
		n, err := strconv.Atoi(strings.TrimPrefix(last.String, "case-"))
		if err != nil {
			return 0, false, fmt.Errorf("the database's last case %q is not this benchmark's", last.String)
		}
		done = n + 1
	}
	if agencies != f.agencies || collectors != f.collectors || done > f.cases {
		return 0, false, inputError(fmt.Errorf("the database holds another fill (%d cases so far, %d agencies, %d collectors) than the flags ask for "+
			"(%d cases, %d agencies, %d collectors): give that fill's --cases, --worklist and --agencies, or another database",
			done, agencies, collectors, f.cases, f.agencies, f.collectors))
	}
	return done, true, nil
}

// fillChunk is how many cases one transaction of the fill writes.
const fillChunk = 10_000

// run fills the database from case from on, a chunk a transaction (so that an
// interrupted fill can be resumed where it stopped), building each chunk's rows
// while the previous one is written. progress is called with the cases done.
func (f worklistFill) run(ctx context.Context, db *store.DB, keys *secret.Keys, from int, started bool, progress func(int)) error {
	now := time.Now()
	if !started {
		if err := db.Update(ctx, func(tx *sql.Tx) error { return f.setup(now).insert(ctx, tx, f.postgres) }); err != nil {
			return fmt.Errorf("fill: %w", err)
		}
	}
	type chunk struct {
		end    int
		tables []*tableRows
	}
	chunks := make(chan chunk, 1)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer close(chunks)
		for start := from; start < f.cases; start += fillChunk {
			end := min(f.cases, start+fillChunk)
			select {
			case chunks <- chunk{end, f.rows(start, end, now, keys)}:
			case <-ctx.Done():
				return
			}
		}
	}()
	for c := range chunks {
		err := db.Update(ctx, func(tx *sql.Tx) error {
			for _, t := range c.tables {
				if err := t.insert(ctx, tx, f.postgres); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("fill: %w", err)
		}
		progress(c.end)
	}
	return ctx.Err()
}

// setup is the lender, the agencies and the collectors (who cannot sign in
// until a run gives them a password).
func (f worklistFill) setup(now time.Time) *tableRows {
	at := now.UnixMilli()
	lender := &tableRows{into: "lenders (id, name, pack, created_at)", cols: 4}
	lender.add(benchLender, "基准测试贷款机构 Benchmark Lender (synthetic)", "", at)
	agencies := &tableRows{into: "agencies (id, name, approved, created_at)", cols: 4}
	for k := range f.agencies {
		agencies.add(f.agencyID(k), fmt.Sprintf("基准测试催收机构 %d Benchmark Agency %d (synthetic)", k, k), true, at)
	}
	users := &tableRows{into: "users (id, username, role, agency_id, lang, password_hash, created_at)", cols: 7}
	for c := range f.collectors {
		users.add(f.collectorID(c), f.username(c), collection.RoleCollector, f.agencyID(f.agencyOf(c)), "", "!", at)
	}
	lender.next = []*tableRows{agencies, users}
	return lender
}

// Synthetic names: common characters combined, and obvious placeholders.
var (
	benchSurnames  = []string{"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林"}
	benchGiven     = []string{"伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "霞", "平"}
	benchFirst     = []string{"Alex", "Jordan", "Taylor", "Morgan", "Casey", "Riley", "Avery", "Quinn", "Jamie", "Drew"}
	benchLast      = []string{"Sample", "Example", "Testman", "Placeholder", "Fictive", "Demo"}
	benchRelations = []string{"parent", "spouse", "sibling", "friend"}
	benchDPD       = []int{3, 15, 31, 45, 75, 120, 200, 400}
)

// mix is splitmix64's finaliser: the fill's deterministic randomness, a case's
// attributes drawn from mix(i).
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// rows builds cases [start, end) and what they need, table by table in the
// order the foreign keys ask for.
func (f worklistFill) rows(start, end int, now time.Time, keys *secret.Keys) []*tableRows {
	n := end - start
	at := now.UnixMilli()
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	y, m, d := now.In(shanghai).Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	borrowers := &tableRows{into: "borrowers (id, lender_id, name, timezone, pack, created_at)", cols: 6}
	parties := &tableRows{into: `parties (id, borrower_id, role, name, relation, consent_by, consent_method, consent_evidence,
		consent_at, created_at)`, cols: 10}
	methods := &tableRows{into: "contact_methods (id, party_id, kind, value_enc, value_hash, masked, created_at)", cols: 7}
	holds := &tableRows{into: "holds (borrower_id, hold, note, created_at)", cols: 4}
	debts := &tableRows{into: "debts (id, borrower_id, lender_id, currency, principal, fees, created_at)", cols: 7}
	installments := &tableRows{into: "installments (debt_id, seq, due_date, amount, paid)", cols: 5}
	cases := &tableRows{into: "cases (id, debt_id, borrower_id, agency_id, collector_id, status, created_at, updated_at)", cols: 8}
	promises := &tableRows{into: "promises (id, case_id, amount, due_date, status, created_at)", cols: 6}
	for _, t := range []*tableRows{borrowers, parties, methods, debts, cases} {
		t.args = make([]any, 0, n*t.cols)
	}
	phone := func(us bool, h uint64, k int) string {
		var v string
		if us { // 555-0100 to 555-0199: reserved for fiction
			v = fmt.Sprintf("+1%03d55501%02d", 201+h%700, (int(h>>10)+k)%100)
		} else { // +86 100...: no subscriber has these
			v = fmt.Sprintf("+86100%08d", (int(h>>10)+k)%100_000_000)
		}
		v, _ = collection.NormalizeContact("phone", v)
		return v
	}
	addMethod := func(id, party, v string) {
		methods.add(id, party, "phone", keys.Seal("phone", v), keys.Hash("phone", v), secret.Mask("phone", v), at)
	}
	for i := start; i < end; i++ {
		h := mix(uint64(i))
		bor, debt := fmt.Sprintf("bor-%08d", i), fmt.Sprintf("dbt-%08d", i)
		us := h%10 == 9
		name, zone, pack, currency := benchSurnames[h>>8%16]+benchGiven[h>>12%20], "Asia/Shanghai", "cn", "CNY"
		if us {
			name, zone, pack, currency = benchFirst[h>>8%10]+" "+benchLast[h>>12%6], "America/New_York", "us", "USD"
		}
		borrowers.add(bor, benchLender, name, zone, pack, at)
		parties.add(bor, bor, "debtor", name, "self", "", "", "", nil, at)
		addMethod("cm-"+bor, bor, phone(us, h, 0))
		if h>>52%5 == 0 {
			ec := fmt.Sprintf("ec-%08d", i)
			ecName := benchSurnames[h>>16%16] + benchGiven[h>>20%20]
			if us {
				ecName = benchFirst[h>>16%10] + " " + benchLast[h>>20%6]
			}
			parties.add(ec, bor, "emergency_contact", ecName, benchRelations[h>>24%4], "party", "recorded_call", "rec-"+ec, at, at)
			addMethod("cm-"+ec, ec, phone(us, h, 1))
		}
		if h>>48%50 == 0 {
			holds.add(bor, "dispute", "synthetic: the borrower disputes the amount", at)
		}
		status := caseStatus(i)
		principal := int64(100_000 + h>>28%50*10_000)
		count := int(1 + h>>36%6)
		amount := principal / int64(count)
		debts.add(debt, bor, benchLender, currency, principal, principal/20, at)
		firstDue := today.AddDate(0, 0, -benchDPD[h>>40%8])
		for k := range count {
			paid := int64(0)
			switch {
			case status == collection.CaseClosed:
				paid = amount
			case k == 0 && h>>44%3 == 0:
				paid = amount / 3
			}
			installments.add(debt, k+1, firstDue.AddDate(0, k, 0).Format(time.DateOnly), amount, paid)
		}
		b := i / 10
		var collector any
		agency := f.agencyOf(f.blockCollector(b))
		if !f.onNobodys(b) {
			collector = f.collectorID(f.blockCollector(b))
		}
		id := benchCaseID(i)
		cases.add(id, debt, bor, f.agencyID(agency), collector, status, at, at)
		if status == collection.CaseOpen && h>>56%4 == 0 {
			due, st := [4]int{3, -5, -10, -20}[h>>60%4], [4]string{"open", "open", collection.PromiseKept, collection.PromiseBroken}[h>>60%4]
			promises.add("prm-"+id, id, amount, today.AddDate(0, 0, due).Format(time.DateOnly), st, at)
		}
	}
	return []*tableRows{borrowers, parties, methods, holds, debts, installments, cases, promises}
}

// tableRows are rows for one table, inserted many to a statement; next are
// tables inserted after it.
type tableRows struct {
	into string // "table (columns)"
	cols int
	args []any
	next []*tableRows
}

func (t *tableRows) add(v ...any) { t.args = append(t.args, v...) }

// benchRowsPerInsert is how many rows one INSERT writes.
const benchRowsPerInsert = 200

// insert writes the rows, benchRowsPerInsert to a statement prepared once,
// then the next tables'. On SQLite the parameters are anonymous (?): it looks
// a $n up among the statement's names one by one, to prepare and again to bind,
// which for a statement of a thousand parameters takes longer than the insert.
func (t *tableRows) insert(ctx context.Context, tx *sql.Tx, postgres bool) error {
	statement := func(rows int) string {
		var q strings.Builder
		q.WriteString("INSERT INTO " + t.into + " VALUES ")
		for r := range rows {
			if r > 0 {
				q.WriteString(", ")
			}
			if postgres {
				q.WriteString("(" + store.Placeholders(r*t.cols+1, t.cols) + ")")
			} else {
				q.WriteString("(" + strings.Repeat("?, ", t.cols-1) + "?)")
			}
		}
		return q.String()
	}
	full := benchRowsPerInsert * t.cols
	var stmt *sql.Stmt
	for rest := t.args; len(rest) > 0; {
		n := min(len(rest), full)
		var err error
		switch {
		case n < full:
			_, err = tx.ExecContext(ctx, statement(n/t.cols), rest[:n]...)
		case stmt == nil:
			if stmt, err = tx.PrepareContext(ctx, statement(benchRowsPerInsert)); err != nil {
				break
			}
			defer stmt.Close()
			fallthrough
		default:
			_, err = stmt.ExecContext(ctx, rest[:n]...)
		}
		if err != nil {
			table, _, _ := strings.Cut(t.into, " ")
			return fmt.Errorf("%s: %w", table, err)
		}
		rest = rest[n:]
	}
	for _, nt := range t.next {
		if err := nt.insert(ctx, tx, postgres); err != nil {
			return err
		}
	}
	return nil
}
