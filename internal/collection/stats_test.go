package collection

import (
	"context"
	"testing"
	"time"

	"github.com/fairdebt/fairdebt/internal/audit"
)

// statsWorld is two agencies' work over two days: agency A's collector calls,
// is denied twice in quiet hours, connects once, and has one promise kept and one
// broken; agency B calls once and holds an open promise.
type statsWorld struct {
	s     *Service
	users map[string]Principal
}

func newStatsWorld(t *testing.T) statsWorld {
	t.Helper()
	// 2026-11-02 10:00 UTC is 18:00 in Shanghai.
	s, clk := newTestService(t, time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC))
	ctx := context.Background()
	admin := Principal{Admin: true, Role: RoleAdmin, Name: "admin"}
	seedCases(t, s, []string{"A", "B"}, "A", "A", "B")
	users := map[string]Principal{"admin": admin}
	signInUsers(t, s, users,
		UserInput{Username: "col.a", Role: RoleCollector, AgencyID: "A"},
		UserInput{Username: "mgr.a", Role: RoleAgencyManager, AgencyID: "A"},
		UserInput{Username: "mgr.b", Role: RoleAgencyManager, AgencyID: "B"},
		UserInput{Username: "comp", Role: RoleCompliance},
		UserInput{Username: "reg", Role: RoleRegulator},
	)
	if _, err := s.AssignCase(ctx, users["mgr.a"], "C1", "col.a"); err != nil {
		t.Fatal(err)
	}
	call := func(p Principal, caseID, borrower string, wantAllowed bool) *Attempt {
		t.Helper()
		a, err := s.Decide(ctx, p, AttemptInput{CaseID: caseID, PartyID: borrower, Channel: "call"})
		if err != nil || a.Allowed != wantAllowed {
			t.Fatalf("%s calling %s at %s: %+v, %v; want allowed %v", p.Name, borrower, clk.Now(), a, err, wantAllowed)
		}
		return a
	}
	colA := users["col.a"]
	a := call(colA, "C1", "B1", true) // 18:00 Shanghai, 11-02
	if _, err := s.Outcome(ctx, colA, a.ID, "connected"); err != nil {
		t.Fatal(err)
	}
	clk.Set(time.Date(2026, 11, 2, 15, 30, 0, 0, time.UTC)) // 23:30 Shanghai, 11-02
	call(colA, "C1", "B1", false)
	clk.Set(time.Date(2026, 11, 2, 17, 0, 0, 0, time.UTC)) // 01:00 Shanghai, 11-03; still 11-02 in UTC
	call(colA, "C1", "B1", false)
	clk.Set(time.Date(2026, 11, 3, 2, 0, 0, 0, time.UTC)) // 10:00 Shanghai, 11-03
	call(users["mgr.b"], "C3", "B3", true)
	clk.Set(time.Date(2026, 11, 3, 3, 0, 0, 0, time.UTC))

	promise := func(p Principal, caseID, due string) *Promise {
		t.Helper()
		pr, err := s.CreatePromise(ctx, p, caseID, PromiseInput{Amount: 100, DueDate: due})
		if err != nil {
			t.Fatal(err)
		}
		return pr
	}
	promise(colA, "C1", "2026-11-01") // open past its date: broken
	kept := promise(colA, "C1", "2026-11-03")
	if pr, err := s.SetPromiseStatus(ctx, colA, kept.ID, PromiseKept); err != nil || pr.Status != PromiseKept {
		t.Fatalf("keeping a promise: %+v, %v", pr, err)
	}
	promise(users["mgr.b"], "C3", "2026-11-03") // due today: still open
	promise(users["mgr.b"], "C3", "2026-11-20") // beyond the window
	return statsWorld{s: s, users: users}
}

func TestStatsCounts(t *testing.T) {
	w := newStatsWorld(t)
	ctx := context.Background()
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	st, err := w.s.Stats(ctx, w.users["comp"], StatsFilter{Days: 7, Zone: shanghai})
	if err != nil {
		t.Fatal(err)
	}
	if st.From != "2026-10-28" || st.To != "2026-11-03" || len(st.Days) != 7 || st.Zone != "Asia/Shanghai" {
		t.Fatalf("window %s..%s (%d days) in %s", st.From, st.To, len(st.Days), st.Zone)
	}
	if got := st.Days[5]; got != (DayStat{Date: "2026-11-02", Allowed: 1, Denied: 1}) {
		t.Errorf("11-02 in Shanghai: %+v", got)
	}
	if got := st.Days[6]; got != (DayStat{Date: "2026-11-03", Allowed: 1, Denied: 1}) {
		t.Errorf("11-03 in Shanghai: %+v", got)
	}
	want := StatTotals{OpenCases: 3, Attempts: 4, Allowed: 2, Denied: 2, Connected: 1, PromisesKept: 1, PromisesBroken: 1, PromisesOpen: 1}
	if st.Totals != want {
		t.Errorf("totals %+v, want %+v", st.Totals, want)
	}
	if st.Totals.DenialRate() != 0.5 || st.Totals.KeptRate() != 0.5 {
		t.Errorf("rates: denied %v, kept %v", st.Totals.DenialRate(), st.Totals.KeptRate())
	}
	if len(st.Categories) != 1 || st.Categories[0] != (CategoryStat{Category: "quiet_hours", Denials: 2}) {
		t.Errorf("categories %+v", st.Categories)
	}
	if len(st.Agencies) != 2 || st.Agencies[0].ID != "A" || st.Agencies[0].Denied != 2 || st.Agencies[0].Attempts != 3 ||
		st.Agencies[0].OpenCases != 2 || st.Agencies[0].PromisesKept != 1 || st.Agencies[0].PromisesBroken != 1 ||
		st.Agencies[1].ID != "B" || st.Agencies[1].Attempts != 1 || st.Agencies[1].Denied != 0 {
		t.Errorf("agencies %+v", st.Agencies)
	}
	if len(st.Collectors) != 0 {
		t.Errorf("collectors outside one agency's figures: %+v", st.Collectors)
	}
	wantWeeks := []PromiseWeek{{Week: "2026-10-26", Broken: 1}, {Week: "2026-11-02", Kept: 1, Open: 1}}
	if len(st.PromiseWeeks) != 2 || st.PromiseWeeks[0] != wantWeeks[0] || st.PromiseWeeks[1] != wantWeeks[1] {
		t.Errorf("promise weeks %+v, want %+v", st.PromiseWeeks, wantWeeks)
	}

	// Days are the zone's: in UTC the 01:00 Shanghai denial falls on 11-02.
	st, err = w.s.Stats(ctx, w.users["reg"], StatsFilter{Days: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Days) != 2 || st.Days[0] != (DayStat{Date: "2026-11-02", Allowed: 1, Denied: 2}) || st.Days[1] != (DayStat{Date: "2026-11-03", Allowed: 1}) {
		t.Errorf("UTC days %+v", st.Days)
	}

	// One agency, as its manager: its collectors' own work.
	st, err = w.s.Stats(ctx, w.users["mgr.a"], StatsFilter{AgencyID: "A", Days: 7, Zone: shanghai})
	if err != nil {
		t.Fatal(err)
	}
	if st.Totals.Attempts != 3 || st.Totals.OpenCases != 2 || len(st.Agencies) != 1 {
		t.Errorf("agency A: totals %+v, agencies %+v", st.Totals, st.Agencies)
	}
	wantCol := CollectorStat{UserID: w.users["col.a"].UserID, Username: "col.a", OpenCases: 1, Attempts: 3, Denied: 2, Connected: 1,
		PromisesKept: 1, PromisesBroken: 1}
	if len(st.Collectors) != 1 || st.Collectors[0] != wantCol {
		t.Errorf("collectors %+v, want %+v", st.Collectors, wantCol)
	}
}

func TestStatsAccess(t *testing.T) {
	w := newStatsWorld(t)
	ctx := context.Background()
	for name, tc := range map[string]struct {
		who  string
		f    StatsFilter
		kind Kind // 0: allowed
	}{
		"compliance, everyone":            {"comp", StatsFilter{}, 0},
		"regulator, one agency":           {"reg", StatsFilter{AgencyID: "B"}, 0},
		"manager, own agency":             {"mgr.a", StatsFilter{AgencyID: "A"}, 0},
		"manager, every agency":           {"mgr.a", StatsFilter{}, Forbidden},
		"manager, other agency":           {"mgr.a", StatsFilter{AgencyID: "B"}, NotFound},
		"collector, own agency":           {"col.a", StatsFilter{AgencyID: "A"}, Forbidden},
		"regulator, no such agency":       {"reg", StatsFilter{AgencyID: "Z"}, NotFound},
		"too long a window":               {"comp", StatsFilter{Days: MaxStatsDays + 1}, Invalid},
		"a negative window":               {"comp", StatsFilter{Days: -1}, Invalid},
		"the longest window":              {"comp", StatsFilter{Days: MaxStatsDays}, 0},
		"manager of other agency, theirs": {"mgr.b", StatsFilter{AgencyID: "B"}, 0},
	} {
		_, err := w.s.Stats(ctx, w.users[tc.who], tc.f)
		if tc.kind == 0 && err != nil || tc.kind != 0 && !IsKind(err, tc.kind) {
			t.Errorf("%s: %v, want kind %d", name, err, tc.kind)
		}
	}
}

func TestSetPromiseStatus(t *testing.T) {
	w := newStatsWorld(t)
	ctx := context.Background()
	prs, err := w.s.Promises(ctx, w.users["col.a"], "C1")
	if err != nil || len(prs) != 2 {
		t.Fatalf("promises: %+v, %v", prs, err)
	}
	broken, kept := prs[0], prs[1]
	if broken.Status == PromiseKept {
		broken, kept = kept, broken
	}
	if broken.Status != PromiseBroken || kept.Status != PromiseKept {
		t.Fatalf("statuses %s, %s", broken.Status, kept.Status)
	}
	for name, tc := range map[string]struct {
		who, id, status string
		kind            Kind
	}{
		"already kept":            {"col.a", kept.ID, PromiseBroken, Conflict},
		"not a status":            {"col.a", broken.ID, "open", Invalid},
		"another agency's":        {"mgr.b", broken.ID, PromiseKept, NotFound},
		"a regulator":             {"reg", broken.ID, PromiseKept, Forbidden},
		"compliance (not worked)": {"comp", broken.ID, PromiseKept, Forbidden},
		"no such promise":         {"col.a", "prm-none", PromiseKept, NotFound},
	} {
		if _, err := w.s.SetPromiseStatus(ctx, w.users[tc.who], tc.id, tc.status); !IsKind(err, tc.kind) {
			t.Errorf("%s: %v, want kind %d", name, err, tc.kind)
		}
	}
	// A promise broken by its date may still be kept (paid late), once.
	pr, err := w.s.SetPromiseStatus(ctx, w.users["mgr.a"], broken.ID, PromiseKept)
	if err != nil || pr.Status != PromiseKept {
		t.Fatalf("keeping a late promise: %+v, %v", pr, err)
	}
}

func TestLenderPack(t *testing.T) {
	s, _ := newTestService(t, time.Date(2026, 11, 2, 2, 0, 0, 0, time.UTC))
	ctx := context.Background()
	admin := Principal{Admin: true, Role: RoleAdmin, Name: "admin"}
	seedCases(t, s, []string{"A"}, "A", "A")
	borrowerPack := func(id string) string {
		t.Helper()
		b, err := s.Borrower(ctx, admin, id)
		if err != nil {
			t.Fatal(err)
		}
		return b.Pack
	}
	if got := borrowerPack("B1"); got != "cn" {
		t.Fatalf("before: %s", got)
	}
	for name, tc := range map[string]struct {
		p        Principal
		id, pack string
		existing bool
		kind     Kind
	}{
		"compliance":            {Principal{Role: RoleCompliance, Name: "comp"}, "L", "us", false, Forbidden},
		"an agency":             {Principal{AgencyID: "A", Name: "agency"}, "L", "us", false, Forbidden},
		"unknown pack":          {admin, "L", "xx", false, Invalid},
		"default for everyone":  {admin, "L", "", true, Invalid},
		"unknown lender":        {admin, "L9", "us", false, NotFound},
		"unknown lender, moved": {admin, "L9", "us", true, NotFound},
	} {
		if _, _, err := s.SetLenderPack(ctx, tc.p, tc.id, tc.pack, tc.existing); !IsKind(err, tc.kind) {
			t.Errorf("%s: %v, want kind %d", name, err, tc.kind)
		}
	}
	if l, _ := s.Lender(ctx, admin, "L"); l.Pack != "" {
		t.Fatalf("a refused change changed the pack: %q", l.Pack)
	}
	// New borrowers only.
	size, err := s.audit.Size(ctx)
	if err != nil {
		t.Fatal(err)
	}
	l, moved, err := s.SetLenderPack(ctx, admin, "L", "us", false)
	if err != nil || l.Pack != "us" || moved != 0 {
		t.Fatalf("choosing us: %+v, %d, %v", l, moved, err)
	}
	if _, err := s.CreateBorrower(ctx, admin, BorrowerInput{ID: "N1", LenderID: "L", Name: "N", Timezone: "America/New_York"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateBorrower(ctx, admin, BorrowerInput{ID: "N2", LenderID: "L", Name: "N", Timezone: "Asia/Shanghai", Pack: "cn"}); err != nil {
		t.Fatal(err)
	}
	if borrowerPack("N1") != "us" || borrowerPack("N2") != "cn" || borrowerPack("B1") != "cn" {
		t.Errorf("packs after choosing us for new borrowers: N1 %s, N2 %s, B1 %s", borrowerPack("N1"), borrowerPack("N2"), borrowerPack("B1"))
	}
	// The gate has B1 cached under cn; moving every borrower must reach it.
	a, err := s.Decide(ctx, admin, AttemptInput{CaseID: "C1", PartyID: "B1", Channel: "sms"})
	if err != nil || a.Pack != "cn" {
		t.Fatalf("before the move: %+v, %v", a, err)
	}
	l, moved, err = s.SetLenderPack(ctx, admin, "L", "us", true)
	if err != nil || moved != 3 || l.Pack != "us" {
		t.Fatalf("moving every borrower: %+v, %d, %v", l, moved, err)
	}
	if borrowerPack("B1") != "us" || borrowerPack("N2") != "us" {
		t.Errorf("after the move: B1 %s, N2 %s", borrowerPack("B1"), borrowerPack("N2"))
	}
	a, err = s.Decide(ctx, admin, AttemptInput{CaseID: "C1", PartyID: "B1", Channel: "sms"})
	if err != nil || a.Pack != "us" {
		t.Fatalf("after the move the gate decides with %+v, %v", a, err)
	}
	// Two pack events and two decisions, and the log verifies.
	if got := verifyAuditLog(t, s); got != size+4 {
		t.Fatalf("audit log grew from %d to %d, want 4 leaves", size, got)
	}
	var packs []audit.Event
	for i := size; i < size+4; i++ {
		data, err := s.audit.Leaf(ctx, i)
		if err != nil {
			t.Fatal(err)
		}
		e, err := audit.ParseLeaf(data)
		if err != nil {
			t.Fatal(err)
		}
		if e.Type == audit.TypePack {
			packs = append(packs, e)
		}
	}
	if len(packs) != 2 || packs[1].Subject["lender"] != "L" || packs[1].Facts["pack"] != "us" || packs[1].Facts["previous"] != "us" ||
		packs[1].Actor != "admin" {
		t.Errorf("pack events %+v", packs)
	}
}

// signInUsers creates the users (with testPassword) and signs each in, adding
// their principals to users by username.
func signInUsers(t *testing.T, s *Service, users map[string]Principal, in ...UserInput) {
	t.Helper()
	ctx := context.Background()
	admin := Principal{Admin: true, Role: RoleAdmin, Name: "admin"}
	for _, u := range in {
		u.Password = testPassword
		if _, err := s.CreateUser(ctx, admin, u); err != nil {
			t.Fatal(err)
		}
		_, p, err := s.Login(ctx, u.Username, testPassword, "test")
		if err != nil {
			t.Fatal(err)
		}
		users[u.Username] = p
	}
}
