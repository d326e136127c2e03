package store

import "testing"

func TestPlaceholders(t *testing.T) {
	for _, tc := range []struct {
		first, n int
		want     string
	}{
		{1, 0, ""},
		{1, 1, "$1"},
		{1, 3, "$1, $2, $3"},
		{9, 3, "$9, $10, $11"},
	} {
		if got := Placeholders(tc.first, tc.n); got != tc.want {
			t.Errorf("Placeholders(%d, %d) = %q, want %q", tc.first, tc.n, got, tc.want)
		}
	}
}
