package collection

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	mrand "math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/fairdebt/fairdebt/internal/policy"
)

// The worklist's preview reads the state of every debtor it has not cached in a
// few queries for all of them: TestPreviewStatesMatchDebtorState checks that
// what it reads is what the gate reads one debtor at a time, through a random
// history of attempts, outcomes, holds, opt-outs, objections and inconvenient
// times, for debtors under the cn and us packs.
func TestPreviewStatesMatchDebtorState(t *testing.T) {
	s, clk := newTestService(t, time.Date(2026, 11, 2, 1, 0, 0, 0, time.UTC))
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
	consent := &ConsentInput{By: "party", Method: "written", Evidence: "doc"}
	borrowers := []string{"B1", "B2", "B3", "B4"}
	var cases []string
	for i, b := range borrowers {
		tz, pack := "Asia/Shanghai", "cn"
		if i%2 == 1 {
			tz, pack = "America/New_York", "us"
		}
		must(s.CreateBorrower(ctx, admin, BorrowerInput{ID: b, LenderID: "L", Name: b, Timezone: tz, Pack: pack}))
		must(s.CreateDebt(ctx, admin, DebtInput{ID: "D" + b, BorrowerID: b, Currency: "CNY", Principal: 1,
			Installments: []InstallmentInput{{DueDate: "2026-10-01", Amount: 1}}}))
		must(s.CreateCase(ctx, admin, CaseInput{ID: "C" + b, DebtID: "D" + b, AgencyID: "A"}))
		cases = append(cases, "C"+b)
		if i < 3 {
			must(s.CreateParty(ctx, admin, PartyInput{ID: "E" + b, BorrowerID: b, Role: "emergency_contact", Name: "E", Consent: consent}))
			must(s.CreateParty(ctx, admin, PartyInput{ID: "T" + b, BorrowerID: b, Role: "third_party", Name: "T", Consent: consent}))
		}
	}
	channels := []string{"call", "call", "sms", "email"}
	results := []string{"connected", "no_answer", "busy", "voicemail", "invalid_number", "failed", "delivered", "replied"}
	holds := []string{"dispute", "cease", "plan_active"}
	rng := mrand.New(mrand.NewPCG(7, 11))
	var allowed []string
	seen := map[string]bool{}
	for step := range 400 {
		b := borrowers[rng.IntN(len(borrowers))]
		party := []string{b, b, b, "E" + b, "T" + b}[rng.IntN(5)]
		var err error
		switch op := rng.IntN(100); {
		case op < 60:
			var a *Attempt
			a, err = s.Decide(ctx, admin, AttemptInput{CaseID: "C" + b, PartyID: party, Channel: channels[rng.IntN(len(channels))],
				Purpose: []string{"collect", "locate"}[rng.IntN(2)]})
			if err == nil && a.Allowed {
				allowed = append(allowed, a.ID)
			}
		case op < 80 && len(allowed) > 0:
			i := rng.IntN(len(allowed))
			_, err = s.Outcome(ctx, admin, allowed[i], results[rng.IntN(len(results))])
			allowed = slices.Delete(allowed, i, i+1)
		case op < 84:
			_, err = s.CreateHold(ctx, admin, b, HoldInput{Hold: holds[rng.IntN(len(holds))]})
		case op < 88:
			err = s.DeleteHold(ctx, admin, b, holds[rng.IntN(len(holds))])
		case op < 92:
			_, err = s.CreateOptOut(ctx, admin, OptOutInput{PartyID: party, Channel: channels[rng.IntN(len(channels))]})
		case op < 94:
			err = s.DeleteOptOut(ctx, admin, party, channels[rng.IntN(len(channels))])
		case op < 95:
			_, err = s.UpdateParty(ctx, admin, "E"+b, PartyUpdate{Objected: true})
		case op < 96:
			_, err = s.SetInconvenientTimes(ctx, admin, b, [][]string{nil, {"09:00-12:00"}, {"12:30-13:30", "18:00-20:00"}}[rng.IntN(3)])
		case op < 98:
			clk.Add(time.Duration(rng.IntN(48*60)) * time.Minute)
		}
		if err != nil && !IsKind(err, NotFound) && !IsKind(err, Invalid) {
			t.Fatalf("step %d: %v", step, err)
		}
		clk.Add(time.Duration(rng.IntN(30)) * time.Minute)
		if step%20 == 19 {
			for _, st := range comparePreviewStates(t, s, step, borrowers, cases, clk.Now()) {
				seen["hold"] = seen["hold"] || st.debtor.Holds != 0
				seen["opt-out"] = seen["opt-out"] || len(st.optouts) > 0
				seen["inconvenient time"] = seen["inconvenient time"] || len(st.debtor.Inconvenient) > 0
				seen["objection"] = seen["objection"] || slices.ContainsFunc(st.parties, func(p policy.Party) bool { return p.Objected })
				seen["attempt before the window"] = seen["attempt before the window"] ||
					len(st.history) > 0 && st.history[0].At.Before(clk.Now().Add(-st.window))
				seen["attempt in the window"] = seen["attempt in the window"] ||
					len(st.history) > 0 && !st.history[len(st.history)-1].At.Before(clk.Now().Add(-st.window))
			}
		}
	}
	for _, what := range []string{"hold", "opt-out", "inconvenient time", "objection", "attempt before the window", "attempt in the window"} {
		if !seen[what] {
			t.Errorf("no state compared had an %s", what)
		}
	}
}

// comparePreviewStates checks previewStates against debtorState, both reading
// the database afresh, state by state and decision by decision.
func comparePreviewStates(t *testing.T, s *Service, step int, borrowers, cases []string, now time.Time) map[string]*debtorState {
	t.Helper()
	ctx := context.Background()
	var batch map[string]*debtorState
	err := s.db.Update(ctx, func(tx *sql.Tx) error {
		clear(s.debtors)
		clear(s.cases)
		infos, err := s.previewCases(ctx, tx, append(cases, "NOPE"))
		if err != nil {
			return err
		}
		batch, err = s.previewStates(ctx, tx, append(borrowers, borrowers[0]), now)
		if err != nil {
			return err
		}
		if len(batch) != len(borrowers) {
			return fmt.Errorf("step %d: %d states for %d borrowers", step, len(batch), len(borrowers))
		}
		for _, c := range cases {
			want, err := s.caseInfo(ctx, tx, c)
			if err != nil {
				return err
			}
			if infos[c] != want {
				return fmt.Errorf("step %d, case %s: %+v, caseInfo says %+v", step, c, infos[c], want)
			}
		}
		if _, ok := infos["NOPE"]; ok {
			return fmt.Errorf("step %d: a case that does not exist has facts", step)
		}
		for _, b := range borrowers {
			want, err := s.debtorState(ctx, tx, b, now)
			if err != nil {
				return err
			}
			got := batch[b]
			byPartyChannel := func(x, y policy.OptOut) int {
				return cmp.Or(cmp.Compare(x.Party, y.Party), cmp.Compare(x.Channel, y.Channel))
			}
			slices.SortFunc(got.optouts, byPartyChannel)
			slices.SortFunc(want.optouts, byPartyChannel)
			if !reflect.DeepEqual(got, want) {
				return fmt.Errorf("step %d, %s: preview state\n%+v\ndebtorState\n%+v", step, b, *got, *want)
			}
			for _, party := range []string{b, "E" + b, "T" + b} {
				for _, ch := range []policy.Channel{policy.Call, policy.SMS, policy.Email, policy.Visit} {
					a := policy.Attempt{Party: party, Channel: ch, At: now, Purpose: policy.Collect, Collectors: 1, CallerIDRegistered: true}
					if dg, dw := got.evaluate(&a), want.evaluate(&a); !reflect.DeepEqual(dg, dw) {
						return fmt.Errorf("step %d, %s %s: preview decides %+v, the gate %+v", step, party, ch, dg, dw)
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return batch
}
