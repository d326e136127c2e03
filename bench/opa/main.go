// Command opa compares fairdebt's compliance gate with the same rules written in
// Rego and evaluated by OPA, on the same generated requests in the same run: the
// decisions must be identical, and it reports how long each engine takes.
//
//	go run . [-n 10000] [-pack cn,us] [-runs 5] [-seed 1]
//
// It exits with status 1 if the engines disagree on any request. This is a
// separate Go module so that fairdebt itself does not depend on OPA.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
	_ "time/tzdata"

	"github.com/fairdebt/fairdebt/internal/policy"
	"github.com/open-policy-agent/opa/v1/ast"
)

func main() {
	n := flag.Int("n", 10000, "requests per pack")
	packs := flag.String("pack", "cn,us", "comma-separated packs (cn, us, us-ma, us-nyc)")
	runs := flag.Int("runs", 5, "timed runs per engine (0: compare only)")
	seed := flag.Uint64("seed", 1, "generator seed")
	show := flag.Int("show", 3, "disagreements to print in detail")
	coverage := flag.Bool("coverage", true, "print per-rule coverage")
	asJSON := flag.Bool("json", false, "print the result table as JSON on standard output, the rest on standard error")
	flag.Parse()
	if *asJSON {
		out = os.Stderr
	}
	if *n < 1 || *runs < 0 {
		fmt.Fprintln(os.Stderr, "opa: -n must be at least 1 and -runs at least 0")
		os.Exit(2)
	}
	ok, rows, err := run(context.Background(), strings.Split(*packs, ","), *n, *runs, *seed, *show, *coverage)
	if err != nil {
		fmt.Fprintln(os.Stderr, "opa:", err)
		os.Exit(2)
	}
	if *asJSON {
		type jsonRow struct {
			Pack          string  `json:"pack"`
			Requests      int     `json:"requests"`
			Disagreements int     `json:"disagreements"`
			FairdebtNS    float64 `json:"fairdebt_ns"`
			OPANS         float64 `json:"opa_ns"`
			OPAInputNS    float64 `json:"opa_input_ns"`
			Ratio         float64 `json:"ratio"`
		}
		var doc struct {
			GoVersion string    `json:"go_version"`
			CPUs      int       `json:"cpus"`
			Runs      int       `json:"runs"`
			Packs     []jsonRow `json:"packs"`
		}
		doc.GoVersion, doc.CPUs, doc.Runs = runtime.Version(), runtime.NumCPU(), *runs
		for _, r := range rows {
			j := jsonRow{Pack: r.pack, Requests: r.n, Disagreements: r.disagreements}
			if len(r.opa) > 0 {
				j.FairdebtNS, j.OPANS, j.OPAInputNS = median(r.fairdebt), median(r.opa), median(r.opaInput)
				j.Ratio = j.OPANS / j.FairdebtNS
			}
			doc.Packs = append(doc.Packs, j)
		}
		if err := json.NewEncoder(os.Stdout).Encode(doc); err != nil {
			fmt.Fprintln(os.Stderr, "opa:", err)
			os.Exit(2)
		}
	}
	if !ok {
		os.Exit(1)
	}
}

// out receives the human-readable report: standard output, or standard error
// with -json.
var out io.Writer = os.Stdout

// row is one pack's line of the result table.
type row struct {
	pack                    string
	n, disagreements        int
	fairdebt, opa, opaInput []float64 // ns per decision, one per run
}

func run(ctx context.Context, packs []string, n, runs int, seed uint64, show int, coverage bool) (bool, []row, error) {
	reg, err := policy.Builtin()
	if err != nil {
		return false, nil, err
	}
	fmt.Fprintf(out, "%s %s/%s, GOMAXPROCS=%d, %d CPUs; %d requests per pack, %d runs, seed %d\n",
		runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), runtime.NumCPU(), n, runs, seed)
	var rows []row
	for _, name := range packs {
		name = strings.TrimSpace(name)
		pack, err := reg.Get(name)
		if err != nil {
			return false, nil, err
		}
		cases, err := Generate(name, n, seed)
		if err != nil {
			return false, nil, err
		}
		engine, err := NewOPA(ctx, pack)
		if err != nil {
			return false, nil, err
		}
		if coverage {
			cov, err := NewCoverage(pack, cases)
			if err != nil {
				return false, nil, err
			}
			cov.Print(name, n)
		}
		r := row{pack: name, n: n}
		diffs, err := Compare(ctx, pack, engine, cases)
		if err != nil {
			return false, nil, err
		}
		r.disagreements = len(diffs)
		for i, d := range diffs {
			if i == show {
				break
			}
			fmt.Fprintf(out, "\ndisagreement %d of %d, pack %s, request %d:\n  fairdebt: %v\n  OPA:      %v\n  request:  %s\n",
				i+1, len(diffs), name, d.Index, d.Fairdebt, d.OPA, RequestJSON(name, &cases[d.Index]))
		}
		for k := range runs {
			fd, op, in, err := timeRun(ctx, pack, engine, cases, k%2 == 0, r.disagreements > 0)
			if err != nil {
				return false, nil, err
			}
			r.fairdebt, r.opa, r.opaInput = append(r.fairdebt, fd), append(r.opa, op), append(r.opaInput, in)
		}
		if runs == 0 {
			fmt.Fprintf(out, "\npack %s: %d requests, %d disagreements\n", name, n, r.disagreements)
			rows = append(rows, r)
			continue
		}
		ratios := make([]float64, len(r.opa))
		for k := range ratios {
			ratios[k] = r.opa[k] / r.fairdebt[k]
		}
		fmt.Fprintf(out, "\npack %s, ns per decision by run:\n  fairdebt   %s\n  OPA        %s\n  OPA input  %s\n  ratio      %s\n",
			name, fmtRuns(r.fairdebt, "%8.0f"), fmtRuns(r.opa, "%8.0f"), fmtRuns(r.opaInput, "%8.0f"), fmtRuns(ratios, "%7.1fx"))
		rows = append(rows, r)
	}

	if runs == 0 {
		return !slices.ContainsFunc(rows, func(r row) bool { return r.disagreements > 0 }), rows, nil
	}
	fmt.Fprintf(out, "\n%-7s %9s %14s %22s %17s %19s %19s\n", "PACK", "REQUESTS", "DISAGREEMENTS",
		"FAIRDEBT ns/decision", "OPA ns/decision", "of which OPA input", "RATIO OPA/fairdebt")
	ok := true
	for _, r := range rows {
		fd, op := median(r.fairdebt), median(r.opa)
		fmt.Fprintf(out, "%-7s %9d %14d %22.0f %17.0f %19.0f %18.1fx\n", r.pack, r.n, r.disagreements, fd, op, median(r.opaInput), op/fd)
		ok = ok && r.disagreements == 0
	}
	fmt.Fprintln(out, "(medians over the runs, the ratio of the medians. fairdebt: policy.Evaluate on the snapshot and attempt;")
	fmt.Fprintln(out, " OPA: building the input, screener and local days included, then the prepared query's Eval)")
	return ok, rows, nil
}

// Diff is a request on which the engines disagree.
type Diff struct {
	Index         int
	Fairdebt, OPA []string
}

// Compare evaluates every case with both engines and returns the disagreements.
func Compare(ctx context.Context, pack *policy.Pack, engine *OPA, cases []Case) ([]Diff, error) {
	var diffs []Diff
	for i := range cases {
		c := &cases[i]
		want := FairdebtIDs(policy.Evaluate(pack, &c.Snapshot, &c.Attempt))
		got, err := engine.Decide(ctx, &c.Snapshot, &c.Attempt)
		if err != nil {
			return nil, fmt.Errorf("request %d: %w", i, err)
		}
		if !slices.Equal(want, got) {
			diffs = append(diffs, Diff{Index: i, Fairdebt: want, OPA: got})
		}
	}
	return diffs, nil
}

// chunk is how many requests each engine evaluates in turn within a run.
const chunk = 500

// timeRun times both engines over cases, in ns per decision, and the building
// of OPA's input alone. The engines take turns over chunks of the requests
// (fairdebt first when fairdebtFirst), so that both see the machine in the
// same state even when other work comes and goes, and a garbage collection
// before each timed chunk keeps either from paying for the other's garbage.
//
// It also checks that the timed loops did the work: both engines found the
// same number of violations in all (keepDiffering when they disagree anyway).
func timeRun(ctx context.Context, pack *policy.Pack, engine *OPA, cases []Case, fairdebtFirst, keepDiffering bool) (fd, op, in float64, err error) {
	var fdT, opT, inT time.Duration
	var fdV, opV, inputs int
	for start := 0; start < len(cases); start += chunk {
		part := cases[start:min(start+chunk, len(cases))]
		if fairdebtFirst {
			d, v := timeFairdebt(pack, part)
			fdT, fdV = fdT+d, fdV+v
		}
		d, v, err := timeOPA(ctx, engine, part)
		if err != nil {
			return 0, 0, 0, err
		}
		opT, opV = opT+d, opV+v
		if !fairdebtFirst {
			d, v := timeFairdebt(pack, part)
			fdT, fdV = fdT+d, fdV+v
		}
		d, v = timeInput(pack, part)
		inT, inputs = inT+d, inputs+v
	}
	if fdV != opV && !keepDiffering {
		return 0, 0, 0, fmt.Errorf("pack %s: the timed loops found %d violations with fairdebt and %d with OPA", pack.Name, fdV, opV)
	}
	if inputs != len(cases) {
		return 0, 0, 0, fmt.Errorf("pack %s: built %d inputs for %d requests", pack.Name, inputs, len(cases))
	}
	n := float64(len(cases))
	return float64(fdT.Nanoseconds()) / n, float64(opT.Nanoseconds()) / n, float64(inT.Nanoseconds()) / n, nil
}

// timeFairdebt times fairdebt over cases: policy.Evaluate on the snapshot and
// attempt as the gate receives them, everything included (screening the
// message, local days, every rule, the obligations, and next_allowed_at for a
// denial that waiting can cure).
func timeFairdebt(pack *policy.Pack, cases []Case) (time.Duration, int) {
	runtime.GC()
	violations := 0
	start := time.Now()
	for i := range cases {
		d := policy.Evaluate(pack, &cases[i].Snapshot, &cases[i].Attempt)
		violations += len(d.Violations)
	}
	return time.Since(start), violations
}

// timeOPA times OPA over cases: building the input (Input) and evaluating the
// prepared query, down to the sorted rule ids.
func timeOPA(ctx context.Context, engine *OPA, cases []Case) (time.Duration, int, error) {
	runtime.GC()
	violations := 0
	start := time.Now()
	for i := range cases {
		ids, err := engine.Decide(ctx, &cases[i].Snapshot, &cases[i].Attempt)
		if err != nil {
			return 0, 0, err
		}
		violations += len(ids)
	}
	return time.Since(start), violations, nil
}

// timeInput times building OPA's input alone: the share of OPA's time that is
// preparation rather than rule evaluation.
func timeInput(pack *policy.Pack, cases []Case) (time.Duration, int) {
	runtime.GC()
	built := 0
	start := time.Now()
	for i := range cases {
		if Input(pack, &cases[i].Snapshot, &cases[i].Attempt).(ast.Object).Len() > 0 {
			built++
		}
	}
	return time.Since(start), built
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func fmtRuns(xs []float64, format string) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprintf(format, x)
	}
	return strings.Join(parts, " ")
}

// RequestJSON writes a case as a `fairdebt check` request, to reproduce it.
func RequestJSON(pack string, c *Case) string {
	type party struct {
		ID       string `json:"id"`
		Role     string `json:"role"`
		Consent  bool   `json:"consent,omitempty"`
		Objected bool   `json:"objected,omitempty"`
		Relation string `json:"relation,omitempty"`
	}
	s, a := &c.Snapshot, &c.Attempt
	tz := "UTC"
	if s.Debtor.Location != nil {
		tz = s.Debtor.Location.String()
	}
	// History may not be later than now; the attempt's own time is given apart.
	now := a.At
	for _, h := range s.History {
		if h.At.After(now) {
			now = h.At
		}
	}
	req := map[string]any{"pack": pack, "now": now.Format(time.RFC3339)}
	debtor := map[string]any{"id": s.Debtor.ID, "timezone": tz, "holds": s.Debtor.Holds.Names()}
	var windows []string
	for _, w := range s.Debtor.Inconvenient {
		windows = append(windows, w.String())
	}
	if windows != nil {
		debtor["inconvenient"] = windows
	}
	req["debtor"] = debtor
	var parties []party
	for _, p := range s.Parties {
		parties = append(parties, party{p.ID, p.Role.String(), p.Consent, p.Objected, p.Relation})
	}
	req["parties"] = parties
	var optouts []map[string]string
	for _, o := range s.OptOuts {
		optouts = append(optouts, map[string]string{"party": o.Party, "channel": o.Channel.String()})
	}
	req["optouts"] = optouts
	var history []map[string]string
	for _, h := range s.History {
		history = append(history, map[string]string{"at": h.At.Format(time.RFC3339), "party": h.Party,
			"channel": h.Channel.String(), "result": h.Result.String()})
	}
	req["history"] = history
	req["attempt"] = map[string]any{"party": a.Party, "channel": a.Channel.String(), "at": a.At.Format(time.RFC3339),
		"purpose": a.Purpose.String(), "message": a.Message, "collectors": a.Collectors,
		"caller_id_registered": a.CallerIDRegistered}
	out, err := json.Marshal(req)
	if err != nil {
		return err.Error()
	}
	return string(out)
}
