package collection

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"
)

// Debts and UnplacedDebts read all their debts in two queries; each debt is
// what Debt says of it.
func TestDebtListsMatchDebt(t *testing.T) {
	s, _ := newTestService(t, time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC))
	ctx := context.Background()
	admin := Principal{Admin: true, Role: RoleAdmin, Name: "admin"}
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.CreateLender(ctx, admin, LenderInput{ID: "L", Name: "L"}))
	must(s.CreateAgency(ctx, admin, AgencyInput{ID: "A", Name: "A", Approved: true}))
	for i, tz := range []string{"Asia/Shanghai", "America/New_York"} {
		b := fmt.Sprintf("B%d", i)
		must(s.CreateBorrower(ctx, admin, BorrowerInput{ID: b, LenderID: "L", Name: b, Timezone: tz}))
		must(s.CreateDebt(ctx, admin, DebtInput{ID: b + "-one", BorrowerID: b, Currency: "CNY", Principal: 5,
			Installments: []InstallmentInput{{DueDate: "2026-12-01", Amount: 5}}}))
		must(s.CreateDebt(ctx, admin, DebtInput{ID: b + "-two", BorrowerID: b, Currency: "CNY", Principal: 3,
			Installments: []InstallmentInput{{DueDate: "2026-10-01", Amount: 1}, {DueDate: "2026-11-02", Amount: 2}}}))
		must(s.CreateDebt(ctx, admin, DebtInput{ID: b + "-placed", BorrowerID: b, Currency: "USD", Principal: 1,
			Installments: []InstallmentInput{{DueDate: "2026-09-01", Amount: 1}}}))
		must(s.CreateCase(ctx, admin, CaseInput{ID: "C" + b, DebtID: b + "-placed", AgencyID: "A"}))
	}
	check := func(what string, got []Debt, want ...string) {
		t.Helper()
		var ids []string
		for i, d := range got {
			ids = append(ids, d.ID)
			one, err := s.Debt(ctx, admin, d.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got[i], *one) {
				t.Errorf("%s: %+v, Debt says %+v", what, got[i], *one)
			}
		}
		if !slices.Equal(ids, want) {
			t.Errorf("%s: %v, want %v", what, ids, want)
		}
	}
	debts, err := s.Debts(ctx, admin, "B1")
	if err != nil {
		t.Fatal(err)
	}
	check("Debts", debts, "B1-one", "B1-placed", "B1-two")
	unplaced, err := s.UnplacedDebts(ctx, admin, Page{})
	if err != nil {
		t.Fatal(err)
	}
	check("UnplacedDebts", unplaced, "B0-one", "B0-two", "B1-one", "B1-two")
}
