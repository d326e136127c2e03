package collection

import (
	"context"
	"testing"
	"time"
)

// The league table counts each agency's cases, complaints (per 10,000 cases),
// complaints that went overdue, denied attempts and suspected off-system
// contacts, and ranks the worst first.
func TestLeagueTable(t *testing.T) {
	s, out, setClock := portalWorld(t) // C1 (B1) with A, C2 (B2) with B
	ctx := context.Background()
	admin := Principal{Admin: true, Role: RoleAdmin, Name: "admin"}
	b1 := Principal{Role: RoleBorrower, Name: "borrower", BorrowerID: "B1"}
	// A: one allowed call and one denied (23:30); a complaint that goes overdue.
	if _, err := s.Decide(ctx, admin, AttemptInput{CaseID: "C1", PartyID: "B1", Channel: "call"}); err != nil {
		t.Fatal(err)
	}
	c, err := s.FileComplaint(ctx, b1, ComplaintInput{CaseID: "C1", Category: "harassment", Text: "x"})
	if err != nil {
		t.Fatal(err)
	}
	setClock(time.Date(2026, 11, 2, 15, 30, 0, 0, time.UTC))
	if a, err := s.Decide(ctx, admin, AttemptInput{CaseID: "C1", PartyID: "B1", Channel: "call"}); err != nil || a.Allowed {
		t.Fatalf("the call at 23:30: %+v, %v", a, err)
	}
	setClock(c.DueAt)
	if n, err := s.EscalateOverdue(ctx); err != nil || n != 1 {
		t.Fatalf("escalating: %d, %v", n, err)
	}
	// A third party whose number is on A's case reports a call on no record.
	ch, err := s.SendCode(ctx, CodeRequest{Purpose: PurposeThirdParty, Kind: "phone", Value: "+8613700000001", Client: "tp"})
	if err != nil {
		t.Fatal(err)
	}
	code, _ := lastCode(t, out)
	if _, err := s.ThirdParty(ctx, ThirdPartyInput{Challenge: ch.ID, Code: code, Client: "tp",
		Report: &ReportInput{At: c.DueAt.Add(-time.Hour), Said: "凌晨来电"}}); err != nil {
		t.Fatal(err)
	}
	rows, err := s.LeagueTable(ctx, Principal{Role: RoleRegulator, Name: "reg"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].AgencyID != "A" || rows[1].AgencyID != "B" {
		t.Fatalf("ranking %+v", rows)
	}
	a := rows[0]
	want := LeagueRow{AgencyID: "A", Name: "A", Approved: true, Cases: 1, OpenCases: 1, Complaints: 1, ComplaintsPer10k: 10000, Escalated: 1,
		SLABreaches: 1, Attempts: 2, Denied: 1, DenialRate: 0.5, OffSystem: 1}
	if a != want {
		t.Errorf("A: %+v\nwant %+v", a, want)
	}
	if rows[1].Complaints != 0 || rows[1].Attempts != 0 || rows[1].Cases != 1 {
		t.Errorf("B: %+v", rows[1])
	}
	if _, err := s.LeagueTable(ctx, Principal{AgencyID: "A", Name: "agency"}); !IsKind(err, Forbidden) {
		t.Errorf("an agency: %v", err)
	}
}
