package evidence

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/fairdebt/fairdebt/internal/evidence/export"
	"github.com/fairdebt/fairdebt/internal/policy"
	"github.com/fairdebt/fairdebt/internal/screen"
)

func mustPack(t testing.TB, name string) *policy.Pack {
	t.Helper()
	reg, err := policy.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	p, err := reg.Get(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func newAnalyzer(t testing.TB, pack, zone string, collectors ...Collector) *Analyzer {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(Config{Pack: mustPack(t, pack), Screener: screen.Default(), Location: loc, Collectors: collectors})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// shanghai returns 2026-11-dd hh:mm in Shanghai.
func shanghai(dd, hh, mm int) time.Time {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	return time.Date(2026, 11, dd, hh, mm, 0, 0, loc)
}

func call(at time.Time, number string, outcome export.Outcome, line int) export.Record {
	r := export.Record{Kind: export.Call, In: outcome != export.Outgoing, Outcome: outcome, At: at, Number: number, Line: line}
	if outcome == export.Answered || outcome == export.Outgoing {
		r.Duration = 40 * time.Second
	}
	return r
}

func sms(at time.Time, number, text string, line int) export.Record {
	return export.Record{Kind: export.SMS, In: true, At: at, Number: number, Text: text, Line: line}
}

func rules(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Rule)
	}
	return out
}

// Under cn: a call at 23:00 is in quiet hours; a fourth connected call on one
// day is over the cap (3, counted across the creditor's numbers); a threat is
// prohibited content, with its words; a friend's number (a saved contact) is
// not collection, and neither is an unknown number's message about dinner.
func TestAnalyzeCN(t *testing.T) {
	a := newAnalyzer(t, "cn", "Asia/Shanghai", Collector{Number: "+86 138 0000 0001", Label: "Synthetic Lender A"},
		Collector{Number: "13800000002", Label: "Synthetic Lender A"})
	owner, err := a.AddSource(Source{File: "calls.xml", Role: Owner})
	if err != nil {
		t.Fatal(err)
	}
	recs := []export.Record{
		call(shanghai(3, 9, 0), "13800000001", export.Answered, 3),
		call(shanghai(3, 10, 0), "+8613800000002", export.Answered, 4),
		call(shanghai(3, 11, 0), "13800000001", export.Answered, 5),
		call(shanghai(3, 12, 0), "008613800000002", export.Answered, 6), // the fourth connected call
		call(shanghai(3, 23, 0), "13800000001", export.Missed, 7),       // quiet hours
		sms(shanghai(4, 10, 0), "13800000001", "我们是法院的，明天来抓你", 8),
		{Kind: export.Call, In: true, Outcome: export.Answered, At: shanghai(3, 23, 30), Number: "13900000009", Name: "Synthetic Friend", Duration: time.Minute, Line: 9},
		sms(shanghai(4, 11, 0), "13900000010", "晚上一起吃饭吗", 10),
	}
	for _, r := range recs {
		a.Add(owner, r)
	}
	res := a.Result()
	got := rules(res.Findings)
	for _, want := range []string{"cn.quiet_hours", "cn.content.prohibited", "cn.frequency.connected_calls_per_day"} {
		if !slices.Contains(got, want) {
			t.Errorf("no %s in %v", want, got)
		}
	}
	if res.ByCategory[policy.CatFrequency] != 1 || res.ByCategory[policy.CatQuietHours] != 1 {
		t.Errorf("by category %v (findings %v)", res.ByCategory, got)
	}
	for _, f := range res.Findings {
		switch f.Category {
		case policy.CatFrequency:
			if f.Line != 6 || f.Collector != "Synthetic Lender A" || f.Citation == "" || f.Confidence == "" {
				t.Errorf("the cap finding: %+v", f)
			}
		case policy.CatProhibitedContent:
			if len(f.Spans) == 0 || f.Text == "" || f.Reason.ZH == "" || f.Reason.EN == "" {
				t.Errorf("the content finding: %+v", f)
			}
		}
	}
	if len(res.Collectors) != 2 {
		t.Errorf("collectors %+v", res.Collectors)
	}
	if len(res.Days) != 2 || res.Days[0].Calls != 5 || res.Days[0].Answered != 4 || res.Days[0].Flagged != 2 || res.Days[1].Messages != 1 {
		t.Errorf("days %+v", res.Days)
	}
	if res.Sources[0].Records != len(recs) || res.Sources[0].Collection != 6 {
		t.Errorf("stats %+v", res.Sources[0])
	}
}

// Under us: a call within seven days after a conversation, and an eighth call
// in seven days. A number that is not named but sends a collection message is
// a collector's: its calls count too.
func TestAnalyzeUSInfersCollectors(t *testing.T) {
	a := newAnalyzer(t, "us", "America/New_York")
	owner, _ := a.AddSource(Source{File: "export.csv", Role: Owner})
	ny, _ := time.LoadLocation("America/New_York")
	day := func(d, h int) time.Time { return time.Date(2026, 11, d, h, 0, 0, 0, ny) }
	a.Add(owner, call(day(2, 10), "+1 202 555 0101", export.Answered, 2)) // a conversation
	a.Add(owner, call(day(4, 10), "2025550101", export.Missed, 3))        // within 7 days of it
	a.Add(owner, sms(day(5, 10), "(202) 555-0101", "Your payment is overdue. Pay today.", 4))
	res := a.Result()
	if !slices.Contains(rules(res.Findings), "us.frequency.post_conversation") && res.ByCategory[policy.CatPostConversation] == 0 {
		t.Fatalf("no post-conversation finding: %v", rules(res.Findings))
	}
	for _, f := range res.Findings {
		if f.Category == policy.CatPostConversation && f.Assumption != "unlabelled_numbers" {
			t.Errorf("an inferred number's finding does not say what it assumes: %+v", f)
		}
	}
	if len(res.Collectors) != 1 || res.Collectors[0].Known || res.Collectors[0].Calls != 2 {
		t.Errorf("collectors %+v", res.Collectors)
	}
}

// A friend's export: the collector called the friend and told them about the
// debt by message. Toward a third party the debt words are a disclosure.
func TestAnalyzeThirdParty(t *testing.T) {
	a := newAnalyzer(t, "cn", "Asia/Shanghai", Collector{Number: "13800000001", Label: "Synthetic Lender A"})
	owner, _ := a.AddSource(Source{File: "mine.xml", Role: Owner})
	friend, _ := a.AddSource(Source{File: "friend.xml", Role: ThirdParty, Label: "colleague"})
	a.Add(owner, call(shanghai(3, 9, 0), "13800000001", export.Answered, 2))
	a.Add(friend, call(shanghai(3, 10, 0), "13800000001", export.Answered, 2))
	a.Add(friend, sms(shanghai(3, 10, 5), "13800000001", "你同事张某欠款逾期三个月，请转告他尽快还款", 3))
	res := a.Result()
	var disclosure, thirdParty bool
	for _, f := range res.Findings {
		if f.Person != "colleague" && f.Role != "owner" {
			t.Errorf("a finding about the friend's export names %q", f.Person)
		}
		disclosure = disclosure || f.Category == policy.CatThirdPartyDisclosure
		thirdParty = thirdParty || f.Category == policy.CatThirdParty
	}
	if !disclosure || !thirdParty {
		t.Fatalf("findings %v", rules(res.Findings))
	}
	if len(res.ThirdParty) != 1 || res.ThirdParty[0].Calls != 1 || res.ThirdParty[0].Messages != 1 ||
		!slices.Contains(res.ThirdParty[0].Disclose, "debt_disclosure") {
		t.Errorf("third parties %+v", res.ThirdParty)
	}
}

func TestNumberKey(t *testing.T) {
	same := [][]string{
		{"+86 138 0000 0001", "13800000001", "008613800000001", "86-138-0000-0001"},
		{"+1 (202) 555-0101", "2025550101", "12025550101"},
		{"95555", "95555"},
		{"BANK", " bank "},
	}
	for _, group := range same {
		for _, n := range group[1:] {
			if NumberKey(n) != NumberKey(group[0]) {
				t.Errorf("%q and %q differ: %q, %q", group[0], n, NumberKey(group[0]), NumberKey(n))
			}
		}
	}
	if NumberKey("13800000001") == NumberKey("13800000002") || NumberKey("") != "" {
		t.Error("different numbers compare equal, or an empty one has a key")
	}
}

// historyFor returns, in order, at least what the pack needs: every entry from
// start, the last n debtor entries before it, and with allNonDebtor every other
// party's entry; and nothing that is not in history.
func TestHistoryFor(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for range 2000 {
		n := rng.IntN(800)
		h := make([]policy.Contact, n)
		firstOther := -1
		for i := range h {
			h[i] = policy.Contact{At: base.Add(time.Duration(i) * time.Minute), Party: "owner"}
			if rng.IntN(20) == 0 {
				h[i].Party = "person-1"
				if firstOther < 0 {
					firstOther = i
				}
			}
		}
		start := 0
		if n > 0 {
			start = rng.IntN(n + 1)
		}
		need, all := rng.IntN(5), rng.IntN(2) == 0
		got := historyFor(h, start, need, all, firstOther, nil)
		// Every entry returned is in history, in order.
		idx := make([]int, len(got))
		for k, g := range got {
			idx[k] = int(g.At.Sub(base) / time.Minute)
			if k > 0 && idx[k] <= idx[k-1] {
				t.Fatalf("out of order: %v", idx)
			}
		}
		has := func(i int) bool { _, ok := slices.BinarySearch(idx, i); return ok }
		for i := start; i < n; i++ {
			if !has(i) {
				t.Fatalf("window entry %d missing (start %d)", i, start)
			}
		}
		left := need
		for i := start - 1; i >= 0 && left > 0; i-- {
			if h[i].Party == "owner" {
				if !has(i) {
					t.Fatalf("debtor entry %d missing (start %d, need %d)", i, start, need)
				}
				left--
			}
		}
		if all {
			for i := range start {
				if h[i].Party != "owner" && !has(i) {
					t.Fatalf("other party's entry %d missing", i)
				}
			}
		}
	}
}

// The replay in parallel chunks finds exactly what one pass in order finds.
func TestReplayChunksAgree(t *testing.T) {
	var data bytes.Buffer
	if _, err := export.Generate(&data, export.GenOptions{Format: export.FormatSMSXML, Bytes: 1 << 20, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	analyze := func(chunk int) *Result {
		old := replayChunk
		replayChunk = chunk
		defer func() { replayChunk = old }()
		a := newAnalyzer(t, "cn", "Asia/Shanghai", Collector{Number: export.DefaultCollectors[0], Label: "Synthetic Lender A"})
		src, _ := a.AddSource(Source{File: "x", Role: Owner})
		rd, err := export.Open(bytes.NewReader(data.Bytes()), "x", export.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for {
			r, err := rd.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			a.Add(src, r)
		}
		return a.Result()
	}
	one, many := analyze(1<<30), analyze(16)
	if len(one.Findings) < 100 || !reflect.DeepEqual(one, many) {
		t.Fatalf("one pass: %d findings; in chunks: %d (or other differences)", len(one.Findings), len(many.Findings))
	}
}

// A day over a cap is one finding, saying how many contacts went over it; the
// next day over the cap is another.
func TestCapFindingPerDay(t *testing.T) {
	a := newAnalyzer(t, "cn", "Asia/Shanghai", Collector{Number: "13800000001", Label: "Synthetic Lender A"})
	owner, _ := a.AddSource(Source{File: "calls.xml", Role: Owner})
	for day := 3; day <= 4; day++ {
		for i := range 10 {
			a.Add(owner, call(shanghai(day, 9+i, 0), "13800000001", export.Missed, day*100+i))
		}
	}
	res := a.Result()
	var caps []Finding
	for _, f := range res.Findings {
		if f.Category == policy.CatFrequency {
			caps = append(caps, f)
		}
	}
	// Six unanswered calls a day: the seventh to the tenth go over.
	if len(caps) != 2 || caps[0].OverCap != 4 || caps[0].Line != 306 || caps[1].OverCap != 4 || caps[1].Line != 406 ||
		caps[0].Rule != "cn.frequency.call_attempts_per_contact_method" || res.ByCategory[policy.CatFrequency] != 2 {
		t.Fatalf("cap findings %+v", caps)
	}
	if res.Days[0].Flagged != 4 {
		t.Errorf("days %+v", res.Days)
	}
}

// A collector may be known by the name the phone saved its numbers under.
func TestCollectorByContactName(t *testing.T) {
	a := newAnalyzer(t, "cn", "Asia/Shanghai", Collector{Name: " synthetic loan app 催收 ", Label: "Synthetic Loan App"})
	owner, _ := a.AddSource(Source{File: "calls.xml", Role: Owner})
	r := call(shanghai(3, 23, 0), "13800000005", export.Missed, 2)
	r.Name = "Synthetic Loan App 催收"
	a.Add(owner, r)
	friend := call(shanghai(3, 23, 5), "13900000009", export.Missed, 3)
	friend.Name = "Synthetic Friend"
	a.Add(owner, friend)
	res := a.Result()
	if len(res.Findings) != 1 || res.Findings[0].Collector != "Synthetic Loan App" || res.Findings[0].Line != 2 ||
		len(res.Collectors) != 1 || !res.Collectors[0].Known {
		t.Fatalf("findings %+v, collectors %+v", res.Findings, res.Collectors)
	}
	if _, err := New(Config{Pack: mustPack(t, "cn"), Screener: screen.Default(), Collectors: []Collector{{Label: "x"}}}); err == nil {
		t.Error("a collector with neither number nor name accepted")
	}
}
