package cli

import (
	"database/sql"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/fairdebt/fairdebt/internal/store/storetest"
)

const selfArgsEnv = "FAIRDEBT_SELF_ARGS"

// TestSelfChild is fairdebt run in a child process by a benchmark (see
// selfCommand and useTestBinary); it does nothing unless one started it.
func TestSelfChild(t *testing.T) {
	args := os.Getenv(selfArgsEnv)
	if args == "" {
		t.Skip("fairdebt in a child process of a benchmark's test")
	}
	os.Exit(Main(strings.Split(args, "\x1f"), os.Stdin, os.Stdout, os.Stderr))
}

// useTestBinary makes selfCommand run fairdebt through TestSelfChild until the
// test ends.
func useTestBinary(t *testing.T) {
	old := selfCommand
	selfCommand = func(args []string) (*exec.Cmd, error) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSelfChild$")
		cmd.Env = append(os.Environ(), selfArgsEnv+"="+strings.Join(args, "\x1f"))
		return cmd, nil
	}
	t.Cleanup(func() { selfCommand = old })
}

// Two replicas on a scratch PostgreSQL database, each a child process, share
// the load; the scratch database is gone afterwards.
func TestBenchAttemptsReplicas(t *testing.T) {
	if !storetest.Postgres() {
		t.Skip("PostgreSQL only (set FAIRDEBT_TEST_POSTGRES; .ci/run does)")
	}
	if testing.Short() {
		t.Skip("starts two servers and loads them for a second")
	}
	useTestBinary(t)
	server := os.Getenv(storetest.Env)
	code, stdout, stderr := run(t, nil, "bench", "attempts", "--json", "--db", server, "--replicas", "2",
		"--duration", "1s", "--warmup", "0", "--clients", "4", "--borrowers", "20")
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s\nstdout:\n%s", code, stderr, stdout)
	}
	var rep benchReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("output is not the JSON report: %v\n%s", err, stdout)
	}
	if rep.Attempts <= 0 || rep.Errors != 0 || rep.Replicas != 2 {
		t.Errorf("attempts %d, errors %d (%q), replicas %d; want some, none, 2", rep.Attempts, rep.Errors, rep.ErrorSamples, rep.Replicas)
	}
	if s := rep.Server; s == nil || !strings.HasPrefix(s.Store, "PostgreSQL") || strings.Count(s.URL, "http://") != 2 {
		t.Errorf("server = %+v, want PostgreSQL served by two processes", s)
	}
	if rep.Target != "" {
		t.Errorf("target %q: two replicas have none", rep.Target)
	}
	db, err := sql.Open("pgx", server)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var left int
	if err := db.QueryRow("SELECT COUNT(*) FROM pg_database WHERE datname LIKE 'fairdebt_bench_%'").Scan(&left); err != nil || left != 0 {
		t.Errorf("%d scratch databases left behind (%v)", left, err)
	}
}

func TestBenchAttemptsShortRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server and loads it for a second")
	}
	code, stdout, stderr := run(t, nil, "bench", "attempts", "--json",
		"--duration", "1s", "--warmup", "0", "--clients", "4", "--borrowers", "20")
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s\nstdout:\n%s", code, stderr, stdout)
	}
	if stderr != "" {
		t.Errorf("--json writes no progress, got stderr:\n%s", stderr)
	}
	var rep benchReport
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("output is not the JSON report: %v\n%s", err, stdout)
	}
	if rep.Attempts <= 0 {
		t.Errorf("attempts = %d, want > 0", rep.Attempts)
	}
	if rep.Errors != 0 {
		t.Errorf("errors = %d (%q), want 0", rep.Errors, rep.ErrorSamples)
	}
	if rep.Allowed+rep.Denied != rep.Attempts {
		t.Errorf("allowed %d + denied %d != attempts %d", rep.Allowed, rep.Denied, rep.Attempts)
	}
	l := rep.LatencyMS
	if !(0 < l.P50 && l.P50 <= l.P90 && l.P90 <= l.P99 && l.P99 <= l.Max) {
		t.Errorf("latency percentiles out of order: %+v", l)
	}
	if rep.DecisionsPerS <= 0 || rep.ElapsedS <= 0 {
		t.Errorf("decisions/s = %v over %vs, want both > 0", rep.DecisionsPerS, rep.ElapsedS)
	}
	// 20 demo borrowers: the demo agency has the cases of 15 of them.
	if rep.Cases != 15 || rep.Clients != 4 {
		t.Errorf("cases = %d, clients = %d; want 15 and 4", rep.Cases, rep.Clients)
	}
	if s := rep.Server; s == nil || s.Synchronous != "FULL" || s.JournalMode != "wal" || s.Borrowers != 20 {
		t.Errorf("server = %+v, want SQLite in WAL mode with synchronous=FULL and 20 borrowers", s)
	}
}

func TestBenchAttemptsBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--clients", "0"},
		{"--duration", "0s"},
		{"--warmup", "-1s"},
		{"--borrowers", "0"},
		{"--url", "http://127.0.0.1:1"},
		{"--token", "fdt_x"},
		{"--url", "127.0.0.1:8080", "--token", "fdt_x"},
		{"--clients", "many"},
		{"--replicas", "3"},
		{"--replicas", "0"},
		{"--db", "/tmp/x.db"},
		{"--db", "postgres://127.0.0.1:1/x", "--url", "http://127.0.0.1:1", "--token", "fdt_x"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			code, stdout, stderr := run(t, nil, append([]string{"bench", "attempts"}, args...)...)
			if code != exitInput {
				t.Errorf("exit %d, want %d; stderr: %s", code, exitInput, stderr)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
			if !strings.HasPrefix(stderr, "fairdebt: ") || strings.Count(stderr, "\n") != 1 || !strings.HasSuffix(stderr, "\n") {
				t.Errorf("want a one-line error, got %q", stderr)
			}
		})
	}
	code, _, stderr := run(t, nil, "bench", "attempts", "--clients", "0")
	if code != exitInput || stderr != "fairdebt: --clients: must be at least 1\n" {
		t.Errorf("--clients 0: exit %d, stderr %q", code, stderr)
	}
}

// bench all runs the parts as child processes and prints one table with a row
// for each measurement, and the figures of each run below it.
func TestBenchAllTable(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three benchmarks")
	}
	if raceEnabled {
		// The children are race-instrumented too: the worklist's alone takes
		// minutes. The suite runs again without -race (on PostgreSQL in CI).
		t.Skip("runs three benchmarks in child processes: too slow under the race detector")
	}
	useTestBinary(t)
	code, stdout, stderr := run(t, nil, "bench", "all", "--only", "attempts,worklist,audit", "--duration", "1s", "--runs", "1",
		"--borrowers", "20", "--worklist-cases", "2000", "--audit-leaves", "20000")
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s\nstdout:\n%s", code, stderr, stdout)
	}
	for _, want := range []string{
		"| Benchmark | Setup | Result | Target | |",
		"| POST /v1/attempts | SQLite, in process; ",
		"| Worklist of one collector (GET /cases) | 2,000 cases, SQLite",
		"| Audit log appends | SQLite, 64 writers",
		"| Audit inclusion proof | 20,000 leaves",
		"- attempts, SQLite, in process, run 1: ",
		"Machine: ",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the table lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "no --db: the PostgreSQL rows are skipped") {
		t.Errorf("stderr does not say the PostgreSQL rows are skipped:\n%s", stderr)
	}
	// A part that cannot run is a row saying so, and the exit status says so.
	code, stdout, _ = run(t, nil, "bench", "all", "--only", "gate", "--opa", t.TempDir())
	if code != exitFailure || !strings.Contains(stdout, "| gate |  | failed: no OPA comparison module at ") {
		t.Errorf("without the OPA module: exit %d, %s", code, stdout)
	}
	for _, args := range [][]string{{"--only", "everything"}, {"--runs", "0"}, {"--db", "x.db"}, {"--worklist-cases", "10"}} {
		if code, _, stderr := run(t, nil, append([]string{"bench", "all"}, args...)...); code != exitInput {
			t.Errorf("%v: exit %d, %s", args, code, stderr)
		}
	}
}
