package cli

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/fairdebt/fairdebt/internal/audit"
	"github.com/fairdebt/fairdebt/internal/store"
)

type benchAuditOptions struct {
	leaves, appends, proofs, clients int
	json                             bool
}

// benchAuditResult is what bench audit prints with --json.
type benchAuditResult struct {
	Machine        string  `json:"machine"`
	Appends        int     `json:"appends"`
	Clients        int     `json:"clients"`
	AppendsPerS    float64 `json:"appends_per_s"`
	Leaves         int64   `json:"leaves"`
	FillS          float64 `json:"fill_s"`
	Proofs         int     `json:"proofs"`
	InclusionP50Ms float64 `json:"inclusion_p50_ms"`
	InclusionP99Ms float64 `json:"inclusion_p99_ms"`
	InclusionMaxMs float64 `json:"inclusion_max_ms"`
	ConsistP50Ms   float64 `json:"consistency_p50_ms"`
	ConsistP99Ms   float64 `json:"consistency_p99_ms"`
	DatabaseMB     float64 `json:"database_mb"`
}

func (a *app) benchAuditCommand(stdout, stderr io.Writer) *cobra.Command {
	var o benchAuditOptions
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Measure audit log appends/s and proof latency on a large log",
		Long: `audit measures the tamper-evident audit log on a fresh SQLite database (durable
commits) in a temporary directory:

  1. appends: --clients goroutines append --appends synthetic decision leaves, each
     in its own write through the store's group-committing writer, as the gate does;
  2. it fills the log up to --leaves leaves (hashes computed in memory, the same
     rows and tiles), signs a checkpoint, closes the database (so that it is all on
     disk) and opens it again read-only, with the log's caches empty;
  3. proofs: --proofs inclusion proofs of random leaves against the checkpoint, and
     as many consistency proofs from random earlier sizes, each checked.

The target for proofs is at most 1 ms per inclusion proof at 1M and 10M leaves.
A 10M-leaf log takes a few GB of disk and some minutes to fill.`,
		Example: `  fairdebt bench audit
  fairdebt bench audit --leaves 10000000 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.leaves < o.appends || o.appends < 1 || o.proofs < 1 || o.clients < 1 {
				return inputError(fmt.Errorf("want --leaves ≥ --appends ≥ 1, --proofs ≥ 1 and --clients ≥ 1"))
			}
			return benchAudit(cmd.Context(), o, stdout, stderr)
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.leaves, "leaves", 1_000_000, "size of the log to prove against")
	f.IntVar(&o.appends, "appends", 20_000, "leaves appended one write at a time, to measure appends/s")
	f.IntVar(&o.clients, "clients", 64, "concurrent writers for the appends")
	f.IntVar(&o.proofs, "proofs", 2000, "inclusion proofs (and consistency proofs) to time")
	f.BoolVar(&o.json, "json", false, "print the result as JSON, and no progress")
	return cmd
}

func benchAudit(ctx context.Context, o benchAuditOptions, stdout, stderr io.Writer) error {
	dir, err := os.MkdirTemp("", "fairdebt-bench-audit-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	db, err := store.OpenSQLite(ctx, filepath.Join(dir, "fairdebt.db"))
	if err != nil {
		return err
	}
	defer db.Close()
	l, err := audit.New(ctx, db)
	if err != nil {
		return err
	}
	signer, vkey, _, err := audit.LoadSigner(dir, AuditOrigin)
	if err != nil {
		return err
	}
	say := func(format string, args ...any) {
		if !o.json {
			fmt.Fprintf(stderr, format, args...)
		}
	}
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	event := func(i int64) audit.Event {
		return audit.Event{Type: audit.TypeDecision, At: start.Add(time.Duration(i) * time.Millisecond), Actor: "bench",
			Subject: map[string]string{"attempt": fmt.Sprintf("att_%012d", i), "case": fmt.Sprintf("case_%06d", i%100000),
				"borrower": fmt.Sprintf("bor_%06d", i%100000), "agency": "agency_1", "party": fmt.Sprintf("pty_%06d", i%100000)},
			Digests: map[string]string{"message": fmt.Sprintf("%064x", i)},
			Facts: map[string]any{"allowed": i%4 == 0, "channel": "call", "purpose": "collect", "role": "debtor", "pack": "cn",
				"rules": []string{"cn.frequency.calls_per_day"}}}
	}
	res := benchAuditResult{Machine: fmt.Sprintf("%s/%s, %d CPUs", runtime.GOOS, runtime.GOARCH, runtime.NumCPU()),
		Appends: o.appends, Clients: o.clients, Leaves: int64(o.leaves), Proofs: o.proofs}

	// 1. Appends through the writer, one leaf per write.
	say("appending %d leaves, one write each, from %d writers...\n", o.appends, o.clients)
	var next atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, o.clients)
	t0 := time.Now()
	for range o.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(o.appends) {
					return
				}
				err := db.Update(ctx, func(tx *sql.Tx) error {
					_, err := l.Append(ctx, tx, event(i))
					return err
				})
				if err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		return err
	}
	res.AppendsPerS = float64(o.appends) / time.Since(t0).Seconds()
	say("  %.0f appends/s\n", res.AppendsPerS)

	// 2. Fill.
	say("filling to %d leaves...\n", o.leaves)
	t0 = time.Now()
	last := time.Now()
	err = l.Fill(ctx, int64(o.leaves), event, func(done, total int64) {
		if time.Since(last) > 2*time.Second {
			say("  %d of %d (%.0f%%)\n", done, total, 100*float64(done)/float64(total))
			last = time.Now()
		}
	})
	if err != nil {
		return err
	}
	res.FillS = time.Since(t0).Seconds()
	signed, err := l.Checkpoint(ctx, signer)
	if err != nil {
		return err
	}
	c, err := audit.OpenCheckpoint(signed, vkey)
	if err != nil {
		return err
	}
	// Proofs are timed as a service serves them in its steady state, not while
	// the operating system is still writing gigabytes of fill behind them: the
	// database is closed (its write-ahead log copied into it and synced) and
	// opened again, read-only, with the log's caches empty.
	say("flushing the database to disk...\n")
	if err := db.Close(); err != nil {
		return err
	}
	if st, err := os.Stat(filepath.Join(dir, "fairdebt.db")); err == nil {
		res.DatabaseMB = float64(st.Size()) / 1e6
	}
	if db, err = store.OpenSQLiteReadOnly(ctx, filepath.Join(dir, "fairdebt.db")); err != nil {
		return err
	}
	defer db.Close()
	if l, err = audit.New(ctx, db); err != nil {
		return err
	}

	// 3. Proofs against the checkpoint, each checked.
	say("timing %d inclusion and %d consistency proofs against a tree of %d...\n", o.proofs, o.proofs, c.Size)
	rng := rand.New(rand.NewPCG(1, 2))
	incl := make([]time.Duration, o.proofs)
	for k := range incl {
		i := rng.Int64N(c.Size)
		t0 := time.Now()
		p, err := l.ProveLeaf(ctx, c.Size, i)
		incl[k] = time.Since(t0)
		if err != nil {
			return err
		}
		leaf, err := l.Leaf(ctx, i)
		if err != nil {
			return err
		}
		if err := tlog.CheckRecord(p, c.Size, c.Root, i, tlog.RecordHash(leaf)); err != nil {
			return fmt.Errorf("inclusion proof of leaf %d does not check: %w", i, err)
		}
	}
	cons := make([]time.Duration, o.proofs)
	for k := range cons {
		m := 1 + rng.Int64N(c.Size)
		t0 := time.Now()
		_, err := l.ProveExtends(ctx, c.Size, m)
		cons[k] = time.Since(t0)
		if err != nil {
			return err
		}
	}
	pct := func(d []time.Duration, q float64) float64 {
		s := slices.Clone(d)
		slices.Sort(s)
		return float64(s[min(len(s)-1, int(q*float64(len(s))))].Microseconds()) / 1000
	}
	res.InclusionP50Ms, res.InclusionP99Ms, res.InclusionMaxMs = pct(incl, 0.5), pct(incl, 0.99), pct(incl, 1)
	res.ConsistP50Ms, res.ConsistP99Ms = pct(cons, 0.5), pct(cons, 0.99)
	if o.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	fmt.Fprintf(stdout, "appends: %d leaves from %d writers, one durable write each: %.0f appends/s\n", res.Appends, res.Clients, res.AppendsPerS)
	fmt.Fprintf(stdout, "log: %d leaves (filled in %.1f s), database %.0f MB\n", res.Leaves, res.FillS, res.DatabaseMB)
	fmt.Fprintf(stdout, "inclusion proof: p50 %.3f ms, p99 %.3f ms, max %.3f ms (%d proofs, each checked)\n",
		res.InclusionP50Ms, res.InclusionP99Ms, res.InclusionMaxMs, res.Proofs)
	fmt.Fprintf(stdout, "consistency proof: p50 %.3f ms, p99 %.3f ms\n", res.ConsistP50Ms, res.ConsistP99Ms)
	verdict := "met"
	if res.InclusionP99Ms > 1 {
		verdict = "NOT met"
	}
	fmt.Fprintf(stdout, "target: inclusion proof ≤ 1 ms (p99): %s\n", verdict)
	return nil
}
