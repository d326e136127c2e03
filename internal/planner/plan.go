package planner

import (
	"cmp"
	"fmt"
	"slices"
)

// StrategyName names a way of ordering the repayments.
type StrategyName string

// The strategies.
const (
	// SmallestFirst clears the smallest balance first, one platform at a time:
	// the fewest collectors, soonest.
	SmallestFirst StrategyName = "smallest_first"
	// HighestRateFirst clears the balance that grows fastest first: the least
	// total cost.
	HighestRateFirst StrategyName = "highest_rate_first"
	// LegalRateAware repays loans above the protection line only their
	// principal plus interest at the line, and clears the lawful loans first.
	LegalRateAware StrategyName = "legal_rate_aware"
)

// Strategies lists every strategy in the order plans show them.
var Strategies = []StrategyName{SmallestFirst, HighestRateFirst, LegalRateAware}

// Accrual is how balances grow while the plan runs.
type Accrual string

// The accrual assumptions.
const (
	// AccrueCapped adds simple interest each month on the principal left, at
	// one twelfth of the lower of the loan's rate and the protection line.
	AccrueCapped Accrual = "capped"
	// AccrueNone assumes the platforms stop interest and fees during the plan.
	AccrueNone Accrual = "none"
)

// MaxMonths is the longest plan: 30 years. A plan whose budget never catches up
// with the interest stops there, unfinished.
const MaxMonths = 360

// Options are the choices that are not part of the borrower's data.
type Options struct {
	Pack Pack
	Lang Lang
	// Strategies to plan; nil means all.
	Strategies []StrategyName
	// Accrual; empty means AccrueCapped.
	Accrual Accrual
	// LPR is the dated LPR parameter; nil means DefaultLPR().
	LPR LPRTable
}

// Plan is everything the planner produces.
type Plan struct {
	Today       Date           `json:"today"`
	Pack        Pack           `json:"pack"`
	Lang        Lang           `json:"lang"`
	Currency    string         `json:"currency"`
	Budget      Money          `json:"budget"`
	Accrual     Accrual        `json:"accrual"`
	Notice      Text           `json:"notice"`
	Assumptions []Text         `json:"assumptions"`
	LPR         LPRTable       `json:"lpr"`
	Debts       []DebtReport   `json:"debts"`
	Warnings    []Text         `json:"warnings"`
	Strategies  []StrategyPlan `json:"strategies"`
	// Messages are the negotiation messages, one per strategy and platform, in Lang.
	Messages []Message `json:"messages"`
	// ContactsMessage is for the borrower to send their contacts in advance, in Lang.
	ContactsMessage string `json:"contacts_message"`
}

// DebtReport is what the planner found about one debt.
type DebtReport struct {
	Platform    string `json:"platform"`
	Outstanding Money  `json:"outstanding"`
	DaysOverdue int    `json:"days_overdue"`
	// ContractDate is the contract date, or the date the money was received.
	ContractDate Date `json:"contract_date"`
	// Principal is the contract amount; nil without cash flows.
	Principal        *Money    `json:"principal"`
	Received         *Payment  `json:"received"`
	UpfrontDeduction Money     `json:"upfront_deduction"`
	AdvertisedRate   *Rate     `json:"advertised_rate_percent"`
	TrueRate         *TrueRate `json:"true_rate"`
	Threshold        Threshold `json:"threshold"`
	// AboveThreshold says whether the loan's rate (true, else advertised) is
	// above Threshold.Protected.
	AboveThreshold bool `json:"above_threshold"`
	// LawfulBalance is, for a loan above the line with known cash flows, the
	// amount received plus simple interest at the line less what was paid, as
	// of today, at most Outstanding.
	LawfulBalance *Money `json:"lawful_balance"`
	// Overpaid is how much the payments exceed the lawful amount.
	Overpaid Money `json:"overpaid"`
	// AccrualRate is the annual rate the balance grows at while the plan runs.
	AccrualRate    Rate   `json:"accrual_rate_percent"`
	MinimumPayment Money  `json:"minimum_payment"`
	Flags          []Flag `json:"flags"`

	rate      Rate // the rate compared with the line
	rateKnown bool
}

// StrategyPlan is one strategy's month-by-month plan.
type StrategyPlan struct {
	Name        StrategyName `json:"name"`
	Description Text         `json:"description"`
	// Order lists the platforms in the order the extra money goes to them.
	Order []string `json:"order"`
	// Months is the number of months with a payment.
	Months        int            `json:"months"`
	Finished      bool           `json:"finished"`
	TotalPaid     Money          `json:"total_paid"`
	TotalInterest Money          `json:"total_interest"`
	Debts         []StrategyDebt `json:"debts"`
	Rows          []Row          `json:"rows"`
}

// StrategyDebt is one debt's part of a strategy.
type StrategyDebt struct {
	Platform string `json:"platform"`
	// StartBalance is the amount the plan repays before interest: the
	// outstanding amount, or the lawful balance under legal_rate_aware.
	StartBalance Money `json:"start_balance"`
	Reduced      bool  `json:"reduced"`
	Paid         Money `json:"paid"`
	Interest     Money `json:"interest"`
	// ClearedMonth is the month the balance reaches zero (0: nothing to pay;
	// -1: not within MaxMonths).
	ClearedMonth int  `json:"cleared_month"`
	ClearedOn    Date `json:"cleared_on"`
}

// Row is one month of a plan.
type Row struct {
	Month int  `json:"month"`
	Date  Date `json:"date"`
	// Held is set when the budget could not cover every minimum payment, so
	// only the strategy's target debts were paid.
	Held  bool   `json:"held,omitempty"`
	Total Money  `json:"total"`
	Cells []Cell `json:"debts"`
}

// Cell is one debt in one month: what was paid and what remains.
type Cell struct {
	Platform string `json:"platform"`
	Payment  Money  `json:"payment"`
	Balance  Money  `json:"balance"`
}

// Message is one negotiation message.
type Message struct {
	Strategy StrategyName `json:"strategy"`
	Platform string       `json:"platform"`
	Text     string       `json:"text"`
}

// Build validates the input and makes the plan. It is pure: the date comes
// from in.Today.
func Build(in *Input, opt Options) (*Plan, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	if err := opt.fill(); err != nil {
		return nil, err
	}
	p := &Plan{
		Today: in.Today, Pack: opt.Pack, Lang: opt.Lang, Currency: in.Currency, Budget: in.Budget,
		Accrual: opt.Accrual, LPR: opt.LPR, Warnings: []Text{}, Messages: []Message{},
		Notice: Text{
			ZH: "本计划由软件根据你提供的数据计算，仅供参考，不构成法律意见。所引法规依据均标注为 [R]：来自律所、新闻和行业报道，原文未经核对。",
			EN: "This plan is computed by software from the data you gave; it is not legal advice. Every citation is tagged [R]: reported by law firms, news and industry write-ups, its text not read.",
		},
	}
	if p.Currency == "" {
		p.Currency = map[Pack]string{CN: "CNY", US: "USD"}[opt.Pack]
	}
	var minimums Money
	for i := range in.Debts {
		p.Debts = append(p.Debts, analyse(&in.Debts[i], in.Today, opt))
		minimums += in.Debts[i].MinimumPayment
	}
	p.Assumptions = assumptions(opt)
	if minimums > in.Budget {
		p.Warnings = append(p.Warnings, Text{
			ZH: fmt.Sprintf("每月预算 %s 不足以支付各笔借款的每月最低还款（合计 %s）。计划在这些月份只向当前目标平台还款，并在协商信息中请其他平台暂停催收、等待轮到它们。", p.money(in.Budget, ZH), p.money(minimums, ZH)),
			EN: fmt.Sprintf("The monthly budget of %s does not cover every debt's minimum payment (%s in total). In those months the plan pays only the strategy's target, and the messages ask the other platforms to pause until their turn.", p.money(in.Budget, EN), p.money(minimums, EN)),
		})
	}
	for i := range p.Debts {
		p.Warnings = append(p.Warnings, debtWarnings(&p.Debts[i], &in.Debts[i])...)
	}
	for _, name := range opt.Strategies {
		s := p.strategy(name)
		if !s.Finished {
			p.Warnings = append(p.Warnings, Text{
				ZH: fmt.Sprintf("%s：按每月 %s 的预算，%d 个月内无法还清。请提高预算，或请平台在还款期间停止计息。", name, p.money(in.Budget, ZH), MaxMonths),
				EN: fmt.Sprintf("%s: with a budget of %s a month the debts are not repaid within %d months. Raise the budget, or ask the platforms to stop interest while the plan runs.", name, p.money(in.Budget, EN), MaxMonths),
			})
		}
		p.Strategies = append(p.Strategies, s)
	}
	for si := range p.Strategies {
		for di := range p.Debts {
			p.Messages = append(p.Messages, Message{
				Strategy: p.Strategies[si].Name,
				Platform: p.Debts[di].Platform,
				Text:     p.negotiation(&p.Strategies[si], di, opt.Lang),
			})
		}
	}
	p.ContactsMessage = contactsMessage(opt.Lang)
	return p, nil
}

func (o *Options) fill() error {
	if o.Pack == "" {
		o.Pack = CN
	}
	if o.Pack != CN && o.Pack != US {
		return fmt.Errorf("pack: %q is not cn or us", o.Pack)
	}
	if o.Lang == "" {
		o.Lang = map[Pack]Lang{CN: ZH, US: EN}[o.Pack]
	}
	if o.Lang != ZH && o.Lang != EN {
		return fmt.Errorf("lang: %q is not zh or en", o.Lang)
	}
	if o.Accrual == "" {
		o.Accrual = AccrueCapped
	}
	if o.Accrual != AccrueCapped && o.Accrual != AccrueNone {
		return fmt.Errorf("accrue: %q is not capped or none", o.Accrual)
	}
	if o.Strategies == nil {
		o.Strategies = Strategies
	}
	for _, s := range o.Strategies {
		if !slices.Contains(Strategies, s) {
			return fmt.Errorf("strategy: %q is not one of %v", s, Strategies)
		}
	}
	if o.LPR == nil {
		o.LPR = DefaultLPR()
	}
	return nil
}

func analyse(d *Debt, today Date, opt Options) DebtReport {
	r := DebtReport{
		Platform: d.Platform, Outstanding: d.Outstanding, DaysOverdue: d.DaysOverdue,
		ContractDate: d.ContractDate, AdvertisedRate: d.AdvertisedRate, MinimumPayment: d.MinimumPayment,
	}
	if d.Received != nil {
		received := *d.Received
		r.Received = &received
		if r.ContractDate.IsZero() {
			r.ContractDate = received.Date
		}
		principal := cmp.Or(d.Principal, received.Amount)
		r.Principal = &principal
		r.UpfrontDeduction = principal - received.Amount
		if tr, err := IRR(d.cashFlows()); err == nil {
			r.TrueRate = &tr
		}
	}
	r.Threshold = threshold(opt.Pack, r.ContractDate, opt.LPR)
	fromFlows := r.TrueRate != nil
	switch {
	case fromFlows:
		r.rate, r.rateKnown = r.TrueRate.APR, true
	case d.AdvertisedRate != nil:
		r.rate, r.rateKnown = *d.AdvertisedRate, true
	}
	r.Flags = flags(opt.Pack, &r, r.rate, r.rateKnown, fromFlows, opt.LPR)
	r.AboveThreshold = r.rateKnown && above(r.rate, r.Threshold.Protected)
	if r.AboveThreshold && d.Received != nil {
		bal, over := lawfulBalance(*d.Received, d.Paid, r.Threshold.Protected, today)
		bal = min(bal, d.Outstanding)
		r.LawfulBalance, r.Overpaid = &bal, over
	}
	if opt.Accrual == AccrueCapped && r.rateKnown {
		r.AccrualRate = max(0, min(r.rate, r.Threshold.Protected))
	}
	return r
}

func debtWarnings(r *DebtReport, d *Debt) []Text {
	var out []Text
	switch {
	case d.Received == nil && r.rateKnown:
		out = append(out, Text{
			ZH: fmt.Sprintf("%s：没有实际到手金额和还款计划，无法计算真实利率；以宣传利率代替。", r.Platform),
			EN: fmt.Sprintf("%s: with no amount received and no schedule the true rate cannot be computed; the advertised rate stands in for it.", r.Platform),
		})
	case d.Received == nil:
		out = append(out, Text{
			ZH: fmt.Sprintf("%s：没有实际到手金额、还款计划或宣传利率，利率未知；计划中这笔借款不计利息。", r.Platform),
			EN: fmt.Sprintf("%s: no amount received, schedule or advertised rate, so the rate is unknown; the plan adds no interest to it.", r.Platform),
		})
	}
	if r.AboveThreshold && d.Received == nil {
		out = append(out, Text{
			ZH: fmt.Sprintf("%s：利率高于保护标准，但没有实际现金流，无法计算依法应还的金额；legal_rate_aware 策略按平台主张的金额计划。", r.Platform),
			EN: fmt.Sprintf("%s: the rate is above the line, but without the cash flows the lawful balance cannot be computed; legal_rate_aware plans the amount the platform claims.", r.Platform),
		})
	}
	if r.LawfulBalance != nil && len(d.Paid) == 0 {
		out = append(out, Text{
			ZH: fmt.Sprintf("%s：没有填写已还款项（paid），依法应还金额按尚未还款计算。", r.Platform),
			EN: fmt.Sprintf("%s: no payments listed under paid, so the lawful balance assumes nothing has been paid yet.", r.Platform),
		})
	}
	return out
}

func assumptions(opt Options) []Text {
	line := Text{
		ZH: "合同成立时一年期LPR的四倍，该LPR未知时为年利率 24%",
		EN: "4 × the one-year LPR at the contract date, or 24% a year when that LPR is unknown",
	}
	if opt.Pack == US {
		line = Text{ZH: "APR 36%，即 MLA 的上限，作为参照标准", EN: "36% APR, the MLA cap, as a benchmark"}
	}
	out := []Text{{
		ZH: "真实利率是实际现金流（到手金额、合同约定的全部还款和费用）的内部收益率（IRR）。各笔现金流都相隔整月时按月计算，年化利率 = 月利率 × 12；否则按日计算（实际天数/365），年化利率 = 日利率 × 365。与保护标准比较的是这一名义年化利率（不是复利后的实际年利率，后者更高）。",
		EN: "The true rate is the internal rate of return (IRR) of the actual cash flows (the amount received, every instalment and fee the contract charges). When all flows are whole months apart the period is the month and the APR is the monthly rate × 12; otherwise the period is the day (actual/365) and the APR is the daily rate × 365. Thresholds are compared with this nominal APR, not with the compounded effective rate, which is higher.",
	}, {
		ZH: "第 k 期还款日为今天之后的第 k 个月的同一天。每月先支付各笔借款的 minimum_payment（预算足够时），其余全部用于策略当前的目标借款。",
		EN: "Payment k falls k months after today, on the same day of the month. Each month the plan first pays every debt's minimum_payment (when the budget covers them all), then puts the rest on the strategy's current target.",
	}}
	if opt.Accrual == AccrueNone {
		out = append(out, Text{
			ZH: "计划期间余额不再增长：假设各平台同意在协商和还款期间停止计收利息、罚息和费用。",
			EN: "Balances do not grow during the plan: this assumes the platforms agree to stop interest, penalties and fees while it runs.",
		})
	} else {
		out = append(out, Text{
			ZH: "计划期间每笔借款每月对剩余本金（起始余额全部视为本金）计单利，月利率为“借款自身利率”与保护标准（" + line.ZH + "）两者中较低者的十二分之一；每笔还款先抵利息再抵本金。利率未知的借款不计息；罚息和其他费用不计入。",
			EN: "During the plan each debt accrues simple interest monthly on the principal left (counting the whole starting balance as principal), at one twelfth of the lower of the loan's own rate and the line (" + line.EN + "); each payment goes to interest first, then principal. A debt whose rate is unknown accrues nothing; penalties and other fees are not added.",
		})
	}
	out = append(out, Text{
		ZH: "legal_rate_aware 策略：对利率高于保护标准（" + line.ZH + "）的借款，以实际到手金额为本金，按保护标准的年利率计单利（实际天数/365），已还款项先抵利息再抵本金，计算截至今天应还的金额（不超过平台主张的金额），只按此金额计划还款；利率合规的借款优先还清。",
		EN: "legal_rate_aware: for a loan above the line (" + line.EN + "), the plan repays only the amount actually received as principal plus simple interest at the line (actual/365), with payments made applied to interest first and then principal, as of today and never more than the platform claims; lawful loans are cleared first.",
	})
	return out
}

// strategy simulates one strategy month by month.
func (p *Plan) strategy(name StrategyName) StrategyPlan {
	n := len(p.Debts)
	start := make([]Money, n)
	for i, d := range p.Debts {
		start[i] = d.Outstanding
		if name == LegalRateAware && d.LawfulBalance != nil {
			start[i] = *d.LawfulBalance
		}
	}
	order := p.order(name, start)
	s := StrategyPlan{Name: name, Description: descriptions[name], Rows: []Row{}}
	for _, i := range order {
		s.Order = append(s.Order, p.Debts[i].Platform)
	}
	s.Debts = make([]StrategyDebt, n)
	// Interest is simple: it accrues on the principal left, and payments go to
	// the interest due first.
	principal := slices.Clone(start)
	interest := make([]Money, n)
	for i, d := range p.Debts {
		s.Debts[i] = StrategyDebt{Platform: d.Platform, StartBalance: start[i], Reduced: start[i] < d.Outstanding, ClearedMonth: -1}
		if start[i] == 0 {
			s.Debts[i].ClearedMonth = 0
		}
	}
	balance := func(i int) Money { return principal[i] + interest[i] }
	open := func() bool {
		for i := range principal {
			if balance(i) > 0 {
				return true
			}
		}
		return false
	}
	for month := 1; month <= MaxMonths && open(); month++ {
		row := Row{Month: month, Date: p.Today.AddMonths(month), Cells: make([]Cell, n)}
		var minimums Money
		for i := range principal {
			if balance(i) == 0 {
				continue
			}
			accrued := roundMoney(float64(principal[i]) * float64(p.Debts[i].AccrualRate) / 12)
			interest[i] += accrued
			s.Debts[i].Interest += accrued
			s.TotalInterest += accrued
			minimums += min(p.Debts[i].MinimumPayment, balance(i))
		}
		pay := make([]Money, n)
		avail := p.Budget
		row.Held = minimums > avail
		if !row.Held {
			for i := range principal {
				pay[i] = min(p.Debts[i].MinimumPayment, balance(i))
				avail -= pay[i]
			}
		}
		for _, i := range order {
			extra := min(avail, balance(i)-pay[i])
			pay[i] += extra
			avail -= extra
		}
		for i := range principal {
			toInterest := min(pay[i], interest[i])
			interest[i] -= toInterest
			principal[i] -= pay[i] - toInterest
			row.Total += pay[i]
			s.Debts[i].Paid += pay[i]
			row.Cells[i] = Cell{Platform: p.Debts[i].Platform, Payment: pay[i], Balance: balance(i)}
			if pay[i] > 0 && balance(i) == 0 {
				s.Debts[i].ClearedMonth, s.Debts[i].ClearedOn = month, row.Date
			}
		}
		s.TotalPaid += row.Total
		s.Rows = append(s.Rows, row)
	}
	s.Months = len(s.Rows)
	s.Finished = !open()
	return s
}

// order returns the debt indexes in the order a strategy targets them.
func (p *Plan) order(name StrategyName, start []Money) []int {
	idx := make([]int, len(p.Debts))
	for i := range idx {
		idx[i] = i
	}
	smallest := func(a, b int) int {
		return cmp.Or(cmp.Compare(start[a], start[b]), cmp.Compare(p.Debts[b].DaysOverdue, p.Debts[a].DaysOverdue), cmp.Compare(a, b))
	}
	costliest := func(a, b int) int {
		da, db := &p.Debts[a], &p.Debts[b]
		return cmp.Or(cmp.Compare(db.AccrualRate, da.AccrualRate), cmp.Compare(rateKey(db), rateKey(da)), smallest(a, b))
	}
	switch name {
	case SmallestFirst:
		slices.SortStableFunc(idx, smallest)
	case HighestRateFirst:
		slices.SortStableFunc(idx, costliest)
	case LegalRateAware:
		slices.SortStableFunc(idx, func(a, b int) int {
			la, lb := p.Debts[a].AboveThreshold, p.Debts[b].AboveThreshold
			switch {
			case la != lb && !la:
				return -1
			case la != lb:
				return 1
			case !la:
				return costliest(a, b)
			}
			return smallest(a, b)
		})
	}
	return idx
}

// rateKey orders known rates above unknown ones.
func rateKey(d *DebtReport) float64 {
	if !d.rateKnown {
		return -1e18
	}
	return float64(d.rate)
}

var descriptions = map[StrategyName]Text{
	SmallestFirst: {
		ZH: "从余额最小的平台开始，一次还清一个平台：最快减少催收你的平台数量。",
		EN: "Clear the smallest balance first, one platform at a time: the fewest collectors, soonest.",
	},
	HighestRateFirst: {
		ZH: "先还计划期间利率最高的借款：总还款额最少。",
		EN: "Clear the debt that grows fastest during the plan first: the least total cost.",
	},
	LegalRateAware: {
		ZH: "先还清利率合规的借款；对利率高于保护标准的借款，只按实际到手本金加保护标准内的利息计划还款，并在协商信息中说明。",
		EN: "Clear the lawful loans first; for loans above the protection line, plan to repay only the principal actually received plus interest at the line, and say so in the messages.",
	},
}

// money formats an amount with the plan's currency for people.
func (p *Plan) money(m Money, lang Lang) string {
	if lang == ZH && p.Currency == "CNY" {
		return m.Grouped() + " 元"
	}
	return p.Currency + " " + m.Grouped()
}
