package cli

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/text/width"

	"github.com/fairdebt/fairdebt/internal/planner"
)

type planFlags struct {
	budget, strategy, lang, pack, out, accrue string
	lpr                                       []string
	json                                      bool
}

func (a *app) planCommand() *cobra.Command {
	var f planFlags
	cmd := &cobra.Command{
		Use:   "plan DEBTS.yaml",
		Short: "Plan the repayment of several debts from a monthly budget; flag rates above the protection lines",
		Long: `plan reads a borrower's debts and monthly budget from a YAML (or JSON) file, or
from standard input when the file is "-", and works offline:

  - each loan's true annual rate: the internal rate of return (IRR) of the money
    actually received and everything the contract charges, not the advertised rate;
  - flags for rates and fees above the interest-rate protection lines of the pack,
    each with its citation and confidence tag ([R]: reported, text not read);
  - a month-by-month plan by each strategy:
      smallest_first      clear the smallest balance first, one platform at a time
                          (the fewest collectors, soonest)
      highest_rate_first  clear the debt that grows fastest first (least total cost)
      legal_rate_aware    clear lawful loans first; for a loan above the line, repay
                          only the money received plus simple interest at the
                          line, less what was paid (the paid list)
  - a negotiation message to each platform proposing each strategy's plan, and a
    message for the borrower's contacts ("if someone calls you about my loan").

It prints a summary; --out DIR also writes plan.json (everything),
schedule-<strategy>.csv, messages-<lang>.txt and contacts-message-<lang>.txt, each
written whole and renamed into place. --json prints plan.json instead of the summary.
This is arithmetic on the data given, not legal advice.

Input (amounts are decimals with at most two places, never negative; dates are
YYYY-MM-DD; rates are written with a % sign; unknown or repeated keys are errors):

  currency: CNY          # optional; default CNY for --pack cn, USD for --pack us
  budget: 3000           # per month; optional when --budget is given
  today: 2026-11-24      # optional; default: today's date
  debts:                 # one or more
    - platform: Synthetic Loan App A   # a distinct name per debt
      outstanding: 8200.50             # what the platform claims now
      days_overdue: 45                 # optional
      contract_date: 2026-03-01        # optional; default received.date
      advertised_rate: 6%              # optional; shown beside the true rate
      principal: 10000                 # optional contract amount; more than
                                       # received.amount means a deduction up front
      received: {date: 2026-03-01, amount: 8000}  # the money actually received
      schedule:                        # every instalment and fee the contract
        - {date: 2026-04-01, amount: 883.33}      # charges, past and future
      paid:                            # optional: what has actually been paid
        - {date: 2026-04-01, amount: 883.33}
      minimum_payment: 300             # optional: paid every month while the
                                       # budget covers every debt's minimum; in a
                                       # month it does not, only the target is paid

received and schedule go together; without them the advertised rate, if any,
stands in for the true rate. Errors name the place: FILE:LINE: debts[0].received.date.

Conventions. When every cash flow falls a whole number of months after the first,
the IRR is monthly and the APR is the monthly rate × 12; otherwise it is daily
(actual/365) and the APR is the daily rate × 365. The effective annual rate is
reported too, but thresholds are compared with the APR, the lower figure.
  cn: 4 × the one-year LPR in force at the contract date (最高人民法院《关于审理民间借贷
      案件适用法律若干问题的规定》, 2020 revision); when no LPR is known for that date
      the line is reported unknown and 24% a year is used; 24% and 36% a year (the
      2015 version of the same rules); fees deducted up front and the comprehensive
      cost (整治办函〔2017〕141号). The LPR table knows 3.0% from 2025-05-20 (PBOC /
      NIFC LPR announcements); add entries with --lpr.
  us: APR above 36% (Reg Z; MLA), a benchmark, not a federal cap.
While a plan runs, each debt accrues simple interest monthly on the principal left,
at 1/12 of the lower of the loan's rate and the line (--accrue capped), or nothing
(--accrue none: the platforms are asked to stop interest and fees). Payment k falls
k months after today. Money is kept in whole fen or cents, never in floats.

Exit status: 0 when the plan was made; 2 when the input or a flag is invalid, or
the --out directory cannot be created, with a one-line message per problem naming
the file, line and field; 1 when writing a file in --out fails.`,
		Example: `  fairdebt plan debts.yaml
  fairdebt plan debts.yaml --budget 2500 --strategy legal_rate_aware --lang en
  fairdebt plan debts.yaml --lpr 3.1%@2024-10-21 --out plan-2026-11
  fairdebt plan - --json < debts.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.plan(cmd.OutOrStdout(), args[0], &f, planner.DateOf(time.Now()))
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.budget, "budget", "", "monthly budget, such as 3000 or 2500.50 (overrides the file's)")
	fl.StringVar(&f.strategy, "strategy", "all", "all, smallest_first, highest_rate_first or legal_rate_aware")
	fl.StringVar(&f.lang, "lang", "", "language of the summary and messages: zh or en (default zh for --pack cn, en for --pack us)")
	fl.StringVar(&f.pack, "pack", "cn", "interest-rate rules: cn or us")
	fl.StringVar(&f.accrue, "accrue", "capped", "interest during the plan: capped (at the lower of the loan's rate and the line) or none")
	fl.StringArrayVar(&f.lpr, "lpr", nil, "add an LPR entry RATE%@DATE, such as 3.1%@2024-10-21 (repeatable; replaces an entry of the same date)")
	fl.StringVar(&f.out, "out", "", "write plan.json, the schedules, and the messages to this directory (created if needed)")
	fl.BoolVar(&f.json, "json", false, "print plan.json instead of the summary")
	return cmd
}

func (a *app) plan(stdout io.Writer, file string, f *planFlags, today planner.Date) error {
	opt, budget, err := f.options()
	if err != nil {
		return inputError(err)
	}
	data, name, err := planRead(a.stdin, file)
	if err != nil {
		return err
	}
	in, err := planner.Parse(name, data, today)
	if err != nil {
		return inputError(err)
	}
	if budget > 0 {
		in.Budget = budget
	}
	p, err := planner.Build(in, opt)
	if err != nil {
		return inputError(err)
	}
	var written []string
	if f.out != "" {
		if written, err = planWriteFiles(f.out, p); err != nil {
			return err
		}
	}
	if f.json {
		return writeJSON(stdout, p)
	}
	var b bytes.Buffer
	planSummary(&b, p)
	if len(written) > 0 {
		b.WriteString(map[planner.Lang]string{planner.ZH: "\n已写入：\n", planner.EN: "\nWrote:\n"}[p.Lang])
		for _, w := range written {
			fmt.Fprintf(&b, "  %s\n", w)
		}
	} else {
		b.WriteString(map[planner.Lang]string{
			planner.ZH: "\n每月明细、协商信息和给亲友的信息：加 --out 目录 写入文件，或用 --json 查看。\n",
			planner.EN: "\nFor the month-by-month schedules and the messages, add --out DIR, or use --json.\n",
		}[p.Lang])
	}
	_, err = stdout.Write(b.Bytes())
	return err
}

// options turns the flags into the planner's options and the --budget amount (0
// when not given).
func (f *planFlags) options() (planner.Options, planner.Money, error) {
	opt := planner.Options{
		Pack:    planner.Pack(f.pack),
		Lang:    planner.Lang(f.lang),
		Accrual: planner.Accrual(f.accrue),
	}
	switch opt.Pack {
	case planner.CN, planner.US:
	default:
		return opt, 0, fmt.Errorf("--pack: %q is not cn or us", f.pack)
	}
	switch opt.Lang {
	case "", planner.ZH, planner.EN:
	default:
		return opt, 0, fmt.Errorf("--lang: %q is not zh or en", f.lang)
	}
	switch opt.Accrual {
	case planner.AccrueCapped, planner.AccrueNone:
	default:
		return opt, 0, fmt.Errorf("--accrue: %q is not capped or none", f.accrue)
	}
	if f.strategy != "all" {
		s := planner.StrategyName(f.strategy)
		if !slices.Contains(planner.Strategies, s) {
			return opt, 0, fmt.Errorf("--strategy: %q is not all, smallest_first, highest_rate_first or legal_rate_aware", f.strategy)
		}
		opt.Strategies = []planner.StrategyName{s}
	}
	opt.LPR = planner.DefaultLPR()
	for _, s := range f.lpr {
		e, err := planner.ParseLPR(s)
		if err != nil {
			return opt, 0, fmt.Errorf("--lpr: %w", err)
		}
		opt.LPR = opt.LPR.With(e)
	}
	var budget planner.Money
	if f.budget != "" {
		b, err := planner.ParseMoney(f.budget)
		if err != nil {
			return opt, 0, fmt.Errorf("--budget: %w", err)
		}
		if b == 0 {
			return opt, 0, errors.New("--budget: must be more than 0")
		}
		budget = b
	}
	return opt, budget, nil
}

// planRead reads the input file, or standard input for "-", and returns it with
// the name errors use.
func planRead(stdin io.Reader, file string) ([]byte, string, error) {
	r, name := stdin, "stdin"
	if file != "-" {
		fh, err := os.Open(file)
		if err != nil {
			return nil, "", inputError(fileError(err))
		}
		defer fh.Close()
		r, name = fh, file
	}
	data, err := io.ReadAll(io.LimitReader(r, planner.MaxInputBytes+1))
	if err != nil {
		return nil, "", inputError(fmt.Errorf("reading %s: %w", name, err))
	}
	return data, name, nil
}

// planWriteFiles writes every output file into dir and returns their paths.
func planWriteFiles(dir string, p *planner.Plan) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, inputError(fmt.Errorf("--out: %w", fileError(err)))
	}
	var files []string
	write := func(name string, data []byte) error {
		path := filepath.Join(dir, name)
		if err := planWriteFile(path, data); err != nil {
			return err
		}
		files = append(files, path)
		return nil
	}
	var js bytes.Buffer
	if err := writeJSON(&js, p); err != nil {
		return nil, err
	}
	if err := write("plan.json", js.Bytes()); err != nil {
		return nil, err
	}
	for i := range p.Strategies {
		s := &p.Strategies[i]
		if err := write("schedule-"+string(s.Name)+".csv", planCSV(s)); err != nil {
			return nil, err
		}
	}
	var msgs strings.Builder
	for i, m := range p.Messages {
		if i > 0 {
			msgs.WriteString("\n")
		}
		fmt.Fprintf(&msgs, "===== %s — %s =====\n\n%s", m.Strategy, m.Platform, m.Text)
	}
	if err := write("messages-"+string(p.Lang)+".txt", []byte(msgs.String())); err != nil {
		return nil, err
	}
	if err := write("contacts-message-"+string(p.Lang)+".txt", []byte(p.ContactsMessage)); err != nil {
		return nil, err
	}
	return files, nil
}

// planWriteFile writes data to path atomically (see writeAtomic).
func planWriteFile(path string, data []byte) error {
	if err := writeAtomic(path, func(w io.Writer) error { _, err := w.Write(data); return err }); err != nil {
		return fmt.Errorf("writing %s: %w", path, fileError(err))
	}
	return nil
}

// planCSV is a strategy's month-by-month schedule: one row a month, a payment
// and a balance column per platform.
func planCSV(s *planner.StrategyPlan) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	header := []string{"month", "date", "held", "total"}
	for _, d := range s.Debts {
		header = append(header, d.Platform+" payment", d.Platform+" balance")
	}
	_ = w.Write(header)
	for _, r := range s.Rows {
		rec := []string{strconv.Itoa(r.Month), r.Date.String(), strconv.FormatBool(r.Held), r.Total.String()}
		for _, c := range r.Cells {
			rec = append(rec, c.Payment.String(), c.Balance.String())
		}
		_ = w.Write(rec)
	}
	w.Flush()
	return b.Bytes()
}

// planSummary writes the readable summary in the plan's language.
func planSummary(w io.Writer, p *planner.Plan) {
	lang := p.Lang
	tr := func(zh, en string) string {
		if lang == planner.EN {
			return en
		}
		return zh
	}
	fmt.Fprintf(w, tr("还款计划 · %s · 规则 %s · 每月预算 %s %s\n", "Repayment plan · %s · pack %s · budget %s %s a month\n"),
		p.Today, p.Pack, p.Currency, p.Budget.Grouped())
	fmt.Fprintf(w, "%s\n", p.Notice.In(lang))

	fmt.Fprintf(w, "\n%s\n", tr("借款", "Debts"))
	debts := planTable{right: []bool{false, true, true, true, true, true, false}}
	debts.add(tr("平台", "Platform"), tr("主张欠款", "Outstanding"), tr("真实年化", "True APR"), tr("实际年利率", "Effective"),
		tr("宣传利率", "Advertised"), tr("逾期天数", "Days overdue"), tr("提示", "Flags"))
	for _, d := range p.Debts {
		apr, eff, adv := "—", "—", "—"
		if d.TrueRate != nil {
			apr = d.TrueRate.APR.String()
			if d.TrueRate.Effective != nil {
				eff = d.TrueRate.Effective.String()
			}
		}
		if d.AdvertisedRate != nil {
			adv = d.AdvertisedRate.String()
		}
		ids := make([]string, len(d.Flags))
		for i, f := range d.Flags {
			ids[i] = f.ID
		}
		debts.add(d.Platform, d.Outstanding.Grouped(), apr, eff, adv, strconv.Itoa(d.DaysOverdue), strings.Join(ids, ", "))
	}
	debts.write(w)

	if slices.ContainsFunc(p.Debts, func(d planner.DebtReport) bool { return len(d.Flags) > 0 }) {
		fmt.Fprintf(w, "\n%s\n", tr("提示及依据", "Flags and citations"))
		for _, d := range p.Debts {
			if len(d.Flags) == 0 {
				continue
			}
			fmt.Fprintf(w, "  %s\n", d.Platform)
			for _, f := range d.Flags {
				cite := f.Citation
				if f.CitationNote != "" {
					cite += ", " + f.CitationNote
				}
				fmt.Fprintf(w, "    - %s: %s\n      %s%s [%s]\n", f.ID, f.Detail.In(lang), tr("依据：", "Citation: "), cite, f.Confidence)
			}
			if d.LawfulBalance != nil {
				fmt.Fprintf(w, "    %s\n", fmt.Sprintf(tr("按年利率 %s 计算，实际到手本金加利息、扣除已还款项，截至今天为 %s（平台主张 %s）。",
					"At %s a year, the principal received plus interest, less payments, comes to %s today (the platform claims %s)."),
					d.Threshold.Protected, d.LawfulBalance.Grouped(), d.Outstanding.Grouped()))
			}
		}
	}

	fmt.Fprintf(w, "\n%s\n", tr("还款策略", "Strategies"))
	strategies := planTable{right: []bool{false, true, true, true, false}}
	strategies.add(tr("策略", "Strategy"), tr("月数", "Months"), tr("总还款", "Total paid"), tr("其中利息", "Interest"),
		tr("顺序（第几个月还清）", "Order (month cleared)"))
	for _, s := range p.Strategies {
		var order []string
		for _, name := range s.Order {
			for _, d := range s.Debts {
				if d.Platform != name {
					continue
				}
				when := "—"
				if d.ClearedMonth >= 0 {
					when = strconv.Itoa(d.ClearedMonth)
				}
				order = append(order, fmt.Sprintf("%s (%s)", name, when))
			}
		}
		months := strconv.Itoa(s.Months)
		if !s.Finished {
			months = ">" + months
		}
		strategies.add(string(s.Name), months, s.TotalPaid.Grouped(), s.TotalInterest.Grouped(), strings.Join(order, " → "))
	}
	strategies.write(w)
	for _, s := range p.Strategies {
		fmt.Fprintf(w, "  %s: %s\n", s.Name, s.Description.In(lang))
	}

	if len(p.Warnings) > 0 {
		fmt.Fprintf(w, "\n%s\n", tr("注意", "Warnings"))
		for _, t := range p.Warnings {
			fmt.Fprintf(w, "  - %s\n", t.In(lang))
		}
	}
	fmt.Fprintf(w, "\n%s\n", tr("计算假设", "Assumptions"))
	for _, t := range p.Assumptions {
		fmt.Fprintf(w, "  - %s\n", t.In(lang))
	}
}

// planTable lays out columns by display width, counting East Asian wide
// characters as two.
type planTable struct {
	right []bool // right-align column i
	rows  [][]string
}

func (t *planTable) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *planTable) write(w io.Writer) {
	widths := make([]int, len(t.right))
	for _, r := range t.rows {
		for i, c := range r {
			widths[i] = max(widths[i], planWidth(c))
		}
	}
	for _, r := range t.rows {
		var b strings.Builder
		b.WriteString("  ")
		for i, c := range r {
			pad := strings.Repeat(" ", widths[i]-planWidth(c))
			if i > 0 {
				b.WriteString("  ")
			}
			if t.right[i] {
				b.WriteString(pad + c)
			} else {
				b.WriteString(c + pad)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

func planWidth(s string) int {
	n := 0
	for _, r := range s {
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			n += 2
		default:
			n++
		}
	}
	return n
}
