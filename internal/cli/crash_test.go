package cli

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fairdebt/fairdebt/internal/apitest"
	"github.com/fairdebt/fairdebt/internal/collection"
	"github.com/fairdebt/fairdebt/internal/store/storetest"
)

const (
	crashChildEnv   = "FAIRDEBT_CRASH_CHILD_DATA"
	crashChildDBEnv = "FAIRDEBT_CRASH_CHILD_DB" // a postgres:// URL, when the tests run on PostgreSQL
)

// crashDBs holds each serving directory's PostgreSQL database, when the tests
// run on PostgreSQL: a restarted child must find the same one.
var crashDBs sync.Map

// crashDB returns the --db of the server serving dir: "" (SQLite in dir) or a
// PostgreSQL URL made for it by storetest.
func crashDB(t *testing.T, dir string) string {
	t.Helper()
	if !storetest.Postgres() {
		return ""
	}
	if v, ok := crashDBs.Load(dir); ok {
		return v.(string)
	}
	dsn := storetest.DSN(t)
	crashDBs.Store(dir, dsn)
	return dsn
}

// openCrashDB opens the database of the server that served dir, to check it.
func openCrashDB(t *testing.T, dir string) *sql.DB {
	t.Helper()
	var db *sql.DB
	var err error
	if dsn := crashDB(t, dir); dsn != "" {
		db, err = sql.Open("pgx", dsn)
	} else {
		db, err = sql.Open("sqlite", "file:"+filepath.Join(dir, "fairdebt.db")+"?mode=ro")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// dataArgs are the flags that name the serving directory's database.
func dataArgs(t *testing.T, dir string) []string {
	args := []string{"--data", dir}
	if dsn := crashDB(t, dir); dsn != "" {
		args = append(args, "--db", dsn)
	}
	return args
}

// TestCrashChild is the server the crash test kills; it does nothing unless the
// crash test started it.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashChildEnv)
	if dir == "" {
		t.Skip("the child process of TestCrashRecovery")
	}
	args := []string{"serve", "--data", dir, "--addr", "127.0.0.1:0", "--log-level", "info"}
	if dsn := os.Getenv(crashChildDBEnv); dsn != "" {
		args = append(args, "--db", dsn)
	}
	os.Exit(Main(args, os.Stdin, os.Stdout, os.Stderr))
}

// crashChild is one run of the server in a child process.
type crashChild struct {
	cmd *exec.Cmd
	url string
}

func startCrashChild(t *testing.T, dir, adminToken string) *crashChild {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir, crashChildDBEnv+"="+crashDB(t, dir), EnvAdminToken+"="+adminToken)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if _, rest, ok := strings.Cut(sc.Text(), "msg=listening url="); ok {
				urls <- strings.Fields(rest)[0]
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	select {
	case u := <-urls:
		return &crashChild{cmd: cmd, url: u}
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("the server did not start within 60 s")
		return nil
	}
}

func (c *crashChild) kill(t *testing.T) {
	t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = c.cmd.Wait()
}

// ack is an acknowledged decision: the client saw it, so it must survive.
type ack struct {
	id       string
	caseID   string
	allowed  bool
	decision json.RawMessage
	outcome  string // an acknowledged outcome, if any
}

// TestCrashRecovery serves load from a child process, kills it with SIGKILL at
// random moments, restarts it and checks that every acknowledged decision and
// outcome is present and unchanged, that every recorded attempt is consistent, and
// that the caps still hold.
func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts a server 12 times")
	}
	const kills = 12
	dir := t.TempDir()
	admin := "fdt_crash-test-admin-token-0123456789abcdefghij"
	zone := daytimeZone()
	child := startCrashChild(t, dir, admin)
	env := &apitest.Env{URL: child.url, AdminToken: admin, Client: &http.Client{Timeout: 10 * time.Second}}
	const borrowers = 40
	var ids []string
	for i := range borrowers {
		ids = append(ids, fmt.Sprintf("B%d", i))
	}
	var tok struct{ Token string }
	tok.Token = seedDialerWorld(t, env, zone, "+861000000", ids, nil)

	var mu sync.Mutex
	acks := map[string]*ack{}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	for round := range kills {
		if round > 0 {
			child = startCrashChild(t, dir, admin)
			env.URL = child.url
		}
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for g := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				load(ctx, env.URL, tok.Token, uint64(round*100+g), borrowers, &mu, acks)
			}()
		}
		time.Sleep(time.Duration(100+rng.IntN(600)) * time.Millisecond)
		child.kill(t)
		cancel()
		wg.Wait()
	}

	child = startCrashChild(t, dir, admin)
	env.URL = child.url
	allowed := 0
	for _, a := range acks {
		var got collection.Attempt
		status, data := env.Do(t, "GET", "/v1/attempts/"+a.id, tok.Token, nil)
		if status != 200 {
			t.Errorf("acknowledged attempt %s is missing after the crashes: %d %s", a.id, status, data)
			continue
		}
		if err := json.Unmarshal(data, &got); err != nil {
			child.kill(t)
			t.Fatal(err)
		}
		var raw struct{ Decision json.RawMessage }
		_ = json.Unmarshal(data, &raw)
		if got.Allowed != a.allowed || !sameJSON(raw.Decision, a.decision) {
			t.Errorf("attempt %s: stored decision %s differs from the acknowledged %s", a.id, raw.Decision, a.decision)
		}
		if a.outcome != "" && got.Result != a.outcome {
			t.Errorf("attempt %s: acknowledged outcome %s, stored %s", a.id, a.outcome, got.Result)
		}
		if a.allowed {
			allowed++
		}
	}
	if len(acks) < 100 {
		t.Errorf("only %d decisions acknowledged across %d runs: the load did not run", len(acks), kills)
	}
	t.Logf("%d kills, %d decisions acknowledged (%d allowed), all present after restart", kills, len(acks), allowed)
	child.kill(t)

	// The database itself: every attempt is whole, and the caps hold per debtor.
	db := openCrashDB(t, dir)
	var broken int
	if err := db.QueryRow(`SELECT COUNT(*) FROM attempts WHERE decision = '' OR (NOT allowed AND result IS NOT NULL)
		OR (result IS NULL) <> (result_at IS NULL)`).Scan(&broken); err != nil {
		t.Fatal(err)
	}
	if broken != 0 {
		t.Errorf("%d attempts are inconsistent", broken)
	}
	// The audit log: it verifies, and holds exactly one decision leaf for each
	// recorded attempt and one outcome leaf for each recorded outcome.
	if code, out, errs := runMain(t, append([]string{"audit", "verify"}, dataArgs(t, dir)...)...); code != 0 {
		t.Errorf("audit verify after the crashes: %d %s %s", code, out, errs)
	} else {
		t.Log(strings.TrimSpace(out))
	}
	var leaves, recorded, withOutcome, unlogged int
	// json(path) reads a field of a leaf's JSON, in either engine's SQL.
	json := func(path string) string {
		if storetest.Postgres() {
			return "(l.data::jsonb #>> '{" + strings.ReplaceAll(path, ".", ",") + "}')"
		}
		return "json_extract(l.data, '$." + path + "')"
	}
	for q, v := range map[string]*int{
		"SELECT COUNT(*) FROM audit_leaves":                      &leaves,
		"SELECT COUNT(*) FROM attempts":                          &recorded,
		"SELECT COUNT(*) FROM attempts WHERE result IS NOT NULL": &withOutcome,
		// An attempt's row names its leaves, and they name it.
		`SELECT COUNT(*) FROM attempts a WHERE a.decision_leaf IS NULL OR (a.result IS NULL) <> (a.outcome_leaf IS NULL)
			OR NOT EXISTS (SELECT 1 FROM audit_leaves l WHERE l.idx = a.decision_leaf
				AND ` + json("type") + ` = 'decision' AND ` + json("subject.attempt") + ` = a.id)
			OR (a.outcome_leaf IS NOT NULL AND NOT EXISTS (SELECT 1 FROM audit_leaves l WHERE l.idx = a.outcome_leaf
				AND ` + json("type") + ` = 'outcome' AND ` + json("subject.attempt") + ` = a.id
				AND ` + json("facts.result") + ` = a.result))`: &unlogged,
	} {
		if err := db.QueryRow(q).Scan(v); err != nil {
			t.Fatal(err)
		}
	}
	if leaves != recorded+withOutcome || unlogged != 0 {
		t.Errorf("%d audit leaves for %d attempts and %d outcomes; %d attempts without exactly their leaves", leaves, recorded, withOutcome, unlogged)
	}
	rows, err := db.Query(`SELECT borrower_id, SUM(CASE WHEN result IS NULL OR result = 'connected' THEN 1 ELSE 0 END), COUNT(*)
		FROM attempts WHERE allowed AND channel = 'call' AND party_role = 'debtor' GROUP BY borrower_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var b string
		var connected, calls int
		if err := rows.Scan(&b, &connected, &calls); err != nil {
			t.Fatal(err)
		}
		// One local day: cn allows 3 connected (or pending) calls and 6 attempts per number.
		if connected > 3 || calls > 6 {
			t.Errorf("%s: %d connected or pending calls and %d calls allowed today; the caps are 3 and 6", b, connected, calls)
		}
	}
}

// load posts attempts, and outcomes for some allowed ones, until ctx ends or the
// server goes away, recording what was acknowledged.
func load(ctx context.Context, url, token string, seed uint64, borrowers int, mu *sync.Mutex, acks map[string]*ack) {
	rng := rand.New(rand.NewPCG(seed, 2))
	client := &http.Client{Timeout: 5 * time.Second}
	post := func(path string, body any) (int, []byte, error) {
		data, _ := json.Marshal(body)
		req, _ := http.NewRequestWithContext(ctx, "POST", url+path, strings.NewReader(string(data)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		out, err := io.ReadAll(resp.Body)
		return resp.StatusCode, out, err
	}
	for ctx.Err() == nil {
		b := fmt.Sprintf("B%d", rng.IntN(borrowers))
		status, data, err := post("/v1/attempts", map[string]any{"case_id": "C" + b, "party_id": b, "channel": "call"})
		if err != nil || status != 201 {
			return // killed mid-request: not acknowledged
		}
		var a struct {
			ID       string
			Allowed  bool
			Decision json.RawMessage
		}
		if json.Unmarshal(data, &a) != nil {
			return
		}
		k := &ack{id: a.ID, caseID: "C" + b, allowed: a.Allowed, decision: a.Decision}
		mu.Lock()
		acks[a.ID] = k
		mu.Unlock()
		if a.Allowed && rng.IntN(2) == 0 {
			result := []string{"no_answer", "connected", "busy"}[rng.IntN(3)]
			status, _, err := post("/v1/attempts/"+a.ID+"/outcome", map[string]string{"result": result})
			if err != nil || status != 200 {
				return
			}
			mu.Lock()
			k.outcome = result
			mu.Unlock()
		}
	}
}

// seedDialerWorld makes, through env, lender L1 and the approved agency A1
// with a dialer's token, which it returns, and for each borrower id B a
// borrower in zone with a phone number (phonePrefix and its index in four
// digits), a debt DB owed since 2026 and a case CB placed with A1. With urls,
// the i-th borrower is made through urls[i % len(urls)] (replicas: what one
// makes, the others must see); env.URL is left as it was.
func seedDialerWorld(t *testing.T, env *apitest.Env, zone, phonePrefix string, borrowers, urls []string) string {
	t.Helper()
	admin := env.AdminToken
	env.JSON(t, "POST", "/v1/lenders", admin, map[string]any{"id": "L1", "name": "Lender"}, 201, nil)
	env.JSON(t, "POST", "/v1/agencies", admin, map[string]any{"id": "A1", "name": "Agency", "approved": true}, 201, nil)
	var tok struct{ Token string }
	env.JSON(t, "POST", "/v1/tokens", admin, map[string]any{"scope": "agency", "agency_id": "A1", "name": "dialer"}, 201, &tok)
	url := env.URL
	defer func() { env.URL = url }()
	for i, b := range borrowers {
		if len(urls) > 0 {
			env.URL = urls[i%len(urls)]
		}
		env.JSON(t, "POST", "/v1/borrowers", admin, map[string]any{"id": b, "lender_id": "L1", "name": "Debtor " + b, "timezone": zone,
			"contact_methods": []map[string]string{{"kind": "phone", "value": fmt.Sprintf("%s%04d", phonePrefix, i)}}}, 201, nil)
		env.JSON(t, "POST", "/v1/debts", admin, map[string]any{"id": "D" + b, "borrower_id": b, "currency": "CNY", "principal": 1000,
			"installments": []map[string]any{{"due_date": "2026-01-01", "amount": 1000}}}, 201, nil)
		env.JSON(t, "POST", "/v1/cases", admin, map[string]any{"id": "C" + b, "debt_id": "D" + b, "agency_id": "A1"}, 201, nil)
	}
	return tok.Token
}

func sameJSON(a, b json.RawMessage) bool {
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && reflect.DeepEqual(x, y)
}
