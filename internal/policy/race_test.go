//go:build race

package policy

// raceEnabled: under the race detector sync.Pool drops a share of what is put
// back on purpose, so the screener's pooled buffers are reallocated at random and
// allocation counts mean nothing there. .ci/run checks them without -race.
const raceEnabled = true
