package planner

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func pct(t *testing.T, s string) *Rate {
	t.Helper()
	r, err := ParsePercent(s)
	if err != nil {
		t.Fatal(err)
	}
	return &r
}

func build(t *testing.T, in *Input, opt Options) *Plan {
	t.Helper()
	p, err := Build(in, opt)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func strategyOf(t *testing.T, p *Plan, name StrategyName) *StrategyPlan {
	t.Helper()
	for i := range p.Strategies {
		if p.Strategies[i].Name == name {
			return &p.Strategies[i]
		}
	}
	t.Fatalf("no strategy %s", name)
	return nil
}

// payments returns the strategy's payments, month by month, per debt.
func payments(s *StrategyPlan) [][]Money {
	var out [][]Money
	for _, r := range s.Rows {
		var row []Money
		for _, c := range r.Cells {
			row = append(row, c.Payment)
		}
		out = append(out, row)
	}
	return out
}

// TestStrategiesHandComputed: A owes 1,200 at an advertised 12% (the contract
// date unknown, so the line is 24% and A accrues 12%: 1% a month); B owes 600
// with no known rate (no interest). Budget 1,000 a month, interest capped.
//
// smallest_first, order B, A:
//
//	month 1: A accrues 1200 × 1% = 12.00 (balance 1212.00); pay B 600.00, A 400.00
//	         (12.00 interest, 388.00 principal: A's principal 812.00)
//	month 2: A accrues 812 × 1% = 8.12 (balance 820.12); pay A 820.12
//	total 1,820.12, interest 20.12, 2 months.
//
// highest_rate_first, order A, B:
//
//	month 1: A accrues 12.00 (1212.00); pay A 1000.00 (principal 1200 − 988 = 212.00)
//	month 2: A accrues 2.12 (214.12); pay A 214.12, then B 600.00
//	total 1,814.12, interest 14.12: 6.00 less than smallest_first.
func TestStrategiesHandComputed(t *testing.T) {
	in := &Input{Budget: 100_000, Today: d("2026-01-15"), Debts: []Debt{
		{Platform: "A", Outstanding: 120_000, AdvertisedRate: pct(t, "12%")},
		{Platform: "B", Outstanding: 60_000},
	}}
	p := build(t, in, Options{})
	if p.Debts[0].AccrualRate != 0.12 || p.Debts[1].AccrualRate != 0 {
		t.Fatalf("accrual rates %v, %v; want 12%%, 0", p.Debts[0].AccrualRate, p.Debts[1].AccrualRate)
	}

	s := strategyOf(t, p, SmallestFirst)
	if !slices.Equal(s.Order, []string{"B", "A"}) {
		t.Errorf("smallest_first order %v, want [B A]", s.Order)
	}
	if got, want := payments(s), [][]Money{{40_000, 60_000}, {82_012, 0}}; !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("smallest_first payments %v, want %v", got, want)
	}
	if s.TotalPaid != 182_012 || s.TotalInterest != 2_012 || s.Months != 2 || !s.Finished {
		t.Errorf("smallest_first total %s, interest %s, %d months, finished %v; want 1820.12, 20.12, 2, true", s.TotalPaid, s.TotalInterest, s.Months, s.Finished)
	}
	if s.Debts[1].ClearedMonth != 1 || !s.Debts[1].ClearedOn.Equal(d("2026-02-15")) || s.Debts[0].ClearedMonth != 2 {
		t.Errorf("cleared: A month %d, B month %d on %s", s.Debts[0].ClearedMonth, s.Debts[1].ClearedMonth, s.Debts[1].ClearedOn)
	}
	if r := s.Rows[0]; r.Cells[0].Balance != 81_200 || r.Cells[1].Balance != 0 || r.Total != 100_000 {
		t.Errorf("month 1 balances %s, %s, total %s; want 812.00, 0.00, 1000.00", r.Cells[0].Balance, r.Cells[1].Balance, r.Total)
	}

	h := strategyOf(t, p, HighestRateFirst)
	if !slices.Equal(h.Order, []string{"A", "B"}) {
		t.Errorf("highest_rate_first order %v, want [A B]", h.Order)
	}
	if got, want := payments(h), [][]Money{{100_000, 0}, {21_412, 60_000}}; !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("highest_rate_first payments %v, want %v", got, want)
	}
	if h.TotalPaid != 181_412 || h.TotalInterest != 1_412 || h.Months != 2 {
		t.Errorf("highest_rate_first total %s, interest %s, %d months; want 1814.12, 14.12, 2", h.TotalPaid, h.TotalInterest, h.Months)
	}
	if h.TotalPaid >= s.TotalPaid {
		t.Errorf("highest_rate_first (%s) must cost less than smallest_first (%s) here", h.TotalPaid, s.TotalPaid)
	}

	// With no accrual every strategy pays exactly the balances.
	p = build(t, in, Options{Accrual: AccrueNone})
	for _, s := range p.Strategies {
		if s.TotalPaid != 180_000 || s.TotalInterest != 0 {
			t.Errorf("%s with no accrual: total %s, interest %s; want 1800.00, 0.00", s.Name, s.TotalPaid, s.TotalInterest)
		}
	}
}

// TestLegalRateAwareHandComputed: A owes 1,200 at an advertised 12% (lawful:
// the line is 24% with no contract date); C received 1,000 on 2026-01-01 and was
// charged 1,100 a month later: 10% a month, an APR of 120%, far above the line
// of 4 × 3.0% = 12% (contract after 2025-05-20). C claims 1,500.
//
// C's lawful balance on 2026-07-01: 1000 + 1000 × 0.12 × 181/365 = 1000 + 59.51
// = 1,059.51 (nothing paid). C then accrues min(120%, 12%) = 1% a month.
//
// legal_rate_aware, lawful first, order A, C; budget 1,000:
//
//	month 1: A accrues 12.00 (1212.00), C 10.60 (1070.11); pay A 1000.00
//	month 2: A accrues 2.12 (214.12), C 10.60 (1080.71); pay A 214.12, C 785.88
//	         (21.20 interest, 764.68 principal: C's principal 294.83)
//	month 3: C accrues 294.83 × 1% = 2.95 (297.78); pay C 297.78
//	total 2,297.78 = 1200 + 1059.51 + interest 14.12 + 24.15.
func TestLegalRateAwareHandComputed(t *testing.T) {
	in := &Input{Budget: 100_000, Today: d("2026-07-01"), Debts: []Debt{
		{Platform: "A", Outstanding: 120_000, AdvertisedRate: pct(t, "12%")},
		{Platform: "C", Outstanding: 150_000, Received: &Payment{d("2026-01-01"), 100_000},
			Schedule: []Payment{{d("2026-02-01"), 110_000}}},
	}}
	p := build(t, in, Options{Lang: EN})
	c := p.Debts[1]
	if c.TrueRate == nil || c.TrueRate.APR.Percent() != 120 || !c.AboveThreshold {
		t.Fatalf("C: true rate %+v, above %v; want 120%%, above", c.TrueRate, c.AboveThreshold)
	}
	if c.LawfulBalance == nil || *c.LawfulBalance != 105_951 {
		t.Fatalf("C: lawful balance %v, want 1059.51", c.LawfulBalance)
	}
	l := strategyOf(t, p, LegalRateAware)
	if !slices.Equal(l.Order, []string{"A", "C"}) {
		t.Errorf("order %v, want [A C]", l.Order)
	}
	if got, want := payments(l), [][]Money{{100_000, 0}, {21_412, 78_588}, {0, 29_778}}; !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("payments %v, want %v", got, want)
	}
	if l.TotalPaid != 229_778 || l.TotalInterest != 3_827 || l.Months != 3 {
		t.Errorf("total %s, interest %s, %d months; want 2297.78, 38.27, 3", l.TotalPaid, l.TotalInterest, l.Months)
	}
	if sd := l.Debts[1]; !sd.Reduced || sd.StartBalance != 105_951 {
		t.Errorf("C under legal_rate_aware: %+v, want reduced to 1059.51", sd)
	}
	// The other strategies plan C's full claim; highest_rate_first breaks the
	// tie between two debts accruing 12% by their own rates: C's 120% first.
	if h := strategyOf(t, p, HighestRateFirst); !slices.Equal(h.Order, []string{"C", "A"}) || h.Debts[1].StartBalance != 150_000 {
		t.Errorf("highest_rate_first order %v, C starts at %s; want [C A], 1500.00", h.Order, h.Debts[1].StartBalance)
	}
	if s := strategyOf(t, p, SmallestFirst); !slices.Equal(s.Order, []string{"A", "C"}) {
		t.Errorf("smallest_first order %v, want [A C]", s.Order)
	}

	// The message to C under legal_rate_aware proposes the lawful amount and says why.
	msg := messageFor(t, p, LegalRateAware, "C")
	for _, want := range []string{"120.00%", "12.00% a year", "CNY 1,059.51 as of 2026-07-01", "instead of the CNY 1,500.00 you claim",
		CitationLending2020, "Courts may not protect", "2026-09-01: CNY 785.88", "2026-10-01: CNY 297.78", "Until 2026-09-01",
		"stop contacting my family", "communicate only with me"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message to C lacks %q:\n%s", want, msg)
		}
	}
}

func messageFor(t *testing.T, p *Plan, s StrategyName, platform string) string {
	t.Helper()
	for _, m := range p.Messages {
		if m.Strategy == s && m.Platform == platform {
			return m.Text
		}
	}
	t.Fatalf("no message for %s / %s", s, platform)
	return ""
}

func TestOverpaidLoanIsSettled(t *testing.T) {
	// 1,000 received, 1,100 charged and paid a month later; by 2026-06-01 the
	// lawful amount at 12% was 1010.19 (see TestLawfulBalance): 89.81 overpaid.
	in := &Input{Budget: 50_000, Today: d("2026-06-01"), Debts: []Debt{{
		Platform: "Z", Outstanding: 30_000, Received: &Payment{d("2026-01-01"), 100_000},
		Schedule: []Payment{{d("2026-02-01"), 110_000}}, Paid: []Payment{{d("2026-02-01"), 110_000}},
	}}}
	p := build(t, in, Options{Lang: ZH})
	l := strategyOf(t, p, LegalRateAware)
	if l.Debts[0].StartBalance != 0 || l.Debts[0].ClearedMonth != 0 || l.TotalPaid != 0 || len(l.Rows) != 0 || !l.Finished {
		t.Errorf("legal_rate_aware: %+v, %d rows; want nothing to pay", l.Debts[0], len(l.Rows))
	}
	msg := messageFor(t, p, LegalRateAware, "Z")
	if !strings.Contains(msg, "多出 89.81 元") || !strings.Contains(msg, "已经结清") {
		t.Errorf("message does not propose settlement:\n%s", msg)
	}
}

func TestBudgetBelowMinimums(t *testing.T) {
	// Minimums of 300 + 300 = 600 exceed the budget of 500: each month only the
	// target is paid (held), and the plan says so.
	in := &Input{Budget: 50_000, Today: d("2026-01-10"), Debts: []Debt{
		{Platform: "A", Outstanding: 40_000, MinimumPayment: 30_000},
		{Platform: "B", Outstanding: 90_000, MinimumPayment: 30_000},
	}}
	p := build(t, in, Options{Lang: EN, Strategies: []StrategyName{SmallestFirst}})
	if len(p.Warnings) == 0 || !strings.Contains(p.Warnings[0].EN, "does not cover every debt's minimum payment (CNY 600.00 in total)") {
		t.Fatalf("warnings %v", p.Warnings)
	}
	s := &p.Strategies[0]
	// month 1 held: A 400, B 100; month 2: only B is left, minimum 300 affordable: B 500; month 3: B 300.
	if got, want := payments(s), [][]Money{{40_000, 10_000}, {0, 50_000}, {0, 30_000}}; !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("payments %v, want %v", got, want)
	}
	if !s.Rows[0].Held || s.Rows[1].Held {
		t.Errorf("held %v, %v; want true, false", s.Rows[0].Held, s.Rows[1].Held)
	}
}

func TestMinimumsThenTarget(t *testing.T) {
	// Budget 1,000; A (5,000) and B (2,000) each take a minimum of 200; smallest
	// first puts the other 600 on B: month 1 A 200, B 800.
	in := &Input{Budget: 100_000, Today: d("2026-01-10"), Debts: []Debt{
		{Platform: "A", Outstanding: 500_000, MinimumPayment: 20_000},
		{Platform: "B", Outstanding: 200_000, MinimumPayment: 20_000},
	}}
	p := build(t, in, Options{Accrual: AccrueNone, Strategies: []StrategyName{SmallestFirst}})
	s := &p.Strategies[0]
	if got := payments(s)[0]; !slices.Equal(got, []Money{20_000, 80_000}) {
		t.Errorf("month 1 %v, want [200 800]", got)
	}
	// B: 2000 − 800 − 800 = 400 in month 3, with A taking 600 then.
	if got := payments(s)[2]; !slices.Equal(got, []Money{60_000, 40_000}) {
		t.Errorf("month 3 %v, want [600 400]", got)
	}
	if s.Months != 7 || s.TotalPaid != 700_000 {
		t.Errorf("%d months, total %s; want 7, 7000.00", s.Months, s.TotalPaid)
	}
}

func TestUnfinishedPlan(t *testing.T) {
	// 100,000 at 24% accrues 2,000 a month; a budget of 1,000 never catches up.
	in := &Input{Budget: 100_000, Today: d("2026-01-10"), Debts: []Debt{
		{Platform: "A", Outstanding: 10_000_000, AdvertisedRate: pct(t, "30%")},
	}}
	p := build(t, in, Options{Lang: EN, Strategies: []StrategyName{HighestRateFirst}})
	s := &p.Strategies[0]
	if s.Finished || s.Months != MaxMonths || s.Debts[0].ClearedMonth != -1 {
		t.Errorf("finished %v after %d months, cleared %d; want unfinished after %d", s.Finished, s.Months, s.Debts[0].ClearedMonth, MaxMonths)
	}
	if !slices.ContainsFunc(p.Warnings, func(w Text) bool { return strings.Contains(w.EN, "not repaid within 360 months") }) {
		t.Errorf("no warning about the unfinished plan: %v", p.Warnings)
	}
	if msg := messageFor(t, p, HighestRateFirst, "A"); !strings.Contains(msg, "does not clear the debt within 360 months") {
		t.Errorf("message does not say the plan is unfinished:\n%s", msg)
	}
}

func TestBuildOptions(t *testing.T) {
	in := &Input{Budget: 100, Today: d("2026-01-10"), Debts: []Debt{{Platform: "A", Outstanding: 100}}}
	for _, opt := range []Options{{Pack: "uk"}, {Lang: "fr"}, {Accrual: "compound"}, {Strategies: []StrategyName{"snowball"}}} {
		if _, err := Build(in, opt); err == nil {
			t.Errorf("Build(%+v): want an error", opt)
		}
	}
	p := build(t, in, Options{Pack: US})
	if p.Lang != EN || p.Currency != "USD" || len(p.Strategies) != 3 {
		t.Errorf("us defaults: lang %s, currency %s, %d strategies", p.Lang, p.Currency, len(p.Strategies))
	}
	if _, err := Build(&Input{Today: d("2026-01-10")}, Options{}); err == nil {
		t.Error("Build with no budget and no debts: want an error")
	}
}

func TestPlanJSONShape(t *testing.T) {
	in := &Input{Budget: 100_000, Today: d("2026-07-01"), Debts: []Debt{
		{Platform: "C", Outstanding: 150_000, Received: &Payment{d("2026-01-01"), 100_000}, Schedule: []Payment{{d("2026-02-01"), 110_000}}},
	}}
	b, err := json.Marshal(build(t, in, Options{}))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"budget":"1000.00"`, `"apr_percent":120`, `"lawful_balance":"1059.51"`, `"citation":"最高人民法院《关于审理民间借贷案件适用法律若干问题的规定》(2020 revision)"`,
		`"confidence":"R"`, `"protected_percent":12`, `"contacts_message":"你好`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("plan JSON lacks %s", want)
		}
	}
}

// TestMessagesBothLanguages checks that every message is in the language asked
// for and carries the plan's essentials.
func TestMessagesBothLanguages(t *testing.T) {
	in := &Input{Budget: 300_000, Today: d("2026-11-24"), Debts: []Debt{*highRateDebt("2026-03-01")}}
	in.Debts[0].AdvertisedRate = pct(t, "6%")
	for _, lang := range []Lang{ZH, EN} {
		p := build(t, in, Options{Lang: lang})
		if len(p.Messages) != 3 {
			t.Fatalf("%s: %d messages, want one per strategy and platform", lang, len(p.Messages))
		}
		for _, m := range p.Messages {
			hasHan := strings.ContainsFunc(strings.ReplaceAll(m.Text, CitationLending, ""), func(r rune) bool { return r >= 0x4e00 && r <= 0x9fff })
			if lang == ZH && !strings.Contains(m.Text, "真实年化利率") || lang == EN && strings.Contains(m.Text, "真实年化利率") {
				t.Errorf("%s message in the wrong language:\n%s", lang, m.Text)
			}
			if lang == ZH && !hasHan {
				t.Errorf("zh message with no Chinese:\n%s", m.Text)
			}
			for _, want := range []string{"55.43%", "6.00%", "8,200.50", "2026-11-24"} {
				if !strings.Contains(m.Text, want) {
					t.Errorf("%s %s message lacks %q:\n%s", lang, m.Strategy, want, m.Text)
				}
			}
		}
		contacts := p.ContactsMessage
		wants := map[Lang][]string{
			ZH: {"没有义务替我还款", "不要再联系你", "不要向任何人付款或转账", "保存记录"},
			EN: {"you do not have to pay it", "not to contact you again", "do not pay or transfer money", "keep a record"},
		}[lang]
		for _, want := range wants {
			if !strings.Contains(contacts, want) {
				t.Errorf("%s contacts message lacks %q:\n%s", lang, want, contacts)
			}
		}
	}
}
