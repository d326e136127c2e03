package screen

import "testing"

// BenchmarkScanParts splits BenchmarkCategories into its stages, to see where the
// time goes.
func BenchmarkScanParts(b *testing.B) {
	s := Default()
	var n Normalized
	Normalize(benchMessage, &n)
	var occ []occurrence
	a := s.lx.ac
	b.Run("normalize", func(b *testing.B) {
		for b.Loop() {
			Normalize(benchMessage, &n)
		}
	})
	b.Run("scan", func(b *testing.B) {
		for b.Loop() {
			occ = a.scan(n.Text, occ[:0])
		}
	})
	b.Run("categories", func(b *testing.B) {
		for b.Loop() {
			s.Categories(benchMessage)
		}
	})
	b.Logf("%d bytes normalised, %d occurrences, %d table entries", len(n.Text), len(occ), len(a.table))
}
