package screen

import "testing"

// BenchmarkScanParts splits BenchmarkCategories into its stages, to see where the
// time goes: the one-pass matcher (normalisation and automaton, then the hits), the rules, and
// the reference path (Normalize, then the byte automaton) for comparison.
func BenchmarkScanParts(b *testing.B) {
	s := Default()
	var sc scratch
	b.Run("fast-scan", func(b *testing.B) {
		for b.Loop() {
			sc.syms, sc.ends, _, _, _ = s.lx.fast.scan(benchMessage, sc.syms, sc.ends)
		}
	})
	b.Run("fast-hits", func(b *testing.B) {
		for b.Loop() {
			s.fastHits(benchMessage, &sc, AllCategories)
		}
	})
	b.Run("rules", func(b *testing.B) {
		for b.Loop() {
			s.apply(&sc, nil, AllCategories)
		}
	})
	b.Run("categories", func(b *testing.B) {
		for b.Loop() {
			s.Categories(benchMessage)
		}
	})
	b.Run("reference-normalize", func(b *testing.B) {
		for b.Loop() {
			Normalize(benchMessage, &sc.n)
		}
	})
	b.Run("reference-scan", func(b *testing.B) {
		for b.Loop() {
			sc.occ = s.lx.ac.scan(sc.n.Text, sc.occ[:0])
		}
	})
	b.Logf("%d runes normalised, %d hits", len(sc.syms), len(sc.hits))
}

// TestCategoriesLoop runs the gate's screening of the benchmark message a fixed
// number of times, for instruction counts that do not drift with machine load:
//
//	go test -c -o /tmp/screen.test ./internal/screen
//	GODEBUG=asyncpreemptoff=1 valgrind --tool=callgrind /tmp/screen.test -test.run TestCategoriesLoop
func TestCategoriesLoop(t *testing.T) {
	s := Default()
	for range 2000 {
		s.Categories(benchMessage)
	}
}
