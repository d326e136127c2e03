package collection

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fairdebt/fairdebt/internal/policy"
	"github.com/fairdebt/fairdebt/internal/secret"
	"github.com/fairdebt/fairdebt/internal/store/storetest"
)

// worklistWorld is two agencies' cases, some on collectors' worklists, some
// paused or closed, with borrowers in Shanghai and New York, schedules part paid,
// and promises in every state.
func newWorklistWorld(t *testing.T) (*Service, map[string]Principal) {
	t.Helper()
	// 2026-11-03 02:00 UTC: 10:00 on 11-03 in Shanghai, still 11-02 in New York.
	s, clk := newTestService(t, time.Date(2026, 11, 2, 2, 0, 0, 0, time.UTC))
	ctx := context.Background()
	admin := Principal{Admin: true, Role: RoleAdmin, Name: "admin"}
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.CreateLender(ctx, admin, LenderInput{ID: "L", Name: "L"}))
	for _, a := range []string{"A", "B"} {
		must(s.CreateAgency(ctx, admin, AgencyInput{ID: a, Name: a, Approved: true}))
	}
	// case, agency, borrower's zone, currency
	cases := []struct{ id, agency, zone, currency string }{
		{"C1", "A", "Asia/Shanghai", "CNY"},
		{"C2", "A", "America/New_York", "USD"},
		{"C3", "A", "Asia/Shanghai", "CNY"},
		{"C4", "A", "Asia/Shanghai", "CNY"},
		{"C5", "B", "America/New_York", "USD"},
		{"C6", "B", "Asia/Shanghai", "CNY"},
		{"C7", "A", "Asia/Shanghai", "CNY"},
	}
	for i, c := range cases {
		b := fmt.Sprintf("B%d", i+1)
		must(s.CreateBorrower(ctx, admin, BorrowerInput{ID: b, LenderID: "L", Name: "借款人 " + b, Timezone: c.zone}))
		// Three monthly installments from 2026-10-(i+1): the first part paid for
		// odd i, wholly paid for i = 4 (so the second is the earliest unpaid).
		var inst []InstallmentInput
		for k := range 3 {
			it := InstallmentInput{DueDate: fmt.Sprintf("2026-%02d-%02d", 10+k, i+1), Amount: int64(1000 * (i + 1))}
			switch {
			case k == 0 && i%2 == 1:
				it.Paid = 250
			case k == 0 && i == 4:
				it.Paid = it.Amount
			}
			inst = append(inst, it)
		}
		must(s.CreateDebt(ctx, admin, DebtInput{ID: "D" + b, BorrowerID: b, Currency: c.currency, Principal: 3000, Installments: inst}))
		must(s.CreateCase(ctx, admin, CaseInput{ID: c.id, DebtID: "D" + b, AgencyID: c.agency}))
	}
	users := map[string]Principal{"admin": admin}
	signInUsers(t, s, users,
		UserInput{Username: "col.a", Role: RoleCollector, AgencyID: "A"},
		UserInput{Username: "col.a2", Role: RoleCollector, AgencyID: "A"},
		UserInput{Username: "mgr.a", Role: RoleAgencyManager, AgencyID: "A"},
		UserInput{Username: "mgr.b", Role: RoleAgencyManager, AgencyID: "B"},
		UserInput{Username: "reg", Role: RoleRegulator},
	)
	users["borrower"] = Principal{Role: RoleBorrower, Name: "borrower", BorrowerID: "B1"}
	users["collector without a user"] = Principal{Role: RoleCollector, AgencyID: "A"}
	for id, to := range map[string]string{"C1": "col.a", "C2": "col.a", "C3": "col.a", "C4": "col.a2"} {
		must(s.AssignCase(ctx, admin, id, to))
	}
	must(s.SetCaseStatus(ctx, admin, "C3", CaseClosed))
	must(s.SetCaseStatus(ctx, admin, "C6", CasePaused))

	promise := func(caseID, due string) *Promise {
		t.Helper()
		clk.Add(time.Minute) // promises are ordered by when they were made
		pr, err := s.CreatePromise(ctx, admin, caseID, PromiseInput{Amount: 100, DueDate: due})
		if err != nil {
			t.Fatal(err)
		}
		return pr
	}
	promise("C1", "2026-11-30")
	promise("C1", "2026-11-02") // the latest: open, but its date has passed in Shanghai: broken
	promise("C2", "2026-11-02") // the same date, today in New York: still open
	kept := promise("C4", "2026-11-01")
	must(s.SetPromiseStatus(ctx, admin, kept.ID, PromiseKept))
	promise("C5", "2026-10-01") // broken on its own
	promise("C5", "2026-12-01") // the latest: open
	clk.Set(time.Date(2026, 11, 3, 2, 0, 0, 0, time.UTC))
	return s, users
}

func TestWorklistVisibility(t *testing.T) {
	s, users := newWorklistWorld(t)
	ctx := context.Background()
	for _, tc := range []struct {
		who, agency string
		want        []string
	}{
		{"col.a", "", []string{"C1", "C2"}}, // not C3 (closed), not col.a2's C4
		{"col.a", "A", []string{"C1", "C2"}},
		{"col.a", "B", nil},
		{"col.a2", "", []string{"C4"}},
		{"collector without a user", "", nil},
		{"mgr.a", "", []string{"C1", "C2", "C4", "C7"}},
		{"mgr.a", "B", nil},
		{"mgr.b", "", []string{"C5"}}, // not C6 (paused)
		{"admin", "", []string{"C1", "C2", "C4", "C5", "C7"}},
		{"admin", "B", []string{"C5"}},
		{"reg", "A", []string{"C1", "C2", "C4", "C7"}},
		{"borrower", "", nil},
	} {
		t.Run(tc.who+" "+tc.agency, func(t *testing.T) {
			p := users[tc.who]
			rows, err := s.Worklist(ctx, p, tc.agency, Page{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range rows {
				got = append(got, r.ID)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("worklist = %v, want %v", got, tc.want)
			}
			// The same cases as Cases lists.
			cases, err := s.Cases(ctx, p, CaseFilter{Status: CaseOpen, AgencyID: tc.agency}, Page{})
			if err != nil {
				t.Fatal(err)
			}
			if len(cases) != len(rows) {
				t.Fatalf("Cases lists %d cases, Worklist %d", len(cases), len(rows))
			}
			for i := range cases {
				if rows[i].Case != cases[i] {
					t.Errorf("row %d: case %+v, Cases says %+v", i, rows[i].Case, cases[i])
				}
			}
		})
	}
}

// Every row says what Borrower, Debt and Promises say of its case, to whoever
// sees it.
func TestWorklistValues(t *testing.T) {
	s, users := newWorklistWorld(t)
	ctx := context.Background()
	for _, who := range []string{"admin", "mgr.a", "col.a", "mgr.b"} {
		p := users[who]
		rows, err := s.Worklist(ctx, p, "", Page{})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			b, err := s.Borrower(ctx, p, r.BorrowerID)
			if err != nil {
				t.Fatal(err)
			}
			d, err := s.Debt(ctx, p, r.DebtID)
			if err != nil {
				t.Fatal(err)
			}
			prs, err := s.Promises(ctx, p, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			promise := ""
			if len(prs) > 0 {
				promise = prs[len(prs)-1].Status
			}
			if r.Borrower != b.Name || r.Currency != d.Currency || r.Outstanding != d.Outstanding || r.DaysPastDue != d.DaysPastDue || r.Promise != promise {
				t.Errorf("%s, %s: row %+v; Borrower, Debt and Promises say %q, %s %d, %d days past due, promise %q",
					who, r.ID, r, b.Name, d.Currency, d.Outstanding, d.DaysPastDue, promise)
			}
		}
	}
	// And what they say, worked out by hand (now: 11-03 in Shanghai, 11-02 in New York).
	rows, err := s.Worklist(ctx, users["admin"], "", Page{})
	if err != nil {
		t.Fatal(err)
	}
	type values struct {
		outstanding int64
		dpd         int
		promise     string
	}
	want := map[string]values{
		"C1": {3000, 33, PromiseBroken}, // 2026-10-01 unpaid, Shanghai
		"C2": {5750, 31, "open"},        // 2026-10-02 part paid, New York: 11-02
		"C4": {11750, 30, PromiseKept},  // 2026-10-04 part paid
		"C5": {10000, 0, "open"},        // the first paid; the second due 2026-11-05, New York
		"C7": {21000, 27, ""},           // 2026-10-07
	}
	for _, r := range rows {
		if got := (values{r.Outstanding, r.DaysPastDue, r.Promise}); got != want[r.ID] {
			t.Errorf("%s: %+v, want %+v", r.ID, got, want[r.ID])
		}
	}
}

func TestWorklistPages(t *testing.T) {
	s, users := newWorklistWorld(t)
	ctx := context.Background()
	var got []string
	page := Page{Limit: 2}
	for {
		rows, err := s.Worklist(ctx, users["admin"], "", page)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) == 0 {
			break
		}
		if len(rows) > 2 {
			t.Fatalf("a page of %d rows, want at most 2", len(rows))
		}
		for _, r := range rows {
			got = append(got, r.ID)
		}
		page.After = rows[len(rows)-1].ID
	}
	if want := []string{"C1", "C2", "C4", "C5", "C7"}; !slices.Equal(got, want) {
		t.Errorf("pages = %v, want %v", got, want)
	}
}

func TestPromiseStatus(t *testing.T) {
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	now := time.Date(2026, 11, 3, 10, 0, 0, 0, shanghai)
	for _, tc := range []struct{ status, due, want string }{
		{"open", "2026-11-02", PromiseBroken},
		{"open", "2026-11-03", "open"}, // due today: still open
		{"open", "2026-11-04", "open"},
		{PromiseKept, "2026-10-01", PromiseKept},
		{PromiseBroken, "2026-12-01", PromiseBroken},
	} {
		if got := promiseStatus(tc.status, tc.due, now); got != tc.want {
			t.Errorf("promiseStatus(%q, %q) = %q, want %q", tc.status, tc.due, got, tc.want)
		}
	}
}

// BenchmarkWorklist reads a collector's worklist of 300 cases, and previews a
// call to each debtor as the worklist page does, the gate's cache empty.
func BenchmarkWorklist(b *testing.B) {
	keys, _, err := secret.Generate()
	if err != nil {
		b.Fatal(err)
	}
	reg, err := policy.Builtin()
	if err != nil {
		b.Fatal(err)
	}
	s, err := New(Config{DB: storetest.Open(b), Keys: keys, Packs: reg, DefaultPack: "cn",
		Now: func() time.Time { return time.Date(2026, 11, 2, 2, 0, 0, 0, time.UTC) }})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	admin := Principal{Admin: true, Role: RoleAdmin, Name: "admin"}
	must := func(_ any, err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	must(s.CreateLender(ctx, admin, LenderInput{ID: "L", Name: "L"}))
	must(s.CreateAgency(ctx, admin, AgencyInput{ID: "A", Name: "A", Approved: true}))
	must(s.CreateUser(ctx, admin, UserInput{Username: "col", Role: RoleCollector, AgencyID: "A", Password: testPassword}))
	_, collector, err := s.Login(ctx, "col", testPassword, "bench")
	if err != nil {
		b.Fatal(err)
	}
	const n = 300
	var ids []string
	for i := range n {
		id := fmt.Sprintf("%03d", i)
		must(s.CreateBorrower(ctx, admin, BorrowerInput{ID: "B" + id, LenderID: "L", Name: "借款人 " + id, Timezone: "Asia/Shanghai"}))
		must(s.CreateDebt(ctx, admin, DebtInput{ID: "D" + id, BorrowerID: "B" + id, Currency: "CNY", Principal: 3000,
			Installments: []InstallmentInput{{DueDate: "2026-09-01", Amount: 1000}, {DueDate: "2026-10-01", Amount: 1000}, {DueDate: "2026-11-01", Amount: 1000}}}))
		must(s.CreateCase(ctx, admin, CaseInput{ID: "C" + id, DebtID: "D" + id, AgencyID: "A"}))
		must(s.AssignCase(ctx, admin, "C"+id, "col"))
		if i%4 == 0 {
			must(s.CreatePromise(ctx, admin, "C"+id, PromiseInput{Amount: 100, DueDate: "2026-11-30"}))
		}
		ids = append(ids, "C"+id)
	}
	b.Run("data", func(b *testing.B) {
		for b.Loop() {
			rows, err := s.Worklist(ctx, collector, "", Page{Limit: 500})
			if err != nil || len(rows) != n {
				b.Fatalf("%d rows, %v", len(rows), err)
			}
		}
	})
	b.Run("preview", func(b *testing.B) {
		for b.Loop() {
			clear(s.debtors)
			clear(s.cases)
			pv, err := s.PreviewCalls(ctx, collector, ids)
			if err != nil || len(pv) != n {
				b.Fatalf("%d previews, %v", len(pv), err)
			}
		}
	})
}

// Each scope of a case list reads through its index, not the whole table: the
// queries Cases and Worklist run, as SQLite plans them.
func TestCaseListsUseIndexes(t *testing.T) {
	s, _ := newTestService(t, time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC))
	if s.db.Shared() {
		t.Skip("SQLite's plans; PostgreSQL's depend on its statistics")
	}
	for _, c := range []struct {
		what                                string
		agency, collector, status, borrower string
		index                               string
	}{
		{"a collector's open cases", "A", "u1", CaseOpen, "", "cases_collector"},
		{"a collector's cases", "A", "u1", "", "", "cases_collector"},
		{"an agency's open cases", "A", "", CaseOpen, "", "cases_agency_open"},
		{"an agency's cases", "A", "", "", "", "cases_agency"},
		{"a borrower's cases", "", "", "", "B1", "cases_borrower"},
		{"an agency's cases of a borrower", "A", "", "", "B1", "cases_"},
	} {
		where, args := casesWhere(c.agency, c.collector, c.status, c.borrower, "")
		args = append(args, 500)
		var plan strings.Builder
		err := eachRow(context.Background(), s.db.R, func(r *sql.Rows) error {
			var id, parent, unused int
			var detail string
			if err := r.Scan(&id, &parent, &unused, &detail); err != nil {
				return err
			}
			plan.WriteString(detail + "; ")
			return nil
		}, "EXPLAIN QUERY PLAN SELECT "+caseColumns+" FROM cases WHERE "+where+" ORDER BY id LIMIT $"+strconv.Itoa(len(args)), args...)
		if err != nil {
			t.Fatal(err)
		}
		if got := plan.String(); !strings.Contains(got, "USING INDEX "+c.index) || strings.Contains(got, "SCAN cases") {
			t.Errorf("%s: plan %q, want a search through %s…", c.what, got, c.index)
		}
	}
}
