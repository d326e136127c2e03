package api_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fairdebt/fairdebt/internal/apitest"
	"github.com/fairdebt/fairdebt/internal/collection"
)

// TestConcurrentAttemptsNeverExceedCaps fires 10,000 attempts from 64 goroutines at
// a handful of debtors through the HTTP API. The gate serialises decisions per
// debtor, so the number allowed is exactly what the caps permit, never one more:
//
//   - cn (cn.frequency.connected_calls_per_day): an allowed call with no outcome yet
//     counts as connected (fail closed), so exactly 3 calls a day are allowed;
//   - us (us.post_conversation): a pending call counts as a conversation, so exactly
//     one call is allowed until its outcome arrives.
//
// A second round, after every allowed call is reported "no_answer", may use the
// rest of cn.frequency.call_attempts_per_contact_method (6 a day): exactly 3 more.
func TestConcurrentAttemptsNeverExceedCaps(t *testing.T) {
	const (
		goroutines = 64
		attempts   = 10_000
	)
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	env := apitest.Start(t, time.Date(2026, 11, 24, 10, 0, 0, 0, shanghai))
	f := env.Seed(t)
	// America/Chicago is 20:00 the day before at this instant: inside 08:00-21:00.
	cases := []string{f.CaseID}
	borrowers := map[string]string{f.CaseID: f.BorrowerID}
	for i := 2; i <= 5; i++ {
		tz, pack := "Asia/Shanghai", "cn"
		if i == 5 {
			tz, pack = "America/Chicago", "us"
		}
		b, d, c := fmt.Sprintf("B%d", i), fmt.Sprintf("DEBT%d", i), fmt.Sprintf("CASE%d", i)
		env.JSON(t, "POST", "/v1/borrowers", env.AdminToken, map[string]any{"id": b, "lender_id": f.LenderID, "name": "Debtor " + b,
			"timezone": tz, "pack": pack}, 201, nil)
		env.JSON(t, "POST", "/v1/debts", env.AdminToken, map[string]any{"id": d, "borrower_id": b, "currency": "CNY", "principal": 1000,
			"installments": []map[string]any{{"due_date": "2026-10-01", "amount": 1000}}}, 201, nil)
		env.JSON(t, "POST", "/v1/cases", env.AdminToken, map[string]any{"id": c, "debt_id": d, "agency_id": f.AgencyID}, 201, nil)
		cases = append(cases, c)
		borrowers[c] = b
	}
	want := map[string]int{"CASE1": 3, "CASE2": 3, "CASE3": 3, "CASE4": 3, "CASE5": 1}

	round := func(n int, withContact bool) map[string][]string {
		var mu sync.Mutex
		allowed := map[string][]string{}
		var next atomic.Int64
		var wg sync.WaitGroup
		for g := range goroutines {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(g), 7))
				for next.Add(1) <= int64(n) {
					c := cases[rng.IntN(len(cases))]
					body := map[string]any{"case_id": c, "party_id": borrowers[c], "channel": "call"}
					if withContact && c == f.CaseID && rng.IntN(4) == 0 { // the emergency contact: the debtor is reachable, so never
						body = map[string]any{"case_id": c, "party_id": f.ContactID, "channel": "call", "purpose": "locate"}
					}
					status, data := env.Do(t, "POST", "/v1/attempts", f.AgencyToken, body)
					if status != 201 {
						t.Errorf("POST /v1/attempts: %d %s", status, data)
						return
					}
					var a collection.Attempt
					if err := json.Unmarshal(data, &a); err != nil {
						t.Error(err)
						return
					}
					if a.Allowed {
						if a.PartyID != borrowers[c] {
							t.Errorf("an attempt to %s was allowed: %s", a.PartyID, data)
						}
						mu.Lock()
						allowed[c] = append(allowed[c], a.ID)
						mu.Unlock()
					}
				}
			}()
		}
		wg.Wait()
		return allowed
	}

	first := round(attempts, true)
	for _, c := range cases {
		if got := len(first[c]); got != want[c] {
			t.Errorf("round 1: %s: %d calls allowed, want exactly %d", c, got, want[c])
		}
	}
	total := 0
	for _, c := range cases {
		var n int
		if err := env.DB.R.QueryRow("SELECT COUNT(*) FROM attempts WHERE case_id = $1 AND allowed", c).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != len(first[c]) {
			t.Errorf("%s: %d allowed attempts recorded, %d acknowledged", c, n, len(first[c]))
		}
		total += countAll(t, env, c)
	}
	if total != attempts {
		t.Errorf("%d attempts recorded, %d made: every decision, allowed or denied, must be recorded", total, attempts)
	}

	for _, c := range cases {
		for _, id := range first[c] {
			env.JSON(t, "POST", "/v1/attempts/"+id+"/outcome", f.AgencyToken, map[string]string{"result": "no_answer"}, 200, nil)
		}
	}
	// Three failed calls make the debtor unreachable, which would open the emergency
	// contact (cn.third_party.debtor_unreachable_only) until the next call: a race by
	// design, so round 2 calls debtors only.
	second := round(2_000, false)
	want2 := map[string]int{"CASE1": 3, "CASE2": 3, "CASE3": 3, "CASE4": 3, "CASE5": 1}
	for _, c := range cases {
		if got := len(second[c]); got != want2[c] {
			t.Errorf("round 2: %s: %d calls allowed, want exactly %d", c, got, want2[c])
		}
	}
}

// countAll counts a case's recorded attempts in the database.
func countAll(t *testing.T, env *apitest.Env, caseID string) int {
	t.Helper()
	var n int
	err := env.DB.R.QueryRow("SELECT COUNT(*) FROM attempts WHERE case_id = $1", caseID).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
