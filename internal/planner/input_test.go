package planner

import (
	"errors"
	"strings"
	"testing"
)

// validInput is a small valid input; the tests break one thing at a time. The
// line numbers in the expected errors count from its first line.
const validInput = `currency: CNY
budget: 3000
today: 2026-11-24
debts:
  - platform: Synthetic A
    outstanding: 8200.50
    days_overdue: 45
    contract_date: 2026-03-01
    advertised_rate: 6%
    principal: 10000
    received: {date: 2026-03-01, amount: 8000}
    schedule:
      - {date: 2026-04-01, amount: 883.33}
      - {date: 2026-05-01, amount: 883.33}
    paid:
      - {date: 2026-04-01, amount: 883.33}
    minimum_payment: 300
  - platform: Synthetic B
    outstanding: 1500
`

func breakInput(t *testing.T, old, new string) string {
	t.Helper()
	if n := strings.Count(validInput, old); n != 1 {
		t.Fatalf("%q occurs %d times in validInput", old, n)
	}
	return strings.Replace(validInput, old, new, 1)
}

func parseAndValidate(file, data string, today Date) (*Input, error) {
	in, err := Parse(file, []byte(data), today)
	if err != nil {
		return nil, err
	}
	return in, in.Validate()
}

func TestParseValid(t *testing.T) {
	in, err := parseAndValidate("debts.yaml", validInput, d("2030-01-01"))
	if err != nil {
		t.Fatal(err)
	}
	if !in.Today.Equal(d("2026-11-24")) {
		t.Errorf("today %s: the file's date must win over the default", in.Today)
	}
	if in.Budget != 300_000 || len(in.Debts) != 2 {
		t.Fatalf("budget %s, %d debts", in.Budget, len(in.Debts))
	}
	a := in.Debts[0]
	if a.Outstanding != 820_050 || a.Principal != 1_000_000 || a.Received.Amount != 800_000 ||
		len(a.Schedule) != 2 || a.Schedule[1].Amount != 88_333 || !a.Schedule[1].Date.Equal(d("2026-05-01")) ||
		len(a.Paid) != 1 || a.MinimumPayment != 30_000 || a.DaysOverdue != 45 || a.AdvertisedRate == nil || *a.AdvertisedRate != 0.06 {
		t.Errorf("debt A read wrongly: %+v", a)
	}
	// Without today in the file, the default applies.
	in, err = parseAndValidate("debts.yaml", breakInput(t, "today: 2026-11-24\n", ""), d("2030-01-01"))
	if err != nil || !in.Today.Equal(d("2030-01-01")) {
		t.Errorf("today %v, %v; want the default 2030-01-01", in, err)
	}
	// JSON is YAML.
	js := `{"budget": "3000", "today": "2026-11-24", "debts": [{"platform": "J", "outstanding": 10.5}]}`
	if in, err := parseAndValidate("debts.json", js, Date{}); err != nil || in.Debts[0].Outstanding != 1050 {
		t.Errorf("JSON input: %v", err)
	}
}

// TestParseErrors checks that each problem is reported as FILE:LINE: path: msg.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, input, want string
	}{
		{"unknown top-level key", breakInput(t, "currency: CNY", "currency: CNY\ncolour: red"), "debts.yaml:2: colour: unknown field"},
		{"unknown debt key", breakInput(t, "    days_overdue: 45", "    days_overdue: 45\n    interest: 5"), "debts.yaml:8: debts[0].interest: unknown field"},
		{"unknown payment key", breakInput(t, "{date: 2026-05-01, amount: 883.33}", "{date: 2026-05-01, amount: 883.33, fee: 1}"), "debts.yaml:14: debts[0].schedule[1].fee: unknown field"},
		{"repeated key", breakInput(t, "budget: 3000", "budget: 3000\nbudget: 2000"), "debts.yaml:3: budget: appears twice"},
		{"bad schedule date", breakInput(t, "{date: 2026-05-01, amount: 883.33}", "{date: 2026-05-41, amount: 883.33}"), `debts.yaml:14: debts[0].schedule[1].date: "2026-05-41" is not a date`},
		{"schedule date before received", breakInput(t, "{date: 2026-05-01, amount: 883.33}", "{date: 2026-02-01, amount: 883.33}"), "debts.yaml:14: debts[0].schedule[1].date: 2026-02-01 is before the money was received (2026-03-01)"},
		{"float money", breakInput(t, "outstanding: 1500", "outstanding: 1.5e3"), `debts.yaml:19: debts[1].outstanding: "1.5e3" is not an amount`},
		{"three decimals", breakInput(t, "outstanding: 8200.50", "outstanding: 8200.505"), `debts.yaml:6: debts[0].outstanding: "8200.505" is not an amount`},
		{"negative amount", breakInput(t, "amount: 8000}", "amount: -8000}"), "debts.yaml:11: debts[0].received.amount: -8000: must not be negative"},
		{"zero schedule amount", breakInput(t, "{date: 2026-04-01, amount: 883.33}\n      - {date: 2026-05-01", "{date: 2026-04-01, amount: 0}\n      - {date: 2026-05-01"), "debts.yaml:13: debts[0].schedule[0].amount: must be more than 0"},
		{"rate without %", breakInput(t, "advertised_rate: 6%", "advertised_rate: 6"), `debts.yaml:9: debts[0].advertised_rate: "6" is not a rate`},
		{"days overdue not a number", breakInput(t, "days_overdue: 45", "days_overdue: many"), "debts.yaml:7: debts[0].days_overdue: want a whole number"},
		{"missing platform", breakInput(t, "  - platform: Synthetic B\n    outstanding", "  - outstanding"), "debts.yaml:18: debts[1].platform: missing"},
		{"duplicate platform", breakInput(t, "platform: Synthetic B", "platform: Synthetic A"), `debts.yaml:18: debts[1].platform: "Synthetic A" is also debts[0]`},
		{"missing outstanding", breakInput(t, "    outstanding: 1500\n", ""), "debts.yaml:18: debts[1].outstanding: missing"},
		{"zero budget", breakInput(t, "budget: 3000", "budget: 0"), "debts.yaml:2: budget: must be more than 0"},
		{"no budget", breakInput(t, "budget: 3000\n", ""), "debts.yaml: budget: missing: give the monthly budget in the file or with --budget"},
		{"no debts", "budget: 1\ndebts: []\n", "debts.yaml:2: debts: missing: list at least one debt"},
		{"debts not a list", "budget: 1\ndebts: {platform: x}\n", "debts.yaml:2: debts: want a list"},
		{"paid in the future", breakInput(t, "paid:\n      - {date: 2026-04-01", "paid:\n      - {date: 2026-12-01"), "debts.yaml:16: debts[0].paid[0].date: 2026-12-01 is after today (2026-11-24)"},
		{"received after today", breakInput(t, "received: {date: 2026-03-01", "received: {date: 2026-12-01"), "debts.yaml:11: debts[0].received.date: 2026-12-01 is after today"},
		{"principal below received", breakInput(t, "principal: 10000", "principal: 7000"), "debts.yaml:10: debts[0].principal: 7000.00 is less than the amount received (8000.00)"},
		{"schedule without received", breakInput(t, "    received: {date: 2026-03-01, amount: 8000}\n", ""), "debts.yaml:5: debts[0].received: missing: the schedule needs the amount received"},
		{"received without schedule", breakInput(t, "    schedule:\n      - {date: 2026-04-01, amount: 883.33}\n      - {date: 2026-05-01, amount: 883.33}\n", ""), "debts.yaml:5: debts[0].schedule: missing"},
		{"schedule all on the day received", breakInput(t, "      - {date: 2026-04-01, amount: 883.33}\n      - {date: 2026-05-01, amount: 883.33}\n", "      - {date: 2026-03-01, amount: 883.33}\n"), "debts.yaml:13: debts[0].schedule: every amount falls on the day the money was received"},
		{"payment missing amount", breakInput(t, "{date: 2026-05-01, amount: 883.33}", "{date: 2026-05-01}"), "debts.yaml:14: debts[0].schedule[1].amount: missing"},
		{"schedule not a list", breakInput(t, "    schedule:\n      - {date: 2026-04-01, amount: 883.33}\n      - {date: 2026-05-01, amount: 883.33}\n", "    schedule: 883.33\n"), "debts.yaml:12: debts[0].schedule: want a list"},
		{"bad currency", breakInput(t, "currency: CNY", "currency: yuan"), `debts.yaml:1: currency: "yuan" is not a three-letter currency code`},
		{"bad today", breakInput(t, "today: 2026-11-24", "today: tomorrow"), `debts.yaml:3: today: "tomorrow" is not a date`},
		{"not YAML", "budget: 1\ndebts:\n\t- x\n", "debts.yaml:3: not valid YAML: found character that cannot start any token"},
		{"not a mapping", "- 1\n- 2\n", "debts.yaml:1: want a mapping"},
		{"empty", " \n\n", "debts.yaml: empty input"},
		{"anchor", breakInput(t, "outstanding: 8200.50", "outstanding: &x 8200.50"), "debts.yaml:6: debts[0].outstanding: anchors and aliases are not supported"},
		{"merge key", breakInput(t, "  - platform: Synthetic B", "  - <<: {platform: Synthetic B}"), "debts.yaml:18: debts[1]: keys must be plain names"},
		{"null amount", breakInput(t, "outstanding: 1500", "outstanding: null"), "debts.yaml:19: debts[1].outstanding: want an amount"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseAndValidate("debts.yaml", tt.input, d("2026-11-24"))
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q\nwant it to contain %q", err, tt.want)
			}
			var ie *InputError
			if !errors.As(err, &ie) || ie.File != "debts.yaml" {
				t.Errorf("error %T does not unwrap to an *InputError naming the file", err)
			}
		})
	}
}

func TestParseReportsEveryError(t *testing.T) {
	in := strings.Replace(breakInput(t, "outstanding: 1500", "outstanding: x"), "currency: CNY", "currency: CNY\ncolour: red", 1)
	_, err := parseAndValidate("f.yaml", in, Date{})
	var es InputErrors
	if !errors.As(err, &es) || len(es) != 2 {
		t.Fatalf("want 2 errors, got %v", err)
	}
	if !strings.HasPrefix(es[0].Error(), "f.yaml:2: colour: ") || !strings.HasPrefix(es[1].Error(), "f.yaml:20: debts[1].outstanding: ") {
		t.Errorf("errors out of place or order:\n%v", err)
	}
}

func TestParseTooLarge(t *testing.T) {
	big := strings.Repeat("#", MaxInputBytes+1)
	if _, err := Parse("f.yaml", []byte(big), Date{}); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("error %v, want larger than", err)
	}
}

// FuzzParse checks that no input makes Parse, Validate or Build panic, and that
// every error names the file.
func FuzzParse(f *testing.F) {
	f.Add(validInput)
	f.Add(`{"budget": 1, "debts": [{"platform": "x", "outstanding": 1}]}`)
	f.Add("debts:\n  - platform: a\n    outstanding: 1\n    received: {date: 2026-01-01, amount: 1}\n    schedule: [{date: 2026-01-02, amount: 1000000}]\nbudget: 0.01\n")
	f.Fuzz(func(t *testing.T, s string) {
		in, err := Parse("fuzz.yaml", []byte(s), d("2026-11-24"))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.yaml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if _, err := Build(in, Options{}); err != nil && !strings.HasPrefix(err.Error(), "fuzz.yaml") {
			t.Fatalf("error does not name the file: %v", err)
		}
	})
}
