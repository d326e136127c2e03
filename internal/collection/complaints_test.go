package collection

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fairdebt/fairdebt/internal/audit"
)

func TestComplaintStateMachine(t *testing.T) {
	states := []string{ComplaintReceived, ComplaintAcknowledged, ComplaintInvestigating, ComplaintResponded, ComplaintClosed, ComplaintEscalated}
	actions := []string{ActionAcknowledge, ActionInvestigate, ActionRespond, ActionExtend, ActionSatisfied, ActionUnsatisfied, ActionOverdue}
	want := map[[2]string]string{
		{ComplaintReceived, ActionAcknowledge}:     ComplaintAcknowledged,
		{ComplaintReceived, ActionInvestigate}:     ComplaintInvestigating,
		{ComplaintAcknowledged, ActionInvestigate}: ComplaintInvestigating,
		{ComplaintReceived, ActionRespond}:         ComplaintResponded,
		{ComplaintAcknowledged, ActionRespond}:     ComplaintResponded,
		{ComplaintInvestigating, ActionRespond}:    ComplaintResponded,
		{ComplaintReceived, ActionExtend}:          ComplaintReceived,
		{ComplaintAcknowledged, ActionExtend}:      ComplaintAcknowledged,
		{ComplaintInvestigating, ActionExtend}:     ComplaintInvestigating,
		{ComplaintReceived, ActionOverdue}:         ComplaintEscalated,
		{ComplaintAcknowledged, ActionOverdue}:     ComplaintEscalated,
		{ComplaintInvestigating, ActionOverdue}:    ComplaintEscalated,
		{ComplaintResponded, ActionSatisfied}:      ComplaintClosed,
		{ComplaintResponded, ActionUnsatisfied}:    ComplaintEscalated,
	}
	for _, st := range states {
		for _, a := range actions {
			got, err := NextComplaintState(st, a)
			if w, ok := want[[2]string{st, a}]; ok {
				if err != nil || got != w {
					t.Errorf("%s + %s = %q, %v; want %q", st, a, got, err, w)
				}
			} else if err != ErrBadTransition {
				t.Errorf("%s + %s = %q, %v; want refused", st, a, got, err)
			}
		}
	}
}

// A deadline ends at midnight in the complainant's zone, counted in calendar
// days from the day of filing there, across a change of daylight saving time.
func TestComplaintDueAcrossZones(t *testing.T) {
	load := func(name string) *time.Location {
		l, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	shanghai, newYork := load("Asia/Shanghai"), load("America/New_York")
	filed := time.Date(2026, 11, 2, 23, 30, 0, 0, time.UTC) // 11-03 07:30 in Shanghai, 11-02 18:30 in New York
	for _, tc := range []struct {
		zone *time.Location
		days int
		want time.Time
	}{
		{shanghai, 15, time.Date(2026, 11, 19, 0, 0, 0, 0, shanghai)},
		{shanghai, 30, time.Date(2026, 12, 4, 0, 0, 0, 0, shanghai)},
		{newYork, 15, time.Date(2026, 11, 18, 0, 0, 0, 0, newYork)},
		{newYork, 60, time.Date(2027, 1, 2, 0, 0, 0, 0, newYork)},
	} {
		if got := ComplaintDue(filed, tc.zone, tc.days); !got.Equal(tc.want) {
			t.Errorf("%s +%d: %s, want %s", tc.zone, tc.days, got, tc.want)
		}
	}
	// Filed on 2026-10-25 in New York (daylight time); due after the clocks went
	// back on 11-01: midnight EST, not 23:00.
	due := ComplaintDue(time.Date(2026, 10, 25, 16, 0, 0, 0, time.UTC), newYork, 15)
	if want := time.Date(2026, 11, 10, 5, 0, 0, 0, time.UTC); !due.Equal(want) {
		t.Errorf("across the change of time: %s, want %s", due.UTC(), want)
	}
}

// pngBytes is a tiny valid PNG header: enough for the sniffer.
var pngBytes = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{0}, 64)...)

func TestComplaintLifecycle(t *testing.T) {
	s, out, setClock := portalWorld(t) // B1 (Asia/Shanghai, pack cn), case C1 with agency A
	signer, vkey, _, err := audit.LoadSigner(t.TempDir(), "fairdebt.test/complaints")
	if err != nil {
		t.Fatal(err)
	}
	s.signer = signer
	ctx := context.Background()
	c, _ := s.SendCode(ctx, CodeRequest{Purpose: PurposeBorrower, Kind: "phone", Value: "+8613800000000", Client: "c"})
	code, _ := lastCode(t, out)
	_, borrower, err := s.BorrowerLogin(ctx, c.ID, code, "c")
	if err != nil {
		t.Fatal(err)
	}
	comp := Principal{Role: RoleCompliance, Name: "user:comp"}
	note := []byte("2026-11-01 23:40 a collector called my mother and said I would go to jail.\n")
	cp, err := s.FileComplaint(ctx, borrower, ComplaintInput{CaseID: "C1", Category: "third_party", Text: "他们半夜给我妈妈打电话",
		Evidence: []EvidenceFile{{Name: "screenshot.png", Data: pngBytes}, {Name: `C:\phone\notes.txt`, Data: note}}})
	if err != nil {
		t.Fatal(err)
	}
	// Filed 2026-11-02 10:00 in Shanghai: due at the end of 11-17 there.
	if cp.State != ComplaintReceived || cp.AgencyID != "A" || !cp.DueAt.Equal(time.Date(2026, 11, 18, 0, 0, 0, 0, time.FixedZone("", 8*3600))) ||
		len(cp.Evidence) != 2 || len(cp.Events) != 1 {
		t.Fatalf("filed %+v", cp)
	}
	noteSum := sha256.Sum256(note)
	if i := slices.IndexFunc(cp.Evidence, func(e Evidence) bool { return e.Name == "notes.txt" }); i < 0 || cp.Evidence[i].SHA256 != hex.EncodeToString(noteSum[:]) {
		t.Errorf("evidence %+v", cp.Evidence)
	}
	// The receipt verifies offline, and its leaf names the evidence by hash.
	rc, err := s.ComplaintReceipt(ctx, borrower, cp.ID)
	if err != nil {
		t.Fatal(err)
	}
	e, _, err := audit.VerifyReceipt(rc, vkey)
	if err != nil || e.Type != audit.TypeComplaint || e.Subject["complaint"] != cp.ID || !slices.Contains(e.Facts["evidence"].([]any), any(hex.EncodeToString(noteSum[:]))) {
		t.Fatalf("receipt: %+v, %v", e, err)
	}
	if _, data, err := s.EvidenceData(ctx, comp, cp.ID, hex.EncodeToString(noteSum[:])); err != nil || !bytes.Equal(data, note) {
		t.Errorf("compliance reading the evidence: %q, %v", data, err)
	}

	// Only the complainant and those who read everything see it.
	other := Principal{Role: RoleBorrower, Name: "borrower", BorrowerID: "B2"}
	for name, p := range map[string]Principal{"another borrower": other, "the agency": {AgencyID: "A", Name: "agency"},
		"a collector": {Role: RoleCollector, AgencyID: "A", UserID: "u", Name: "user:col"}} {
		if _, err := s.Complaint(ctx, p, cp.ID); !IsKind(err, NotFound) {
			t.Errorf("%s: %v", name, err)
		}
		if _, err := s.ComplaintReceipt(ctx, p, cp.ID); !IsKind(err, NotFound) {
			t.Errorf("%s's receipt: %v", name, err)
		}
	}
	for name, f := range map[string]func() error{
		"the borrower acknowledging": func() error { _, err := s.ComplaintAction(ctx, borrower, cp.ID, ActionAcknowledge, ""); return err },
		"the agency responding": func() error {
			_, err := s.ComplaintAction(ctx, Principal{AgencyID: "A", Name: "agency"}, cp.ID, ActionRespond, "no")
			return err
		},
		"compliance rating":        func() error { _, err := s.ComplaintAction(ctx, comp, cp.ID, ActionSatisfied, ""); return err },
		"a response without text":  func() error { _, err := s.ComplaintAction(ctx, comp, cp.ID, ActionRespond, " "); return err },
		"rating before a response": func() error { _, err := s.ComplaintAction(ctx, borrower, cp.ID, ActionUnsatisfied, ""); return err },
		"a staff complaint": func() error {
			_, err := s.FileComplaint(ctx, comp, ComplaintInput{Category: "other", Text: "x"})
			return err
		},
	} {
		if err := f(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}

	// Acknowledged, extended once (to 30 days), investigated, responded; rated
	// unsatisfied: escalated.
	setClock(time.Date(2026, 11, 5, 2, 0, 0, 0, time.UTC))
	for _, step := range []struct{ action, note, state string }{
		{ActionAcknowledge, "", ComplaintAcknowledged},
		{ActionExtend, "we need the agency's recordings", ComplaintAcknowledged},
		{ActionInvestigate, "", ComplaintInvestigating},
		{ActionRespond, "The agency admits the call; the collector is suspended.", ComplaintResponded},
	} {
		got, err := s.ComplaintAction(ctx, comp, cp.ID, step.action, step.note)
		if err != nil || got.State != step.state {
			t.Fatalf("%s: %+v, %v", step.action, got, err)
		}
		if step.action == ActionExtend && (!got.Extended || !got.DueAt.Equal(time.Date(2026, 12, 3, 0, 0, 0, 0, time.FixedZone("", 8*3600)))) {
			t.Errorf("extended to %s", got.DueAt)
		}
	}
	if _, err := s.ComplaintAction(ctx, comp, cp.ID, ActionExtend, "again"); err == nil {
		t.Error("extended a responded complaint")
	}
	got, err := s.ComplaintAction(ctx, borrower, cp.ID, ActionUnsatisfied, "Nobody called my mother to apologise.")
	if err != nil || got.State != ComplaintEscalated || got.EscalatedAt == nil || got.Rating != ActionUnsatisfied || len(got.Events) != 6 {
		t.Fatalf("rated unsatisfied: %+v, %v", got, err)
	}

	// A second complaint is left alone: it goes overdue and the sweep escalates it.
	second, err := s.FileComplaint(ctx, borrower, ComplaintInput{Category: "harassment", Text: "每天打十几个电话"})
	if err != nil {
		t.Fatal(err)
	}
	due := func() int {
		t.Helper()
		list, err := s.Complaints(ctx, comp, ComplaintFilter{DueSoon: true})
		if err != nil {
			t.Fatal(err)
		}
		return len(list)
	}
	setClock(second.DueAt.Add(-ReminderWindow - time.Minute))
	if n := due(); n != 0 {
		t.Errorf("%d due soon more than three days ahead", n)
	}
	setClock(second.DueAt.Add(-time.Minute))
	if n := due(); n != 1 {
		t.Errorf("%d due soon a minute before the deadline, want 1", n)
	}
	if n, err := s.CountComplaints(ctx, comp); err != nil || n != (ComplaintCounts{Escalated: 1, DueSoon: 1}) {
		t.Errorf("counts a minute before the deadline: %+v, %v", n, err)
	}
	setClock(second.DueAt)
	if n, _ := s.CountComplaints(ctx, comp); n != (ComplaintCounts{Escalated: 1, Overdue: 1}) {
		t.Errorf("counts at the deadline, before the sweep: %+v", n)
	}
	setClock(second.DueAt.Add(-time.Minute))
	if n, err := s.EscalateOverdue(ctx); err != nil || n != 0 {
		t.Fatalf("a minute before the deadline: %d, %v", n, err)
	}
	setClock(second.DueAt)
	if c, _ := s.Complaint(ctx, comp, second.ID); !c.Overdue {
		t.Error("not overdue at its deadline")
	}
	if n, err := s.EscalateOverdue(ctx); err != nil || n != 1 {
		t.Fatalf("at the deadline: %d, %v", n, err)
	}
	esc, err := s.Complaints(ctx, Principal{Role: RoleRegulator, Name: "reg"}, ComplaintFilter{Escalated: true})
	if err != nil || len(esc) != 2 {
		t.Fatalf("escalated complaints: %d, %v", len(esc), err)
	}
	if mine, _ := s.Complaints(ctx, other, ComplaintFilter{}); len(mine) != 0 {
		t.Errorf("another borrower lists %d complaints", len(mine))
	}
	if _, err := s.Complaints(ctx, Principal{AgencyID: "A", Name: "agency"}, ComplaintFilter{}); !IsKind(err, Forbidden) {
		t.Errorf("an agency listing complaints: %v", err)
	}
	if n, err := s.CountComplaints(ctx, comp); err != nil || n != (ComplaintCounts{Escalated: 2}) {
		t.Errorf("counts after the sweep: %+v, %v", n, err)
	}
	if _, err := s.CountComplaints(ctx, Principal{AgencyID: "A", Name: "agency"}); !IsKind(err, Forbidden) {
		t.Errorf("an agency counting complaints: %v", err)
	}
	if c, _ := s.Complaint(ctx, comp, second.ID); c.Events[len(c.Events)-1].Actor != "system" || c.State != ComplaintEscalated {
		t.Errorf("the overdue complaint: %+v", c)
	}
	if _, err := s.audit.Checkpoint(ctx, signer); err != nil {
		t.Fatal(err)
	}
	if _, err := s.audit.Verify(ctx, vkey, nil); err != nil {
		t.Errorf("the audit log: %v", err)
	}
}

// Bad uploads are refused with the field and a reason, and nothing is stored.
func TestComplaintEvidenceRefused(t *testing.T) {
	s, _, _ := portalWorld(t)
	ctx := context.Background()
	borrower := Principal{Role: RoleBorrower, Name: "borrower", BorrowerID: "B1"}
	big := append(append([]byte{}, pngBytes...), make([]byte, MaxEvidenceSize)...)
	for name, ev := range map[string][]EvidenceFile{
		"too many files":         slices.Repeat([]EvidenceFile{{Name: "a.png", Data: pngBytes}}, MaxEvidenceFiles+1),
		"too large":              {{Name: "big.png", Data: big}},
		"empty":                  {{Name: "a.txt", Data: nil}},
		"a program named .png":   {{Name: "a.png", Data: []byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff")}},
		"a picture named .txt":   {{Name: "a.txt", Data: pngBytes}},
		"a page":                 {{Name: "a.txt", Data: []byte("<html><script>alert(1)</script></html>")}},
		"text that is not UTF-8": {{Name: "a.txt", Data: []byte("\xff\xfe\x00a")}},
		"no name":                {{Name: "", Data: []byte("hello")}},
	} {
		_, err := s.FileComplaint(ctx, borrower, ComplaintInput{Category: "other", Text: "x", Evidence: ev})
		var e *Error
		if !errors.As(err, &e) || e.Kind != Invalid || !strings.HasPrefix(e.Field, "evidence") {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, in := range map[string]ComplaintInput{
		"no text":        {Category: "other", Text: "  "},
		"no category":    {Text: "x"},
		"another's case": {Category: "other", Text: "x", CaseID: "C2"},
	} {
		if _, err := s.FileComplaint(ctx, borrower, in); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	var n int
	if err := s.db.R.QueryRowContext(ctx, "SELECT (SELECT COUNT(*) FROM complaints) + (SELECT COUNT(*) FROM evidence)").Scan(&n); err != nil || n != 0 {
		t.Errorf("%d rows stored by refused complaints (%v)", n, err)
	}
}
