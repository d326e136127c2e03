package collection

import (
	"context"
	"strings"
	"testing"
	"time"
)

// Only an allowed call with no outcome yet has a number to dial, in full, for
// those who work the case; what the gate denied is never dialled.
func TestCallTarget(t *testing.T) {
	s, clk := newTestService(t, time.Date(2026, 11, 2, 2, 0, 0, 0, time.UTC)) // 10:00 in Shanghai
	ctx := context.Background()
	admin := Principal{Admin: true, Role: RoleAdmin, Name: "admin"}
	seedCases(t, s, []string{"A", "B"}, "A", "B")
	users := map[string]Principal{}
	signInUsers(t, s, users,
		UserInput{Username: "col.a", Role: RoleCollector, AgencyID: "A"},
		UserInput{Username: "col.a2", Role: RoleCollector, AgencyID: "A"},
		UserInput{Username: "mgr.b", Role: RoleAgencyManager, AgencyID: "B"},
		UserInput{Username: "comp", Role: RoleCompliance},
	)
	if _, err := s.AssignCase(ctx, admin, "C1", "col.a"); err != nil {
		t.Fatal(err)
	}
	col := users["col.a"]
	decide := func(in AttemptInput) *Attempt {
		t.Helper()
		a, err := s.Decide(ctx, col, in)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	call := decide(AttemptInput{CaseID: "C1", PartyID: "B1", Channel: "call"})
	target, err := s.CallTarget(ctx, col, call.ID)
	if err != nil || target.To != "+8613800000000" || target.Attempt.ID != call.ID {
		t.Fatalf("the debtor's first phone: %+v, %v", target, err)
	}
	for name, tc := range map[string]struct {
		who  string
		kind Kind
	}{
		"another agency's manager":      {"mgr.b", NotFound},
		"a collector without the case":  {"col.a2", NotFound},
		"compliance, who does not call": {"comp", Forbidden},
	} {
		if _, err := s.CallTarget(ctx, users[tc.who], call.ID); !IsKind(err, tc.kind) {
			t.Errorf("%s: %v, want kind %d", name, err, tc.kind)
		}
	}
	// The number the attempt named, when it named one.
	pt, err := s.AddContactMethod(ctx, admin, "B1", ContactMethodInput{Kind: "phone", Value: "+8613900000009"})
	if err != nil {
		t.Fatal(err)
	}
	var second string
	for _, m := range pt.ContactMethods {
		if strings.HasSuffix(m.Masked, "0009") {
			second = m.ID
		}
	}
	clk.Set(clk.Now().Add(2 * time.Hour))
	named := decide(AttemptInput{CaseID: "C1", PartyID: "B1", Channel: "call", ContactMethodID: second})
	if target, err := s.CallTarget(ctx, col, named.ID); err != nil || target.To != "+8613900000009" {
		t.Errorf("the named number: %+v, %v", target, err)
	}
	// Not a call, already answered, denied: nothing to dial.
	sms := decide(AttemptInput{CaseID: "C1", PartyID: "B1", Channel: "sms", Message: "您好，请按时还款。"})
	if _, err := s.Outcome(ctx, col, named.ID, "connected"); err != nil {
		t.Fatal(err)
	}
	clk.Set(time.Date(2026, 11, 2, 15, 30, 0, 0, time.UTC)) // 23:30 in Shanghai
	denied := decide(AttemptInput{CaseID: "C1", PartyID: "B1", Channel: "call"})
	if denied.Allowed {
		t.Fatal("a call at 23:30 was allowed")
	}
	for name, id := range map[string]string{"an SMS": sms.ID, "an answered call": named.ID, "a denied call": denied.ID, "no attempt": "att_none"} {
		if _, err := s.CallTarget(ctx, col, id); err == nil {
			t.Errorf("%s has a number to dial", name)
		}
	}
	if _, err := s.CallTarget(ctx, col, denied.ID); !IsKind(err, Conflict) {
		t.Errorf("a denied call: %v, want a conflict", err)
	}
}
