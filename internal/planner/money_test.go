package planner

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestParseMoney(t *testing.T) {
	good := map[string]Money{
		"0": 0, "3000": 300_000, "8200.5": 820_050, "8200.50": 820_050, "0.01": 1, "007.10": 710,
		"100000000000": 10_000_000_000_000,
	}
	for s, want := range good {
		if got, err := ParseMoney(s); err != nil || got != want {
			t.Errorf("ParseMoney(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"", "-1", "1.234", "1,000", "1e3", " 5", "5 ", "¥5", ".5", "5.", "100000000000.01", "9999999999999"} {
		if got, err := ParseMoney(s); err == nil {
			t.Errorf("ParseMoney(%q) = %d, want an error", s, got)
		}
	}
}

func TestMoneyFormat(t *testing.T) {
	tests := []struct {
		m              Money
		plain, grouped string
	}{
		{0, "0.00", "0.00"},
		{5, "0.05", "0.05"},
		{820_050, "8200.50", "8,200.50"},
		{123_456_789, "1234567.89", "1,234,567.89"},
		{-123_456, "-1234.56", "-1,234.56"},
	}
	for _, tt := range tests {
		if got := tt.m.String(); got != tt.plain {
			t.Errorf("%d.String() = %q, want %q", tt.m, got, tt.plain)
		}
		if got := tt.m.Grouped(); got != tt.grouped {
			t.Errorf("%d.Grouped() = %q, want %q", tt.m, got, tt.grouped)
		}
	}
	b, _ := json.Marshal(struct{ A Money }{820_050})
	if string(b) != `{"A":"8200.50"}` {
		t.Errorf("JSON %s, want the amount as a decimal string", b)
	}
}

func TestParsePercent(t *testing.T) {
	good := map[string]float64{"18%": 0.18, "3.85%": 0.0385, "0%": 0, "100000%": 1000, " 6 %": 0.06}
	for s, want := range good {
		if got, err := ParsePercent(s); err != nil || float64(got) != want {
			t.Errorf("ParsePercent(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"18", "0.18", "-5%", "%", "abc%", "100001%", "5%%"} {
		if _, err := ParsePercent(s); err == nil {
			t.Errorf("ParsePercent(%q): want an error", s)
		}
	}
	b, _ := json.Marshal(Rate(0.554322766))
	if string(b) != "55.4323" {
		t.Errorf("Rate JSON %s, want percent rounded to 4 places", b)
	}
}

func TestDates(t *testing.T) {
	tests := []struct {
		from string
		n    int
		want string
	}{
		{"2026-01-31", 1, "2026-02-28"},
		{"2028-01-31", 1, "2028-02-29"},
		{"2026-01-31", 2, "2026-03-31"},
		{"2026-11-24", 2, "2027-01-24"},
		{"2026-08-31", 18, "2028-02-29"},
	}
	for _, tt := range tests {
		if got := d(tt.from).AddMonths(tt.n).String(); got != tt.want {
			t.Errorf("%s + %d months = %s, want %s", tt.from, tt.n, got, tt.want)
		}
	}
	if k, ok := d("2026-02-28").monthsAfter(d("2026-01-31")); !ok || k != 1 {
		t.Errorf("2026-02-28 is 1 month after 2026-01-31: got %d, %v", k, ok)
	}
	if _, ok := d("2026-02-27").monthsAfter(d("2026-01-31")); ok {
		t.Error("2026-02-27 is not a whole number of months after 2026-01-31")
	}
	if n := d("2026-03-01").DaysSince(d("2026-02-01")); n != 28 {
		t.Errorf("days = %d, want 28", n)
	}
	for _, s := range []string{"2026-13-01", "2026-02-30", "26-01-01", "2026-1-1", "1899-12-31", "2201-01-01", "2026-11-24T00:00:00Z"} {
		if _, err := ParseDate(s); err == nil {
			t.Errorf("ParseDate(%q): want an error", s)
		} else if !strings.Contains(err.Error(), s) {
			t.Errorf("ParseDate(%q): error %q does not quote the input", s, err)
		}
	}
}
