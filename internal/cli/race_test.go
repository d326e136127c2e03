//go:build race

package cli

// raceEnabled shortens the longest randomised tests under the race detector, which
// slows them about tenfold; the full runs happen without it.
const raceEnabled = true
