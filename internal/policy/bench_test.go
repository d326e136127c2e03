package policy

import (
	"testing"
	"time"
	"unicode/utf8"
)

// benchInput is a realistic case: the debtor and three emergency contacts, 50
// history entries over the last two weeks, and a 120-character message.
func benchInput(b testing.TB) (*Pack, *Snapshot, *Attempt) {
	loc := mustLoc(b, sh)
	snap := &Snapshot{
		Debtor: DebtorInfo{ID: "D-20261124-0001", Location: loc},
		Parties: []Party{
			{ID: "D-20261124-0001", Role: Debtor},
			{ID: "EC-1", Role: EmergencyContact, Consent: true, Relation: "parent"},
			{ID: "EC-2", Role: EmergencyContact, Consent: true, Relation: "sibling"},
			{ID: "EC-3", Role: EmergencyContact, Consent: true, Relation: "friend"},
		},
		OptOuts: []OptOut{{Party: "EC-3", Channel: SMS}},
	}
	now := time.Date(2026, 11, 24, 16, 30, 0, 0, loc)
	results := []Result{NoAnswer, Busy, Connected, Voicemail, NoAnswer, Delivered}
	parties := []string{"D-20261124-0001", "D-20261124-0001", "D-20261124-0001", "EC-1", "EC-2"}
	for i := range 50 {
		ch := Call
		if i%4 == 3 {
			ch = SMS
		}
		snap.History = append(snap.History, Contact{
			At:      now.Add(-time.Duration(50-i) * 6 * time.Hour),
			Party:   parties[i%len(parties)],
			Channel: ch,
			Result:  results[i%len(results)],
		})
	}
	msg := "张先生您好，这里是某某消费金融公司客户服务中心。您的账户本期应还款项尚未结清，如您在还款方面遇到困难，可以回电与我们协商分期或延期方案。我们的工作时间是每天上午九点至晚上八点，回电号码请以官方公布为准，请勿相信任何其他渠道发送的收款账户信息。感谢您的理解与配合，祝您生活愉快。"
	for utf8.RuneCountInString(msg) > 120 {
		_, size := utf8.DecodeLastRuneInString(msg)
		msg = msg[:len(msg)-size]
	}
	if n := utf8.RuneCountInString(msg); n != 120 {
		b.Fatalf("message has %d characters, want 120", n)
	}
	a := &Attempt{Party: "D-20261124-0001", Channel: Call, At: now, Purpose: Collect, Message: msg, Collectors: 1, CallerIDRegistered: true}
	return mustPack(b, "cn"), snap, a
}

// BenchmarkEvaluate measures one decision on a realistic snapshot. The target is at
// least 500,000 evaluations per second on one core (≤ 2 µs) with at most 5
// allocations each: run with -cpu 1.
func BenchmarkEvaluate(b *testing.B) {
	p, snap, a := benchInput(b)
	b.ReportAllocs()
	var d Decision
	for b.Loop() {
		d = Evaluate(p, snap, a)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "evals/s")
	if !d.Allowed {
		b.Fatalf("benchmark case should be allowed: %+v", d.Violations)
	}
}

// BenchmarkEvaluateDenied measures a denial that also computes next_allowed_at.
func BenchmarkEvaluateDenied(b *testing.B) {
	p, snap, a := benchInput(b)
	a.At = time.Date(2026, 11, 24, 22, 30, 0, 0, a.At.Location())
	b.ReportAllocs()
	var d Decision
	for b.Loop() {
		d = Evaluate(p, snap, a)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "evals/s")
	if d.Allowed || d.NextAllowedAt.IsZero() {
		b.Fatalf("benchmark case should be denied with a next time: %+v", d)
	}
}

// TestEvaluateAllocations holds the allocation budget of the hot path: it counts
// allocations, which do not depend on machine load.
func TestEvaluateAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under the race detector (sync.Pool drops items on purpose); .ci/run runs this test without -race")
	}
	p, snap, a := benchInput(t)
	if n := testing.AllocsPerRun(100, func() { Evaluate(p, snap, a) }); n > 5 {
		t.Errorf("Evaluate allocates %.0f times per call, budget 5", n)
	}
	a.At = time.Date(2026, 11, 24, 22, 30, 0, 0, a.At.Location())
	if n := testing.AllocsPerRun(100, func() { Evaluate(p, snap, a) }); n > 5 {
		t.Errorf("a denied Evaluate allocates %.0f times per call, budget 5", n)
	}
}

// TestEvaluateLoop runs the benchmark's decision a fixed number of times, for
// instruction counts that do not drift with machine load:
//
//	go test -c -o /tmp/policy.test ./internal/policy
//	GODEBUG=asyncpreemptoff=1 GOMAXPROCS=1 valgrind --tool=callgrind /tmp/policy.test -test.run TestEvaluateLoop
func TestEvaluateLoop(t *testing.T) {
	p, snap, a := benchInput(t)
	for range 2000 {
		if d := Evaluate(p, snap, a); !d.Allowed {
			t.Fatalf("benchmark case should be allowed: %+v", d.Violations)
		}
	}
}
