package collection

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fairdebt/fairdebt/internal/audit"
)

// Every decision, allowed or denied, and every outcome is one leaf of the audit
// log, written with it; a request that fails leaves none; the leaves hold no
// message text or contact value; and the log verifies.
func TestDecisionsAndOutcomesAreAudited(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	s, _ := newTestService(t, time.Date(2026, 11, 2, 10, 0, 0, 0, loc))
	ctx := context.Background()
	admin := Principal{Admin: true, Name: "admin"}
	agency := Principal{AgencyID: "A", Name: "dialer"}
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.CreateLender(ctx, admin, LenderInput{ID: "L", Name: "L"}))
	must(s.CreateAgency(ctx, admin, AgencyInput{ID: "A", Name: "A", Approved: true}))
	const borrowers = 8
	for i := range borrowers {
		b := fmt.Sprintf("B%d", i)
		must(s.CreateBorrower(ctx, admin, BorrowerInput{ID: b, LenderID: "L", Name: b, Timezone: "Asia/Shanghai",
			ContactMethods: []ContactMethodInput{{Kind: "phone", Value: fmt.Sprintf("+8613800%06d", i)}}}))
		must(s.CreateDebt(ctx, admin, DebtInput{ID: "D" + b, BorrowerID: b, Currency: "CNY", Principal: 1,
			Installments: []InstallmentInput{{DueDate: "2026-10-01", Amount: 1}}}))
		must(s.CreateCase(ctx, admin, CaseInput{ID: "C" + b, DebtID: "D" + b, AgencyID: "A"}))
	}
	start, err := s.audit.Size(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const secretText = "您好，请回电协商还款事宜"
	var mu sync.Mutex
	attempts := map[string]*Attempt{}
	outcomes := map[string]string{}
	withMessage := map[string]bool{}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 12 {
				b := fmt.Sprintf("B%d", (g+i)%borrowers)
				msg := ""
				if i%2 == 0 {
					msg = secretText
				}
				a, err := s.Decide(ctx, agency, AttemptInput{CaseID: "C" + b, PartyID: b, Channel: "call", Message: msg})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				attempts[a.ID] = a
				withMessage[a.ID] = msg != ""
				mu.Unlock()
				if a.Allowed && i%3 == 0 {
					if _, err := s.Outcome(ctx, agency, a.ID, "no_answer"); err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					outcomes[a.ID] = "no_answer"
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	// Failed requests write nothing, to the log or elsewhere.
	if _, err := s.Decide(ctx, agency, AttemptInput{CaseID: "CB0", PartyID: "nobody", Channel: "call"}); err == nil {
		t.Fatal("an attempt at an unknown party was accepted")
	}
	if _, err := s.Outcome(ctx, agency, "no-such-attempt", "connected"); err == nil {
		t.Fatal("an outcome of an unknown attempt was accepted")
	}

	end, err := s.audit.Size(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := end-start, int64(len(attempts)+len(outcomes)); got != want {
		t.Fatalf("%d leaves for %d decisions and %d outcomes", got, len(attempts), len(outcomes))
	}
	seenDecision, seenOutcome := map[string]bool{}, map[string]bool{}
	denied := 0
	for i := start; i < end; i++ {
		data, err := s.audit.Leaf(ctx, i)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(data), secretText) || strings.Contains(string(data), "+86138") {
			t.Fatalf("leaf %d holds personal data: %s", i, data)
		}
		e, err := audit.ParseLeaf(data)
		if err != nil {
			t.Fatal(err)
		}
		id := e.Subject["attempt"]
		a := attempts[id]
		if a == nil {
			t.Fatalf("leaf %d is about an unknown attempt: %s", i, data)
		}
		switch e.Type {
		case audit.TypeDecision:
			if seenDecision[id] || e.Facts["allowed"] != a.Allowed || e.Subject["case"] != a.CaseID || e.Actor != "dialer" ||
				!e.At.Equal(a.At) {
				t.Fatalf("leaf %d does not record attempt %+v: %s", i, a, data)
			}
			if _, ok := e.Digests["message"]; ok != withMessage[id] {
				t.Fatalf("leaf %d: message digest present %v, want %v", i, ok, withMessage[id])
			}
			seenDecision[id] = true
			if !a.Allowed {
				denied++
			}
		case audit.TypeOutcome:
			if seenOutcome[id] || e.Facts["result"] != outcomes[id] {
				t.Fatalf("leaf %d does not record the outcome of %s: %s", i, id, data)
			}
			seenOutcome[id] = true
		default:
			t.Fatalf("leaf %d has type %s", i, e.Type)
		}
	}
	if denied == 0 {
		t.Fatal("no decision was denied: the test does not cover denials")
	}
	if n := verifyAuditLog(t, s); n != end {
		t.Fatalf("verify checked %d leaves, want %d", n, end)
	}
}

// Consent given and withdrawn, objections, opt-outs and holds are leaves too; a
// change that changes nothing (a second objection) adds none.
func TestStateChangesAreAudited(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	s, _ := newTestService(t, time.Date(2026, 11, 2, 10, 0, 0, 0, loc))
	ctx := context.Background()
	admin := Principal{Admin: true, Name: "admin"}
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.CreateLender(ctx, admin, LenderInput{ID: "L", Name: "L"}))
	must(s.CreateBorrower(ctx, admin, BorrowerInput{ID: "B", LenderID: "L", Name: "B", Timezone: "Asia/Shanghai"}))
	must(s.CreateParty(ctx, admin, PartyInput{ID: "E", BorrowerID: "B", Role: "emergency_contact", Name: "E", Relation: "parent",
		Consent: &ConsentInput{By: "party", Method: "recorded_call", Evidence: "rec-0042"}}))
	must(s.UpdateParty(ctx, admin, "E", PartyUpdate{Objected: true}))
	must(s.UpdateParty(ctx, admin, "E", PartyUpdate{Objected: true})) // no change
	must(s.UpdateParty(ctx, admin, "E", PartyUpdate{RevokeConsent: true}))
	must(s.CreateOptOut(ctx, admin, OptOutInput{PartyID: "B", Channel: "sms", Source: "sms_reply"}))
	if err := s.DeleteOptOut(ctx, admin, "B", "sms"); err != nil {
		t.Fatal(err)
	}
	must(s.CreateHold(ctx, admin, "B", HoldInput{Hold: "dispute", Note: "borrower disputes the amount"}))
	if err := s.DeleteHold(ctx, admin, "B", "dispute"); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"party/E":    {"consent given", "objection ", "consent revoked"},
		"party/B":    {"opt_out opted_out", "opt_out lifted"},
		"borrower/B": {"hold placed", "hold lifted"},
	}
	n, err := s.audit.Size(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for i := range n {
		data, err := s.audit.Leaf(ctx, i)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(data), "rec-0042") || strings.Contains(string(data), "disputes the amount") {
			t.Fatalf("leaf %d holds clear text: %s", i, data)
		}
		e, err := audit.ParseLeaf(data)
		if err != nil {
			t.Fatal(err)
		}
		ref := "party/" + e.Subject["party"]
		if e.Type == audit.TypeHold {
			ref = "borrower/" + e.Subject["borrower"]
		}
		change, _ := e.Facts["change"].(string)
		got[ref] = append(got[ref], e.Type+" "+change)
	}
	for ref, events := range want {
		if strings.Join(got[ref], ",") != strings.Join(events, ",") {
			t.Errorf("%s: leaves %q, want %q", ref, got[ref], events)
		}
	}
	if len(got) != len(want) {
		t.Errorf("leaves about %d subjects, want %d: %q", len(got), len(want), got)
	}
	verifyAuditLog(t, s)
}

// verifyAuditLog signs a checkpoint of s's audit log and verifies the whole log
// against it, returning the number of leaves checked.
func verifyAuditLog(t *testing.T, s *Service) int64 {
	t.Helper()
	ctx := context.Background()
	signer, vkey, _, err := audit.LoadSigner(t.TempDir(), "fairdebt.test/collection")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.audit.Checkpoint(ctx, signer); err != nil {
		t.Fatal(err)
	}
	rep, err := s.audit.Verify(ctx, vkey, nil)
	if err != nil {
		t.Fatal(err)
	}
	return rep.Leaves
}
