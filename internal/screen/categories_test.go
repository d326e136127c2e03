package screen

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzCategoriesMatchesScreen checks that the no-spans path gives the same category
// set as Screen, and that Normalize keeps Text and Orig aligned.
func FuzzCategoriesMatchesScreen(f *testing.F) {
	for _, s := range []string{"", benchMessage, mixedText, "你这个老赖", "WE WILL HAVE YOU ARRESTED",
		"p o l i c e 老赖", "再不还款就爆通讯录，移交公安", "a\xffb 老\u200b赖", "ｐｏｌｉｃｅ 警察局"} {
		f.Add(s)
	}
	s := Default()
	f.Fuzz(func(t *testing.T, text string) {
		if got, want := s.Categories(text), s.Screen(text).Categories; got != want {
			t.Fatalf("Categories(%q) = %v, Screen gives %v", text, got.Names(), want.Names())
		}
		checkCategoriesIn(t, s, text)
		var n Normalized
		Normalize(text, &n)
		if len(n.Orig) != len(n.Text) {
			t.Fatalf("Normalize(%q): %d bytes, %d origins", text, len(n.Text), len(n.Orig))
		}
		runes := int32(len([]rune(text)))
		for i, o := range n.Orig {
			if o < 0 || o >= runes || i > 0 && o < n.Orig[i-1] {
				t.Fatalf("Normalize(%q): bad origin %d at byte %d", text, o, i)
			}
		}
		if utf8.ValidString(text) && !utf8.Valid(n.Text) {
			t.Fatalf("Normalize(%q) = %q, not UTF-8", text, n.Text)
		}
		// Growing the buffers from nothing must give the same result as reusing them.
		var m Normalized
		m.Text, m.Orig = make([]byte, 0, 1), make([]int32, 0, 1)
		for range 2 {
			Normalize(text, &m)
			if string(m.Text) != string(n.Text) || len(m.Orig) != len(n.Orig) {
				t.Fatalf("Normalize(%q) depends on its buffers: %q vs %q", text, m.Text, n.Text)
			}
			for i := range m.Orig {
				if m.Orig[i] != n.Orig[i] {
					t.Fatalf("Normalize(%q) origins depend on its buffers", text)
				}
			}
		}
	})
}

// checkCategoriesIn checks that asking for some categories gives exactly those of
// the full result: for each category alone, and for all but each one.
func checkCategoriesIn(t *testing.T, s *Screener, text string) {
	t.Helper()
	full := s.Screen(text).Categories
	for c := range numCategories {
		for _, want := range []Set{Set(0).With(c), AllCategories &^ Set(0).With(c)} {
			if got := s.CategoriesIn(text, want); got != full&want {
				t.Fatalf("CategoriesIn(%q, %v) = %v; the full result is %v", text, want.Names(), got.Names(), full.Names())
			}
		}
	}
}

func TestCategoriesInCorpus(t *testing.T) {
	s := Default()
	texts := append(corpusTexts(t), evasions...)
	for _, text := range append(texts, benchMessage, mixedText) {
		checkCategoriesIn(t, s, text)
	}
}

func TestCategoriesMatchesScreenCorpus(t *testing.T) {
	s := Default()
	for _, line := range strings.Split(mixedText, "，") {
		if got, want := s.Categories(line), s.Screen(line).Categories; got != want {
			t.Errorf("Categories(%q) = %v, Screen gives %v", line, got.Names(), want.Names())
		}
	}
}
