package planner

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Money is an amount in minor units (fen, cents): 8200.50 is Money(820050).
type Money int64

// MaxMoney is the largest amount the planner accepts: 10^13 minor units
// (100 billion in major units), far above any consumer debt and far below
// the point where sums of a few hundred of them could overflow.
const MaxMoney Money = 10_000_000_000_000

var moneyRE = regexp.MustCompile(`^[0-9]+(\.[0-9]{1,2})?$`)

// ParseMoney reads a non-negative decimal amount with at most two decimal
// places, such as "3000", "8200.5" or "8200.50". It never goes through a float.
func ParseMoney(s string) (Money, error) {
	if !moneyRE.MatchString(s) {
		return 0, fmt.Errorf("%q is not an amount such as 3000 or 8200.50 (digits, at most two decimal places)", s)
	}
	whole, frac, _ := strings.Cut(s, ".")
	frac = (frac + "00")[:2]
	whole = strings.TrimLeft(whole, "0")
	if len(whole) > 12 {
		return 0, fmt.Errorf("%q is too large (at most %s)", s, MaxMoney)
	}
	w, _ := strconv.ParseInt("0"+whole, 10, 64)
	f, _ := strconv.ParseInt(frac, 10, 64)
	m := Money(w*100 + f)
	if m > MaxMoney {
		return 0, fmt.Errorf("%q is too large (at most %s)", s, MaxMoney)
	}
	return m, nil
}

// String is the plain decimal form, "8200.50", as in the JSON and CSV output.
func (m Money) String() string {
	sign := ""
	if m < 0 {
		sign, m = "-", -m
	}
	return fmt.Sprintf("%s%d.%02d", sign, m/100, m%100)
}

// Grouped is the amount with thousands separators, "8,200.50", for people.
func (m Money) Grouped() string {
	s := m.String()
	sign := ""
	if s[0] == '-' {
		sign, s = "-", s[1:]
	}
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return sign + b.String() + "." + frac
}

// MarshalJSON writes the amount as a decimal string, so no reader turns it into
// a float.
func (m Money) MarshalJSON() ([]byte, error) { return []byte(`"` + m.String() + `"`), nil }

// roundMoney rounds a float amount of minor units half away from zero.
func roundMoney(x float64) Money { return Money(math.Round(x)) }

// Rate is an annual (or periodic) rate as a fraction: 0.12 is 12%.
type Rate float64

var percentRE = regexp.MustCompile(`^([0-9]+(\.[0-9]+)?)\s*%$`)

// MaxPercent bounds the rates the input may state: 100000% a year.
const MaxPercent = 100000

// ParsePercent reads a rate written with a percent sign, such as "18%" or
// "3.85%". The sign is required so that 18 and 0.18 are never confused.
func ParsePercent(s string) (Rate, error) {
	m := percentRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, fmt.Errorf("%q is not a rate such as 18%% or 3.85%% (the %% sign is required)", s)
	}
	p, err := strconv.ParseFloat(m[1], 64)
	if err != nil || p > MaxPercent {
		return 0, fmt.Errorf("%q is out of range (0%% to %d%%)", s, MaxPercent)
	}
	return Rate(p / 100), nil
}

// Percent is the rate in percent, rounded to four decimal places.
func (r Rate) Percent() float64 { return math.Round(float64(r)*100*1e4) / 1e4 }

// String is the rate in percent with two decimals, "12.00%", for people.
func (r Rate) String() string { return strconv.FormatFloat(float64(r)*100, 'f', 2, 64) + "%" }

// MarshalJSON writes the rate in percent, rounded to four decimal places; the
// field names say "_percent".
func (r Rate) MarshalJSON() ([]byte, error) {
	return strconv.AppendFloat(nil, r.Percent(), 'f', -1, 64), nil
}

// Date is a calendar date with no time of day or zone. The zero Date is unset.
type Date struct{ t time.Time }

// Earliest and latest dates the input may use.
var (
	minDate = NewDate(1900, 1, 1)
	maxDate = NewDate(2200, 12, 31)
)

// NewDate returns the date y-m-d, normalising out-of-range days as time.Date does.
func NewDate(y int, m time.Month, d int) Date {
	return Date{time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}
}

// DateOf returns the calendar date of t in t's own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return NewDate(y, m, d)
}

var errDate = errors.New("not a date in the form 2026-11-24")

// ParseDate reads a date in the form 2006-01-02, between 1900 and 2200.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("%q is %w", s, errDate)
	}
	d := Date{t}
	if d.Before(minDate) || d.After(maxDate) {
		return Date{}, fmt.Errorf("%q is out of range (%s to %s)", s, minDate, maxDate)
	}
	return d, nil
}

// IsZero reports whether the date is unset.
func (d Date) IsZero() bool { return d.t.IsZero() }

// Before reports whether d is earlier than e.
func (d Date) Before(e Date) bool { return d.t.Before(e.t) }

// After reports whether d is later than e.
func (d Date) After(e Date) bool { return d.t.After(e.t) }

// Equal reports whether d and e are the same date.
func (d Date) Equal(e Date) bool { return d.t.Equal(e.t) }

// DaysSince is the number of days from e to d (negative when d is earlier).
func (d Date) DaysSince(e Date) int { return int(d.t.Sub(e.t).Hours() / 24) }

// AddMonths returns the date n calendar months after d, on the same day of the
// month or on the month's last day when it is shorter: 2026-01-31 plus one
// month is 2026-02-28.
func (d Date) AddMonths(n int) Date {
	y, m, day := d.t.Date()
	first := time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	return NewDate(first.Year(), first.Month(), min(day, last))
}

// monthsAfter returns k when d is exactly d0.AddMonths(k) for some k ≥ 0.
func (d Date) monthsAfter(d0 Date) (int, bool) {
	y0, m0, _ := d0.t.Date()
	y, m, _ := d.t.Date()
	k := (y-y0)*12 + int(m-m0)
	if k < 0 || !d0.AddMonths(k).Equal(d) {
		return 0, false
	}
	return k, true
}

// String is the date in the form 2006-01-02.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.t.Format(time.DateOnly)
}

// MarshalJSON writes the date as "2006-01-02", or null when unset.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + d.String() + `"`), nil
}
