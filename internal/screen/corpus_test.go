package screen

import (
	"bufio"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// corpusExample is one line of testdata/corpus/*.jsonl, with the fields the
// screener's Example does not need.
type corpusExample struct {
	Example
	Lang    string `json:"lang"`
	Script  string `json:"script"`
	Evasion string `json:"evasion"`
}

func readCorpus(t *testing.T, name string) []corpusExample {
	t.Helper()
	f, err := os.Open("testdata/corpus/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []corpusExample
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for line := 1; sc.Scan(); line++ {
		var ex corpusExample
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&ex); err != nil {
			// note is the one optional field Example does not carry.
			var raw map[string]any
			if json.Unmarshal(sc.Bytes(), &raw) != nil {
				t.Fatalf("%s:%d: %v", name, line, err)
			}
			delete(raw, "note")
			b, _ := json.Marshal(raw)
			dec = json.NewDecoder(strings.NewReader(string(b)))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&ex); err != nil {
				t.Fatalf("%s:%d: %v", name, line, err)
			}
		}
		out = append(out, ex)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCorpusShape holds the corpus to what the screener's evaluation needs: enough
// Chinese and English messages, about 40% lawful, every category and evasion in
// both files, unique ids, and at least a quarter of the messages held out.
func TestCorpusShape(t *testing.T) {
	tune, held := readCorpus(t, "tune.jsonl"), readCorpus(t, "heldout.jsonl")
	ids := map[string]bool{}
	count := map[string]int{}
	lawful := 0
	for _, file := range []struct {
		name string
		exs  []corpusExample
	}{{"tune.jsonl", tune}, {"heldout.jsonl", held}} {
		cats, evasions := map[string]bool{}, map[string]bool{}
		for _, ex := range file.exs {
			if ids[ex.ID] {
				t.Errorf("%s: id %s used twice", file.name, ex.ID)
			}
			ids[ex.ID] = true
			count[ex.Lang]++
			if ex.Lawful {
				lawful++
			}
			for _, c := range ex.Categories {
				cats[c] = true
			}
			evasions[ex.Evasion] = true
			if ex.Lang != "zh" && ex.Lang != "en" {
				t.Errorf("%s: %s: lang %q", file.name, ex.ID, ex.Lang)
			}
		}
		for _, c := range Categories() {
			if !cats[c.String()] {
				t.Errorf("%s has no example of %s", file.name, c)
			}
		}
		for _, e := range []string{"spaces", "symbols", "fullwidth", "zero_width", "traditional", "mixed_case", "repeated_punct", "letter_spacing"} {
			if !evasions[e] {
				t.Errorf("%s has no example of the evasion %s", file.name, e)
			}
		}
	}
	total := len(tune) + len(held)
	if count["zh"] < 400 || count["en"] < 150 {
		t.Errorf("%d Chinese and %d English messages, want at least 400 and 150", count["zh"], count["en"])
	}
	if share := float64(lawful) / float64(total); share < 0.3 || share > 0.5 {
		t.Errorf("%.0f%% of messages are lawful, want about 40%%", 100*share)
	}
	if share := float64(len(held)) / float64(total); share < 0.25 {
		t.Errorf("held out %d of %d messages (%.1f%%), want at least 25%%", len(held), total, 100*share)
	}
}

// TestTuningCorpusBars enforces the screener's quality bars on the tuning corpus,
// and logs the held-out figures (run with -v), which are reported, not tuned on.
func TestTuningCorpusBars(t *testing.T) {
	s := Default()
	examples := func(exs []corpusExample) []Example {
		out := make([]Example, len(exs))
		for i, ex := range exs {
			out[i] = ex.Example
		}
		return out
	}
	r, err := s.Evaluate(examples(readCorpus(t, "tune.jsonl")))
	if err != nil {
		t.Fatal(err)
	}
	if f1 := r.Overall.F1(); f1 < 0.97 {
		t.Errorf("harmful-versus-lawful F1 %.3f on the tuning corpus, want at least 0.97", f1)
	}
	if fl := r.LawfulFlagged(); fl > 0.02 {
		t.Errorf("%.1f%% of lawful messages flagged, want at most 2%%", 100*fl)
	}
	for c := range numCategories {
		if rec := r.PerCategory[c].Recall(); rec < 0.9 {
			t.Errorf("%s recall %.3f, want at least 0.9", c, rec)
		}
	}
	h, err := s.Evaluate(examples(readCorpus(t, "heldout.jsonl")))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	h.Print(&b)
	t.Logf("held out (reported, not enforced):\n%s", b.String())
}
