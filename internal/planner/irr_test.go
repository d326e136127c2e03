package planner

import (
	"errors"
	"math"
	"testing"
)

func d(s string) Date {
	t, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return t
}

// monthly returns the flows of a loan: received on start, then n payments of
// amount, one a month.
func monthly(start string, received, amount Money, n int) []CashFlow {
	s := d(start)
	flows := []CashFlow{{s, -received}}
	for k := 1; k <= n; k++ {
		flows = append(flows, CashFlow{s.AddMonths(k), amount})
	}
	return flows
}

// near reports whether got is within tol percentage points of want (percent).
func near(t *testing.T, what string, got Rate, want, tol float64) {
	t.Helper()
	if p := float64(got) * 100; math.Abs(p-want) > tol || math.IsNaN(p) {
		t.Errorf("%s = %.6f%%, want %.6f%% ± %g", what, p, want, tol)
	}
}

// TestIRRHandComputed checks IRR against cases worked out by hand.
func TestIRRHandComputed(t *testing.T) {
	t.Run("12000 repaid in 12 monthly instalments of 1066.19 is 12% nominal", func(t *testing.T) {
		// The annuity for 12,000 at 1% a month over 12 months is
		//   12000 × 0.01 / (1 − 1.01^−12) = 120 / (1 − 0.887449) = 120 / 0.112551 = 1066.185,
		// so instalments of 1066.19 (rounded up by half a fen) give a monthly rate of
		// 1% (1.0000673% exactly), a nominal APR of 12 × 1% = 12.00% and an
		// effective annual rate of 1.01^12 − 1 = 12.6825%.
		r, err := IRR(monthly("2026-01-15", 1_200_000, 106_619, 12))
		if err != nil {
			t.Fatal(err)
		}
		if r.Convention != Monthly {
			t.Errorf("convention %s, want monthly", r.Convention)
		}
		near(t, "APR", r.APR, 12.00, 0.01)
		near(t, "periodic", r.Periodic, 1.00, 0.0001)
		near(t, "effective", *r.Effective, 12.6825, 0.01)
	})
	t.Run("fee deducted up front: advertised 6%, true APR 55.43%", func(t *testing.T) {
		// Contract 10,000 at an advertised 6% (0.5% of 10,000 = 50 a month, flat),
		// 2,000 deducted up front so 8,000 received; 12 instalments of
		// 10000/12 + 50 = 833.33 + 50 = 883.33. The monthly rate m solves
		//   8000 = 883.33 × (1 − (1+m)^−12) / m.
		// At m = 4.6193564%: (1+m)^−12 = 0.581642, (1 − 0.581642)/m = 9.056638,
		// × 883.33 = 8000.00. APR = 12 × 4.6193564% = 55.4323%; effective
		// (1.046193564)^12 − 1 = 71.9272%. (Bisection in an independent script
		// gives m = 0.046193563877931.)
		r, err := IRR(monthly("2026-03-01", 800_000, 88_333, 12))
		if err != nil {
			t.Fatal(err)
		}
		near(t, "APR", r.APR, 55.4323, 0.01)
		near(t, "effective", *r.Effective, 71.9272, 0.01)
		if r.APR < 9*0.06 {
			t.Errorf("true APR %s is not far above the advertised 6%%", r.APR)
		}
	})
	t.Run("7-day payday loan: 1000 in, 1100 out is 500% APR", func(t *testing.T) {
		// Daily rate d = 1.1^(1/7) − 1 = e^(0.0953102/7) − 1 = 0.01370886;
		// APR = 365 × d = 500.3733%; effective 1.1^(365/7) − 1 = e^(4.969745) − 1
		// = 14299.02%. Reg Z's per-term figure would be 10% × 365/7 = 521.43%,
		// higher than ours: the daily convention is the conservative one.
		r, err := IRR([]CashFlow{{d("2026-06-01"), -100_000}, {d("2026-06-08"), 110_000}})
		if err != nil {
			t.Fatal(err)
		}
		if r.Convention != Daily {
			t.Errorf("convention %s, want daily", r.Convention)
		}
		near(t, "APR", r.APR, 500.3733, 0.01)
		near(t, "effective", *r.Effective, 14299.02, 0.05)
		if r.APR >= 0.10*365/7 {
			t.Errorf("APR %s is not below Reg Z's simple per-term 521.43%%", r.APR)
		}
	})
	t.Run("doubling in a month is 1200% APR", func(t *testing.T) {
		// 1000 → 2000 after one month: m = 100%, APR 1200%, effective 2^12 − 1 = 409500%.
		r, err := IRR([]CashFlow{{d("2026-01-10"), -100_000}, {d("2026-02-10"), 200_000}})
		if err != nil {
			t.Fatal(err)
		}
		near(t, "APR", r.APR, 1200, 1e-6)
		near(t, "effective", *r.Effective, 409500, 1e-4)
	})
	t.Run("repaying less than received is a negative rate", func(t *testing.T) {
		// 1000 → 900 after one month: m = −10%, APR −120%.
		r, err := IRR([]CashFlow{{d("2026-01-10"), -100_000}, {d("2026-02-10"), 90_000}})
		if err != nil {
			t.Fatal(err)
		}
		near(t, "APR", r.APR, -120, 1e-6)
	})
	t.Run("month ends clamp: Jan 31, Feb 28, Mar 31 are monthly", func(t *testing.T) {
		// 1000 → 2 × 520: 1000 = 520/(1+m) + 520/(1+m)^2, so with y = 1+m,
		// 1000y² − 520y − 520 = 0 and y = (520 + √(520² + 4·1000·520)) / 2000
		// = (520 + 1533.1014) / 2000 = 1.0265507: m = 2.65507%.
		r, err := IRR([]CashFlow{{d("2026-01-31"), -100_000}, {d("2026-02-28"), 52_000}, {d("2026-03-31"), 52_000}})
		if err != nil {
			t.Fatal(err)
		}
		if r.Convention != Monthly {
			t.Fatalf("convention %s, want monthly", r.Convention)
		}
		near(t, "periodic", r.Periodic, 2.65507, 0.0001)
	})
	t.Run("an astronomical rate has no effective figure but an APR", func(t *testing.T) {
		// 1 fen → 1,000,000 after one day: d = 10^8 − 1, APR = 365 × d.
		r, err := IRR([]CashFlow{{d("2026-01-01"), -1}, {d("2026-01-02"), 100_000_000}})
		if err != nil {
			t.Fatal(err)
		}
		if r.Effective != nil {
			t.Errorf("effective = %v, want nil (too large to state)", *r.Effective)
		}
		if want := 365 * (1e8 - 1); math.Abs(float64(r.APR)-want)/want > 1e-9 {
			t.Errorf("APR = %g, want %g", float64(r.APR), want)
		}
	})
}

func TestIRRErrors(t *testing.T) {
	tests := []struct {
		name  string
		flows []CashFlow
		want  error
	}{
		{"no sign change: only payments", []CashFlow{{d("2026-01-01"), 100}, {d("2026-02-01"), 100}}, ErrNoSignChange},
		{"no sign change: only money out", []CashFlow{{d("2026-01-01"), -100}, {d("2026-02-01"), -100}}, ErrNoSignChange},
		{"no flows", nil, ErrNoSignChange},
		{"zero amounts", []CashFlow{{d("2026-01-01"), 0}, {d("2026-02-01"), 0}}, ErrNoSignChange},
		{"all on one day", []CashFlow{{d("2026-01-01"), -100}, {d("2026-01-01"), 110}}, ErrOneDay},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := IRR(tt.flows); !errors.Is(err, tt.want) {
				t.Errorf("IRR = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestIRRRecoversRate builds schedules from known rates and solves them back.
func TestIRRRecoversRate(t *testing.T) {
	for _, m := range []float64{-0.05, 0, 0.001, 0.01, 0.05, 0.25, 1, 3} {
		// Ten equal instalments on 100,000 at m a month: A = P·m / (1 − (1+m)^−10).
		a := 100_000.0 / 10
		if m != 0 {
			a = 100_000 * m / (1 - math.Pow(1+m, -10))
		}
		flows := []CashFlow{{d("2025-01-05"), -100_000_000}}
		for k := 1; k <= 10; k++ {
			flows = append(flows, CashFlow{d("2025-01-05").AddMonths(k), Money(math.Round(a * 1000))})
		}
		r, err := IRR(flows)
		if err != nil {
			t.Fatalf("m=%g: %v", m, err)
		}
		if math.Abs(float64(r.Periodic)-m) > 1e-6 {
			t.Errorf("m=%g: periodic = %.9f", m, float64(r.Periodic))
		}
	}
}
