package planner

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Limits on the input, far above any real borrower's situation.
const (
	MaxInputBytes   = 1 << 20
	MaxDebts        = 50
	MaxFlows        = 1200 // per list: schedule, paid
	MaxPlatformLen  = 80   // characters
	MaxDaysOverdue  = 36500
	maxReportErrors = 20
)

// Input is what the planner plans from: the borrower's debts and monthly budget.
type Input struct {
	// File names the input in errors.
	File string
	// Currency is a three-letter code such as CNY; empty means the pack's
	// (CNY for cn, USD for us). Amounts have at most two decimal places.
	Currency string
	// Budget is what the borrower can pay each month; zero when the file gives
	// none (the command line may).
	Budget Money
	// Today is the date the plan is made; month k's payment falls k months later.
	Today Date
	Debts []Debt

	lines map[string]int // field path → line, for errors
}

// Debt is one loan as the borrower knows it.
type Debt struct {
	Platform string
	// Outstanding is what the platform claims now.
	Outstanding Money
	DaysOverdue int
	// ContractDate is when the contract was made; zero means Received.Date.
	ContractDate Date
	// AdvertisedRate is the rate the platform quoted, if known.
	AdvertisedRate *Rate
	// Principal is the contract amount; zero means Received.Amount. When it is
	// more than Received.Amount the difference was deducted up front.
	Principal Money
	// Received is the money the borrower actually got, and when. Received and
	// Schedule together give the true rate; both or neither.
	Received *Payment
	// Schedule is every amount the contract charges: each instalment and each
	// separately charged fee, past and future.
	Schedule []Payment
	// Paid is what the borrower has actually paid so far.
	Paid []Payment
	// MinimumPayment is the least the borrower pays this debt each month while
	// the budget covers every debt's minimum; zero for none.
	MinimumPayment Money
}

// Payment is an amount on a date.
type Payment struct {
	Date   Date  `json:"date"`
	Amount Money `json:"amount"`
}

// InputError is one problem in the input, with its place.
type InputError struct {
	File string
	Line int    // 0 when unknown
	Path string // debts[2].schedule[0].date
	Msg  string
}

func (e *InputError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// InputErrors is every problem found, in input order.
type InputErrors []*InputError

func (es InputErrors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

// Unwrap exposes each error, so errors.As finds an *InputError.
func (es InputErrors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// Parse reads the YAML (or JSON) input. today is the date the plan is made
// unless the file gives one. Every problem is reported as FILE:LINE: path:
// message; unknown and repeated keys are problems too. Parse checks each field
// on its own; Validate (which Build calls) checks the input as a whole, and its
// errors carry the lines Parse recorded.
func Parse(file string, data []byte, today Date) (*Input, error) {
	p := &parser{file: file, lines: map[string]int{}}
	if len(data) > MaxInputBytes {
		return nil, InputErrors{{File: file, Msg: fmt.Sprintf("larger than %d bytes", MaxInputBytes)}}
	}
	if strings.TrimSpace(string(data)) == "" {
		return nil, InputErrors{{File: file, Msg: "empty input"}}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		e := &InputError{File: file, Msg: "not valid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
		if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
			e.Line, _ = strconv.Atoi(m[1])
			e.Msg = "not valid YAML: " + m[2]
		}
		return nil, InputErrors{e}
	}
	if root.Kind != yaml.DocumentNode || len(root.Content) != 1 {
		return nil, InputErrors{{File: file, Msg: "want one YAML document"}}
	}
	in := &Input{File: file, Today: today, lines: p.lines}
	p.input(root.Content[0], in)
	if len(p.errs) > 0 {
		return nil, p.errs
	}
	return in, nil
}

type parser struct {
	file  string
	lines map[string]int
	errs  InputErrors
}

func (p *parser) errorf(n *yaml.Node, path, format string, args ...any) {
	if len(p.errs) >= maxReportErrors {
		return
	}
	p.errs = append(p.errs, &InputError{File: p.file, Line: n.Line, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// fields reads a mapping whose keys must be among allowed and records the line
// of each value under path.key.
func (p *parser) fields(n *yaml.Node, path string, allowed ...string) map[string]*yaml.Node {
	if n.Kind != yaml.MappingNode {
		p.errorf(n, path, "want a mapping of %s", strings.Join(allowed, ", "))
		return nil
	}
	out := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := join(path, k.Value)
		switch {
		case k.Kind != yaml.ScalarNode || k.Tag == "!!merge":
			p.errorf(k, path, "keys must be plain names")
		case !contains(allowed, k.Value):
			p.errorf(k, key, "unknown field (allowed: %s)", strings.Join(allowed, ", "))
		case out[k.Value] != nil:
			p.errorf(k, key, "appears twice")
		case v.Kind == yaml.AliasNode || v.Anchor != "":
			p.errorf(v, key, "anchors and aliases are not supported")
		default:
			out[k.Value] = v
			p.lines[key] = v.Line
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// scalar returns a scalar's text, or reports what was wanted.
func (p *parser) scalar(n *yaml.Node, path, want string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		p.errorf(n, path, "want %s", want)
		return "", false
	}
	return n.Value, true
}

func (p *parser) money(n *yaml.Node, path string) Money {
	s, ok := p.scalar(n, path, "an amount such as 3000 or 8200.50")
	if !ok {
		return 0
	}
	if strings.HasPrefix(strings.TrimSpace(s), "-") {
		p.errorf(n, path, "%s: must not be negative", s)
		return 0
	}
	m, err := ParseMoney(s)
	if err != nil {
		p.errorf(n, path, "%v", err)
	}
	return m
}

func (p *parser) date(n *yaml.Node, path string) Date {
	s, ok := p.scalar(n, path, "a date such as 2026-11-24")
	if !ok {
		return Date{}
	}
	d, err := ParseDate(s)
	if err != nil {
		p.errorf(n, path, "%v", err)
	}
	return d
}

func (p *parser) str(n *yaml.Node, path string) string {
	s, _ := p.scalar(n, path, "a string")
	return s
}

func (p *parser) input(n *yaml.Node, in *Input) {
	f := p.fields(n, "", "currency", "budget", "today", "debts")
	if f == nil {
		return
	}
	if v := f["currency"]; v != nil {
		in.Currency = p.str(v, "currency")
	}
	if v := f["budget"]; v != nil {
		in.Budget = p.money(v, "budget")
	}
	if v := f["today"]; v != nil {
		in.Today = p.date(v, "today")
	}
	v := f["debts"]
	if v == nil {
		p.errorf(n, "debts", "missing: list at least one debt")
		return
	}
	if v.Kind != yaml.SequenceNode {
		p.errorf(v, "debts", "want a list of debts")
		return
	}
	for i, item := range v.Content {
		if i == MaxDebts {
			p.errorf(item, "debts", "more than %d debts", MaxDebts)
			break
		}
		path := fmt.Sprintf("debts[%d]", i)
		p.lines[path] = item.Line
		in.Debts = append(in.Debts, p.debt(item, path))
	}
}

func (p *parser) debt(n *yaml.Node, path string) Debt {
	var d Debt
	f := p.fields(n, path, "platform", "outstanding", "days_overdue", "contract_date", "advertised_rate",
		"principal", "received", "schedule", "paid", "minimum_payment")
	if f == nil {
		return d
	}
	if v := f["platform"]; v != nil {
		d.Platform = p.str(v, path+".platform")
	}
	if v := f["outstanding"]; v != nil {
		d.Outstanding = p.money(v, path+".outstanding")
	}
	if v := f["days_overdue"]; v != nil {
		if v.Kind != yaml.ScalarNode || v.Tag != "!!int" {
			p.errorf(v, path+".days_overdue", "want a whole number of days")
		} else if k, err := strconv.Atoi(v.Value); err != nil || k < 0 || k > MaxDaysOverdue {
			p.errorf(v, path+".days_overdue", "%s is out of range (0 to %d)", v.Value, MaxDaysOverdue)
		} else {
			d.DaysOverdue = k
		}
	}
	if v := f["contract_date"]; v != nil {
		d.ContractDate = p.date(v, path+".contract_date")
	}
	if v := f["advertised_rate"]; v != nil {
		if s, ok := p.scalar(v, path+".advertised_rate", "a rate such as 18%"); ok {
			r, err := ParsePercent(s)
			if err != nil {
				p.errorf(v, path+".advertised_rate", "%v", err)
			} else {
				d.AdvertisedRate = &r
			}
		}
	}
	if v := f["principal"]; v != nil {
		d.Principal = p.money(v, path+".principal")
	}
	if v := f["received"]; v != nil {
		r := p.payment(v, path+".received")
		d.Received = &r
	}
	if v := f["schedule"]; v != nil {
		d.Schedule = p.payments(v, path+".schedule")
	}
	if v := f["paid"]; v != nil {
		d.Paid = p.payments(v, path+".paid")
	}
	if v := f["minimum_payment"]; v != nil {
		d.MinimumPayment = p.money(v, path+".minimum_payment")
	}
	return d
}

func (p *parser) payment(n *yaml.Node, path string) Payment {
	var pay Payment
	f := p.fields(n, path, "date", "amount")
	if f == nil {
		return pay
	}
	if v := f["date"]; v != nil {
		pay.Date = p.date(v, path+".date")
	} else {
		p.errorf(n, path+".date", "missing")
	}
	if v := f["amount"]; v != nil {
		pay.Amount = p.money(v, path+".amount")
	} else {
		p.errorf(n, path+".amount", "missing")
	}
	return pay
}

func (p *parser) payments(n *yaml.Node, path string) []Payment {
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, path, "want a list of {date, amount}")
		return nil
	}
	out := make([]Payment, 0, len(n.Content))
	for i, item := range n.Content {
		if i == MaxFlows {
			p.errorf(item, path, "more than %d entries", MaxFlows)
			break
		}
		ip := fmt.Sprintf("%s[%d]", path, i)
		p.lines[ip] = item.Line
		out = append(out, p.payment(item, ip))
	}
	return out
}

var currencyRE = regexp.MustCompile(`^[A-Z]{3}$`)

// Validate checks what the parser cannot check field by field: required fields,
// positive amounts, the order of dates, and that a true rate can be computed.
// Errors carry the line of the field when the input came from Parse.
func (in *Input) Validate() error {
	var errs InputErrors
	add := func(path, format string, args ...any) {
		if len(errs) < maxReportErrors {
			errs = append(errs, &InputError{File: in.File, Line: in.line(path), Path: path, Msg: fmt.Sprintf(format, args...)})
		}
	}
	if in.Currency != "" && !currencyRE.MatchString(in.Currency) {
		add("currency", "%q is not a three-letter currency code such as CNY or USD", in.Currency)
	}
	switch {
	case in.Budget < 0:
		add("budget", "must be more than 0")
	case in.Budget == 0 && in.line("budget") > 0:
		add("budget", "must be more than 0")
	case in.Budget == 0:
		add("budget", "missing: give the monthly budget in the file or with --budget")
	case in.Budget > MaxMoney:
		add("budget", "too large")
	}
	if in.Today.IsZero() {
		add("today", "missing")
	}
	if len(in.Debts) == 0 {
		add("debts", "missing: list at least one debt")
	}
	if len(in.Debts) > MaxDebts {
		add("debts", "more than %d debts", MaxDebts)
	}
	seen := map[string]int{}
	for i := range in.Debts {
		in.validateDebt(i, seen, add)
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

func (in *Input) validateDebt(i int, seen map[string]int, add func(path, format string, args ...any)) {
	d := &in.Debts[i]
	path := fmt.Sprintf("debts[%d]", i)
	name := strings.TrimSpace(d.Platform)
	switch {
	case name == "":
		add(path+".platform", "missing: name the platform or lender")
	case utf8.RuneCountInString(d.Platform) > MaxPlatformLen:
		add(path+".platform", "longer than %d characters", MaxPlatformLen)
	case strings.ContainsFunc(d.Platform, unicode.IsControl):
		add(path+".platform", "must be one line with no control characters")
	case seen[name] > 0:
		add(path+".platform", "%q is also debts[%d]; give each debt a distinct name", name, seen[name]-1)
	default:
		seen[name] = i + 1
	}
	if d.Outstanding <= 0 {
		add(path+".outstanding", "missing or 0: give the amount the platform claims now")
	}
	if d.DaysOverdue < 0 || d.DaysOverdue > MaxDaysOverdue {
		add(path+".days_overdue", "out of range (0 to %d)", MaxDaysOverdue)
	}
	if d.MinimumPayment < 0 {
		add(path+".minimum_payment", "must not be negative")
	}
	if !d.ContractDate.IsZero() && !in.Today.IsZero() && d.ContractDate.After(in.Today) {
		add(path+".contract_date", "%s is after today (%s)", d.ContractDate, in.Today)
	}
	switch {
	case d.Received == nil && len(d.Schedule) > 0:
		add(path+".received", "missing: the schedule needs the amount received and its date")
	case d.Received != nil && len(d.Schedule) == 0:
		add(path+".schedule", "missing: list what the contract charges, to compute the true rate")
	}
	if d.Received == nil {
		if d.Principal > 0 {
			add(path+".principal", "needs received: the amount actually received, to compare with the principal")
		}
		if len(d.Paid) > 0 {
			add(path+".paid", "needs received: the amount actually received and its date")
		}
		return
	}
	r := d.Received
	switch {
	case r.Amount <= 0:
		add(path+".received.amount", "must be more than 0")
	case d.Principal > 0 && d.Principal < r.Amount:
		add(path+".principal", "%s is less than the amount received (%s)", d.Principal, r.Amount)
	}
	if r.Date.IsZero() {
		return
	}
	if !in.Today.IsZero() && r.Date.After(in.Today) {
		add(path+".received.date", "%s is after today (%s)", r.Date, in.Today)
	}
	flowsOK := r.Amount > 0
	for j, s := range d.Schedule {
		sp := fmt.Sprintf("%s.schedule[%d]", path, j)
		if s.Amount <= 0 {
			add(sp+".amount", "must be more than 0")
			flowsOK = false
		}
		if s.Date.IsZero() {
			flowsOK = false
		} else if s.Date.Before(r.Date) {
			add(sp+".date", "%s is before the money was received (%s)", s.Date, r.Date)
			flowsOK = false
		}
	}
	for j, s := range d.Paid {
		sp := fmt.Sprintf("%s.paid[%d]", path, j)
		if s.Amount <= 0 {
			add(sp+".amount", "must be more than 0")
		}
		switch {
		case s.Date.IsZero():
		case s.Date.Before(r.Date):
			add(sp+".date", "%s is before the money was received (%s)", s.Date, r.Date)
		case !in.Today.IsZero() && s.Date.After(in.Today):
			add(sp+".date", "%s is after today (%s): list only what has been paid", s.Date, in.Today)
		}
	}
	if flowsOK && len(d.Schedule) > 0 {
		if _, err := IRR(d.cashFlows()); err != nil {
			if errors.Is(err, ErrOneDay) {
				add(path+".schedule", "every amount falls on the day the money was received: a rate needs later payments")
			} else {
				add(path+".schedule", "no true rate: %v", err)
			}
		}
	}
}

// line returns the line of path or of its nearest recorded ancestor.
func (in *Input) line(path string) int {
	for path != "" {
		if l, ok := in.lines[path]; ok {
			return l
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return 0
}

// cashFlows are the debt's flows from the lender's side: the money received
// out, the schedule in.
func (d *Debt) cashFlows() []CashFlow {
	out := make([]CashFlow, 0, 1+len(d.Schedule))
	out = append(out, CashFlow{Date: d.Received.Date, Amount: -d.Received.Amount})
	for _, s := range d.Schedule {
		out = append(out, CashFlow(s))
	}
	return out
}
