package collection

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// A collector sees, and works, only the cases on their worklist; managers put
// cases there, only their own agency's, only for their agency's collectors.
func TestCollectorSeesOnlyAssignedCases(t *testing.T) {
	s, _ := newTestService(t, time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC))
	ctx := context.Background()
	admin := Principal{Admin: true, Role: RoleAdmin, Name: "admin"}
	seedCases(t, s, []string{"A", "B"}, "A", "A", "B")
	users := map[string]Principal{}
	signInUsers(t, s, users,
		UserInput{Username: "col.a", Role: RoleCollector, AgencyID: "A"},
		UserInput{Username: "col.a2", Role: RoleCollector, AgencyID: "A"},
		UserInput{Username: "col.b", Role: RoleCollector, AgencyID: "B"},
		UserInput{Username: "mgr.a", Role: RoleAgencyManager, AgencyID: "A"},
		UserInput{Username: "reg", Role: RoleRegulator},
	)
	colA, colA2, mgrA := users["col.a"], users["col.a2"], users["mgr.a"]

	c, err := s.AssignCase(ctx, mgrA, "C1", "COL.A")
	if err != nil || c.CollectorID != colA.UserID {
		t.Fatalf("assign C1 to col.a: %+v, %v", c, err)
	}
	for name, tc := range map[string]struct {
		p      Principal
		id, to string
		kind   Kind
	}{
		"another agency's collector": {mgrA, "C1", "col.b", Invalid},
		"not a collector":            {mgrA, "C1", "mgr.a", Invalid},
		"nobody":                     {mgrA, "C1", "nobody", Invalid},
		"another agency's case":      {mgrA, "C3", "col.a", NotFound},
		"a regulator":                {users["reg"], "C1", "col.a", Forbidden},
		"a collector":                {colA, "C1", "col.a", Forbidden},
	} {
		if _, err := s.AssignCase(ctx, tc.p, tc.id, tc.to); !IsKind(err, tc.kind) {
			t.Errorf("%s: %v, want kind %d", name, err, tc.kind)
		}
	}

	ids := func(p Principal) []string {
		cs, err := s.Cases(ctx, p, CaseFilter{}, Page{})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range cs {
			out = append(out, c.ID)
		}
		bs, err := s.Borrowers(ctx, p, Page{})
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range bs {
			out = append(out, b.ID)
		}
		return out
	}
	if got := ids(colA); !slices.Equal(got, []string{"C1", "B1"}) {
		t.Errorf("col.a sees %v, want C1 and B1", got)
	}
	if got := ids(colA2); len(got) != 0 {
		t.Errorf("col.a2 sees %v, want nothing", got)
	}
	if got := ids(mgrA); !slices.Equal(got, []string{"C1", "C2", "B1", "B2"}) {
		t.Errorf("mgr.a sees %v", got)
	}
	if _, err := s.Case(ctx, colA, "C2"); !IsKind(err, NotFound) {
		t.Errorf("col.a reads C2: %v", err)
	}
	if _, err := s.Borrower(ctx, colA, "B2"); !IsKind(err, NotFound) {
		t.Errorf("col.a reads B2: %v", err)
	}
	own, err := s.Decide(ctx, colA, AttemptInput{CaseID: "C1", PartyID: "B1", Channel: "sms"})
	if err != nil {
		t.Fatalf("col.a works C1: %v", err)
	}
	theirs, err := s.Decide(ctx, mgrA, AttemptInput{CaseID: "C2", PartyID: "B2", Channel: "sms"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Decide(ctx, colA, AttemptInput{CaseID: "C2", PartyID: "B2", Channel: "sms"}); !IsKind(err, NotFound) {
		t.Errorf("col.a works C2: %v", err)
	}
	if _, err := s.Attempt(ctx, colA, theirs.ID); !IsKind(err, NotFound) {
		t.Errorf("col.a reads an attempt on C2: %v", err)
	}
	if _, err := s.Outcome(ctx, colA, theirs.ID, "delivered"); !IsKind(err, NotFound) {
		t.Errorf("col.a records an outcome on C2: %v", err)
	}
	if _, err := s.Attempt(ctx, colA, own.ID); err != nil {
		t.Errorf("col.a reads their own attempt: %v", err)
	}

	// Reassigned, the case leaves col.a's reach at once (the gate's cache too).
	if _, err := s.AssignCase(ctx, admin, "C1", "col.a2"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Decide(ctx, colA, AttemptInput{CaseID: "C1", PartyID: "B1", Channel: "sms"}); !IsKind(err, NotFound) {
		t.Errorf("col.a works C1 after reassignment: %v", err)
	}
	if got := ids(colA2); !slices.Equal(got, []string{"C1", "B1"}) {
		t.Errorf("col.a2 sees %v after reassignment", got)
	}
	if c, err := s.AssignCase(ctx, mgrA, "C1", ""); err != nil || c.CollectorID != "" {
		t.Fatalf("unassign: %+v, %v", c, err)
	}
	if got := ids(colA2); len(got) != 0 {
		t.Errorf("col.a2 sees %v after the case left every worklist", got)
	}
}

// PreviewCalls says what the gate would say to a call now, records nothing, and
// leaves out what the principal does not see.
func TestPreviewCalls(t *testing.T) {
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	s, clk := newTestService(t, time.Date(2026, 11, 2, 10, 0, 0, 0, shanghai))
	ctx := context.Background()
	admin := Principal{Admin: true, Role: RoleAdmin, Name: "admin"}
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	seedCases(t, s, []string{"A", "B"}, "A", "A", "A")
	must(s.CreateOptOut(ctx, admin, OptOutInput{PartyID: "B2", Channel: "call", Source: "call"}))
	must(s.SetCaseStatus(ctx, admin, "C3", CasePaused))
	agencyA := Principal{AgencyID: "A", Name: "A"}
	pv, err := s.PreviewCalls(ctx, agencyA, []string{"C1", "C2", "C3", "NOPE"})
	if err != nil {
		t.Fatal(err)
	}
	if len(pv) != 2 || !pv["C1"].Allowed || pv["C2"].Allowed || !pv["C2"].NextAllowedAt.IsZero() || len(pv["C2"].Decision.Violations) == 0 {
		t.Fatalf("at 10:00: %+v", pv)
	}
	if pv, err := s.PreviewCalls(ctx, Principal{AgencyID: "B", Name: "B"}, []string{"C1", "C2"}); err != nil || len(pv) != 0 {
		t.Fatalf("another agency: %+v, %v", pv, err)
	}
	clk.Set(time.Date(2026, 11, 2, 23, 30, 0, 0, shanghai))
	pv, err = s.PreviewCalls(ctx, agencyA, []string{"C1"})
	want := time.Date(2026, 11, 3, 8, 0, 0, 0, shanghai)
	if err != nil || pv["C1"].Allowed || !pv["C1"].NextAllowedAt.Equal(want) {
		t.Fatalf("at 23:30: %+v, %v; want allowed again at %v", pv, err, want)
	}
	for _, c := range []string{"C1", "C2", "C3"} {
		if as, err := s.CaseAttempts(ctx, admin, c, 10); err != nil || len(as) != 0 {
			t.Fatalf("%s: a preview recorded %d attempts (%v)", c, len(as), err)
		}
	}
}

func TestCollectorsList(t *testing.T) {
	s, _ := newTestService(t, time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC))
	ctx := context.Background()
	admin := Principal{Admin: true, Role: RoleAdmin, Name: "admin"}
	for _, a := range []string{"A", "B"} {
		if _, err := s.CreateAgency(ctx, admin, AgencyInput{ID: a, Name: a, Approved: true}); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range []UserInput{{Username: "zed", Role: RoleCollector, AgencyID: "A"}, {Username: "amy", Role: RoleCollector, AgencyID: "A"},
		{Username: "boss", Role: RoleAgencyManager, AgencyID: "A"}, {Username: "other", Role: RoleCollector, AgencyID: "B"}} {
		u.Password = testPassword
		if _, err := s.CreateUser(ctx, admin, u); err != nil {
			t.Fatal(err)
		}
	}
	us, err := s.Collectors(ctx, Principal{AgencyID: "A", Role: RoleAgencyManager}, "A")
	if err != nil || len(us) != 2 || us[0].Username != "amy" || us[1].Username != "zed" {
		t.Fatalf("A's collectors: %+v, %v", us, err)
	}
	if _, err := s.Collectors(ctx, Principal{AgencyID: "B", Role: RoleAgencyManager}, "A"); !IsKind(err, NotFound) {
		t.Errorf("B's manager asks for A's collectors: %v", err)
	}
	if _, err := s.Collectors(ctx, Principal{AgencyID: "A", Role: RoleCollector, UserID: "x"}, "A"); !IsKind(err, Forbidden) {
		t.Errorf("a collector asks: %v", err)
	}
}

// A note is stored sealed: its text is not in the database in clear.
func TestNotesAreSealed(t *testing.T) {
	s, _ := newTestService(t, time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC))
	ctx := context.Background()
	admin := Principal{Admin: true, Role: RoleAdmin, Name: "admin"}
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	seedCases(t, s, []string{"A"}, "A")
	if _, err := s.AddNote(ctx, Principal{Role: RoleRegulator}, "C1", "x"); !IsKind(err, Forbidden) {
		t.Fatalf("a regulator wrote a note: %v", err)
	}
	if _, err := s.AddNote(ctx, Principal{AgencyID: "Z", Name: "z"}, "C1", "x"); !IsKind(err, NotFound) {
		t.Fatalf("another agency wrote a note: %v", err)
	}
	must(s.AddNote(ctx, Principal{AgencyID: "A", Name: "dialer"}, "C1", "call back on 13800001234"))
	var enc string
	if err := s.db.R.QueryRow("SELECT text_enc FROM case_notes").Scan(&enc); err != nil || strings.Contains(enc, "13800001234") {
		t.Fatalf("stored note %q, %v", enc, err)
	}
	ns, err := s.Notes(ctx, admin, "C1")
	if err != nil || len(ns) != 1 || ns[0].Text != "call back on 13800001234" || ns[0].Author != "dialer" {
		t.Fatalf("notes: %+v, %v", ns, err)
	}
}

// seedCases creates lender L, the approved agencies, and for each of caseAgencies
// a borrower B<i> (with a phone), a debt DB<i> and a case C<i> assigned to that
// agency, i counting from 1.
func seedCases(t *testing.T, s *Service, agencies []string, caseAgencies ...string) {
	t.Helper()
	ctx := context.Background()
	admin := Principal{Admin: true, Role: RoleAdmin, Name: "admin"}
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.CreateLender(ctx, admin, LenderInput{ID: "L", Name: "L"}))
	for _, a := range agencies {
		must(s.CreateAgency(ctx, admin, AgencyInput{ID: a, Name: a, Approved: true}))
	}
	for i, agency := range caseAgencies {
		b := fmt.Sprintf("B%d", i+1)
		must(s.CreateBorrower(ctx, admin, BorrowerInput{ID: b, LenderID: "L", Name: b, Timezone: "Asia/Shanghai",
			ContactMethods: []ContactMethodInput{{Kind: "phone", Value: fmt.Sprintf("+861380000000%d", i)}}}))
		must(s.CreateDebt(ctx, admin, DebtInput{ID: "D" + b, BorrowerID: b, Currency: "CNY", Principal: 1,
			Installments: []InstallmentInput{{DueDate: "2026-10-01", Amount: 1}}}))
		must(s.CreateCase(ctx, admin, CaseInput{ID: fmt.Sprintf("C%d", i+1), DebtID: "D" + b, AgencyID: agency}))
	}
}

// A debt is placed with one agency at a time; once its case is closed it is
// unplaced again and may be placed anew.
func TestDebtPlacedOnce(t *testing.T) {
	s, _ := newTestService(t, time.Date(2026, 11, 2, 2, 0, 0, 0, time.UTC))
	ctx := context.Background()
	admin := Principal{Admin: true, Role: RoleAdmin, Name: "admin"}
	seedCases(t, s, []string{"A", "B"}, "A")
	unplaced := func() []string {
		t.Helper()
		ds, err := s.UnplacedDebts(ctx, admin, Page{})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, d := range ds {
			out = append(out, d.ID)
		}
		return out
	}
	if _, err := s.CreateDebt(ctx, admin, DebtInput{ID: "D2", BorrowerID: "B1", Currency: "CNY", Principal: 5,
		Installments: []InstallmentInput{{DueDate: "2026-10-01", Amount: 5}}}); err != nil {
		t.Fatal(err)
	}
	if got := unplaced(); !slices.Equal(got, []string{"D2"}) {
		t.Fatalf("unplaced %v, want [D2]", got)
	}
	if _, err := s.CreateCase(ctx, admin, CaseInput{ID: "C9", DebtID: "DB1", AgencyID: "B"}); !IsKind(err, Conflict) {
		t.Fatalf("placing a placed debt again: %v", err)
	}
	if _, err := s.UnplacedDebts(ctx, Principal{Role: RoleCompliance, Name: "comp"}, Page{}); !IsKind(err, Forbidden) {
		t.Errorf("compliance listing unplaced debts: %v", err)
	}
	if _, err := s.SetCaseStatus(ctx, admin, "C1", CaseClosed); err != nil {
		t.Fatal(err)
	}
	if got := unplaced(); !slices.Equal(got, []string{"D2", "DB1"}) {
		t.Fatalf("unplaced after closing C1: %v", got)
	}
	if _, err := s.CreateCase(ctx, admin, CaseInput{ID: "C9", DebtID: "DB1", AgencyID: "B"}); err != nil {
		t.Fatalf("placing a debt whose case is closed: %v", err)
	}
}
