package collection

import (
	"context"
	"database/sql"
	"fmt"
	mrand "math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/fairdebt/fairdebt/internal/clock"
	"github.com/fairdebt/fairdebt/internal/policy"
	"github.com/fairdebt/fairdebt/internal/secret"
	"github.com/fairdebt/fairdebt/internal/store/storetest"
)

func newTestService(t *testing.T, start time.Time) (*Service, *clock.Manual) {
	t.Helper()
	svcs, clk := newTestServices(t, start, 1)
	return svcs[0], clk
}

// newTestServices returns n services on one database with one clock, as n
// replicas of fairdebt serve sharing a PostgreSQL database are.
func newTestServices(t *testing.T, start time.Time, n int) ([]*Service, *clock.Manual) {
	t.Helper()
	dsn := storetest.DSN(t)
	keys, _, err := secret.Generate()
	if err != nil {
		t.Fatal(err)
	}
	reg, err := policy.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewManual(start)
	var svcs []*Service
	for range n {
		s, err := New(Config{DB: storetest.OpenAt(t, dsn), Keys: keys, Packs: reg, DefaultPack: "cn", Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		svcs = append(svcs, s)
	}
	return svcs, clk
}

// TestCachedSnapshotMatchesDatabase drives random operations through the service
// and, after each, checks that the gate's cached snapshot of the debtor decides
// every probe attempt exactly as a snapshot loaded afresh from the database would.
// The cache is what makes decisions fast; this is what makes it safe.
func TestCachedSnapshotMatchesDatabase(t *testing.T) {
	for _, pack := range []string{"cn", "us"} {
		t.Run(pack, func(t *testing.T) { checkCachedSnapshots(t, pack, 1) })
	}
}

// With two processes writing one PostgreSQL database, each gate's cache must
// still decide as the database would: what one process writes, the other's
// next batch forgets (store.DB.OnForeignWrites).
func TestCachedSnapshotsOfTwoProcessesMatchDatabase(t *testing.T) {
	if !storetest.Postgres() {
		t.Skip("PostgreSQL only (set FAIRDEBT_TEST_POSTGRES; .ci/run does)")
	}
	for _, pack := range []string{"cn", "us"} {
		t.Run(pack, func(t *testing.T) { checkCachedSnapshots(t, pack, 2) })
	}
}

// checkCachedSnapshots drives random operations through n services on one
// database, each operation through one of them at random, and after each checks
// every service's cached snapshot against one loaded afresh.
func checkCachedSnapshots(t *testing.T, pack string, n int) {
	tz := map[string]string{"cn": "Asia/Shanghai", "us": "America/New_York"}[pack]
	loc, _ := time.LoadLocation(tz)
	svcs, clk := newTestServices(t, time.Date(2026, 11, 2, 9, 0, 0, 0, loc), n)
	s := svcs[0]
	ctx := context.Background()
	admin := Principal{Admin: true}
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.CreateLender(ctx, admin, LenderInput{ID: "L", Name: "L"}))
	must(s.CreateAgency(ctx, admin, AgencyInput{ID: "A", Name: "A", Approved: true}))
	must(s.CreateBorrower(ctx, admin, BorrowerInput{ID: "B", LenderID: "L", Name: "B", Timezone: tz, Pack: pack}))
	must(s.CreateDebt(ctx, admin, DebtInput{ID: "D", BorrowerID: "B", Currency: "CNY", Principal: 1,
		Installments: []InstallmentInput{{DueDate: "2026-10-01", Amount: 1}}}))
	must(s.CreateCase(ctx, admin, CaseInput{ID: "C", DebtID: "D", AgencyID: "A"}))
	consent := &ConsentInput{By: "party", Method: "written", Evidence: "doc"}
	must(s.CreateParty(ctx, admin, PartyInput{ID: "E", BorrowerID: "B", Role: "emergency_contact", Name: "E", Consent: consent}))
	must(s.CreateParty(ctx, admin, PartyInput{ID: "T", BorrowerID: "B", Role: "third_party", Name: "T", Consent: consent}))

	parties := []string{"B", "B", "B", "E", "T"}
	channels := []string{"call", "call", "sms", "email"}
	results := []string{"connected", "no_answer", "busy", "voicemail", "invalid_number", "failed", "delivered", "replied"}
	holds := []string{"dispute", "cease", "plan_active"}
	rng := mrand.New(mrand.NewPCG(1, uint64(len(pack))))
	var allowed []string
	steps := 3000
	if raceEnabled || n > 1 {
		steps = 600
	}
	for step := range steps {
		s := svcs[rng.IntN(n)]
		var err error
		switch op := rng.IntN(100); {
		case op < 55:
			var a *Attempt
			purpose := []string{"collect", "locate"}[rng.IntN(2)]
			a, err = s.Decide(ctx, admin, AttemptInput{CaseID: "C", PartyID: parties[rng.IntN(len(parties))],
				Channel: channels[rng.IntN(len(channels))], Purpose: purpose})
			if err == nil && a.Allowed {
				allowed = append(allowed, a.ID)
			}
		case op < 80 && len(allowed) > 0:
			i := rng.IntN(len(allowed))
			_, err = s.Outcome(ctx, admin, allowed[i], results[rng.IntN(len(results))])
			allowed = append(allowed[:i], allowed[i+1:]...)
		case op < 84:
			_, err = s.CreateHold(ctx, admin, "B", HoldInput{Hold: holds[rng.IntN(len(holds))]})
		case op < 88:
			err = s.DeleteHold(ctx, admin, "B", holds[rng.IntN(len(holds))])
		case op < 91:
			_, err = s.CreateOptOut(ctx, admin, OptOutInput{PartyID: parties[rng.IntN(len(parties))], Channel: channels[rng.IntN(len(channels))]})
		case op < 94:
			err = s.DeleteOptOut(ctx, admin, parties[rng.IntN(len(parties))], channels[rng.IntN(len(channels))])
		case op < 95:
			_, err = s.UpdateParty(ctx, admin, "E", PartyUpdate{Objected: true})
		case op < 97:
			clk.Add(time.Duration(rng.IntN(36*60)) * time.Minute)
		}
		if err != nil && !IsKind(err, NotFound) {
			t.Fatalf("step %d: %v", step, err)
		}
		clk.Add(time.Duration(rng.IntN(20)) * time.Minute)
		for _, s := range svcs {
			compareWithFresh(t, s, step, clk.Now())
		}
	}
}

func compareWithFresh(t *testing.T, s *Service, step int, now time.Time) {
	t.Helper()
	err := s.db.Update(context.Background(), func(tx *sql.Tx) error {
		cached, ok := s.debtors["B"]
		if !ok {
			return nil
		}
		delete(s.debtors, "B")
		fresh, err := s.debtorState(context.Background(), tx, "B", now)
		s.debtors["B"] = cached // keep the cache accumulating across steps
		if err != nil {
			return err
		}
		for _, party := range []string{"B", "E", "T"} {
			for _, ch := range []policy.Channel{policy.Call, policy.SMS, policy.Email, policy.Visit} {
				for _, purpose := range []policy.Purpose{policy.Collect, policy.Locate} {
					a := policy.Attempt{Party: party, Channel: ch, At: now, Purpose: purpose, Collectors: 2, CallerIDRegistered: true}
					dc := cached.evaluate(&a)
					df := fresh.evaluate(&a)
					if !reflect.DeepEqual(dc, df) {
						return fmt.Errorf("step %d, %s %s %s: cached decision %+v, fresh %+v", step, party, ch, purpose, dc, df)
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestTrimKeepsWhatRulesSee checks the history trimming rule directly: everything in
// the window, the last keepLast contacts with the debtor however old, and, when the
// pack has a once-only rule, every contact with anyone else.
func TestTrimKeepsWhatRulesSee(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	debtorDays := []int{30, 20, 15, 12, 5, 1} // 5 and 1 are in the window
	for _, keepAll := range []bool{false, true} {
		st := &debtorState{window: 8 * 25 * time.Hour, keepLast: 3, keepAll: keepAll}
		for d := 30; d >= 0; d-- {
			at := now.Add(-time.Duration(d) * 24 * time.Hour)
			if slices.Contains(debtorDays, d) {
				st.add(fmt.Sprintf("d%02d", d), policy.Debtor, policy.Contact{At: at, Party: "B"}, now)
			}
			st.add(fmt.Sprintf("e%02d", d), policy.EmergencyContact, policy.Contact{At: at, Party: "E"}, now)
		}
		st.trim(now)
		kept := map[string]bool{}
		for _, id := range st.ids {
			kept[id] = true
		}
		for _, d := range debtorDays {
			want := d <= 12 // in the window (5, 1), or among the last 3 with the debtor (12, 5, 1)
			if kept[fmt.Sprintf("d%02d", d)] != want {
				t.Errorf("keepAll=%v: debtor contact %d days old kept=%v, want %v", keepAll, d, !want, want)
			}
		}
		for d := 30; d >= 0; d-- {
			if want := d <= 8 || keepAll; kept[fmt.Sprintf("e%02d", d)] != want {
				t.Errorf("keepAll=%v: contact with another person %d days old kept=%v, want %v", keepAll, d, !want, want)
			}
		}
		if len(st.history) != len(st.ids) || len(st.ids) != len(st.roles) {
			t.Fatal("trim left the parallel slices out of step")
		}
		for i := 1; i < len(st.history); i++ {
			if st.history[i].At.Before(st.history[i-1].At) {
				t.Fatal("trim reordered the history")
			}
		}
	}
}
