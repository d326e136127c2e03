// Package catalogue finds the project's regulations catalogue,
// shared/regulations.md, which sits beside the repository rather than in it,
// for the tests that check every citation appears there verbatim.
package catalogue

import (
	"os"
	"path/filepath"
	"testing"
)

// Read returns the catalogue's path and text, looking for shared/regulations.md
// (or ../shared/regulations.md) from the working directory and each of its
// ancestors. When there is none the test is skipped, saying so.
func Read(t testing.TB) (path, text string) {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		for _, rel := range []string{"shared/regulations.md", "../shared/regulations.md"} {
			p := filepath.Join(dir, filepath.FromSlash(rel))
			if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
				data, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				return p, string(data)
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	t.Skip("shared/regulations.md not found from the working directory or any ancestor (nor in ../shared); skipping the citation check")
	return "", ""
}
