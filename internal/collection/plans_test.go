package collection

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestPlanStateMachine(t *testing.T) {
	states := []string{PlanProposed, PlanCountered, PlanDeclined, PlanWithdrawn, PlanActive, PlanCompleted, PlanBroken}
	actions := []string{PlanActionAccept, PlanActionCounter, PlanActionDecline, PlanActionWithdraw, PlanActionPaid, PlanActionMissed}
	want := map[[3]string]string{
		{PlanProposed, "lender", PlanActionAccept}:     PlanActive,
		{PlanProposed, "lender", PlanActionCounter}:    PlanCountered,
		{PlanProposed, "lender", PlanActionDecline}:    PlanDeclined,
		{PlanProposed, "borrower", PlanActionWithdraw}: PlanWithdrawn,
		{PlanCountered, "borrower", PlanActionAccept}:  PlanActive,
		{PlanCountered, "borrower", PlanActionDecline}: PlanDeclined,
		{PlanActive, "system", PlanActionPaid}:         PlanCompleted,
		{PlanActive, "system", PlanActionMissed}:       PlanBroken,
	}
	for _, st := range states {
		for _, side := range []string{"borrower", "lender", "system"} {
			for _, a := range actions {
				got, err := NextPlanState(st, side, a)
				if w, ok := want[[3]string{st, side, a}]; ok {
					if err != nil || got != w {
						t.Errorf("%s, %s %s: %q, %v; want %q", st, side, a, got, err, w)
					}
				} else if err != ErrBadTransition {
					t.Errorf("%s, %s %s: %q, %v; want refused", st, side, a, got, err)
				}
			}
		}
	}
}

func TestPlanScheduleAndMissed(t *testing.T) {
	first := time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC)
	s, err := PlanSchedule(25000, 10000, first)
	if err != nil || len(s) != 3 || s[2].Amount != 5000 || s[0].DueDate != "2026-01-31" || s[1].DueDate != "2026-03-03" {
		t.Fatalf("schedule %+v, %v", s, err)
	}
	if _, err := PlanSchedule(100*61, 100, first); err == nil {
		t.Error("61 instalments accepted")
	}
	sched := []Installment{{DueDate: "2026-11-01", Amount: 1}, {DueDate: "2026-12-01", Amount: 1}}
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	for _, tc := range []struct {
		now  time.Time
		want bool
	}{
		{time.Date(2026, 11, 8, 12, 0, 0, 0, shanghai), false},  // seven days of grace: still 11-08
		{time.Date(2026, 11, 9, 0, 30, 0, 0, shanghai), true},   // the 9th in Shanghai
		{time.Date(2026, 11, 8, 16, 30, 0, 0, time.UTC), false}, // the same instant on the 8th in UTC
	} {
		if got := PlanMissed(sched, tc.now); got != tc.want {
			t.Errorf("missed at %s: %v, want %v", tc.now, got, tc.want)
		}
	}
	sched[0].Paid = 1
	if PlanMissed(sched, time.Date(2026, 11, 20, 0, 0, 0, 0, shanghai)) {
		t.Error("a paid instalment counted as missed")
	}
}

// A plan proposed, countered, accepted (the plan_active hold), paid to the end
// (completed, the hold lifted); another one broken by a missed instalment.
func TestPlanLifecycle(t *testing.T) {
	s, _, setClock := portalWorld(t) // B1's debt DB1 (1 fen outstanding in seedCases) with agency A
	ctx := context.Background()
	admin := Principal{Admin: true, Role: RoleAdmin, Name: "admin"}
	if _, err := s.CreateDebt(ctx, admin, DebtInput{ID: "DB9", BorrowerID: "B1", Currency: "CNY", Principal: 30000,
		Installments: []InstallmentInput{{DueDate: "2026-10-01", Amount: 30000}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateCase(ctx, admin, CaseInput{ID: "C9", DebtID: "DB9", AgencyID: "A"}); err != nil {
		t.Fatal(err)
	}
	borrower := Principal{Role: RoleBorrower, Name: "borrower", BorrowerID: "B1"}
	agencyA, agencyB := Principal{AgencyID: "A", Name: "agency A"}, Principal{AgencyID: "B", Name: "agency B"}
	holds := func() []string {
		b, err := s.Borrower(ctx, admin, "B1")
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, h := range b.Holds {
			out = append(out, h.Hold)
		}
		return out
	}
	pl, err := s.ProposePlan(ctx, borrower, PlanInput{DebtID: "DB9", Monthly: 5000, First: "2026-11-10", Note: "lost my job"})
	if err != nil || pl.State != PlanProposed || len(pl.Instalments) != 6 {
		t.Fatalf("proposing: %+v, %v", pl, err)
	}
	for name, f := range map[string]func() error{
		"a second plan for the debt": func() error {
			_, err := s.ProposePlan(ctx, borrower, PlanInput{DebtID: "DB9", Monthly: 5000, First: "2026-11-10"})
			return err
		},
		"a monthly amount too small": func() error {
			_, err := s.ProposePlan(ctx, borrower, PlanInput{DebtID: "DB1", Monthly: 0, First: "2026-11-10"})
			return err
		},
		"a first date in the past": func() error {
			_, err := s.ProposePlan(ctx, borrower, PlanInput{DebtID: "DB1", Monthly: 1, First: "2026-01-01"})
			return err
		},
		"another borrower's debt": func() error {
			_, err := s.ProposePlan(ctx, borrower, PlanInput{DebtID: "DB2", Monthly: 1, First: "2026-11-10"})
			return err
		},
		"a staff proposal": func() error {
			_, err := s.ProposePlan(ctx, admin, PlanInput{DebtID: "DB9", Monthly: 1, First: "2026-11-10"})
			return err
		},
		"another agency":          func() error { _, err := s.PlanAction(ctx, agencyB, pl.ID, PlanActionAccept, nil); return err },
		"the borrower accepts":    func() error { _, err := s.PlanAction(ctx, borrower, pl.ID, PlanActionAccept, nil); return err },
		"a counter without terms": func() error { _, err := s.PlanAction(ctx, agencyA, pl.ID, PlanActionCounter, nil); return err },
	} {
		if err := f(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	pl, err = s.PlanAction(ctx, agencyA, pl.ID, PlanActionCounter, &PlanInput{Monthly: 10000, First: "2026-11-15", Note: "three months"})
	if err != nil || pl.State != PlanCountered || len(pl.Instalments) != 3 || pl.Instalments[0].DueDate != "2026-11-15" {
		t.Fatalf("countering: %+v, %v", pl, err)
	}
	pl, err = s.PlanAction(ctx, borrower, pl.ID, PlanActionAccept, nil)
	if err != nil || pl.State != PlanActive || !slices.Contains(holds(), "plan_active") {
		t.Fatalf("accepting the counter: %+v, %v, holds %v", pl, err, holds())
	}
	for i := range 3 {
		if pl, err = s.PayInstalment(ctx, agencyA, pl.ID, i); err != nil {
			t.Fatalf("paying %d: %v", i, err)
		}
	}
	if pl.State != PlanCompleted || slices.Contains(holds(), "plan_active") {
		t.Errorf("after the last instalment: %s, holds %v", pl.State, holds())
	}
	if _, err := s.PayInstalment(ctx, agencyA, pl.ID, 0); err == nil {
		t.Error("paid an instalment of a completed plan")
	}

	// Another plan on DB1, accepted at once, then missed.
	if _, err := s.CreateDebt(ctx, admin, DebtInput{ID: "DB8", BorrowerID: "B1", Currency: "CNY", Principal: 2000,
		Installments: []InstallmentInput{{DueDate: "2026-10-01", Amount: 2000}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateCase(ctx, admin, CaseInput{ID: "C8", DebtID: "DB8", AgencyID: "A"}); err != nil {
		t.Fatal(err)
	}
	p2, err := s.ProposePlan(ctx, borrower, PlanInput{DebtID: "DB8", Monthly: 1000, First: "2026-11-03"})
	if err != nil {
		t.Fatal(err)
	}
	if p2, err = s.PlanAction(ctx, admin, p2.ID, PlanActionAccept, nil); err != nil || p2.State != PlanActive {
		t.Fatalf("the administrator accepting: %+v, %v", p2, err)
	}
	setClock(time.Date(2026, 11, 10, 12, 0, 0, 0, time.UTC)) // 11-10 in Shanghai: within the grace
	if n, err := s.BreakMissedPlans(ctx); err != nil || n != 0 {
		t.Fatalf("within the grace: %d, %v", n, err)
	}
	setClock(time.Date(2026, 11, 10, 16, 30, 0, 0, time.UTC)) // 11-11 00:30 in Shanghai
	if n, err := s.BreakMissedPlans(ctx); err != nil || n != 1 {
		t.Fatalf("past the grace: %d, %v", n, err)
	}
	if p2, _ = s.Plan(ctx, borrower, p2.ID); p2.State != PlanBroken || slices.Contains(holds(), "plan_active") {
		t.Errorf("the missed plan: %s, holds %v", p2.State, holds())
	}
	list, err := s.Plans(ctx, borrower, "B1")
	i := slices.IndexFunc(list, func(p Plan) bool { return p.DebtID == "DB9" })
	if err != nil || len(list) != 2 || i < 0 || list[i].Note != "three months" {
		t.Errorf("the borrower's plans: %+v, %v", list, err)
	}
	var sealed string
	if err := s.db.R.QueryRowContext(ctx, "SELECT note FROM plans WHERE debt_id = 'DB9'").Scan(&sealed); err != nil || sealed == "three months" {
		t.Errorf("the note is stored as %q (%v)", sealed, err)
	}
	verifyAuditLog(t, s)
}

func TestInstalmentDue(t *testing.T) {
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	sched := []Installment{{DueDate: "2026-11-10", Amount: 5, Paid: 5}, {DueDate: "2026-12-10", Amount: 5}}
	for _, tc := range []struct {
		now  time.Time
		want bool
	}{
		{time.Date(2026, 12, 6, 12, 0, 0, 0, shanghai), false},  // four days ahead
		{time.Date(2026, 12, 7, 0, 30, 0, 0, shanghai), true},   // three days ahead in Shanghai
		{time.Date(2026, 12, 6, 16, 30, 0, 0, time.UTC), false}, // the same instant, still the 6th in UTC
		{time.Date(2026, 12, 14, 9, 0, 0, 0, shanghai), true},   // past its date, unpaid
	} {
		if got := InstalmentDue(sched, tc.now); got != tc.want {
			t.Errorf("due at %s: %v, want %v", tc.now, got, tc.want)
		}
	}
	sched[1].Paid = 5
	if InstalmentDue(sched, time.Date(2026, 12, 9, 0, 0, 0, 0, shanghai)) {
		t.Error("a paid instalment is due")
	}
}

// The purpose remind: only to the debtor, only while an instalment of an active
// plan on the case's debt is due; the attempt is then decided and recorded as a
// reminder.
func TestReminderNeedsADueInstalment(t *testing.T) {
	s, _, setClock := portalWorld(t) // 2026-11-02 10:00 in Shanghai
	ctx := context.Background()
	admin := Principal{Admin: true, Role: RoleAdmin, Name: "admin"}
	borrower := Principal{Role: RoleBorrower, Name: "borrower", BorrowerID: "B1"}
	if _, err := s.CreateDebt(ctx, admin, DebtInput{ID: "DB9", BorrowerID: "B1", Currency: "CNY", Principal: 30000,
		Installments: []InstallmentInput{{DueDate: "2026-10-01", Amount: 30000}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateCase(ctx, admin, CaseInput{ID: "C9", DebtID: "DB9", AgencyID: "A"}); err != nil {
		t.Fatal(err)
	}
	remind := func(caseID, party string) (*Attempt, error) {
		return s.Decide(ctx, admin, AttemptInput{CaseID: caseID, PartyID: party, Channel: "sms", Purpose: "remind", Message: "Your instalment is due soon."})
	}
	if _, err := remind("C9", "B1"); err == nil {
		t.Fatal("a reminder with no plan accepted")
	}
	pl, err := s.ProposePlan(ctx, borrower, PlanInput{DebtID: "DB9", Monthly: 10000, First: "2026-11-10"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.PlanAction(ctx, admin, pl.ID, PlanActionAccept, nil); err != nil {
		t.Fatal(err)
	}
	var before int
	count := func() int {
		var n int
		if err := s.db.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM attempts").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before = count()
	if _, err := remind("C9", "B1"); err == nil || !strings.Contains(err.Error(), "within 3 days") {
		t.Fatalf("eight days before the instalment: %v", err)
	}
	setClock(time.Date(2026, 11, 7, 2, 0, 0, 0, time.UTC)) // 11-07 10:00 in Shanghai: three days before
	if _, err := remind("C9", "P1"); err == nil {
		t.Fatal("a reminder to the emergency contact accepted")
	}
	if _, err := remind("C1", "B1"); err == nil {
		t.Fatal("a reminder on a debt without a plan accepted")
	}
	if n := count(); n != before {
		t.Fatalf("refused reminders recorded %d attempts", n-before)
	}
	a, err := remind("C9", "B1")
	if err != nil || a.Purpose != "remind" || !a.Allowed {
		t.Fatalf("a reminder three days before: %+v, %v", a, err)
	}
}
