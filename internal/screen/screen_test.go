package screen

import (
	"slices"
	"strings"
	"testing"
)

func TestCategories(t *testing.T) {
	s := Default()
	cases := []struct {
		text string
		want []string
	}{
		{"", nil},
		{"您好，请方便时回电。", nil},
		{"Please call us back at your convenience.", nil},
		{"你这个老赖", []string{"insult"}},
		{"WE WILL HAVE YOU ARRESTED", []string{"false_legal"}},
		{"Tell Your Employer", []string{"threat_exposure"}},
		{"再不还款就爆通讯录，移交公安", []string{"threat_exposure", "false_legal", "debt_disclosure"}},
		{"他的欠款逾期了", []string{"debt_disclosure"}},
		{"你是担保人，必须替他还", []string{"guarantor_claim"}},
		{"可以去别的平台借钱还", []string{"induce_borrowing"}},
		{"需要另付上门费", []string{"unauthorized_fee"}},
		{"this is the police", []string{"false_authority"}},
		{"I will break your legs", []string{"threat_violence"}},
	}
	for _, c := range cases {
		got := s.Categories(c.text).Names()
		want := slices.Clone(c.want)
		slices.SortFunc(want, func(a, b string) int { return int(mustCategory(t, a)) - int(mustCategory(t, b)) })
		if !slices.Equal(got, want) {
			t.Errorf("Categories(%q) = %v, want %v", c.text, got, want)
		}
	}
}

func mustCategory(t *testing.T, name string) Category {
	c, err := ParseCategory(name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestAutomatonMatchesNaiveSearch checks the DFA against a plain substring search,
// including terms that overlap, share prefixes, and are suffixes of other terms.
func TestAutomatonMatchesNaiveSearch(t *testing.T) {
	lex := map[Category][]string{
		Insult:         {"he", "she", "his", "hers"},
		DebtDisclosure: {"ushers", "欠款", "款"},
		FalseLegal:     {"abcd", "bc"},
		ThreatExposure: {"xyzzy", "zz"},
	}
	s := New(lex)
	texts := []string{"ushers", "USHERS", "ahishers", "abcx", "xbcd", "zzz", "xyzz", "我欠款了", "款", "h", "", "sh", "fooabcdbar"}
	for _, text := range texts {
		var want Set
		lower := strings.ToLower(text)
		for c, terms := range lex {
			for _, term := range terms {
				if strings.Contains(lower, term) {
					want = want.With(c)
				}
			}
		}
		if got := s.Categories(text); got != want {
			t.Errorf("Categories(%q) = %v, want %v", text, got.Names(), want.Names())
		}
	}
}

func TestParseCategory(t *testing.T) {
	for _, c := range Categories() {
		got, err := ParseCategory(c.String())
		if err != nil || got != c {
			t.Errorf("ParseCategory(%q) = %v, %v", c, got, err)
		}
	}
	if _, err := ParseCategory("nope"); err == nil {
		t.Error("ParseCategory accepted an unknown name")
	}
}

// FuzzCategories checks the matcher against a naive search over the embedded lexicon.
func FuzzCategories(f *testing.F) {
	for _, seed := range []string{"老赖", "ARREST", "欠款逾期", "tell your family", "\xff\xfe", ""} {
		f.Add(seed)
	}
	s := Default()
	f.Fuzz(func(t *testing.T, text string) {
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
		if got := s.Categories(text); got != want {
			t.Fatalf("Categories(%q) = %v, want %v", text, got.Names(), want.Names())
		}
	})
}
