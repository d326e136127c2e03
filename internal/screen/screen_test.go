package screen

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
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
		{"你这个老赖", []string{"insult", "debt_disclosure"}}, // a defaulter label reveals a debt
		{"WE WILL HAVE YOU ARRESTED", []string{"false_legal"}},
		{"We will tell your employer", []string{"threat_exposure"}},
		{"再不还款就爆通讯录，移交公安", []string{"threat_exposure", "false_legal", "debt_disclosure"}},
		{"他的欠款逾期了", []string{"debt_disclosure"}},
		{"你是担保人，必须替他还", []string{"guarantor_claim", "debt_disclosure"}},
		{"可以去别的平台借钱还", []string{"induce_borrowing"}},
		{"需要另付上门费", []string{"unauthorized_fee"}},
		// A lender's own name is not a push to borrow elsewhere.
		{"您在示例小额贷款有限公司的借款本期尚未结清", []string{"debt_disclosure"}},
		{"去小额贷款公司借一笔先还上", []string{"induce_borrowing", "debt_disclosure"}},
		{"this is the police", []string{"false_authority"}},
		{"I will break your legs", []string{"threat_violence"}},
		// A veiled threat against the family; a compliment on clothes is not one.
		{"再不还钱就让你全家好看", []string{"threat_violence", "debt_disclosure"}},
		{"这件衣服你全家穿都好看", nil},
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

// TestRules checks each kind of rule on a small lexicon: any-term rules, word
// boundaries and prefixes, co-occurrence windows, and negations.
func TestRules(t *testing.T) {
	s, err := Compile(map[string][]byte{"t.yaml": []byte(`
rules:
  - id: t.insult.labels
    category: insult
    terms: [老赖, deadbeat, scum*]
    unless: [不是]
    unless_before: 2
  - id: t.threat_exposure.tell
    category: threat_exposure
    groups: [[家人, family], [通知, tell]]
    near: 20
    unless: [不会, will not]
    unless_before: 10
  - id: t.false_legal.jail
    category: false_legal
    terms: [拘留]
    unless: [不会]
    unless_after: [不属实]
`)})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		text  string
		want  []string
		spans [][2]int
	}{
		{"你这个老赖", []string{"insult"}, [][2]int{{3, 5}}},
		{"你这个老 赖", []string{"insult"}, [][2]int{{3, 6}}},         // evasion: the span covers the space
		{"你不是老赖", nil, nil},                                      // negated just before
		{"you deadbeat", []string{"insult"}, [][2]int{{4, 12}}},  // a whole word
		{"deadbeats everywhere", nil, nil},                       // not a word match without *
		{"scumbag", []string{"insult"}, [][2]int{{0, 4}}},        // scum* is a prefix
		{"通知你家人", []string{"threat_exposure"}, [][2]int{{0, 5}}}, // groups in either order
		{"我们会通知，你的家人", []string{"threat_exposure"}, [][2]int{{3, 10}}},
		{"通知您本人，另外有一件事情想要和您确认一下，是关于您的家人", nil, nil}, // farther apart than near
		{"我们不会通知你家人", nil, nil},                     // negated
		{"we will tell your family", []string{"threat_exposure"}, [][2]int{{8, 24}}},
		{"we will not tell your family", nil, nil},
		{"你将被拘留", []string{"false_legal"}, [][2]int{{3, 5}}},
		{"拘留等说法不属实", nil, nil},                                              // denied just after
		{"拘留，这是真的，至于其他的一些说法不属实", []string{"false_legal"}, [][2]int{{0, 2}}}, // the denial is too far after
		{"不会拘留", nil, nil},                                                  // an unless term before
		{"不属实：你将被拘留", []string{"false_legal"}, [][2]int{{7, 9}}},            // unless_after looks only after
	}
	for _, c := range cases {
		r := s.Screen(c.text)
		if got := r.Categories.Names(); !slices.Equal(got, c.want) {
			t.Errorf("Screen(%q) = %v, want %v", c.text, got, c.want)
			continue
		}
		var spans [][2]int
		for _, sp := range r.Spans {
			spans = append(spans, [2]int{sp.Start, sp.End})
		}
		if !slices.Equal(spans, c.spans) {
			t.Errorf("Screen(%q) spans %v, want %v", c.text, spans, c.spans)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"rules:\n  - id: t.insult.a\n    category: nope\n    terms: [x]\n", "t.yaml:2: rule t.insult.a: unknown content category"},
		{"rules:\n  - id: a\n    category: insult\n    terms: [x]\n", "want LANG.insult.NAME"},
		{"rules:\n  - id: t.insult.a\n    category: insult\n", "needs either terms or groups"},
		{"rules:\n  - id: t.insult.a\n    category: insult\n    groups: [[x], [y]]\n", "need near"},
		{"rules:\n  - id: t.insult.a\n    category: insult\n    terms: [x]\n  - id: t.insult.a\n    category: insult\n    terms: [y]\n", "t.yaml:5: rule t.insult.a: id used twice"},
		{"rules:\n  - id: t.insult.a\n    category: insult\n    terms: [x]\n    colour: red\n", "t.yaml:5: unknown key \"colour\""},
		{"rules:\n  - id: t.insult.a\n    category: insult\n    terms: [\"!!\"]\n", "empty once normalised"},
		{"rule: []\n", "unknown key \"rule\""},
		{"rules:\n  - id: t.insult.a\n    category: insult\n    terms: [x]\n    unless: [y]\n    unless_before: 500\n", "unless_before must be between 0 and 200"},
		{"rules:\n  - id: t.insult.a\n    category: insult\n    terms: [x]\n    unless_before: 3\n", "unless_before needs unless terms"},
	} {
		_, err := Compile(map[string][]byte{"t.yaml": []byte(c.yaml)})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.yaml, err, c.want)
		}
	}
}

func TestLanguage(t *testing.T) {
	s := Default()
	for text, want := range map[string]string{"您好": "zh", "Hello there": "en", "您好 Mr Wang": "zh", "123 !!": "", "": ""} {
		if got := s.Screen(text).Lang; got != want {
			t.Errorf("Screen(%q).Lang = %q, want %q", text, got, want)
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

// FuzzScreen checks that screening never panics and that every span lies within the
// text, covers at least one rune and names a rule of its category.
func FuzzScreen(f *testing.F) {
	for _, seed := range []string{"老赖", "ARREST", "欠款逾期", "tell your family", "\xff\xfe", "", "逾\u200b期", "ｐｏｌｉｃｅ", "p o l i c e"} {
		f.Add(seed)
	}
	s := Default()
	f.Fuzz(func(t *testing.T, text string) {
		r := s.Screen(text)
		n := utf8.RuneCountInString(text)
		var set Set
		for _, sp := range r.Spans {
			if sp.Start < 0 || sp.End > n || sp.Start >= sp.End {
				t.Fatalf("Screen(%q): span %+v outside [0,%d]", text, sp, n)
			}
			if !strings.Contains(sp.Rule, "."+sp.Category.String()+".") {
				t.Fatalf("Screen(%q): span %+v: rule does not match the category", text, sp)
			}
			set = set.With(sp.Category)
		}
		if set != r.Categories {
			t.Fatalf("Screen(%q): spans %v, categories %v", text, set.Names(), r.Categories.Names())
		}
		if got := s.Categories(text); got != r.Categories {
			t.Fatalf("Categories(%q) = %v, Screen %v", text, got.Names(), r.Categories.Names())
		}
	})
}
