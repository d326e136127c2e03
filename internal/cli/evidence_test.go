package cli

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/fairdebt/fairdebt/internal/evidence/export"
)

// generatedLine is the one line of findings.json that changes from run to run.
var generatedLine = regexp.MustCompile(`(?m)^  "generated": ".*",\n`)

// The synthetic exports in testdata/evidence: the borrower's messages and call
// log, and the mother's export as CSV. findings.json must match the golden file
// (go test ./internal/cli -run TestEvidenceAnalyzeGolden -update rewrites it;
// read every diff), and the other outputs must be there and agree with it.
func TestEvidenceAnalyzeGolden(t *testing.T) {
	out := t.TempDir()
	dir := filepath.Join("testdata", "evidence")
	code, stdout, stderr := run(t, nil, "evidence", "analyze", filepath.Join(dir, "sms.xml"), filepath.Join(dir, "calls.xml"),
		"--designated", filepath.Join(dir, "mother.csv")+"=mother", "--collectors", filepath.Join(dir, "collectors.txt"),
		"--pack", "cn", "--lang", "zh", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "findings") || !strings.Contains(stdout, "letters/ (4)") {
		t.Errorf("stdout: %s", stdout)
	}
	got, err := os.ReadFile(filepath.Join(out, "findings.json"))
	if err != nil {
		t.Fatal(err)
	}
	got = generatedLine.ReplaceAll(got, nil)
	compareGolden(t, filepath.Join(dir, "findings.golden.json"), string(got))
	var rep struct {
		Findings []struct{ Rule, Category, File string }
		Inputs   []struct {
			File, SHA256 string
			Complete     bool
		}
	}
	if err := json.Unmarshal(got, &rep); err != nil {
		t.Fatal(err)
	}
	cats := map[string]int{}
	for _, f := range rep.Findings {
		cats[f.Category]++
	}
	// What the exports hold, worked out by hand: the fourth connected call on
	// 2025-11-03 (the cap is 3), the missed call at 23:10 (quiet hours), the
	// message posing as a court with a threat, and the mother called and told
	// of the debt while the borrower answered calls (debt words to a third party).
	for _, c := range []string{"frequency", "quiet_hours", "prohibited_content", "third_party_disclosure"} {
		if cats[c] == 0 {
			t.Errorf("no %s finding in %v", c, cats)
		}
	}
	manifest, err := os.ReadFile(filepath.Join(out, "manifest.sha256"))
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range rep.Inputs {
		data, err := os.ReadFile(in.File)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		if in.SHA256 != hex.EncodeToString(sum[:]) || !in.Complete || !strings.Contains(string(manifest), in.SHA256+"  "+in.File+"\n") {
			t.Errorf("input %s: %s, complete %v; manifest:\n%s", in.File, in.SHA256, in.Complete, manifest)
		}
	}
	page, err := os.ReadFile(filepath.Join(out, "report.html"))
	if err != nil || !strings.Contains(string(page), "催收证据分析报告") || !strings.Contains(string(page), "<mark>") {
		t.Errorf("report.html: %v", err)
	}
	for _, name := range []string{"letter-lender-1.zh.txt", "letter-regulator.zh.txt", "police-report-draft.zh.txt"} {
		if data, err := os.ReadFile(filepath.Join(out, "letters", name)); err != nil || len(data) == 0 {
			t.Errorf("letters/%s: %v", name, err)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(out, "*.partial-*")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// A file cut short is analysed up to the cut, the outputs are written, and the
// command says which line and exits 1; bad flags and missing files exit 2 and
// write nothing.
func TestEvidenceAnalyzeErrors(t *testing.T) {
	dir := t.TempDir()
	whole, err := os.ReadFile(filepath.Join("testdata", "evidence", "sms.xml"))
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "cut.xml")
	if err := os.WriteFile(cut, whole[:bytes.Index(whole, []byte("周末一起"))], 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	code, _, stderr := run(t, nil, "evidence", "analyze", cut, "--collector", "+8613800000001", "--out", out)
	if code != 1 || !strings.Contains(stderr, "cut.xml:6") || !strings.Contains(stderr, "cut short") {
		t.Fatalf("a cut file: exit %d, stderr %s", code, stderr)
	}
	var rep struct {
		Findings []struct{ Category string }
		Inputs   []struct {
			Records  int
			Complete bool
		}
	}
	data, err := os.ReadFile(filepath.Join(out, "findings.json"))
	if err != nil || json.Unmarshal(data, &rep) != nil || len(rep.Inputs) != 1 || rep.Inputs[0].Complete || rep.Inputs[0].Records != 2 ||
		len(rep.Findings) == 0 {
		t.Fatalf("the partial findings: %v %+v", err, rep)
	}
	for name, args := range map[string][]string{
		"no file":           {"evidence", "analyze", filepath.Join(dir, "missing.xml")},
		"unknown pack":      {"evidence", "analyze", cut, "--pack", "xx"},
		"bad zone":          {"evidence", "analyze", cut, "--tz", "Mars/Base"},
		"bad language":      {"evidence", "analyze", cut, "--lang", "fr"},
		"bad collector":     {"evidence", "analyze", cut, "--collector", "=Lender"},
		"empty name":        {"evidence", "analyze", cut, "--collector-name", " =Lender"},
		"third party label": {"evidence", "analyze", cut, "--third-party", "=mother"},
		"not an export":     {"evidence", "analyze", filepath.Join("testdata", "evidence", "collectors.txt")},
	} {
		o := filepath.Join(dir, "nothing-"+strings.ReplaceAll(name, " ", "-"))
		code, _, stderr := run(t, nil, append(args, "--out", o)...)
		if code != 2 || stderr == "" {
			t.Errorf("%s: exit %d, stderr %q", name, code, stderr)
		}
		if _, err := os.Stat(o); !os.IsNotExist(err) {
			t.Errorf("%s: wrote %s", name, o)
		}
	}
}

// A generated export (export.Generate, a fixed seed) analysed end to end: the
// summary of what was found must match the golden file, so a change in the
// reader, the screener or the rules that changes a finding shows up here
// (go test ./internal/cli -run TestEvidenceAnalyzeGenerated -update; read the diff).
func TestEvidenceAnalyzeGenerated(t *testing.T) {
	dir := t.TempDir()
	var args []string
	for _, f := range []export.Format{export.FormatSMSXML, export.FormatCallXML} {
		path := filepath.Join(dir, f.String()+".xml")
		var b bytes.Buffer
		if _, err := export.Generate(&b, export.GenOptions{Format: f, Bytes: 384 << 10, Seed: 11}); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, path)
	}
	out := filepath.Join(dir, "out")
	args = append([]string{"evidence", "analyze"}, append(args, "--collector", export.DefaultCollectors[0]+"=Synthetic Lender A",
		"--collector", export.DefaultCollectors[1]+"=Synthetic Lender A", "--out", out)...)
	if code, stdout, stderr := run(t, nil, args...); code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	data, err := os.ReadFile(filepath.Join(out, "findings.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		ByCategory map[string]int `json:"by_category"`
		Sources    []struct {
			Records, Calls, Messages, Collection int
		} `json:"sources"`
		Collectors []struct {
			Label           string
			Known           bool
			Calls, Messages int
		} `json:"collectors"`
		Days     []json.RawMessage `json:"days"`
		Findings []struct {
			Rule    string
			OverCap int `json:"over_cap"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	rules := map[string]int{}
	for _, f := range rep.Findings {
		rules[f.Rule]++
	}
	summary, err := json.MarshalIndent(map[string]any{"by_category": rep.ByCategory, "by_rule": rules, "sources": rep.Sources,
		"collectors": rep.Collectors, "days": len(rep.Days)}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	compareGolden(t, filepath.Join("testdata", "evidence", "generated.golden.json"), string(summary)+"\n")
	if len(rep.Findings) < 10 || rep.ByCategory["prohibited_content"] == 0 || rep.ByCategory["quiet_hours"] == 0 || rep.ByCategory["frequency"] == 0 {
		t.Errorf("a generated export with abuse and night calls gave %v", rep.ByCategory)
	}
}

// --collector-name makes the numbers saved under that name a collector's.
func TestEvidenceCollectorName(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := run(t, nil, "evidence", "analyze", filepath.Join("testdata", "evidence", "calls.xml"),
		"--collector-name", "synthetic friend 1=Synthetic Agency", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, stdout, stderr)
	}
	data, err := os.ReadFile(filepath.Join(out, "findings.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Collectors []struct{ Number, Label string }
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range rep.Collectors {
		found = found || c.Number == "+8613900000007" && c.Label == "Synthetic Agency"
	}
	if !found {
		t.Errorf("collectors %+v", rep.Collectors)
	}
}
