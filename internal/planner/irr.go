package planner

import (
	"errors"
	"math"
	"slices"
)

// CashFlow is one dated movement of money on a loan, signed from the lender's
// side: negative when the lender pays out (the money the borrower received),
// positive when the borrower pays (instalments, fees).
type CashFlow struct {
	Date   Date
	Amount Money
}

// Convention is the period a rate was solved on.
type Convention string

// The conventions: see the package documentation.
const (
	Monthly Convention = "monthly"
	Daily   Convention = "daily"
)

// TrueRate is the rate implied by a loan's actual cash flows.
type TrueRate struct {
	Convention Convention `json:"convention"`
	// Periodic is the IRR per period (a month or a day).
	Periodic Rate `json:"periodic_percent"`
	// APR is the nominal annual rate: 12 or 365 periods at the periodic rate.
	// It is the figure compared with thresholds.
	APR Rate `json:"apr_percent"`
	// Effective is the compounded annual rate; nil when too large to state.
	Effective *Rate `json:"effective_percent"`
}

// Errors of IRR.
var (
	ErrNoSignChange = errors.New("the cash flows do not change sign: a rate needs money going both ways")
	ErrOneDay       = errors.New("all the cash flows fall on one day: a rate needs time between them")
	ErrNoRate       = errors.New("no rate makes the cash flows balance")
)

// maxEffective is the largest effective annual rate stated (10^12, that is
// 10^14 %); beyond it the figure means nothing and may overflow.
const maxEffective = 1e12

// IRR solves for the rate at which the present value of the flows is zero; see
// the package documentation for the conventions. It brackets the root and
// refines it with Newton steps that fall back to bisection, so it converges for
// any rate from −100% to many thousand percent a year. Flows that all have the
// same sign have no rate: ErrNoSignChange.
func IRR(flows []CashFlow) (TrueRate, error) {
	fs := slices.Clone(flows)
	slices.SortStableFunc(fs, func(a, b CashFlow) int { return a.Date.t.Compare(b.Date.t) })
	var pos, neg bool
	for _, f := range fs {
		pos = pos || f.Amount > 0
		neg = neg || f.Amount < 0
	}
	if !pos || !neg {
		return TrueRate{}, ErrNoSignChange
	}
	d0 := fs[0].Date
	if fs[len(fs)-1].Date.Equal(d0) {
		return TrueRate{}, ErrOneDay
	}
	conv := Monthly
	times := make([]float64, len(fs))
	amounts := make([]float64, len(fs))
	for i, f := range fs {
		amounts[i] = float64(f.Amount)
		k, ok := f.Date.monthsAfter(d0)
		if !ok {
			conv = Daily
		}
		times[i] = float64(k)
	}
	if conv == Daily {
		for i, f := range fs {
			times[i] = float64(f.Date.DaysSince(d0))
		}
	}
	x, err := solveLogRate(amounts, times)
	if err != nil {
		return TrueRate{}, err
	}
	periods := 12.0
	if conv == Daily {
		periods = 365
	}
	r := TrueRate{Convention: conv, Periodic: Rate(math.Expm1(x))}
	r.APR = Rate(periods) * r.Periodic
	if e := math.Expm1(periods * x); e <= maxEffective {
		eff := Rate(e)
		r.Effective = &eff
	}
	return r, nil
}

// solveLogRate finds x = ln(1+r) with Σ a_i·e^(−x·t_i) = 0. In x the search
// interval is symmetric around a zero rate; it is as wide as float64 allows
// without any term overflowing (|x·t| ≤ 600).
func solveLogRate(a, t []float64) (float64, error) {
	tmax := slices.Max(t)
	limit := 600 / tmax
	f := func(x float64) (fx, dfx float64) {
		for i := range a {
			e := a[i] * math.Exp(-x*t[i])
			fx += e
			dfx -= t[i] * e
		}
		return fx, dfx
	}
	flo, _ := f(-limit)
	fhi, _ := f(limit)
	switch {
	case flo == 0:
		return -limit, nil
	case fhi == 0:
		return limit, nil
	case (flo < 0) == (fhi < 0):
		return 0, ErrNoRate
	}
	// Keep f(xl) < 0 < f(xh).
	xl, xh := -limit, limit
	if flo > 0 {
		xl, xh = limit, -limit
	}
	x := 0.0
	dxOld := math.Abs(xh - xl)
	dx := dxOld
	fx, dfx := f(x)
	for range 400 {
		if fx == 0 {
			return x, nil
		}
		outside := ((x-xh)*dfx-fx)*((x-xl)*dfx-fx) > 0
		if outside || math.Abs(2*fx) > math.Abs(dxOld*dfx) {
			dxOld, dx = dx, (xh-xl)/2
			x = xl + dx
		} else {
			dxOld, dx = dx, fx/dfx
			x -= dx
		}
		if math.Abs(dx) < 1e-15 {
			return x, nil
		}
		fx, dfx = f(x)
		if fx < 0 {
			xl = x
		} else {
			xh = x
		}
	}
	return x, nil
}
