package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fairdebt/fairdebt/internal/apitest"
	"github.com/fairdebt/fairdebt/internal/collection"
	"github.com/fairdebt/fairdebt/internal/store/storetest"
)

// TestReplicas runs three fairdebt serve processes on one PostgreSQL database,
// with 64 clients spread across them posting 20,000 call attempts at ten
// debtors. The caps must hold across the replicas exactly: each debtor gets as
// many calls allowed as one debtor called over and over through one process.
// One replica is killed (SIGKILL) a third of the way in; its clients move to
// the others. Afterwards every acknowledged decision is present and unchanged,
// and the audit log verifies with one leaf per attempt.
func TestReplicas(t *testing.T) {
	if !storetest.Postgres() {
		t.Skip("PostgreSQL only: replicas share a PostgreSQL database (set FAIRDEBT_TEST_POSTGRES; .ci/run does)")
	}
	if testing.Short() {
		t.Skip("runs three servers and 20,000 attempts")
	}
	const (
		replicas  = 3
		clients   = 64
		attempts  = 20_000
		borrowers = 10
	)
	dir := t.TempDir()
	admin := "fdt_replica-test-admin-token-0123456789abcdefghij"
	zone := daytimeZone()
	// The first creates the keys in dir; the others read them, as replicas
	// given the same keys (FAIRDEBT_KEYS, FAIRDEBT_AUDIT_KEY) do.
	var servers []*crashChild
	var urls []string
	for range replicas {
		s := startCrashChild(t, dir, admin)
		servers, urls = append(servers, s), append(urls, s.url)
	}
	var killed atomic.Bool
	stopAll := func() {
		for i, s := range servers {
			if i != replicas-1 || !killed.Load() {
				s.kill(t)
			}
		}
		servers = nil
	}
	defer func() { stopAll() }()
	env := &apitest.Env{URL: servers[0].url, AdminToken: admin, Client: &http.Client{Timeout: 10 * time.Second}}
	var ids []string
	for i := range borrowers {
		ids = append(ids, fmt.Sprintf("B%d", i))
	}
	ids = append(ids, "BX") // the control, called through one process
	// Each through another replica: what one creates, the others see.
	var tok struct{ Token string }
	tok.Token = seedDialerWorld(t, env, zone, "+861000001", ids, urls)
	cap := 0
	for range 30 {
		var a collection.Attempt
		env.JSON(t, "POST", "/v1/attempts", tok.Token, map[string]any{"case_id": "CBX", "party_id": "BX", "channel": "call"}, 201, &a)
		if a.Allowed {
			cap++
		}
	}
	if cap == 0 || cap >= 30 {
		t.Fatalf("%d of 30 calls to one debtor allowed through one process: no cap to test", cap)
	}

	var mu sync.Mutex
	acks := map[string]*ack{}
	var posted, failed atomic.Int64
	alive := func(i int) bool { return !(killed.Load() && i == replicas-1) }
	ctx := context.Background()
	var wg sync.WaitGroup
	for g := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Timeout: 10 * time.Second}
			for i := g; ; i++ {
				n := posted.Add(1)
				if n > attempts {
					return
				}
				if n == attempts/3 {
					servers[replicas-1].kill(t)
					killed.Store(true)
				}
				r := g % replicas
				for !alive(r) {
					r = (r + 1) % replicas
				}
				b := fmt.Sprintf("B%d", i%borrowers)
				a, err := postAttempt(ctx, client, urls[r], tok.Token, "C"+b, b)
				if err != nil {
					if !alive(r) || !killed.Load() {
						failed.Add(1) // the killed replica's requests in flight: not acknowledged
						continue
					}
					t.Errorf("replica %d: %v", r, err)
					return
				}
				mu.Lock()
				acks[a.id] = a
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	if !killed.Load() {
		t.Fatal("no replica was killed")
	}
	t.Logf("%d attempts acknowledged by %d replicas (one killed a third of the way in), %d lost in flight", len(acks), replicas, failed.Load())

	env.URL = urls[0]
	allowedBy := map[string]int{}
	for _, a := range acks {
		var raw struct {
			Allowed  bool
			Decision json.RawMessage
		}
		status, data := env.Do(t, "GET", "/v1/attempts/"+a.id, tok.Token, nil)
		if status != 200 || json.Unmarshal(data, &raw) != nil {
			t.Errorf("acknowledged attempt %s: %d %s", a.id, status, data)
			continue
		}
		if raw.Allowed != a.allowed || !sameJSON(raw.Decision, a.decision) {
			t.Errorf("attempt %s: stored decision %s differs from the acknowledged %s", a.id, raw.Decision, a.decision)
		}
	}
	db := openCrashDB(t, dir)
	rows, err := db.Query("SELECT borrower_id, COUNT(*) FROM attempts WHERE allowed GROUP BY borrower_id")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var b string
		var n int
		if err := rows.Scan(&b, &n); err != nil {
			t.Fatal(err)
		}
		allowedBy[b] = n
	}
	rows.Close()
	for i := range borrowers {
		b := fmt.Sprintf("B%d", i)
		if allowedBy[b] != cap {
			t.Errorf("%s: %d calls allowed across the replicas, want exactly %d (the cap, as one process allows)", b, allowedBy[b], cap)
		}
	}
	t.Logf("each of the %d debtors: %d calls allowed across the replicas, as through one process", borrowers, cap)
	var leaves, recorded int
	if err := db.QueryRow("SELECT (SELECT COUNT(*) FROM audit_leaves WHERE data LIKE '%\"type\":\"decision\"%'), (SELECT COUNT(*) FROM attempts)").
		Scan(&leaves, &recorded); err != nil {
		t.Fatal(err)
	}
	if leaves != recorded || recorded < len(acks) {
		t.Errorf("%d decision leaves for %d attempts (%d acknowledged)", leaves, recorded, len(acks))
	}
	stopAll()
	if code, out, errs := runMain(t, append([]string{"audit", "verify"}, dataArgs(t, dir)...)...); code != 0 {
		t.Errorf("audit verify: %d %s %s", code, out, errs)
	} else {
		t.Log(strings.TrimSpace(out))
	}
}

// postAttempt posts one call attempt and returns it as acknowledged.
func postAttempt(ctx context.Context, client *http.Client, url, token, caseID, party string) (*ack, error) {
	data, _ := json.Marshal(map[string]any{"case_id": caseID, "party_id": party, "channel": "call"})
	req, _ := http.NewRequestWithContext(ctx, "POST", url+"/v1/attempts", strings.NewReader(string(data)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var a struct {
		ID       string
		Allowed  bool
		Decision json.RawMessage
	}
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil || resp.StatusCode != 201 {
		return nil, fmt.Errorf("status %d (%v)", resp.StatusCode, err)
	}
	return &ack{id: a.ID, caseID: caseID, allowed: a.Allowed, decision: a.Decision}, nil
}

// daytimeZone is a fixed-offset zone in which it is about noon now, so that a
// test's calls are in daytime whenever it runs.
func daytimeZone() string {
	zone := fmt.Sprintf("Etc/GMT%+d", time.Now().UTC().Hour()-12)
	if zone == "Etc/GMT+0" {
		zone = "Etc/GMT"
	}
	return zone
}
