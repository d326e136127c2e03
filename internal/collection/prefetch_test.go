package collection

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"runtime"
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
