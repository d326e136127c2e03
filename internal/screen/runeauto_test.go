package screen

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// checkFastMatchesReference screens text on the one-pass path and on the reference
// path (Normalize, then the byte automaton) and fails unless both find the same
// hits in the same order, the same letter counts and the same result.
func checkFastMatchesReference(t *testing.T, s *Screener, text string) {
	t.Helper()
	var fast, ref scratch
	fh, fl, ok := s.fastHits(text, &fast, AllCategories)
	rh, rl := s.hits(text, &ref, true, AllCategories)
	if ok == ref.n.joined {
		t.Fatalf("%q (normalised %q): the fast path must give up exactly when Normalize joins spaced letters (gave up: %v)",
			text, ref.n.Text, !ok)
	}
	if !ok {
		return
	}
	if fh != rh || fl != rl {
		t.Fatalf("%q: fast path counts han %d latin %d, reference %d %d", text, fh, fl, rh, rl)
	}
	// The fast path leaves the unless terms to unlessHits, which apply calls only
	// for rules that fire; asked for all of them, it must find the same.
	refRule, refUnless := splitUnless(ref.hits)
	if !slices.Equal(fast.hits, refRule) {
		t.Fatalf("%q (normalised %q): rule terms\nfast      %v\nreference %v", text, ref.n.Text, fast.hits, refRule)
	}
	if u := s.unlessHits(nil, fast.syms, func(int32) bool { return true }); !slices.Equal(u, refUnless) {
		t.Fatalf("%q (normalised %q): unless terms\nfast      %v\nreference %v", text, ref.n.Text, u, refUnless)
	}
	var a, b scratch
	if got, want := s.screen(text, &a, false), s.screen(text, &b, true); got.Lang != want.Lang ||
		got.Categories != want.Categories || !slices.Equal(got.Spans, want.Spans) {
		t.Fatalf("%q: fast path %+v, reference %+v", text, got, want)
	}
}

// splitUnless splits hits into those of terms of a rule's groups and those of its
// unless terms, each in order.
func splitUnless(hits []ruleHit) (rule, unless []ruleHit) {
	for _, h := range hits {
		if h.group >= 0 {
			rule = append(rule, h)
		} else {
			unless = append(unless, h)
		}
	}
	return rule, unless
}

// corpusTexts returns every message of the evaluation corpus files.
func corpusTexts(t testing.TB) []string {
	files, err := filepath.Glob("testdata/corpus/*.jsonl")
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus files (%v)", err)
	}
	var out []string
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var ex struct{ Text string }
			if err := json.Unmarshal(sc.Bytes(), &ex); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			out = append(out, ex.Text)
		}
		f.Close()
	}
	return out
}

// evasions are texts that exercise every branch of the normaliser.
var evasions = []string{
	"", " ", "老赖", "你这个老 赖", "欠*款", "公-安", "逾\u200b期", "ＰＯＬＩＣＥ", "p o l i c e", "p o l", "a b c d",
	"we will tell your family", "We Will Tell Your Family!!!", "call the cops on you", "arrested", "arrest warrant",
	"pay up now", "payup", "pay  up", "pay-up", "1pay up2", "老賴，還錢！！！", "爆通訊錄", "移交公安", "已涉嫌诈骗，移交公安",
	"您的借款已逾期，请尽快还款，以免影响征信", "可能依法起诉，届时另行书面通知", "if unpaid we may refer the account to our attorneys",
	"x y z w 老赖", "a\xffb 老\u200b赖", "\U0001F600 police \U0001D5C9\U0001D5C8\U0001D5C5", "ｐｏｌｉｃｅ 警察局", "police123 police",
	// Three-byte forms that are not runes: a surrogate, an overlong slash, a truncated rune.
	"老\xed\xa0\x80赖", "欠\xed\xbf\xbf款逾期", "老\xe0\x80\xaf赖", "\xe0\x9f\xbf老赖", "老\xe8\x80赖",
}

func TestFastMatchesReference(t *testing.T) {
	s := Default()
	for _, text := range append(evasions, corpusTexts(t)...) {
		checkFastMatchesReference(t, s, text)
	}
	checkFastMatchesReference(t, s, mixedText)
}

func FuzzFastMatchesReference(f *testing.F) {
	for _, s := range evasions {
		f.Add(s)
	}
	f.Add(benchMessage)
	s := Default()
	f.Fuzz(func(t *testing.T, text string) {
		checkFastMatchesReference(t, s, text)
	})
}
