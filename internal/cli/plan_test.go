package cli

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const planDir = "testdata/plan"

var planExample = filepath.Join(planDir, "example.yaml")

// planCompareGolden compares got with a golden file in testdata/plan.
func planCompareGolden(t *testing.T, name, got string) {
	t.Helper()
	compareGolden(t, filepath.Join(planDir, name), got)
}

// TestPlanGolden runs `fairdebt plan` on the synthetic example and compares the
// output byte for byte; the figures in it are checked by hand in TestPlanExampleFigures.
func TestPlanGolden(t *testing.T) {
	tests := []struct {
		golden string
		args   []string
	}{
		{"example.zh.golden", nil},
		{"example.en.golden", []string{"--lang", "en"}},
		{"example.us.golden", []string{"--pack", "us"}},
		{"example.json.golden", []string{"--json"}},
		{"example.legal-none.golden", []string{"--lang", "en", "--strategy", "legal_rate_aware", "--accrue", "none", "--budget", "2500"}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			code, stdout, stderr := run(t, nil, append([]string{"plan", planExample}, tt.args...)...)
			if code != 0 || stderr != "" {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			planCompareGolden(t, tt.golden, stdout)
		})
	}
}

// planJSON is the part of plan.json the assertions read.
type planJSON struct {
	Today string `json:"today"`
	Debts []struct {
		Platform string `json:"platform"`
		TrueRate *struct {
			Convention string  `json:"convention"`
			APR        float64 `json:"apr_percent"`
		} `json:"true_rate"`
		LawfulBalance *string `json:"lawful_balance"`
		Flags         []struct {
			ID, Citation, Confidence string
		} `json:"flags"`
	} `json:"debts"`
	Strategies []struct {
		Name      string   `json:"name"`
		Order     []string `json:"order"`
		Months    int      `json:"months"`
		TotalPaid string   `json:"total_paid"`
	} `json:"strategies"`
	Messages []struct {
		Strategy, Platform, Text string
	} `json:"messages"`
	ContactsMessage string `json:"contacts_message"`
}

func runPlanJSON(t *testing.T, args ...string) planJSON {
	t.Helper()
	code, stdout, stderr := run(t, nil, append([]string{"plan", "--json"}, args...)...)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	var p planJSON
	if err := json.Unmarshal([]byte(stdout), &p); err != nil {
		t.Fatalf("--json output is not JSON: %v\n%s", err, stdout)
	}
	return p
}

// TestPlanExampleFigures checks the golden example's key figures against hand
// computation, so that a wrong golden cannot hide a bug.
func TestPlanExampleFigures(t *testing.T) {
	p := runPlanJSON(t, planExample)
	if len(p.Debts) != 3 {
		t.Fatalf("%d debts, want 3", len(p.Debts))
	}
	a, b, c := p.Debts[0], p.Debts[1], p.Debts[2]
	// A: 8,000 received, 12 × 883.33: 55.4323% (TestIRRHandComputed in planner).
	if a.TrueRate == nil || a.TrueRate.Convention != "monthly" || a.TrueRate.APR != 55.4323 {
		t.Errorf("A true rate %+v, want monthly 55.4323%%", a.TrueRate)
	}
	// A's lawful balance at 12%: 3,145.15 (TestLawfulBalance in planner).
	if a.LawfulBalance == nil || *a.LawfulBalance != "3145.15" {
		t.Errorf("A lawful balance %v, want 3145.15", a.LawfulBalance)
	}
	// B: 6,000 received, 12 × 530: about 10.90%, under 4 × 3.0% = 12%: no flag.
	if b.TrueRate == nil || b.TrueRate.APR < 10.89 || b.TrueRate.APR > 10.91 || len(b.Flags) != 0 {
		t.Errorf("B true rate %+v, flags %v; want ≈10.90%%, none", b.TrueRate, b.Flags)
	}
	// C: 1,000 → 1,200 after 14 days: d = 1.2^(1/14) − 1 = 0.0131083, APR 478.45%.
	if c.TrueRate == nil || c.TrueRate.Convention != "daily" || c.TrueRate.APR < 478.44 || c.TrueRate.APR > 478.46 {
		t.Errorf("C true rate %+v, want daily ≈478.45%%", c.TrueRate)
	}
	ids := func(i int) string {
		var s []string
		for _, f := range p.Debts[i].Flags {
			s = append(s, f.ID)
			if f.Citation == "" || f.Confidence != "R" {
				t.Errorf("%s flag %s: citation %q, confidence %q", p.Debts[i].Platform, f.ID, f.Citation, f.Confidence)
			}
		}
		return strings.Join(s, ",")
	}
	if got := ids(0); got != "upfront_deduction,above_4x_lpr,above_24_percent,above_36_percent,comprehensive_cost_above_limit" {
		t.Errorf("A flags %s", got)
	}
	// C's contract (2024-06-01) precedes the only LPR entry (2025-05-20).
	if got := ids(2); got != "lpr_unknown,above_24_percent,above_36_percent,comprehensive_cost_above_limit" {
		t.Errorf("C flags %s", got)
	}
	orders := map[string]string{}
	for _, s := range p.Strategies {
		orders[s.Name] = strings.Join(s.Order, " | ")
	}
	want := map[string]string{
		// Smallest claim first: C 1,500, B 5,000, A 8,200.50.
		"smallest_first": "Synthetic Cash C | Synthetic Bank Card B | Synthetic Loan App A",
		// A and C accrue at their lines (12%, 24%), B at its 10.90%: C, A, B.
		"highest_rate_first": "Synthetic Cash C | Synthetic Loan App A | Synthetic Bank Card B",
		// B is the only lawful loan; then C (1,500, its lawful balance is higher
		// than the claim) before A (lawful balance 3,145.15).
		"legal_rate_aware": "Synthetic Bank Card B | Synthetic Cash C | Synthetic Loan App A",
	}
	for k, v := range want {
		if orders[k] != v {
			t.Errorf("%s order %q, want %q", k, orders[k], v)
		}
	}
	if len(p.Messages) != 9 || p.ContactsMessage == "" {
		t.Errorf("%d messages (want 3 strategies × 3 platforms), contacts message %q", len(p.Messages), p.ContactsMessage)
	}
}

// TestPlanLPRFlag: an LPR entry covering C's contract date replaces the
// "unknown" finding with a real 4 × LPR line.
func TestPlanLPRFlag(t *testing.T) {
	p := runPlanJSON(t, planExample, "--lpr", "3.45%@2024-05-20")
	var ids []string
	for _, f := range p.Debts[2].Flags {
		ids = append(ids, f.ID)
	}
	if got := strings.Join(ids, ","); got != "above_4x_lpr,above_24_percent,above_36_percent,comprehensive_cost_above_limit" {
		t.Errorf("C flags with --lpr: %s", got)
	}
	if !strings.Contains(p.Debts[2].Flags[0].Citation, "(2020 revision)") {
		t.Errorf("above_4x_lpr cites %q", p.Debts[2].Flags[0].Citation)
	}
}

func TestPlanOut(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "plan")
	code, stdout, stderr := run(t, nil, "plan", planExample, "--lang", "en", "--out", dir)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	want := []string{"contacts-message-en.txt", "messages-en.txt", "plan.json",
		"schedule-highest_rate_first.csv", "schedule-legal_rate_aware.csv", "schedule-smallest_first.csv"}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("files %v, want %v (and no partial files)", got, want)
	}
	for _, name := range want {
		if !strings.Contains(stdout, filepath.Join(dir, name)) {
			t.Errorf("summary does not list %s:\n%s", name, stdout)
		}
	}
	// plan.json is what --json prints.
	_, js, _ := run(t, nil, "plan", planExample, "--lang", "en", "--json")
	if data, _ := os.ReadFile(filepath.Join(dir, "plan.json")); string(data) != js {
		t.Error("plan.json differs from the --json output")
	}
	// Each schedule: a header, then one row a month with a payment and a balance
	// per platform; the last row's balances are all zero.
	p := runPlanJSON(t, planExample, "--lang", "en")
	for _, s := range p.Strategies {
		f, err := os.Open(filepath.Join(dir, "schedule-"+s.Name+".csv"))
		if err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", s.Name, err)
		}
		if len(recs) != s.Months+1 {
			t.Errorf("%s: %d CSV rows, want a header and %d months", s.Name, len(recs), s.Months)
		}
		if h := strings.Join(recs[0], ","); h != "month,date,held,total,Synthetic Loan App A payment,Synthetic Loan App A balance,Synthetic Bank Card B payment,Synthetic Bank Card B balance,Synthetic Cash C payment,Synthetic Cash C balance" {
			t.Errorf("%s header %s", s.Name, h)
		}
		last := recs[len(recs)-1]
		if last[5] != "0.00" || last[7] != "0.00" || last[9] != "0.00" {
			t.Errorf("%s: last row %v does not clear every balance", s.Name, last)
		}
	}
	msgs, _ := os.ReadFile(filepath.Join(dir, "messages-en.txt"))
	planCompareGolden(t, "example.messages-en.golden", string(msgs))
	contacts, _ := os.ReadFile(filepath.Join(dir, "contacts-message-en.txt"))
	if string(contacts) != p.ContactsMessage {
		t.Error("contacts-message-en.txt differs from plan.json's contacts_message")
	}
	// Running again replaces the files in place.
	if code, _, stderr := run(t, nil, "plan", planExample, "--lang", "en", "--out", dir, "--budget", "5000"); code != 0 {
		t.Fatalf("second run: exit %d, %s", code, stderr)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "plan.json")); !bytes.Contains(data, []byte(`"budget": "5000.00"`)) {
		t.Error("the second run did not replace plan.json")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != len(want) {
		t.Errorf("%d files after the second run, want %d", len(entries), len(want))
	}
}

func TestPlanStdinAndBudgetFlag(t *testing.T) {
	data, err := os.ReadFile(planExample)
	if err != nil {
		t.Fatal(err)
	}
	noBudget := strings.Replace(string(data), "budget: 3000\n", "", 1)
	code, _, stderr := run(t, strings.NewReader(noBudget), "plan", "-")
	if code != 2 || !strings.Contains(stderr, "stdin: budget: missing: give the monthly budget in the file or with --budget") {
		t.Errorf("no budget: exit %d, stderr %q", code, stderr)
	}
	code, stdout, stderr := run(t, strings.NewReader(noBudget), "plan", "-", "--budget", "3000", "--json")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	_, want, _ := run(t, nil, "plan", planExample, "--json")
	if stdout != want {
		t.Error("--budget 3000 on stdin differs from the file's budget: 3000")
	}
}

func TestPlanBadInput(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.yaml")
	notDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	valid, err := os.ReadFile(planExample)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		stdin string
		args  []string
		want  string
	}{
		{"no file", "", []string{"plan"}, "accepts 1 arg"},
		{"missing file", "", []string{"plan", missing}, missing},
		{"unknown field", "budget: 1\ndebts:\n  - platform: a\n    outstanding: 1\n    rate: 5%\n", []string{"plan", "-"}, "stdin:5: debts[0].rate: unknown field"},
		{"bad date", "budget: 1\ntoday: 2026-02-30\ndebts:\n  - {platform: a, outstanding: 1}\n", []string{"plan", "-"}, `stdin:2: today: "2026-02-30" is not a date`},
		{"empty", "", []string{"plan", "-"}, "stdin: empty input"},
		{"bad budget flag", string(valid), []string{"plan", "-", "--budget", "3,000"}, `--budget: "3,000" is not an amount`},
		{"zero budget flag", string(valid), []string{"plan", "-", "--budget", "0"}, "--budget: must be more than 0"},
		{"bad strategy", string(valid), []string{"plan", "-", "--strategy", "snowball"}, `--strategy: "snowball" is not all, smallest_first, highest_rate_first or legal_rate_aware`},
		{"bad lang", string(valid), []string{"plan", "-", "--lang", "fr"}, `--lang: "fr" is not zh or en`},
		{"bad pack", string(valid), []string{"plan", "-", "--pack", "uk"}, `--pack: "uk" is not cn or us`},
		{"bad accrue", string(valid), []string{"plan", "-", "--accrue", "compound"}, `--accrue: "compound" is not capped or none`},
		{"bad lpr", string(valid), []string{"plan", "-", "--lpr", "3.1"}, `--lpr: "3.1" is not RATE%@DATE`},
		{"out is a file", string(valid), []string{"plan", "-", "--out", notDir}, "--out:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := run(t, strings.NewReader(tt.stdin), tt.args...)
			if code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
			if !strings.Contains(stderr, tt.want) || !strings.HasPrefix(stderr, "fairdebt: ") {
				t.Errorf("stderr %q, want it to contain %q", stderr, tt.want)
			}
		})
	}
}

// TestPlanHelp checks that the help documents every input field and flag.
func TestPlanHelp(t *testing.T) {
	code, stdout, _ := run(t, nil, "plan", "--help")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{
		"currency:", "budget:", "today:", "debts:", "platform:", "outstanding:", "days_overdue:", "contract_date:",
		"advertised_rate:", "principal:", "received:", "schedule:", "paid:", "minimum_payment:",
		"--budget", "--strategy", "--lang", "--pack", "--accrue", "--lpr", "--out", "--json",
		"smallest_first", "highest_rate_first", "legal_rate_aware", "plan.json", "schedule-<strategy>.csv",
		"messages-<lang>.txt", "contacts-message-<lang>.txt", "monthly rate × 12", "actual/365", "3.0% from 2025-05-20",
		"Reg Z; MLA", "not legal advice", "Exit status",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("help lacks %q", want)
		}
	}
}
