package main

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/fairdebt/fairdebt/internal/policy"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/format"
)

// packs are the packs with a Rego translation: cn and us, which the benchmark
// compares, and the overlays us-ma and us-nyc (an extra cap; effective dates).
var packs = []string{"cn", "us", "us-ma", "us-nyc"}

// testRequests is how many generated requests each test uses per pack.
const testRequests = 2000

func setup(tb testing.TB, name string, n int) (*policy.Pack, *OPA, []Case) {
	tb.Helper()
	reg, err := policy.Builtin()
	if err != nil {
		tb.Fatal(err)
	}
	pack, err := reg.Get(name)
	if err != nil {
		tb.Fatal(err)
	}
	engine, err := NewOPA(context.Background(), pack)
	if err != nil {
		tb.Fatal(err)
	}
	cases, err := Generate(name, n, 1)
	if err != nil {
		tb.Fatal(err)
	}
	return pack, engine, cases
}

// TestNoDisagreements is the anchor's correctness half: on every generated
// request, the Rego under OPA breaks exactly the rules fairdebt reports.
func TestNoDisagreements(t *testing.T) {
	for _, name := range packs {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			pack, engine, cases := setup(t, name, testRequests)
			diffs, err := Compare(context.Background(), pack, engine, cases)
			if err != nil {
				t.Fatal(err)
			}
			for i, d := range diffs {
				if i == 3 {
					break
				}
				t.Errorf("request %d: fairdebt %v, OPA %v\n%s", d.Index, d.Fairdebt, d.OPA, RequestJSON(name, &cases[d.Index]))
			}
			if len(diffs) > 0 {
				t.Fatalf("%d of %d requests disagree", len(diffs), len(cases))
			}
		})
	}
}

// TestEveryRuleBothWays checks that the generated requests exercise every rule
// of every pack both ways: some break it, and some that it governs pass it. A
// rule of kind deny cannot pass where it applies; it must then also not apply
// somewhere.
func TestEveryRuleBothWays(t *testing.T) {
	for _, name := range packs {
		t.Run(name, func(t *testing.T) {
			pack, _, cases := setup(t, name, testRequests)
			cov, err := NewCoverage(pack, cases)
			if err != nil {
				t.Fatal(err)
			}
			var fromYAML, fromPack []string
			for _, r := range cov.Rules {
				fromYAML = append(fromYAML, r.ID)
			}
			kinds := map[string]string{}
			for _, r := range pack.Rules() {
				fromPack = append(fromPack, r.ID)
				kinds[r.ID] = r.Kind
			}
			if !slices.Equal(fromYAML, fromPack) {
				t.Fatalf("rules read from the YAML %v, the pack has %v", fromYAML, fromPack)
			}
			if len(cov.ViolatedNotApplying) > 0 {
				t.Errorf("rules reported where their filters say they do not apply: %v", cov.ViolatedNotApplying)
			}
			if cov.Allowed == 0 || cov.Denied == 0 {
				t.Errorf("%d allowed and %d denied: want both", cov.Allowed, cov.Denied)
			}
			for k, r := range cov.Rules {
				if cov.Violated[k] == 0 {
					t.Errorf("%s: never violated", r.ID)
				}
				switch {
				case kinds[r.ID] == "deny" && cov.NotApplied[k] == 0:
					t.Errorf("%s: a deny rule that applies to every request", r.ID)
				case kinds[r.ID] != "deny" && cov.Passed[k] == 0:
					t.Errorf("%s: never passed where it applies", r.ID)
				}
			}
		})
	}
}

// TestGenerateIsDeterministic: the same seed gives the same requests, so a
// disagreement or a figure can be reproduced.
func TestGenerateIsDeterministic(t *testing.T) {
	a, err := Generate("us", 300, 7)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Generate("us", 300, 7)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Generate("us", 300, 8)
	if err != nil {
		t.Fatal(err)
	}
	same := 0
	for i := range a {
		if RequestJSON("us", &a[i]) != RequestJSON("us", &b[i]) {
			t.Fatalf("request %d differs between two runs with seed 7", i)
		}
		if RequestJSON("us", &a[i]) == RequestJSON("us", &c[i]) {
			same++
		}
	}
	if same == len(a) {
		t.Fatal("seeds 7 and 8 give the same requests")
	}
}

// TestLocalDays checks the day numbers OPA's input gives history entries:
// the local calendar date in the debtor's zone, across New York's DST changes
// and in zones with half-hour offsets, whatever zone period the converter saw
// last.
func TestLocalDays(t *testing.T) {
	for _, tz := range []string{"America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "Asia/Shanghai"} {
		loc, err := policy.LoadLocation(tz)
		if err != nil {
			t.Fatal(err)
		}
		for _, from := range []string{"2026-03-06", "2026-10-30", "2026-03-27", "2026-04-03"} {
			start, _ := time.ParseInLocation(time.DateOnly, from, loc)
			z := newLocalDays(loc, start.AddDate(0, 0, 3))
			for m := 0; m < 5*24*60; m += 13 {
				u := start.Add(time.Duration(m) * time.Minute)
				y, mo, d := u.In(loc).Date()
				want := time.Date(y, mo, d, 0, 0, 0, 0, time.UTC).Unix() / secondsPerDay
				if got := z.day(u.UTC()); got != want {
					t.Fatalf("%s: day(%s) = %d, want %d", tz, u.In(loc), got, want)
				}
			}
		}
	}
}

// BenchmarkFairdebt times policy.Evaluate per decision over the generated
// requests (the same ones as BenchmarkOPA).
func BenchmarkFairdebt(b *testing.B) {
	for _, name := range []string{"cn", "us"} {
		b.Run(name, func(b *testing.B) {
			pack, _, cases := setup(b, name, testRequests)
			b.ReportAllocs()
			i, violations := 0, 0
			for b.Loop() {
				c := &cases[i%len(cases)]
				violations += len(policy.Evaluate(pack, &c.Snapshot, &c.Attempt).Violations)
				i++
			}
			b.ReportMetric(float64(violations)/float64(i), "violations/op")
		})
	}
}

// BenchmarkOPA times OPA per decision: building the input and evaluating the
// prepared query.
func BenchmarkOPA(b *testing.B) {
	for _, name := range []string{"cn", "us"} {
		b.Run(name, func(b *testing.B) {
			_, engine, cases := setup(b, name, testRequests)
			ctx := context.Background()
			b.ReportAllocs()
			i, violations := 0, 0
			for b.Loop() {
				c := &cases[i%len(cases)]
				ids, err := engine.Decide(ctx, &c.Snapshot, &c.Attempt)
				if err != nil {
					b.Fatal(err)
				}
				violations += len(ids)
				i++
			}
			b.ReportMetric(float64(violations)/float64(i), "violations/op")
		})
	}
}

// BenchmarkOPAInput times building OPA's input alone, the preparation share of
// BenchmarkOPA.
func BenchmarkOPAInput(b *testing.B) {
	for _, name := range []string{"cn", "us"} {
		b.Run(name, func(b *testing.B) {
			pack, _, cases := setup(b, name, testRequests)
			b.ReportAllocs()
			i, keys := 0, 0
			for b.Loop() {
				c := &cases[i%len(cases)]
				keys += Input(pack, &c.Snapshot, &c.Attempt).(ast.Object).Len()
				i++
			}
			if keys != 5*i {
				b.Fatalf("built %d keys in %d inputs, want 5 each", keys, i)
			}
		})
	}
}

// TestRequestJSONReproduces checks that a request printed for a disagreement is
// a valid `fairdebt check` request with the same decision, so that it can be
// replayed. Attempts to a person missing from the snapshot are skipped: the
// decoder refuses them, while Evaluate takes them as unrelated third parties.
func TestRequestJSONReproduces(t *testing.T) {
	reg, err := policy.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"cn", "us"} {
		pack, err := reg.Get(name)
		if err != nil {
			t.Fatal(err)
		}
		cases, err := Generate(name, 300, 3)
		if err != nil {
			t.Fatal(err)
		}
		checked := 0
		for i := range cases {
			c := &cases[i]
			if !slices.ContainsFunc(c.Snapshot.Parties, func(p policy.Party) bool { return p.ID == c.Attempt.Party }) {
				continue
			}
			req, err := policy.DecodeRequest([]byte(RequestJSON(name, c)), reg)
			if err != nil {
				t.Fatalf("%s request %d: %v\n%s", name, i, err, RequestJSON(name, c))
			}
			want := FairdebtIDs(policy.Evaluate(pack, &c.Snapshot, &c.Attempt))
			if got := FairdebtIDs(policy.Evaluate(req.Pack, &req.Snapshot, &req.Attempt)); !slices.Equal(got, want) {
				t.Fatalf("%s request %d: decoded request breaks %v, the case %v", name, i, got, want)
			}
			checked++
		}
		if checked < 250 {
			t.Fatalf("%s: only %d of 300 requests checked", name, checked)
		}
	}
}

// TestRegoFormatted holds the Rego to `opa fmt`, as gofmt holds the Go.
func TestRegoFormatted(t *testing.T) {
	entries, err := regoFS.ReadDir("policy")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		src, err := regoFS.ReadFile("policy/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		out, err := format.Source(e.Name(), src)
		if err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		if string(out) != string(src) {
			t.Errorf("policy/%s is not formatted as `opa fmt` would", e.Name())
		}
	}
	if len(entries) != 5 {
		t.Errorf("%d Rego files, want 5", len(entries))
	}
}
