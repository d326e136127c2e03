package screen

import (
	"strings"
	"testing"
)

// interimNaive is the interim screener's specification: a substring search over the
// interim lexicon with ASCII case folding.
func interimNaive(text string) Set {
	var want Set
	lower := []byte(text)
	for i, c := range lower {
		lower[i] = lowerASCII(c)
	}
	for c, terms := range interimLexicon {
		for _, term := range terms {
			if strings.Contains(string(lower), strings.ToLower(term)) {
				want = want.With(c)
			}
		}
	}
	return want
}

func TestInterimMatchesNaiveSearch(t *testing.T) {
	for _, text := range []string{"", "你这个老赖", "WE WILL HAVE YOU ARRESTED", "再不还款就爆通讯录，移交公安", "他的欠款逾期了",
		"ushers", "\xff\xfe欠款", "Tell Your Employer", "您好，请方便时回电。"} {
		if got, want := Interim().Categories(text), interimNaive(text); got != want {
			t.Errorf("Interim().Categories(%q) = %v, want %v", text, got.Names(), want.Names())
		}
	}
}

// FuzzInterim checks the interim screener's DFA against the naive search.
func FuzzInterim(f *testing.F) {
	for _, seed := range []string{"老赖", "ARREST", "欠款逾期", "tell your family", "\xff\xfe", ""} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if got, want := Interim().Categories(text), interimNaive(text); got != want {
			t.Fatalf("Interim().Categories(%q) = %v, want %v", text, got.Names(), want.Names())
		}
	})
}
