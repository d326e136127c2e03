package collection

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fairdebt/fairdebt/internal/policy"
)

// Decisions queued together with nothing cached load their cases and debtors
// together (prefetch), not one at a time; what they load is what the gate
// loads one at a time, and they decide as it would.
func TestPrefetchLoadsWhatTheQueuedDecisionsNeed(t *testing.T) {
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	s, _ := newTestService(t, time.Date(2026, 11, 2, 10, 0, 0, 0, shanghai))
	ctx := context.Background()
	const n = 8
	agencies := make([]string, n)
	for i := range agencies {
		agencies[i] = "A"
	}
	seedCases(t, s, []string{"A"}, agencies...)
	forget := func() {
		t.Helper()
		if err := s.db.Update(ctx, func(*sql.Tx) error { clear(s.debtors); clear(s.cases); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	forget()
	// Hold the writer so that the decisions queue up and share one batch.
	hold, release := make(chan struct{}), make(chan struct{})
	go s.db.Update(ctx, func(*sql.Tx) error { close(hold); <-release; return nil })
	<-hold
	agency := Principal{AgencyID: "A", Name: "A"}
	var wg sync.WaitGroup
	got := make([]*Attempt, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = s.Decide(ctx, agency, AttemptInput{CaseID: fmt.Sprintf("C%d", i+1), PartyID: fmt.Sprintf("B%d", i+1), Channel: "call"})
		}()
		for s.db.Queued() < i+1 {
			runtime.Gosched()
		}
	}
	loads := s.debtorLoads
	close(release)
	wg.Wait()
	for i := range n {
		if errs[i] != nil || !got[i].Allowed {
			t.Fatalf("decision %d: %+v, %v; want the first call allowed", i, got[i], errs[i])
		}
	}
	if l := s.debtorLoads - loads; l != 0 {
		t.Errorf("%d debtors loaded one at a time, want none: the first decision's prefetch loads them all", l)
	}
	// The states prefetched and kept current decide as states loaded afresh.
	err := s.db.Update(ctx, func(tx *sql.Tx) error {
		now := s.now()
		for i := range n {
			b := fmt.Sprintf("B%d", i+1)
			cached := s.debtors[b]
			if cached == nil {
				return fmt.Errorf("%s not cached", b)
			}
			delete(s.debtors, b)
			fresh, err := s.debtorState(ctx, tx, b, now)
			if err != nil {
				return err
			}
			for _, ch := range []policy.Channel{policy.Call, policy.SMS} {
				for _, at := range []time.Time{now, now.Add(time.Hour), now.Add(30 * time.Hour)} {
					a := policy.Attempt{Party: b, Channel: ch, At: at, Purpose: policy.Collect, Collectors: 1, CallerIDRegistered: true}
					if dc, df := cached.evaluate(&a), fresh.evaluate(&a); !reflect.DeepEqual(dc, df) {
						return fmt.Errorf("%s, %s at %v: the prefetched state decides %+v, a fresh one %+v", b, ch, at, dc, df)
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

// The worklist's preview decides debtors the gate has cached on the writer and
// reads the others from the readers, in parallel parts: both ways give the same
// previews.
func TestPreviewCallsCachedOrRead(t *testing.T) {
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	s, _ := newTestService(t, time.Date(2026, 11, 2, 10, 0, 0, 0, shanghai))
	ctx := context.Background()
	admin := Principal{Admin: true, Role: RoleAdmin, Name: "admin"}
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	n := 2*previewPart + 10 // two parts on two CPUs or more
	must(s.CreateLender(ctx, admin, LenderInput{ID: "L", Name: "L"}))
	must(s.CreateAgency(ctx, admin, AgencyInput{ID: "A", Name: "A", Approved: true}))
	var ids []string
	for i := range n {
		b := fmt.Sprintf("B%d", i)
		must(s.CreateBorrower(ctx, admin, BorrowerInput{ID: b, LenderID: "L", Name: b, Timezone: "Asia/Shanghai",
			ContactMethods: []ContactMethodInput{{Kind: "phone", Value: fmt.Sprintf("+86138%08d", i)}}}))
		must(s.CreateDebt(ctx, admin, DebtInput{ID: "D" + b, BorrowerID: b, Currency: "CNY", Principal: 1,
			Installments: []InstallmentInput{{DueDate: "2026-10-01", Amount: 1}}}))
		c := fmt.Sprintf("C%d", i)
		must(s.CreateCase(ctx, admin, CaseInput{ID: c, DebtID: "D" + b, AgencyID: "A"}))
		ids = append(ids, c)
		switch i % 5 {
		case 1:
			must(s.CreateOptOut(ctx, admin, OptOutInput{PartyID: b, Channel: "call", Source: "call"}))
		case 2:
			must(s.CreateHold(ctx, admin, b, HoldInput{Hold: "dispute"}))
		case 3:
			must(s.Decide(ctx, Principal{AgencyID: "A", Name: "A"}, AttemptInput{CaseID: c, PartyID: b, Channel: "call"}))
		case 4:
			if i%10 == 4 {
				must(s.SetCaseStatus(ctx, admin, c, CasePaused))
			}
		}
	}
	agency := Principal{AgencyID: "A", Name: "A"}
	preview := func(cached bool) map[string]CallPreview {
		t.Helper()
		err := s.db.Update(ctx, func(tx *sql.Tx) error {
			clear(s.debtors)
			clear(s.cases)
			if !cached {
				return nil
			}
			for _, id := range ids {
				c, err := s.caseInfo(ctx, tx, id)
				if err != nil {
					return err
				}
				if _, err := s.debtorState(ctx, tx, c.borrowerID, s.now()); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		pv, err := s.PreviewCalls(ctx, agency, append(slices.Clone(ids), "NOPE"))
		if err != nil {
			t.Fatal(err)
		}
		return pv
	}
	read, cached := preview(false), preview(true)
	if !reflect.DeepEqual(read, cached) {
		t.Errorf("previews read from the readers differ from those of cached states")
	}
	if want := n - n/10; len(read) != want {
		t.Errorf("%d previews, want %d (the open cases)", len(read), want)
	}
	allowed := 0
	for _, pv := range read {
		if pv.Allowed {
			allowed++
		}
	}
	if allowed == 0 || allowed == len(read) {
		t.Errorf("%d of %d previews allow a call: want some of each", allowed, len(read))
	}
}
