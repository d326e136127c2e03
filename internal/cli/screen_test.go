package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fairdebt/fairdebt/internal/screen"
)

func TestScreenCommand(t *testing.T) {
	in := "你这个老赖\n\nWe will tell your employer\r\n您好，请方便时回电。\n"
	var stdout, stderr bytes.Buffer
	if code := Main([]string{"screen"}, strings.NewReader(in), &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	lines := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
	want := []struct {
		text, lang string
		cats       []string
	}{
		{"你这个老赖", "zh", []string{"insult", "debt_disclosure"}},
		{"", "", []string{}},
		{"We will tell your employer", "en", []string{"threat_exposure"}},
		{"您好，请方便时回电。", "zh", []string{}},
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d: %s", len(lines), len(want), stdout.String())
	}
	for i, w := range want {
		var d screen.Document
		if err := json.Unmarshal([]byte(lines[i]), &d); err != nil {
			t.Fatal(err)
		}
		if d.Text != w.text || d.Lang != w.lang || strings.Join(d.Categories, ",") != strings.Join(w.cats, ",") || d.Spans == nil {
			t.Errorf("line %d: %s, want %+v", i+1, lines[i], w)
		}
	}
}

func TestScreenEval(t *testing.T) {
	dir := t.TempDir()
	corpus := filepath.Join(dir, "c.jsonl")
	data := `{"id": "a", "text": "你这个老赖", "categories": ["insult"], "lawful": false}
{"id": "b", "text": "您好，请方便时回电。", "categories": [], "lawful": true}
{"id": "c", "text": "您的借款已逾期", "categories": ["debt_disclosure"], "lawful": true}
`
	if err := os.WriteFile(corpus, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := Main([]string{"screen", "eval", "--mistakes", corpus}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{"insult", "harmful vs lawful", "3 messages; lawful messages flagged: 0 of 2 (0.0%)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	bad := filepath.Join(dir, "bad.jsonl")
	if err := os.WriteFile(bad, []byte(`{"id": "x", "text": "t", "categories": ["insult"], "lawful": true}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	stdout.Reset()
	stderr.Reset()
	if code := Main([]string{"screen", "eval", bad}, nil, &stdout, &stderr); code != exitInput || !strings.Contains(stderr.String(), "contradicts") {
		t.Errorf("contradictory label: exit %d, %s", code, stderr.String())
	}
}
