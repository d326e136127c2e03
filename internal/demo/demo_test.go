package demo

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/fairdebt/fairdebt/internal/collection"
	"github.com/fairdebt/fairdebt/internal/policy"
	"github.com/fairdebt/fairdebt/internal/secret"
	"github.com/fairdebt/fairdebt/internal/store/storetest"
)

// TestSeedPutsBorrowersInEveryState seeds the demo at a fixed afternoon in Beijing
// and checks, through the gate, that each state promised by --demo is really there.
func TestSeedPutsBorrowersInEveryState(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	keys, _, err := secret.Generate()
	if err != nil {
		t.Fatal(err)
	}
	reg, _ := policy.Builtin()
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	now := time.Date(2026, 11, 24, 15, 30, 0, 0, shanghai) // 01:30 in New York: US borrowers are in quiet hours
	r, err := Seed(ctx, Config{DB: db, Keys: keys, Packs: reg, Pack: "cn", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Seed(ctx, Config{DB: db, Keys: keys, Packs: reg, Pack: "cn", Now: now}); err == nil {
		t.Error("seeding twice was not refused")
	}
	svc, err := collection.New(collection.Config{DB: db, Keys: keys, Packs: reg, DefaultPack: "cn", Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	admin := collection.Principal{Admin: true}
	borrowers, err := svc.Borrowers(ctx, admin, collection.Page{Limit: 1000})
	if err != nil || len(borrowers) != 200 || r.Borrowers != 200 {
		t.Fatalf("%d borrowers (%v), want 200", len(borrowers), err)
	}
	if r.Attempts == 0 {
		t.Error("no history was seeded")
	}
	// The dashboards have something to show: attempts allowed and denied, and
	// promises kept and broken.
	st, err := svc.Stats(ctx, admin, collection.StatsFilter{Days: 14, Zone: shanghai})
	if err != nil {
		t.Fatal(err)
	}
	if tt := st.Totals; tt.Allowed == 0 || tt.Denied == 0 || tt.PromisesKept == 0 || tt.PromisesBroken == 0 {
		t.Errorf("the demo's figures: %+v", tt)
	}
	for _, tok := range []string{r.AdminToken, r.AgencyToken, r.OtherAgencyToken} {
		if _, err := svc.Authenticate(ctx, tok); err != nil {
			t.Errorf("demo token refused: %v", err)
		}
	}
	if _, err := svc.Authenticate(ctx, r.UnapprovedAgencyToken); !collection.IsKind(err, collection.Forbidden) {
		t.Errorf("the unapproved agency's token: %v, want forbidden", err)
	}
	// The sample borrower signs in to the portal with the printed number.
	if bs, err := svc.FindParties(ctx, admin, collection.ContactMethodInput{Kind: "phone", Value: r.SamplePhone}); err != nil || len(bs) != 1 ||
		bs[0].ID != r.SampleParty || bs[0].Role != "debtor" {
		t.Errorf("the sample phone %s: %+v, %v", r.SamplePhone, bs, err)
	}
	// Complaints in every state the pages show, and a report of a call on no record.
	for name, tc := range map[string]struct {
		f    collection.ComplaintFilter
		want int
	}{
		"escalated (one overdue, one rated unsatisfied)": {collection.ComplaintFilter{Escalated: true}, 2},
		"due within three days":                          {collection.ComplaintFilter{DueSoon: true}, 1},
		"under investigation":                            {collection.ComplaintFilter{State: collection.ComplaintInvestigating}, 1},
	} {
		if list, err := svc.Complaints(ctx, admin, tc.f); err != nil || len(list) != tc.want {
			t.Errorf("%s: %d complaints, %v; want %d", name, len(list), err, tc.want)
		}
	}
	if reports, err := svc.Reports(ctx, admin, true); err != nil || len(reports) != 1 || len(reports[0].Agencies) != 1 {
		t.Errorf("flagged reports: %+v, %v", reports, err)
	}
	// The collectors have worklists.
	for _, l := range r.Logins {
		if l.Role != collection.RoleCollector {
			continue
		}
		_, p, err := svc.Login(ctx, l.Username, l.Password, "demo-test")
		if err != nil {
			t.Fatal(err)
		}
		if cs, err := svc.Cases(ctx, p, collection.CaseFilter{}, collection.Page{}); err != nil || len(cs) < 20 {
			t.Errorf("%s's worklist: %d cases, %v", l.Username, len(cs), err)
		}
	}
	// One web login per role, each signing in with its printed password.
	var roles []string
	for _, l := range r.Logins {
		p, err := func() (collection.Principal, error) {
			_, p, err := svc.Login(ctx, l.Username, l.Password, "demo-test")
			return p, err
		}()
		if err != nil || p.Role != l.Role || p.AgencyID != l.AgencyID {
			t.Errorf("demo login %s: %+v, %v", l.Username, p, err)
		}
		if !slices.Contains(roles, l.Role) {
			roles = append(roles, l.Role)
		}
	}
	for _, role := range collection.Roles {
		if !slices.Contains(roles, role) {
			t.Errorf("no demo login has the role %s", role)
		}
	}

	// decide asks the gate about borrower i (0-based) and returns the violated categories.
	decide := func(i int, party func(p []collection.Party) string, channel, purpose string) (bool, []string) {
		t.Helper()
		id := borrowers[i].ID
		parties, err := svc.Parties(ctx, admin, id)
		if err != nil {
			t.Fatal(err)
		}
		a, err := svc.Decide(ctx, admin, collection.AttemptInput{CaseID: "C" + id[1:], PartyID: party(parties), Channel: channel, Purpose: purpose})
		if err != nil {
			t.Fatal(err)
		}
		var cats []string
		for _, v := range a.Decision.Violations {
			cats = append(cats, v.Category)
		}
		return a.Allowed, cats
	}
	debtor := func(p []collection.Party) string { return p[0].ID }
	role := func(r string) func(p []collection.Party) string {
		return func(p []collection.Party) string {
			for _, x := range p {
				if x.Role == r {
					return x.ID
				}
			}
			t.Fatalf("no %s", r)
			return ""
		}
	}
	objected := func(p []collection.Party) string {
		for _, x := range p {
			if x.ObjectedAt != nil {
				return x.ID
			}
		}
		t.Fatal("no objecting contact")
		return ""
	}
	index := func(s State, cn bool) int { // the first borrower in state s in China (or the US)
		for i := range borrowers {
			state := State(i % int(numStates))
			if i%10 == 9 {
				state = State((i / 10) % int(numStates))
			}
			if state == s && (i%10 != 9) == cn {
				return i
			}
		}
		t.Fatalf("no borrower in state %d", s)
		return -1
	}
	check := func(name string, i int, party func([]collection.Party) string, channel, purpose string, wantAllowed bool, wantCat string) {
		t.Run(name, func(t *testing.T) {
			allowed, cats := decide(i, party, channel, purpose)
			if allowed != wantAllowed || (wantCat != "" && !slices.Contains(cats, wantCat)) {
				t.Errorf("%s: allowed %v %v, want allowed %v with %q", borrowers[i].ID, allowed, cats, wantAllowed, wantCat)
			}
		})
	}
	check("fresh debtor may be called", index(Fresh, true), debtor, "call", "collect", true, "")
	check("unreachable debtor: consented contact may be asked to pass a message", index(Unreachable, true), role("emergency_contact"), "call", "locate", true, "")
	check("capped today", index(CappedToday, true), debtor, "call", "collect", false, policy.CatFrequency)
	check("objecting contact", index(ContactObjected, true), objected, "call", "locate", false, "")
	check("opted out of sms", index(OptedOutSMS, true), debtor, "sms", "collect", false, policy.CatOptOut)
	check("third party never", 0, role("third_party"), "call", "locate", false, policy.CatThirdParty)
	check("reachable debtor: contacts closed", index(Fresh, true), role("emergency_contact"), "call", "locate", false, policy.CatThirdParty)
	check("US borrower at 01:30 local", index(Fresh, false), debtor, "call", "collect", false, policy.CatQuietHours)

	// Disputes stop US collection; plans are recorded for every borrower.
	for _, s := range []State{Disputed, PlanActive} {
		b, err := svc.Borrower(ctx, admin, borrowers[index(s, true)].ID)
		if err != nil || len(b.Holds) != 1 {
			t.Errorf("state %d: holds %v (%v)", s, b.Holds, err)
		}
	}
	if plans, err := svc.Plans(ctx, admin, borrowers[index(PlanActive, true)].ID); err != nil || len(plans) != 1 || plans[0].State != collection.PlanActive {
		t.Errorf("the plan in force: %+v, %v", plans, err)
	}
	us := index(Disputed, false)
	now = now.Add(10 * time.Hour) // 11:30 in New York
	check("US disputed debtor", us, debtor, "call", "collect", false, policy.CatStatusHold)
	check("US talked yesterday", index(Talked, false), debtor, "call", "collect", false, policy.CatPostConversation)
}
