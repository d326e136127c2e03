package planner

import (
	"fmt"
	"slices"
	"strings"
)

// Pack is the jurisdiction whose interest-rate rules the plan applies.
type Pack string

// The packs.
const (
	CN Pack = "cn"
	US Pack = "us"
)

// Text is a sentence in Simplified Chinese and English.
type Text struct {
	ZH string `json:"zh"`
	EN string `json:"en"`
}

// In returns the text in lang.
func (t Text) In(lang Lang) string {
	if lang == EN {
		return t.EN
	}
	return t.ZH
}

// Lang is the language of the messages and the summary.
type Lang string

// The languages.
const (
	ZH Lang = "zh"
	EN Lang = "en"
)

// The citations the planner uses, verbatim from the regulations catalogue's
// "Interest-rate protection" section. The 2015 rules share the 2020 rules' name;
// their row says "same rules, 2015 version", hence the name plus a note.
const (
	CitationLending2020      = "最高人民法院《关于审理民间借贷案件适用法律若干问题的规定》(2020 revision)"
	CitationLending          = "最高人民法院《关于审理民间借贷案件适用法律若干问题的规定》"
	CitationNote2015         = "2015 version"
	CitationCashLoans        = `整治办函〔2017〕141号《关于规范整顿"现金贷"业务的通知》`
	CitationLPR              = "PBOC / NIFC LPR announcements"
	CitationUS               = "Reg Z; MLA"
	ConfidenceReported       = "R"
	rate24              Rate = 0.24
	rate36              Rate = 0.36
	lprMultiple              = 4
)

// Flag is one finding about a loan's rate or fees, with the citation it rests
// on and the catalogue's confidence tag for it.
type Flag struct {
	ID           string `json:"id"`
	Citation     string `json:"citation"`
	CitationNote string `json:"citation_note,omitempty"`
	Confidence   string `json:"confidence"`
	Detail       Text   `json:"detail"`
}

// The flag ids.
const (
	FlagUpfrontDeduction = "upfront_deduction"              // cn: fee deducted from the principal up front
	FlagAbove4xLPR       = "above_4x_lpr"                   // cn: above 4 × LPR at the contract date
	FlagLPRUnknown       = "lpr_unknown"                    // cn: no LPR known for the contract date
	FlagAbove24          = "above_24_percent"               // cn: above the 2015 rules' protected 24%
	FlagAbove36          = "above_36_percent"               // cn: above the 2015 rules' void line of 36%
	FlagComprehensive    = "comprehensive_cost_above_limit" // cn: interest plus fees above the limit
	FlagAPRAbove36       = "apr_above_36_percent"           // us: APR above the MLA's 36%
)

// LPR is the one-year Loan Prime Rate in force from a date until the next entry.
type LPR struct {
	From   Date   `json:"from"`
	Rate   Rate   `json:"rate_percent"`
	Source string `json:"source"`
}

// LPRTable is the dated LPR parameter, sorted by date.
type LPRTable []LPR

// DefaultLPR is the one entry the regulations catalogue sources: 3.0% from
// 2025-05-20. Earlier contracts need an entry from --lpr; without one their
// 4 × LPR line is reported as unknown, never guessed.
func DefaultLPR() LPRTable {
	return LPRTable{{From: NewDate(2025, 5, 20), Rate: 0.03, Source: CitationLPR}}
}

// With returns the table with e added, replacing an entry of the same date.
func (t LPRTable) With(e LPR) LPRTable {
	out := slices.DeleteFunc(slices.Clone(t), func(x LPR) bool { return x.From.Equal(e.From) })
	out = append(out, e)
	slices.SortFunc(out, func(a, b LPR) int { return a.From.t.Compare(b.From.t) })
	return out
}

// At returns the entry in force on d: the latest one from d or earlier.
func (t LPRTable) At(d Date) (LPR, bool) {
	for i := len(t) - 1; i >= 0; i-- {
		if !t[i].From.After(d) {
			return t[i], true
		}
	}
	return LPR{}, false
}

// ParseLPR reads an LPR entry written RATE%@DATE, such as 3.1%@2024-10-21.
func ParseLPR(s string) (LPR, error) {
	rate, date, ok := strings.Cut(s, "@")
	if !ok {
		return LPR{}, fmt.Errorf("%q is not RATE%%@DATE, such as 3.1%%@2024-10-21", s)
	}
	r, err := ParsePercent(rate)
	if err != nil {
		return LPR{}, err
	}
	if r <= 0 || r >= 1 {
		return LPR{}, fmt.Errorf("%q: an LPR is between 0%% and 100%%", s)
	}
	d, err := ParseDate(date)
	if err != nil {
		return LPR{}, err
	}
	return LPR{From: d, Rate: r, Source: "--lpr"}, nil
}

// Threshold is the rate line a loan is measured against.
type Threshold struct {
	// LPR is the LPR in force at the contract date (cn), nil when unknown.
	LPR *LPR `json:"lpr"`
	// FourLPR is 4 × LPR (cn), nil when the LPR is unknown.
	FourLPR *Rate `json:"four_lpr_percent"`
	// Protected is the rate the plan treats as the line: 4 × LPR when known,
	// else the 2015 rules' 24% (cn); the MLA's 36% (us).
	Protected Rate `json:"protected_percent"`
	// Basis names where Protected comes from: "4x_lpr", "24_percent_2015" or
	// "36_percent_mla".
	Basis string `json:"basis"`
}

func threshold(p Pack, contract Date, lprs LPRTable) Threshold {
	if p == US {
		return Threshold{Protected: rate36, Basis: "36_percent_mla"}
	}
	if contract.IsZero() {
		return Threshold{Protected: rate24, Basis: "24_percent_2015"}
	}
	l, ok := lprs.At(contract)
	if !ok {
		return Threshold{Protected: rate24, Basis: "24_percent_2015"}
	}
	four := lprMultiple * l.Rate
	return Threshold{LPR: &l, FourLPR: &four, Protected: four, Basis: "4x_lpr"}
}

// above reports whether rate r is above line l, ignoring float noise.
func above(r, l Rate) bool { return r > l+1e-9 }

// flags returns the findings for one loan. rate is the nominal APR (true when
// fromFlows, else the advertised rate), known says whether there is one.
func flags(p Pack, d *DebtReport, rate Rate, known, fromFlows bool, lprs LPRTable) []Flag {
	var out []Flag
	basis := Text{"真实年化利率", "true APR"}
	if !fromFlows {
		basis = Text{"宣传利率", "advertised rate"}
	}
	if p == US {
		if known && above(rate, rate36) {
			out = append(out, Flag{ID: FlagAPRAbove36, Citation: CitationUS, Confidence: ConfidenceReported, Detail: Text{
				ZH: fmt.Sprintf("%s %s（APR 的定义见 Reg Z 12 CFR 1026.22）高于 36%%。36%% 是《军人借贷法》（MLA，10 U.S.C. 987）的上限，也是消费者权益组织常用的参照标准；联邦对此类借款没有统一的高利贷上限，各州上限不同。", basis.ZH, rate),
				EN: fmt.Sprintf("The %s of %s (Reg Z, 12 CFR 1026.22, defines APR) is above 36%%, the Military Lending Act cap (10 U.S.C. 987) and a common consumer-advocacy benchmark. There is no single federal usury cap for these loans; state caps vary.", basis.EN, rate),
			}})
		}
		return out
	}
	if d.UpfrontDeduction > 0 {
		out = append(out, Flag{ID: FlagUpfrontDeduction, Citation: CitationCashLoans, Confidence: ConfidenceReported, Detail: Text{
			ZH: fmt.Sprintf("合同借款金额为 %s，实际到手 %s：放款时预先扣除了 %s。对现金贷，费用不得从本金中预先扣除。", (*d.Principal).Grouped(), d.Received.Amount.Grouped(), d.UpfrontDeduction.Grouped()),
			EN: fmt.Sprintf("The contract amount is %s but %s was received: %s was deducted up front. For cash loans, fees may not be deducted up front from principal.", (*d.Principal).Grouped(), d.Received.Amount.Grouped(), d.UpfrontDeduction.Grouped()),
		}})
	}
	th := d.Threshold
	switch {
	case th.LPR == nil && d.ContractDate.IsZero():
		out = append(out, Flag{ID: FlagLPRUnknown, Citation: CitationLPR, Confidence: ConfidenceReported, Detail: Text{
			ZH: "合同日期不详，无法确定合同成立时的一年期LPR，因此这笔借款的“LPR四倍”标准未知；请填写 contract_date。计划暂以年利率 24% 作为保护标准。",
			EN: "The contract date is not known, so the one-year LPR at the time the contract was made, and with it this loan's 4 × LPR line, is unknown; give contract_date. Meanwhile the plan uses 24% a year as the line.",
		}})
	case th.LPR == nil:
		out = append(out, Flag{ID: FlagLPRUnknown, Citation: CitationLPR, Confidence: ConfidenceReported, Detail: Text{
			ZH: fmt.Sprintf("合同日期 %s 早于本程序已知的所有LPR数据（最早自 %s 起），因此这笔借款的“LPR四倍”标准未知，需要补充当时适用的一年期LPR。计划暂以年利率 24%% 作为保护标准。", d.ContractDate, earliest(lprs)),
			EN: fmt.Sprintf("The contract date %s precedes every LPR entry the planner knows (the earliest is from %s), so this loan's 4 × LPR line is unknown until the LPR then in force is supplied. Meanwhile the plan uses 24%% a year as the line.", d.ContractDate, earliest(lprs)),
		}})
	}
	if !known {
		return out
	}
	if th.FourLPR != nil && above(rate, *th.FourLPR) {
		out = append(out, Flag{ID: FlagAbove4xLPR, Citation: CitationLending2020, Confidence: ConfidenceReported, Detail: Text{
			ZH: fmt.Sprintf("%s %s 高于合同成立时一年期LPR的四倍（4 × %s = %s，LPR 自 %s 起适用）。超过该标准的利息，法院可能不予保护。", basis.ZH, rate, th.LPR.Rate, *th.FourLPR, th.LPR.From),
			EN: fmt.Sprintf("The %s of %s is above 4 × the one-year LPR in force when the contract was made (4 × %s = %s, LPR from %s). Courts may not protect interest above that line.", basis.EN, rate, th.LPR.Rate, *th.FourLPR, th.LPR.From),
		}})
	}
	if above(rate, rate24) {
		out = append(out, Flag{ID: FlagAbove24, Citation: CitationLending, CitationNote: CitationNote2015, Confidence: ConfidenceReported, Detail: Text{
			ZH: fmt.Sprintf("%s %s 高于年利率 24%%。按该规定2015年版本（2020年修订之前），受保护的利息以年利率 24%% 为限。", basis.ZH, rate),
			EN: fmt.Sprintf("The %s of %s is above 24%% a year. Under the 2015 version of these rules (before the 2020 revision), interest was protected only up to 24%% a year.", basis.EN, rate),
		}})
	}
	if above(rate, rate36) {
		out = append(out, Flag{ID: FlagAbove36, Citation: CitationLending, CitationNote: CitationNote2015, Confidence: ConfidenceReported, Detail: Text{
			ZH: fmt.Sprintf("%s %s 高于年利率 36%%。按该规定2015年版本（2020年修订之前），超过年利率 36%% 部分的利息约定无效。", basis.ZH, rate),
			EN: fmt.Sprintf("The %s of %s is above 36%% a year. Under the 2015 version of these rules (before the 2020 revision), interest above 36%% a year was void.", basis.EN, rate),
		}})
	}
	if fromFlows && above(rate, th.Protected) {
		out = append(out, Flag{ID: FlagComprehensive, Citation: CitationCashLoans, Confidence: ConfidenceReported, Detail: Text{
			ZH: fmt.Sprintf("综合年化成本（利息加全部费用）%s 高于民间借贷的利率限制（%s）。对现金贷，综合年化成本应控制在民间借贷的利率限制以内。", rate, th.Protected),
			EN: fmt.Sprintf("The comprehensive annualised cost (interest plus all fees) of %s is above the private-lending limit (%s). For cash loans it must stay within the private-lending limits.", rate, th.Protected),
		}})
	}
	return out
}

func earliest(t LPRTable) string {
	if len(t) == 0 {
		return "-"
	}
	return t[0].From.String()
}

// lawfulBalance is what remains of a loan on today if the principal were the
// amount actually received and interest ran at rate c a year: simple interest,
// actual/365, each payment applied to the interest due first and then to the
// principal. Overpaid is what the payments exceed that by.
func lawfulBalance(received Payment, paid []Payment, c Rate, today Date) (balance, overpaid Money) {
	ps := slices.Clone(paid)
	slices.SortStableFunc(ps, func(a, b Payment) int { return a.Date.t.Compare(b.Date.t) })
	principal, interest := received.Amount, Money(0)
	last := received.Date
	accrue := func(to Date) {
		days := to.DaysSince(last)
		interest += roundMoney(float64(principal) * float64(c) * float64(days) / 365)
		last = to
	}
	for _, p := range ps {
		accrue(p.Date)
		pay := p.Amount
		toInterest := min(pay, interest)
		interest -= toInterest
		pay -= toInterest
		toPrincipal := min(pay, principal)
		principal -= toPrincipal
		overpaid += pay - toPrincipal
	}
	accrue(today)
	return principal + interest, overpaid
}
