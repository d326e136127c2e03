// Package planner builds offline repayment plans for a borrower with several
// debts: it computes each loan's true annualised rate from the cash flows that
// actually happened (what the borrower received, what the lender charged), flags
// rates above the interest-rate protection thresholds with their citations, and
// plans the repayment of the remaining balances from a monthly budget by three
// strategies, with a negotiation message per platform and a message for the
// borrower's contacts.
//
// The package is pure: it does no I/O and reads no clock. The date a plan is
// made ("today") comes in as an argument.
//
// Conventions:
//
//   - Money is held in integer minor units (fen, cents); amounts have at most two
//     decimal places. Rates are float64 fractions (0.12 is 12%).
//   - The true rate is the internal rate of return (IRR) of the dated cash flows.
//     When every flow falls a whole number of calendar months after the first
//     (same day of the month, clamped to the month's end), the period is the
//     month: the monthly IRR m is solved on whole months and the nominal APR is
//     12·m, the way a Chinese 综合年化 and a Reg Z APR are usually quoted.
//     Otherwise the period is the day, counted actual/365: the daily IRR d gives
//     a nominal APR of 365·d. The effective annual rate is (1+m)^12−1 or
//     (1+d)^365−1.
//   - Thresholds are compared with the nominal APR, never the effective rate.
//     For a positive rate the nominal APR is the lower of the two (and, for a
//     single-payment loan, lower than Reg Z's simple per-term figure), so a flag
//     is never raised by the choice of convention.
package planner
