package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fairdebt/fairdebt/internal/store/storetest"
)

// decodeWorklistReport reads bench worklist's --json output, refusing unknown
// fields, and checks the figures are there and in order.
func decodeWorklistReport(t *testing.T, stdout string) benchWorklistReport {
	t.Helper()
	var rep benchWorklistReport
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("output is not the JSON report: %v\n%s", err, stdout)
	}
	// 2000 cases, 50 open on each worklist: 2000 × 27% ÷ 50 collectors.
	if rep.Cases != 2000 || rep.Collectors != 10 || rep.Agencies != 2 || rep.Queries != 5 {
		t.Errorf("cases %d, collectors %d, agencies %d, queries %d; want 2000, 10, 2, 5", rep.Cases, rep.Collectors, rep.Agencies, rep.Queries)
	}
	if rep.OpenCases != 540 || rep.RowsMin < 40 || rep.RowsMax > 60 || rep.RowsMean < float64(rep.RowsMin) {
		t.Errorf("open cases %d (want 540), rows per worklist %d to %d (mean %.1f), want about 50", rep.OpenCases, rep.RowsMin, rep.RowsMax, rep.RowsMean)
	}
	for name, l := range map[string]benchLatency{"data": rep.DataMS, "page": rep.PageMS, "page again": rep.PageAgainMS} {
		if !(0 < l.P50 && l.P50 <= l.P90 && l.P90 <= l.P99 && l.P99 <= l.Max) {
			t.Errorf("%s: latency percentiles missing or out of order: %+v", name, l)
		}
	}
	if rep.DatabaseMB <= 0 || rep.TargetP99MS != 50 {
		t.Errorf("database %.1f MB, target %v ms", rep.DatabaseMB, rep.TargetP99MS)
	}
	return rep
}

func TestBenchWorklist(t *testing.T) {
	if testing.Short() {
		t.Skip("fills a database of 2000 cases")
	}
	dir := t.TempDir()
	args := []string{"bench", "worklist", "--cases", "2000", "--worklist", "50", "--agencies", "2", "--queries", "5", "--data", dir}
	code, stdout, stderr := run(t, nil, append(args, "--json")...)
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s\nstdout:\n%s", code, stderr, stdout)
	}
	if stderr != "" {
		t.Errorf("--json writes no progress, got stderr:\n%s", stderr)
	}
	if rep := decodeWorklistReport(t, stdout); rep.Reused || rep.FillS <= 0 || rep.Store != "SQLite" {
		t.Errorf("a first run: reused %v, fill %.2fs, store %s", rep.Reused, rep.FillS, rep.Store)
	}

	// The fill is kept, and measured again without filling, read into
	// memory first.
	code, stdout, stderr = run(t, nil, append(args, "--in-memory")...)
	if code != exitOK {
		t.Fatalf("again: exit %d, stderr:\n%s", code, stderr)
	}
	for _, want := range []string{"2000 cases (540 open on 10 collectors' worklists) in 2 agencies, filled before; the file read into memory first", "worklist data read",
		"worklist page (GET /cases), first", "worklist page, again", "target p99 ≤ 50 ms", "p99"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the table lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "measuring the fill") || strings.Contains(stderr, "filling") || !strings.Contains(stderr, "reading the database file into memory") {
		t.Errorf("progress of a run on a kept fill:\n%s", stderr)
	}

	// Flags that ask for another fill are refused.
	code, _, stderr = run(t, nil, "bench", "worklist", "--cases", "2000", "--worklist", "50", "--agencies", "3", "--data", dir)
	if code != exitInput || !strings.Contains(stderr, "another fill (2000 cases so far, 2 agencies, 10 collectors)") {
		t.Errorf("another fill's flags: exit %d, stderr %q", code, stderr)
	}
}

func TestBenchWorklistPostgres(t *testing.T) {
	if !storetest.Postgres() {
		t.Skip("PostgreSQL only (" + storetest.Env + ")")
	}
	code, stdout, stderr := run(t, nil, "bench", "worklist", "--cases", "2000", "--worklist", "50", "--agencies", "2", "--queries", "5",
		"--db", storetest.DSN(t), "--json")
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s\nstdout:\n%s", code, stderr, stdout)
	}
	if rep := decodeWorklistReport(t, stdout); rep.Store != "PostgreSQL" || strings.Contains(rep.Database, "password") {
		t.Errorf("store %s, database %s", rep.Store, rep.Database)
	}
}

func TestBenchWorklistBadFlags(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for args, want := range map[string]string{
		"--cases 999":                     "--cases: at least 1000",
		"--cases 100000000":               "--cases: at most 99999999",
		"--worklist 0":                    "--worklist: at least 1",
		"--worklist 501":                  "--worklist: at most 500 (the worklist page shows 500 cases)",
		"--agencies 0":                    "--agencies: from 1 to 1000",
		"--queries 0":                     "--queries: from 1 to 100000",
		"--db fairdebt.db":                `--db: "fairdebt.db" is not a postgres:// URL (for SQLite, use --data DIR)`,
		"--db postgres://h/d --in-memory": "--in-memory: for SQLite only",
		"--data " + file:                  "--data: " + file + " is not a directory",
		"--cases many":                    `invalid argument "many" for "--cases" flag`,
		"--cases 2000 --worklist x":       `invalid argument "x" for "--worklist" flag`,
	} {
		t.Run(args, func(t *testing.T) {
			code, stdout, stderr := run(t, nil, append([]string{"bench", "worklist"}, strings.Fields(args)...)...)
			if code != exitInput || stdout != "" || !strings.HasPrefix(stderr, "fairdebt: ") || !strings.Contains(stderr, want) ||
				strings.Count(stderr, "\n") != 1 {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d and the one-line error %q", code, stdout, stderr, exitInput, want)
			}
		})
	}
}
