package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/fairdebt/fairdebt/internal/store"
)

type benchAllOptions struct {
	db            string
	duration      time.Duration
	runs          int
	borrowers     int
	worklistCases []int
	worklistData  string
	auditLeaves   int
	opaDir        string
	opaRequests   int
	only          []string
}

// benchAllParts are the parts bench all runs, in order.
var benchAllParts = []string{"gate", "attempts", "worklist", "audit"}

func (a *app) benchAllCommand(stdout, stderr io.Writer) *cobra.Command {
	var o benchAllOptions
	cmd := &cobra.Command{
		Use:   "all",
		Short: "Run every benchmark and print one table of the results beside their targets",
		Long: `all runs the benchmarks one after another, each in a child process of its own,
and prints one Markdown table of what they measured beside the targets (the table
BENCHMARKS.md holds), then the figures of every run. Progress goes to standard error.

  gate      the gate against Open Policy Agent on the same generated requests
            (bench/opa, a Go module of its own: run from the source tree, with Go;
            --opa names its directory);
  attempts  POST /v1/attempts through the service (bench attempts) on SQLite, and,
            with --db, on PostgreSQL with one and with three replicas, and with
            three replicas and three times the clients (as many a replica as the
            single process has): --runs runs of each, interleaved, so the setups
            share the machine's moods alike;
  worklist  one collector's worklist over each --worklist-cases (bench worklist
            --in-memory: the database file is read once first, so that what is
            measured does not depend on what ran before; --worklist-data keeps
            the fills to reuse them next time);
  audit     appends/s and proof latency on a log of --audit-leaves (bench audit).

--db names a PostgreSQL server (postgres://…); each PostgreSQL run makes a
scratch database on it and drops it afterwards. Give it durable commits
(fsync=on): bench/run starts such a server and runs this command.`,
		Example: `  fairdebt bench all --db postgres://postgres@127.0.0.1:5432/postgres
  fairdebt bench all --only gate,audit
  bash bench/run`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if err := o.validate(); err != nil {
				return inputError(err)
			}
			return a.benchAll(ctx, o, stdout, stderr)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.db, "db", "", "a PostgreSQL server (postgres://…) for the PostgreSQL rows; without it they are skipped")
	f.DurationVar(&o.duration, "duration", 10*time.Second, "how long each attempts run measures")
	f.IntVar(&o.runs, "runs", 3, "attempts runs of each setup; the table gives their medians")
	f.IntVar(&o.borrowers, "borrowers", 1000, "demo borrowers of each attempts run")
	f.IntSliceVar(&o.worklistCases, "worklist-cases", []int{1_000_000, 10_000_000}, "case counts to measure the worklist over")
	f.StringVar(&o.worklistData, "worklist-data", "", "keep the worklist benchmark's databases in this directory and reuse them")
	f.IntVar(&o.auditLeaves, "audit-leaves", 1_000_000, "size of the audit log proofs are timed on")
	f.StringVar(&o.opaDir, "opa", "bench/opa", "directory of the OPA comparison module")
	f.IntVar(&o.opaRequests, "opa-requests", 10_000, "generated requests per pack for the OPA comparison")
	f.StringSliceVar(&o.only, "only", nil, "run only these parts: "+strings.Join(benchAllParts, ", "))
	return cmd
}

func (o *benchAllOptions) validate() error {
	switch {
	case o.db != "" && !store.IsPostgres(o.db):
		return errors.New("--db: must be a postgres:// URL")
	case o.duration <= 0:
		return errors.New("--duration: must be positive")
	case o.runs < 1:
		return errors.New("--runs: must be at least 1")
	case o.borrowers < 1:
		return errors.New("--borrowers: must be at least 1")
	case o.auditLeaves < 20_000:
		return errors.New("--audit-leaves: at least 20000 (the appends are part of the log)")
	case o.opaRequests < 1:
		return errors.New("--opa-requests: must be at least 1")
	}
	for _, n := range o.worklistCases {
		if n < 1000 {
			return fmt.Errorf("--worklist-cases: %d is too few (at least 1000)", n)
		}
	}
	for _, p := range o.only {
		if !slices.Contains(benchAllParts, p) {
			return fmt.Errorf("--only: %q is not a part (want %s)", p, strings.Join(benchAllParts, ", "))
		}
	}
	return nil
}

func (o *benchAllOptions) includes(part string) bool {
	return len(o.only) == 0 || slices.Contains(o.only, part)
}

// benchRow is a line of the table.
type benchRow struct {
	what, setup, result, target, verdict string
}

// benchAll runs the parts and prints the table.
func (a *app) benchAll(ctx context.Context, o benchAllOptions, stdout, stderr io.Writer) error {
	say := func(format string, args ...any) { fmt.Fprintf(stderr, "bench all: "+format+"\n", args...) }
	var rows []benchRow
	var details []string
	failed := false
	note := func(part string, err error) {
		failed = true
		say("%s: %v", part, err)
		rows = append(rows, benchRow{what: part, result: "failed: " + firstLine(err.Error()), verdict: "failed"})
	}
	started := time.Now()

	if o.includes("gate") {
		say("the gate against OPA (%s, %d requests a pack)...", o.opaDir, o.opaRequests)
		r, err := benchGate(ctx, o)
		if err != nil {
			note("gate", err)
		}
		rows = append(rows, r...)
	}
	if o.includes("attempts") {
		r, d, err := a.benchAllAttempts(ctx, o, say)
		rows, details = append(rows, r...), append(details, d...)
		if err != nil {
			note("attempts", err)
		}
	}
	if o.includes("worklist") {
		for _, n := range o.worklistCases {
			say("the worklist over %d cases...", n)
			args := []string{"bench", "worklist", "--json", "--in-memory", "--cases", strconv.Itoa(n)}
			if o.worklistData != "" {
				args = append(args, "--data", filepath.Join(o.worklistData, fmt.Sprintf("cases-%d", n)))
			}
			var rep benchWorklistReport
			if err := runSelfJSON(ctx, args, stderr, &rep); err != nil {
				note("worklist", err)
				continue
			}
			fill := fmt.Sprintf("filled in %.0f s", rep.FillS)
			if rep.Reused {
				fill = "fill reused"
			}
			rows = append(rows, benchRow{what: "Worklist of one collector (GET /cases)",
				setup: fmt.Sprintf("%s cases, %s (%.1f GB, read into memory first), %.0f rows a worklist, %d collectors' pages",
					thousands(rep.Cases), rep.Store, rep.DatabaseMB/1000, rep.RowsMean, rep.Queries),
				result: fmt.Sprintf("page p50 %.1f ms, p99 %.1f ms (again: p99 %.1f ms); data alone p99 %.1f ms",
					rep.PageMS.P50, rep.PageMS.P99, rep.PageAgainMS.P99, rep.DataMS.P99),
				target: fmt.Sprintf("p99 ≤ %.0f ms", rep.TargetP99MS), verdict: verdict(rep.TargetMet)})
			details = append(details, fmt.Sprintf("worklist %s cases: %s, database %.0f MB; data %s; page %s; page again %s",
				thousands(rep.Cases), fill, rep.DatabaseMB, fmtLatencies(rep.DataMS), fmtLatencies(rep.PageMS), fmtLatencies(rep.PageAgainMS)))
		}
	}
	if o.includes("audit") {
		say("the audit log, %d leaves...", o.auditLeaves)
		var rep benchAuditResult
		if err := runSelfJSON(ctx, []string{"bench", "audit", "--json", "--leaves", strconv.Itoa(o.auditLeaves)}, stderr, &rep); err != nil {
			note("audit", err)
		} else {
			rows = append(rows,
				benchRow{what: "Audit log appends", setup: fmt.Sprintf("SQLite, %d writers, one durable write a leaf", rep.Clients),
					result: fmt.Sprintf("%s appends/s", thousands(int(rep.AppendsPerS))), target: "—"},
				benchRow{what: "Audit inclusion proof", setup: fmt.Sprintf("%s leaves, caches cold", thousands(int(rep.Leaves))),
					result: fmt.Sprintf("p50 %.3f ms, p99 %.3f ms (consistency p99 %.3f ms)", rep.InclusionP50Ms, rep.InclusionP99Ms, rep.ConsistP99Ms),
					target: "≤ 1 ms", verdict: verdict(rep.InclusionP99Ms <= 1)})
			details = append(details, fmt.Sprintf("audit: %d appends in all, log of %s leaves filled in %.0f s (%.0f MB); inclusion max %.3f ms",
				rep.Appends, thousands(int(rep.Leaves)), rep.FillS, rep.DatabaseMB, rep.InclusionMaxMs))
		}
	}

	fmt.Fprintf(stdout, "Machine: %s; %s; %s. Run %s, %s.\n\n", cpuModel(), memTotal(), runtime.Version(),
		started.UTC().Format("2006-01-02 15:04 MST"), time.Since(started).Round(time.Second))
	fmt.Fprintln(stdout, "| Benchmark | Setup | Result | Target | |")
	fmt.Fprintln(stdout, "|---|---|---|---|---|")
	for _, r := range rows {
		fmt.Fprintf(stdout, "| %s | %s | %s | %s | %s |\n", r.what, r.setup, r.result, r.target, r.verdict)
	}
	if len(details) > 0 {
		fmt.Fprintln(stdout)
		for _, d := range details {
			fmt.Fprintf(stdout, "- %s\n", d)
		}
	}
	if failed {
		return &exitError{exitFailure, errors.New("some benchmarks failed (see above)")}
	}
	return ctx.Err()
}

// benchGate runs the OPA comparison module and returns a row per pack.
func benchGate(ctx context.Context, o benchAllOptions) ([]benchRow, error) {
	if _, err := os.Stat(filepath.Join(o.opaDir, "go.mod")); err != nil {
		return nil, fmt.Errorf("no OPA comparison module at %s (run from the source tree, or give --opa): %w", o.opaDir, fileError(err))
	}
	cmd := exec.CommandContext(ctx, "go", "run", ".", "-json", "-coverage=false", "-n", strconv.Itoa(o.opaRequests), "-runs", "5")
	cmd.Dir = o.opaDir
	var out, errs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errs
	err := cmd.Run()
	var doc struct {
		Runs  int `json:"runs"`
		Packs []struct {
			Pack          string  `json:"pack"`
			Requests      int     `json:"requests"`
			Disagreements int     `json:"disagreements"`
			FairdebtNS    float64 `json:"fairdebt_ns"`
			OPANS         float64 `json:"opa_ns"`
			Ratio         float64 `json:"ratio"`
		} `json:"packs"`
	}
	if jerr := json.Unmarshal(out.Bytes(), &doc); jerr != nil {
		if err == nil {
			err = jerr
		}
		return nil, fmt.Errorf("go run %s: %w: %s", o.opaDir, err, lastLines(errs.String(), 5))
	}
	var rows []benchRow
	for _, p := range doc.Packs {
		rows = append(rows, benchRow{what: "Gate evaluation, pack " + p.Pack,
			setup: fmt.Sprintf("%s generated requests, median of %d runs; OPA: prepared query", thousands(p.Requests), doc.Runs),
			result: fmt.Sprintf("fairdebt %.1f µs, OPA %.0f µs a decision: %.0f× faster; %d disagreements",
				p.FairdebtNS/1000, p.OPANS/1000, p.Ratio, p.Disagreements),
			target: "≥ 20× faster, 0 disagreements", verdict: verdict(p.Ratio >= 20 && p.Disagreements == 0)})
	}
	if err != nil { // a disagreement exits 1 after printing the table
		return rows, fmt.Errorf("go run %s: %w", o.opaDir, err)
	}
	return rows, nil
}

// benchAllAttempts runs bench attempts on each setup, o.runs times,
// interleaved, and returns a row per setup with the medians.
func (a *app) benchAllAttempts(ctx context.Context, o benchAllOptions, say func(string, ...any)) ([]benchRow, []string, error) {
	type setup struct {
		name, target string
		args         []string
		reps         []benchReport
	}
	base := []string{"bench", "attempts", "--json", "--duration", o.duration.String(), "--borrowers", strconv.Itoa(o.borrowers)}
	setups := []*setup{{name: "SQLite, in process", target: fmt.Sprintf("≥ %s/s at p99 ≤ %v", thousands(benchTargetRate), benchTargetP99)}}
	if o.db != "" {
		setups = append(setups,
			&setup{name: "PostgreSQL, 1 replica", args: []string{"--db", o.db, "--replicas", "1"}, target: "—"},
			&setup{name: "PostgreSQL, 3 replicas", args: []string{"--db", o.db, "--replicas", "3"}, target: fmt.Sprintf("≥ %s/s", thousands(benchTargetReplicasRate))},
			// The same load per process as the single process's: the clients
			// of one process's knee, for each replica.
			&setup{name: fmt.Sprintf("PostgreSQL, 3 replicas, %d clients each", benchClients),
				args: []string{"--db", o.db, "--replicas", "3", "--clients", strconv.Itoa(3 * benchClients)}, target: fmt.Sprintf("≥ %s/s", thousands(benchTargetReplicasRate))})
	} else {
		say("no --db: the PostgreSQL rows are skipped")
	}
	var details []string
	var firstErr error
	for run := range o.runs {
		for _, s := range setups {
			say("attempts, %s, run %d of %d...", s.name, run+1, o.runs)
			var rep benchReport
			if err := runSelfJSON(ctx, append(slices.Clone(base), s.args...), io.Discard, &rep); err != nil {
				firstErr = cmpOr(firstErr, fmt.Errorf("%s: %w", s.name, err))
				continue
			}
			s.reps = append(s.reps, rep)
			details = append(details, fmt.Sprintf("attempts, %s, run %d: %.0f decisions/s, p50 %.1f ms, p99 %.1f ms, %d%% allowed; %s",
				s.name, run+1, rep.DecisionsPerS, rep.LatencyMS.P50, rep.LatencyMS.P99, pctOf(rep.Allowed, rep.Attempts), serverLine(rep.Server)))
		}
	}
	var rows []benchRow
	for _, s := range setups {
		if len(s.reps) == 0 {
			continue
		}
		rate := medianOf(s.reps, func(r benchReport) float64 { return r.DecisionsPerS })
		p50 := medianOf(s.reps, func(r benchReport) float64 { return r.LatencyMS.P50 })
		p99 := medianOf(s.reps, func(r benchReport) float64 { return r.LatencyMS.P99 })
		met := 0
		for _, r := range s.reps {
			if r.TargetMet {
				met++
			}
		}
		v := ""
		if s.target != "—" {
			v = fmt.Sprintf("%s (%d of %d runs)", verdict(met*2 > len(s.reps)), met, len(s.reps))
		}
		rows = append(rows, benchRow{what: "POST /v1/attempts",
			setup:  fmt.Sprintf("%s; %d clients, %d borrowers, median of %d runs of %v", s.name, s.reps[0].Clients, o.borrowers, len(s.reps), o.duration),
			result: fmt.Sprintf("%s decisions/s, p50 %.1f ms, p99 %.1f ms", thousands(int(rate)), p50, p99), target: s.target, verdict: v})
	}
	return rows, details, firstErr
}

// runSelfJSON runs fairdebt with args in a child process and decodes its
// standard output into v.
func runSelfJSON(ctx context.Context, args []string, stderr io.Writer, v any) error {
	cmd, err := selfCommand(args)
	if err != nil {
		return err
	}
	var out, errs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, io.MultiWriter(&errs, stderr)
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		return err
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-ctx.Done():
		_ = cmd.Process.Signal(os.Interrupt)
		<-done
		return ctx.Err()
	}
	if jerr := json.Unmarshal(out.Bytes(), v); jerr != nil || err != nil {
		return fmt.Errorf("fairdebt %s: %w", strings.Join(args[:2], " "), cmpOr(err, jerr, errors.New(lastLines(errs.String(), 3))))
	}
	return nil
}

func cmpOr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

func medianOf(reps []benchReport, f func(benchReport) float64) float64 {
	v := make([]float64, len(reps))
	for i, r := range reps {
		v[i] = f(r)
	}
	return median(v)
}

func pctOf(n, of int64) int64 {
	if of == 0 {
		return 0
	}
	return 100 * n / of
}

func serverLine(s *benchServerDoc) string {
	if s == nil {
		return ""
	}
	return fmt.Sprintf("%s, %s, synchronous=%s", s.Store, s.JournalMode, s.Synchronous)
}

func fmtLatencies(l benchLatency) string {
	return fmt.Sprintf("p50 %.1f / p90 %.1f / p99 %.1f / max %.1f ms", l.P50, l.P90, l.P99, l.Max)
}

// thousands writes n with commas between thousands.
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// cpuModel names the processor and the cores this process may use.
func cpuModel() string {
	model := runtime.GOARCH
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("%s, %d cores", model, runtime.NumCPU())
}

// memTotal is the machine's memory, from /proc/meminfo.
func memTotal() string {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return "memory unknown"
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err == nil {
				return fmt.Sprintf("%.0f GiB memory", float64(kb)/(1<<20))
			}
		}
	}
	return "memory unknown"
}
