package audit

import "testing"

// BenchmarkCanonical measures encoding one decision's leaf, which the gate does on
// the store's writer goroutine for every decision.
func BenchmarkCanonical(b *testing.B) {
	e := event(12345)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Canonical(); err != nil {
			b.Fatal(err)
		}
	}
}
