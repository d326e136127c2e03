package planner

import (
	"slices"
	"strings"
	"testing"

	"github.com/fairdebt/fairdebt/internal/catalogue"
)

// TestCitationsAreInRegulationsCatalogue checks every citation string and note
// the planner uses against the catalogue, verbatim and in its "Interest-rate
// protection" section, with the tag the catalogue gives.
func TestCitationsAreInRegulationsCatalogue(t *testing.T) {
	path, text := catalogue.Read(t)
	_, section, ok := strings.Cut(text, "## Interest-rate protection")
	if !ok {
		t.Fatalf("%s has no \"## Interest-rate protection\" section", path)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	// Every flag the planner can raise, from cases that raise them all.
	var all []Flag
	for _, r := range []*DebtReport{
		analyseOne(t, CN, highRateDebt("2026-03-01"), d("2026-11-24")),
		analyseOne(t, CN, highRateDebt("2024-06-01"), d("2026-11-24")),
		analyseOne(t, US, highRateDebt("2026-03-01"), d("2026-11-24")),
	} {
		all = append(all, r.Flags...)
	}
	ids := map[string]bool{}
	for _, f := range all {
		ids[f.ID] = true
		if !strings.Contains(section, f.Citation) {
			t.Errorf("flag %s: citation %q does not appear verbatim in the interest-rate section of %s", f.ID, f.Citation, path)
		}
		if f.CitationNote != "" && !strings.Contains(section, f.CitationNote) {
			t.Errorf("flag %s: citation note %q does not appear verbatim in %s", f.ID, f.CitationNote, path)
		}
		if f.Confidence != "R" {
			t.Errorf("flag %s: confidence %q, the catalogue tags every interest-rate row R", f.ID, f.Confidence)
		}
		row := rowOf(section, f.Citation)
		if !strings.HasSuffix(strings.TrimSpace(row), "| R |") {
			t.Errorf("flag %s: the catalogue row for %q is not tagged R: %s", f.ID, f.Citation, row)
		}
	}
	for _, id := range []string{FlagUpfrontDeduction, FlagAbove4xLPR, FlagLPRUnknown, FlagAbove24, FlagAbove36, FlagComprehensive, FlagAPRAbove36} {
		if !ids[id] {
			t.Errorf("flag %s was not raised by any case, so its citation went unchecked", id)
		}
	}
	// The 2015 rules' row names them only as "same rules, 2015 version".
	if !strings.Contains(section, "same rules, "+CitationNote2015) {
		t.Errorf("the catalogue no longer says %q", "same rules, "+CitationNote2015)
	}
}

// rowOf returns the catalogue's table row containing s.
func rowOf(section, s string) string {
	for line := range strings.SplitSeq(section, "\n") {
		if strings.Contains(line, s) && strings.HasPrefix(line, "|") {
			return line
		}
	}
	return ""
}

// highRateDebt is a 10,000 contract with 2,000 deducted up front and 12
// instalments of 883.33: a true APR of 55.43% (see TestIRRHandComputed).
func highRateDebt(contract string) *Debt {
	flows := monthly(contract, 800_000, 88_333, 12)
	db := &Debt{
		Platform: "P", Outstanding: 820_050, Principal: 1_000_000,
		Received: &Payment{Date: flows[0].Date, Amount: 800_000},
	}
	for _, f := range flows[1:] {
		db.Schedule = append(db.Schedule, Payment(f))
	}
	return db
}

func analyseOne(t *testing.T, p Pack, db *Debt, today Date) *DebtReport {
	t.Helper()
	opt := Options{Pack: p}
	if err := opt.fill(); err != nil {
		t.Fatal(err)
	}
	r := analyse(db, today, opt)
	return &r
}

func flagIDs(r *DebtReport) []string {
	var ids []string
	for _, f := range r.Flags {
		ids = append(ids, f.ID)
	}
	return ids
}

func TestThresholdsAndFlags(t *testing.T) {
	today := d("2026-11-24")
	rate := func(s string) *Rate {
		r, err := ParsePercent(s)
		if err != nil {
			t.Fatal(err)
		}
		return &r
	}
	tests := []struct {
		name      string
		pack      Pack
		debt      *Debt
		want      []string
		protected float64 // percent
		basis     string
		above     bool
	}{
		{
			// 55.43% > 4 × 3.0% = 12%, > 24%, > 36%; 2,000 deducted up front.
			name: "cn: fee-loaded loan after the LPR entry", pack: CN, debt: highRateDebt("2026-03-01"),
			want:      []string{FlagUpfrontDeduction, FlagAbove4xLPR, FlagAbove24, FlagAbove36, FlagComprehensive},
			protected: 12, basis: "4x_lpr", above: true,
		},
		{
			// 2024-06-01 precedes 2025-05-20, the only LPR entry: the 4 × LPR line is
			// unknown, never guessed; 24% and 36% still apply.
			name: "cn: contract before the earliest LPR entry", pack: CN, debt: highRateDebt("2024-06-01"),
			want:      []string{FlagUpfrontDeduction, FlagLPRUnknown, FlagAbove24, FlagAbove36, FlagComprehensive},
			protected: 24, basis: "24_percent_2015", above: true,
		},
		{
			name: "cn: 18% advertised only, after the LPR entry", pack: CN,
			debt: &Debt{Platform: "P", Outstanding: 100, ContractDate: d("2026-01-01"), AdvertisedRate: rate("18%")},
			// Above 12% but below 24%; no comprehensive-cost flag without cash flows.
			want: []string{FlagAbove4xLPR}, protected: 12, basis: "4x_lpr", above: true,
		},
		{
			name: "cn: exactly 4 × LPR is not above it", pack: CN,
			debt: &Debt{Platform: "P", Outstanding: 100, ContractDate: d("2026-01-01"), AdvertisedRate: rate("12%")},
			want: nil, protected: 12, basis: "4x_lpr", above: false,
		},
		{
			name: "cn: no rate and no contract date", pack: CN,
			debt: &Debt{Platform: "P", Outstanding: 100},
			want: []string{FlagLPRUnknown}, protected: 24, basis: "24_percent_2015", above: false,
		},
		{
			name: "us: fee-loaded loan", pack: US, debt: highRateDebt("2026-03-01"),
			want: []string{FlagAPRAbove36}, protected: 36, basis: "36_percent_mla", above: true,
		},
		{
			name: "us: 30% is below the benchmark", pack: US,
			debt: &Debt{Platform: "P", Outstanding: 100, AdvertisedRate: rate("30%")},
			want: nil, protected: 36, basis: "36_percent_mla", above: false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := analyseOne(t, tt.pack, tt.debt, today)
			if got := flagIDs(r); !slices.Equal(got, tt.want) {
				t.Errorf("flags %v, want %v", got, tt.want)
			}
			if got := r.Threshold.Protected.Percent(); got != tt.protected || r.Threshold.Basis != tt.basis {
				t.Errorf("threshold %v%% (%s), want %v%% (%s)", got, r.Threshold.Basis, tt.protected, tt.basis)
			}
			if r.AboveThreshold != tt.above {
				t.Errorf("above threshold %v, want %v", r.AboveThreshold, tt.above)
			}
			for _, f := range r.Flags {
				if f.Citation == "" || f.Confidence == "" || f.Detail.ZH == "" || f.Detail.EN == "" {
					t.Errorf("flag %s lacks a citation, a confidence tag or a detail: %+v", f.ID, f)
				}
			}
		})
	}
}

// TestFlagWording keeps the flags as strong as their sources and no stronger.
func TestFlagWording(t *testing.T) {
	r := analyseOne(t, CN, highRateDebt("2026-03-01"), d("2026-11-24"))
	byID := map[string]Flag{}
	for _, f := range r.Flags {
		byID[f.ID] = f
	}
	checks := []struct{ id, zh, en string }{
		{FlagAbove4xLPR, "法院可能不予保护", "Courts may not protect interest above that line"},
		{FlagAbove4xLPR, "4 × 3.00% = 12.00%", "4 × 3.00% = 12.00%, LPR from 2025-05-20"},
		{FlagAbove24, "2015年版本", "Under the 2015 version of these rules (before the 2020 revision)"},
		{FlagAbove36, "无效", "interest above 36% a year was void"},
		{FlagUpfrontDeduction, "预先扣除了 2,000.00", "2,000.00 was deducted up front"},
		{FlagComprehensive, "利息加全部费用", "interest plus all fees"},
	}
	for _, c := range checks {
		f := byID[c.id]
		if !strings.Contains(f.Detail.ZH, c.zh) || !strings.Contains(f.Detail.EN, c.en) {
			t.Errorf("flag %s: detail lacks %q / %q:\n%s\n%s", c.id, c.zh, c.en, f.Detail.ZH, f.Detail.EN)
		}
	}
	for _, f := range r.Flags {
		for _, overclaim := range []string{"illegal", "unlawful", "you do not have to pay", "违法", "不用还"} {
			if strings.Contains(f.Detail.EN, overclaim) || strings.Contains(f.Detail.ZH, overclaim) {
				t.Errorf("flag %s overclaims with %q", f.ID, overclaim)
			}
		}
	}
	us := analyseOne(t, US, highRateDebt("2026-03-01"), d("2026-11-24"))
	if en := us.Flags[0].Detail.EN; !strings.Contains(en, "no single federal usury cap") || !strings.Contains(en, "benchmark") {
		t.Errorf("us flag does not say 36%% is a benchmark, not a federal cap: %s", en)
	}
}

func TestLPRTable(t *testing.T) {
	tab := DefaultLPR()
	if _, ok := tab.At(d("2025-05-19")); ok {
		t.Error("an LPR before the earliest entry must be unknown")
	}
	if e, ok := tab.At(d("2025-05-20")); !ok || e.Rate != 0.03 {
		t.Errorf("LPR on 2025-05-20 = %v, %v; want 3.0%%", e, ok)
	}
	e, err := ParseLPR("3.1%@2024-10-21")
	if err != nil {
		t.Fatal(err)
	}
	tab = tab.With(e)
	if got, ok := tab.At(d("2025-01-01")); !ok || got.Rate.Percent() != 3.1 || got.Source != "--lpr" {
		t.Errorf("LPR on 2025-01-01 = %+v, %v; want the added 3.1%%", got, ok)
	}
	if got, _ := tab.At(d("2026-01-01")); got.Rate.Percent() != 3.0 {
		t.Errorf("LPR on 2026-01-01 = %v, want 3.0%%", got.Rate)
	}
	over, _ := ParseLPR("2.9%@2025-05-20")
	if got, _ := tab.With(over).At(d("2026-01-01")); got.Rate.Percent() != 2.9 || len(tab.With(over)) != 2 {
		t.Errorf("an entry of the same date must replace the old one: %v", tab.With(over))
	}
	for _, s := range []string{"3.1%", "3.1@2024-10-21", "3.1%@2024-13-01", "0%@2024-10-21", "100%@2024-10-21", "@"} {
		if _, err := ParseLPR(s); err == nil {
			t.Errorf("ParseLPR(%q): want an error", s)
		}
	}
}

func TestLawfulBalance(t *testing.T) {
	// 8,000 received on 2026-03-01, 12% a year simple (actual/365), six payments
	// of 883.33 on the first of April to September, measured on 2026-11-24. Each
	// payment pays the interest accrued since the last one, the rest principal:
	//   04-01  31 days  8000.00 × 0.12 × 31/365 = 81.53   principal 8000.00 − 801.80 = 7198.20
	//   05-01  30 days  7198.20 × 0.12 × 30/365 = 71.00   principal 6385.87
	//   06-01  31 days  6385.87 × 0.12 × 31/365 = 65.08   principal 5567.62
	//   07-01  30 days  5567.62 × 0.12 × 30/365 = 54.91   principal 4739.20
	//   08-01  31 days  4739.20 × 0.12 × 31/365 = 48.30   principal 3904.17
	//   09-01  31 days  3904.17 × 0.12 × 31/365 = 39.79   principal 3060.63
	//   11-24  84 days  3060.63 × 0.12 × 84/365 = 84.52   balance 3060.63 + 84.52 = 3145.15
	var paid []Payment
	for m := 4; m <= 9; m++ {
		paid = append(paid, Payment{NewDate(2026, 3, 1).AddMonths(m - 3), 88_333})
	}
	bal, over := lawfulBalance(Payment{d("2026-03-01"), 800_000}, paid, 0.12, d("2026-11-24"))
	if bal != 314_515 || over != 0 {
		t.Errorf("lawful balance %s, overpaid %s; want 3145.15, 0.00", bal, over)
	}
	// 1,000 received, 12%, 1,100 paid after 31 days: interest 1000 × 0.12 × 31/365
	// = 10.19, so 1,010.19 was due and 89.81 was overpaid.
	bal, over = lawfulBalance(Payment{d("2026-01-01"), 100_000}, []Payment{{d("2026-02-01"), 110_000}}, 0.12, d("2026-06-01"))
	if bal != 0 || over != 8_981 {
		t.Errorf("lawful balance %s, overpaid %s; want 0.00, 89.81", bal, over)
	}
}
