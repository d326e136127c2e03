package cli

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fairdebt/fairdebt/internal/policy"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/check")

const checkDir = "testdata/check"

// categories are the violation categories of the public decision contract, spelled
// out here so that a change to the engine's list shows up as a test failure.
var categories = []string{
	"quiet_hours", "frequency", "post_conversation", "third_party", "third_party_disclosure",
	"third_party_repeat", "opt_out", "status_hold", "prohibited_content", "channel_forbidden",
	"identity", "visit", "data_minimization",
}

// timeCategories are the categories of the built-in packs' time- and count-based
// rules: a denial made only of these has a next_allowed_at, any other has none.
var timeCategories = []string{"quiet_hours", "frequency", "post_conversation"}

// partialAllow lists the "allow" cases whose decision is a denial for another
// category, with the reason; every other allow case must be allowed outright. It is
// empty: every allow case in testdata/check is allowed outright.
var partialAllow = map[string]string{}

// run calls Main and returns its exit code, standard output and standard error.
func run(t *testing.T, stdin io.Reader, args ...string) (int, string, string) {
	t.Helper()
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	var stdout, stderr bytes.Buffer
	code := Main(args, stdin, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// caseName is a golden case's file name: <category>-<pack>-<allow|deny>-<detail>.
type caseName struct {
	category, pack, verdict, detail string
}

func parseCaseName(base string) (caseName, error) {
	parts := strings.Split(base, "-")
	i := slices.IndexFunc(parts, func(s string) bool { return s == "allow" || s == "deny" })
	if i < 2 || i == len(parts)-1 {
		return caseName{}, fmt.Errorf("%q is not <category>-<pack>-<allow|deny>-<detail>", base)
	}
	c := caseName{parts[0], strings.Join(parts[1:i], "-"), parts[i], strings.Join(parts[i+1:], "-")}
	if !slices.Contains(categories, c.category) {
		return caseName{}, fmt.Errorf("%q: unknown category %q", base, c.category)
	}
	return c, nil
}

// decision is the JSON decision as the contract defines it; decoding rejects
// unknown fields so that the shape of the output is checked too.
type decision struct {
	Allowed    *bool `json:"allowed"`
	Violations []struct {
		Rule     string `json:"rule"`
		Category string `json:"category"`
		Citation string `json:"citation"`
		Reason   struct {
			ZH string `json:"zh"`
			EN string `json:"en"`
		} `json:"reason"`
	} `json:"violations"`
	Obligations   []string `json:"obligations"`
	NextAllowedAt string   `json:"next_allowed_at"`
}

func decodeDecision(t *testing.T, out string) decision {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	var d decision
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("decision is not the contract's JSON: %v\n%s", err, out)
	}
	if dec.More() {
		t.Fatalf("more than one JSON value on stdout:\n%s", out)
	}
	if d.Allowed == nil || d.Violations == nil || d.Obligations == nil {
		t.Fatalf("decision lacks allowed, violations or obligations:\n%s", out)
	}
	return d
}

func (d decision) hasCategory(cat string) bool {
	for _, v := range d.Violations {
		if v.Category == cat {
			return true
		}
	}
	return false
}

// request is the part of a check request the assertions need.
type request struct {
	Pack   string `json:"pack"`
	Now    string `json:"now"`
	Debtor struct {
		Timezone string `json:"timezone"`
	} `json:"debtor"`
	Attempt struct {
		At string `json:"at"`
	} `json:"attempt"`
}

func goldenCases(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(checkDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no cases in %s", checkDir)
	}
	return files
}

func goldenPath(jsonFile string) string { return strings.TrimSuffix(jsonFile, ".json") + ".golden" }

// compareGolden compares got with the golden file, or rewrites the file with
// -update (read the diff before committing it).
func compareGolden(t *testing.T, golden, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	rerun := "go test ./internal/cli -update -run '^" + strings.SplitN(t.Name(), "/", 2)[0] + "$'"
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run %s)", err, rerun)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (if the change is right: %s)\n--- got\n%s\n--- want\n%s", golden, rerun, got, want)
	}
}

// TestCheckGolden runs `fairdebt check --file` on every request in testdata/check,
// compares the decision with its golden file byte for byte, and checks the decision
// against what the file name says, so that a wrong golden cannot hide a bug.
func TestCheckGolden(t *testing.T) {
	for _, file := range goldenCases(t) {
		base := strings.TrimSuffix(filepath.Base(file), ".json")
		t.Run(base, func(t *testing.T) {
			name, err := parseCaseName(base)
			if err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var req request
			if err := json.Unmarshal(data, &req); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			if req.Pack != name.pack {
				t.Fatalf("file name says pack %q, request says %q", name.pack, req.Pack)
			}

			code, stdout, stderr := run(t, nil, "check", "--file", file)
			if code != 0 || stderr != "" {
				t.Fatalf("exit %d, stderr %q; want exit 0 and no stderr", code, stderr)
			}
			compareGolden(t, goldenPath(file), stdout)

			d := decodeDecision(t, stdout)
			checkDecision(t, name, base, d)
			checkNextAllowedAt(t, data, req, d)
		})
	}
}

// checkDecision checks the decision against the case's name.
func checkDecision(t *testing.T, name caseName, base string, d decision) {
	t.Helper()
	if *d.Allowed != (len(d.Violations) == 0) {
		t.Errorf("allowed=%v with %d violations", *d.Allowed, len(d.Violations))
	}
	for i, v := range d.Violations {
		if v.Rule == "" || v.Citation == "" || v.Reason.ZH == "" || v.Reason.EN == "" {
			t.Errorf("violation %d has an empty rule, citation or reason: %+v", i, v)
		}
		if !slices.Contains(categories, v.Category) {
			t.Errorf("violation %d: unknown category %q", i, v.Category)
		}
		basePack, _, overlay := strings.Cut(name.pack, "-")
		if !strings.HasPrefix(v.Rule, name.pack+".") && !(overlay && strings.HasPrefix(v.Rule, basePack+".")) {
			t.Errorf("violation %d: rule %q is not of pack %s or its base", i, v.Rule, name.pack)
		}
	}
	switch name.verdict {
	case "deny":
		if *d.Allowed {
			t.Errorf("a deny case was allowed")
		}
		if !d.hasCategory(name.category) {
			t.Errorf("no violation of category %s", name.category)
		}
	case "allow":
		if d.hasCategory(name.category) {
			t.Errorf("an allow case violates category %s", name.category)
		}
		if why, partial := partialAllow[base]; partial {
			if *d.Allowed {
				t.Errorf("listed in partialAllow (%s) but allowed outright: remove it from the list", why)
			}
		} else if !*d.Allowed {
			t.Errorf("an allow case was denied: %+v", d.Violations)
		}
	}
}

// checkNextAllowedAt checks that next_allowed_at is present exactly when the denial
// is only time- and count-based, that it is in the debtor's time zone, that the same
// attempt passes then, and that it does not pass a minute earlier.
func checkNextAllowedAt(t *testing.T, data []byte, req request, d decision) {
	t.Helper()
	curable := !*d.Allowed
	for _, v := range d.Violations {
		curable = curable && slices.Contains(timeCategories, v.Category)
	}
	if !curable {
		if d.NextAllowedAt != "" {
			t.Errorf("next_allowed_at %s, but waiting cannot cure this decision", d.NextAllowedAt)
		}
		return
	}
	if d.NextAllowedAt == "" {
		t.Fatalf("a denial that waiting cures has no next_allowed_at")
	}
	next, err := time.Parse(time.RFC3339, d.NextAllowedAt)
	if err != nil {
		t.Fatalf("next_allowed_at: %v", err)
	}
	loc, err := time.LoadLocation(req.Debtor.Timezone)
	if err != nil {
		t.Fatal(err)
	}
	if local := next.In(loc).Format(time.RFC3339); local != d.NextAllowedAt {
		t.Errorf("next_allowed_at %s is not in the debtor's time zone (%s)", d.NextAllowedAt, local)
	}
	at := req.Attempt.At
	if at == "" {
		at = req.Now
	}
	attemptAt, err := time.Parse(time.RFC3339, at)
	if err != nil {
		t.Fatal(err)
	}
	if !next.After(attemptAt) {
		t.Errorf("next_allowed_at %s is not after the attempt (%s)", d.NextAllowedAt, at)
	}
	if got := decideAt(t, data, next); !*got.Allowed {
		t.Errorf("the same attempt at next_allowed_at %s is denied: %+v", d.NextAllowedAt, got.Violations)
	}
	if got := decideAt(t, data, next.Add(-time.Minute)); *got.Allowed {
		t.Errorf("the same attempt a minute before next_allowed_at %s is allowed", d.NextAllowedAt)
	}
}

// decideAt runs the request with the attempt moved to at.
func decideAt(t *testing.T, data []byte, at time.Time) decision {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var req map[string]any
	if err := dec.Decode(&req); err != nil {
		t.Fatal(err)
	}
	req["attempt"].(map[string]any)["at"] = at.Format(time.RFC3339)
	moved, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := run(t, bytes.NewReader(moved), "check")
	if code != 0 || stderr != "" {
		t.Fatalf("attempt moved to %s: exit %d, stderr %q", at.Format(time.RFC3339), code, stderr)
	}
	return decodeDecision(t, stdout)
}

// TestCheckGoldenCoverage checks that the cases cover every category both ways, in
// every built-in pack that has a rule of that category.
func TestCheckGoldenCoverage(t *testing.T) {
	if !slices.Equal(categories, policy.Categories) {
		t.Errorf("policy.Categories = %v, want the contract's %v", policy.Categories, categories)
	}
	have := map[string]bool{} // "category pack verdict"
	goldens := map[string]bool{}
	dst := false
	for _, file := range goldenCases(t) {
		base := strings.TrimSuffix(filepath.Base(file), ".json")
		name, err := parseCaseName(base)
		if err != nil {
			t.Error(err)
			continue
		}
		have[name.category+" "+name.pack+" "+name.verdict] = true
		have[name.category+" * "+name.verdict] = true
		goldens[goldenPath(file)] = true
		dst = dst || (strings.Contains(name.detail, "dst") && strings.HasPrefix(name.pack, "us"))
	}
	for _, cat := range categories {
		for _, verdict := range []string{"allow", "deny"} {
			if !have[cat+" * "+verdict] {
				t.Errorf("no %s case for category %s", verdict, cat)
			}
		}
	}
	reg, err := policy.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, pack := range []string{"cn", "us"} {
		p, err := reg.Get(pack)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range p.Rules() {
			for _, verdict := range []string{"allow", "deny"} {
				if !have[r.Category+" "+pack+" "+verdict] {
					t.Errorf("pack %s has %s rules (%s) but no %s case for them", pack, r.Category, r.ID, verdict)
				}
			}
		}
	}
	for _, pack := range []string{"us-ma", "us-nyc"} {
		for _, verdict := range []string{"allow", "deny"} {
			if !have["frequency "+pack+" "+verdict] {
				t.Errorf("no frequency %s case for pack %s", verdict, pack)
			}
		}
	}
	if !dst {
		t.Errorf("no daylight-saving case in America/New_York")
	}
	if *update {
		return
	}
	orphans, err := filepath.Glob(filepath.Join(checkDir, "*.golden"))
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range orphans {
		if !goldens[g] {
			t.Errorf("%s has no request file", g)
		}
	}
}

// TestCheckStdin reads a request from standard input, with no --file and with
// --file -, and expects the same decision as --file gives.
func TestCheckStdin(t *testing.T) {
	file := filepath.Join(checkDir, "third_party-cn-allow-debtor-3-failures.json")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(goldenPath(file))
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"check"}, {"check", "--file", "-"}, {"check", "-f", "-"}} {
		code, stdout, stderr := run(t, bytes.NewReader(data), args...)
		if code != 0 || stderr != "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
		if stdout != string(want) {
			t.Errorf("%v: stdout differs from %s\n--- got\n%s\n--- want\n%s", args, goldenPath(file), stdout, want)
		}
	}
}

// validRequest is a request that check accepts; the bad-input cases each break one
// thing in it.
const validRequest = `{
  "pack": "cn",
  "now": "2026-11-24T10:00:00+08:00",
  "debtor": {"id": "D1", "timezone": "Asia/Shanghai", "holds": []},
  "parties": [
    {"id": "D1", "role": "debtor"},
    {"id": "P1", "role": "emergency_contact", "consent": true, "relation": "parent"}
  ],
  "optouts": [{"party": "D1", "channel": "sms"}],
  "history": [{"at": "2026-11-24T09:00:00+08:00", "party": "D1", "channel": "call", "result": "no_answer"}],
  "attempt": {"party": "D1", "channel": "call", "at": "2026-11-24T10:00:00+08:00", "purpose": "collect",
              "message": "您好，请回电。", "collectors": 1, "caller_id_registered": true}
}`

// breakRequest replaces old, which must occur once in validRequest, with new.
func breakRequest(t *testing.T, old, new string) string {
	t.Helper()
	if n := strings.Count(validRequest, old); n != 1 {
		t.Fatalf("%q occurs %d times in validRequest", old, n)
	}
	return strings.Replace(validRequest, old, new, 1)
}

func TestCheckBadInput(t *testing.T) {
	code, _, stderr := run(t, strings.NewReader(validRequest), "check")
	if code != 0 {
		t.Fatalf("validRequest: exit %d, stderr %q", code, stderr)
	}
	missing := filepath.Join(t.TempDir(), "missing.json")
	tests := []struct {
		name  string
		input string
		args  []string // default: check, reading stdin
		want  string   // a substring of the error, naming the field
	}{
		{"bad JSON", breakRequest(t, `"pack": "cn"`, `"pack": cn`), nil, "request: invalid JSON at byte"},
		{"bad JSON trailing comma", breakRequest(t, `"holds": []}`, `"holds": [],}`), nil, "request: invalid JSON"},
		{"truncated JSON", validRequest[:len(validRequest)/2], nil, "request: invalid JSON"},
		{"data after the object", validRequest + "{}", nil, "request: unexpected data after the JSON object"},
		{"not an object", `["cn"]`, nil, "request: want a JSON object"},
		{"unknown top-level field", breakRequest(t, `"pack": "cn",`, `"pack": "cn", "colour": "red",`), nil, "colour: unknown field"},
		{"repeated top-level field", breakRequest(t, `"pack": "cn",`, `"pack": "cn", "pack": "us",`), nil, "pack: appears twice"},
		{"unknown field in attempt", breakRequest(t, `"collectors": 1,`, `"collectors": 1, "urgency": "high",`), nil, "attempt.urgency: unknown field"},
		{"unknown field in debtor", breakRequest(t, `"holds": []}`, `"holds": [], "age": 30}`), nil, "debtor.age: unknown field"},
		{"unknown field in a party", breakRequest(t, `"relation": "parent"}`, `"relation": "parent", "phone": "123"}`), nil, "parties[1].phone: unknown field"},
		{"unknown field in history", breakRequest(t, `"result": "no_answer"}`, `"result": "no_answer", "duration": 3}`), nil, "history[0].duration: unknown field"},
		{"bad time zone", breakRequest(t, `"Asia/Shanghai"`, `"Mars/Olympus"`), nil, "debtor.timezone: unknown time zone"},
		{"Local time zone", breakRequest(t, `"Asia/Shanghai"`, `"Local"`), nil, "debtor.timezone"},
		{"time zone not a string", breakRequest(t, `"Asia/Shanghai"`, `8`), nil, "debtor.timezone: want a string"},
		{"unknown pack", breakRequest(t, `"pack": "cn"`, `"pack": "xx"`), nil, `pack: unknown pack "xx"`},
		{"missing pack", breakRequest(t, `"pack": "cn",`, ``), nil, "pack: required"},
		{"unknown party in attempt", breakRequest(t, `"attempt": {"party": "D1"`, `"attempt": {"party": "P9"`), nil, `attempt.party: unknown party "P9"`},
		{"unknown party in history", breakRequest(t, `"party": "D1", "channel": "call", "result"`, `"party": "P9", "channel": "call", "result"`), nil, `history[0].party: unknown party "P9"`},
		{"unknown party in optouts", breakRequest(t, `"optouts": [{"party": "D1"`, `"optouts": [{"party": "P9"`), nil, `optouts[0].party: unknown party "P9"`},
		{"bad RFC 3339 attempt.at", breakRequest(t, `"at": "2026-11-24T10:00:00+08:00"`, `"at": "2026-11-24 10:00"`), nil, "attempt.at: not RFC 3339"},
		{"bad RFC 3339 now", breakRequest(t, `"now": "2026-11-24T10:00:00+08:00"`, `"now": "2026-11-24T10:00:00"`), nil, "now: not RFC 3339"},
		{"bad RFC 3339 history", breakRequest(t, `"2026-11-24T09:00:00+08:00"`, `"24/11/2026 09:00"`), nil, "history[0].at: not RFC 3339"},
		{"history after now", breakRequest(t, `"2026-11-24T09:00:00+08:00"`, `"2026-11-24T11:00:00+08:00"`), nil, "history[0].at: after now"},
		{"unknown channel", breakRequest(t, `"channel": "call", "at"`, `"channel": "fax", "at"`), nil, `attempt.channel: unknown channel "fax"`},
		{"unknown optout channel", breakRequest(t, `"channel": "sms"`, `"channel": "pager"`), nil, `optouts[0].channel: unknown channel "pager"`},
		{"unknown role", breakRequest(t, `"role": "emergency_contact"`, `"role": "boss"`), nil, `parties[1].role: unknown role "boss"`},
		{"unknown result", breakRequest(t, `"no_answer"`, `"hung_up"`), nil, `history[0].result: unknown result "hung_up"`},
		{"unknown hold", breakRequest(t, `"holds": []`, `"holds": ["vacation"]`), nil, `debtor.holds[0]: unknown hold "vacation"`},
		{"unknown purpose", breakRequest(t, `"purpose": "collect"`, `"purpose": "chat"`), nil, `attempt.purpose: unknown purpose "chat"`},
		{"collectors out of range", breakRequest(t, `"collectors": 1`, `"collectors": 101`), nil, "attempt.collectors"},
		{"consent not a bool", breakRequest(t, `"consent": true`, `"consent": "yes"`), nil, "parties[1].consent: want true or false"},
		{"debtor not listed", breakRequest(t, `{"id": "D1", "role": "debtor"},`, ``), nil, `parties: the debtor "D1" is not listed`},
		{"empty stdin", "", nil, "request: empty input"},
		{"blank stdin", " \n\t\n", nil, "request: empty input"},
		{"nonexistent --file", validRequest, []string{"check", "--file", missing}, missing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			if args == nil {
				args = []string{"check"}
			}
			code, stdout, stderr := run(t, strings.NewReader(tt.input), args...)
			if code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
			if !strings.HasSuffix(stderr, "\n") || strings.Count(stderr, "\n") != 1 {
				t.Errorf("stderr %q is not exactly one line", stderr)
			}
			if !strings.HasPrefix(stderr, "fairdebt: ") || !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr %q, want \"fairdebt: ...%s...\"", stderr, tt.want)
			}
		})
	}
}

// customPack extends cn with a CEL rule: no second SMS to the debtor from 20:00.
const customPack = `pack: acme-cn
extends: cn
name: {zh: 某某公司, en: ACME}
rules:
  - id: acme-cn.sms_evening
    category: quiet_hours
    kind: cel
    citation: ACME internal policy
    confidence: R
    channels: [sms]
    roles: [debtor]
    params:
      condition: 'channel == "sms" && hour >= 20 && attempts_today >= 1'
    reason: {zh: 晚间不再发送第二条短信。, en: No second SMS in the evening.}
`

// badPack has an unknown key, "colour", at line 10, column 5.
const badPack = `pack: acme-cn
extends: cn
name: {zh: 某某公司, en: ACME}
rules:
  - id: acme-cn.sms_evening
    category: quiet_hours
    kind: cel
    citation: ACME internal policy
    confidence: R
    colour: red
    params:
      condition: 'hour >= 20'
    reason: {zh: 晚间不发短信。, en: No SMS in the evening.}
`

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// smsRequest is an acme-cn request for an SMS to the debtor at the given local time,
// after the given earlier SMSes the same day.
func smsRequest(at string, earlier ...string) string {
	history := make([]string, len(earlier))
	for i, e := range earlier {
		history[i] = fmt.Sprintf(`{"at": %q, "party": "D1", "channel": "sms", "result": "delivered"}`, e)
	}
	return fmt.Sprintf(`{
  "pack": "acme-cn",
  "now": %q,
  "debtor": {"id": "D1", "timezone": "Asia/Shanghai"},
  "parties": [{"id": "D1", "role": "debtor"}],
  "history": [%s],
  "attempt": {"party": "D1", "channel": "sms", "message": "您好，请回电。"}
}`, at, strings.Join(history, ", "))
}

func TestCheckPackFile(t *testing.T) {
	pack := writeFile(t, "acme-cn.yaml", customPack)
	tests := []struct {
		name    string
		request string
		rules   []string // the violated rules, in order; none when allowed
	}{
		{"second SMS at 20:30 is denied", smsRequest("2026-11-24T20:30:00+08:00", "2026-11-24T10:00:00+08:00"), []string{"acme-cn.sms_evening"}},
		{"second SMS at 20:00 is denied", smsRequest("2026-11-24T20:00:00+08:00", "2026-11-24T10:00:00+08:00"), []string{"acme-cn.sms_evening"}},
		{"second SMS at 19:59 is allowed", smsRequest("2026-11-24T19:59:00+08:00", "2026-11-24T10:00:00+08:00"), nil},
		{"first SMS of the day at 20:30 is allowed", smsRequest("2026-11-24T20:30:00+08:00", "2026-11-23T20:10:00+08:00"), nil},
		{"cn's quiet hours still apply", smsRequest("2026-11-24T22:30:00+08:00"), []string{"cn.quiet_hours"}},
		{"both at 22:30 after an SMS", smsRequest("2026-11-24T22:30:00+08:00", "2026-11-24T10:00:00+08:00"), []string{"cn.quiet_hours", "acme-cn.sms_evening"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := run(t, strings.NewReader(tt.request), "--pack-file", pack, "check")
			if code != 0 || stderr != "" {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			d := decodeDecision(t, stdout)
			var rules []string
			for _, v := range d.Violations {
				rules = append(rules, v.Rule)
				if v.Rule == "acme-cn.sms_evening" {
					if v.Category != "quiet_hours" || v.Citation != "ACME internal policy" ||
						v.Reason.ZH != "晚间不再发送第二条短信。" || v.Reason.EN != "No second SMS in the evening." {
						t.Errorf("custom violation %+v does not carry the pack's category, citation and reason", v)
					}
				}
			}
			if !slices.Equal(rules, tt.rules) || *d.Allowed != (len(tt.rules) == 0) {
				t.Errorf("allowed=%v, violations %v; want %v", *d.Allowed, rules, tt.rules)
			}
			// A CEL rule is not a time-based kind: the engine offers no time to wait for.
			if slices.Contains(rules, "acme-cn.sms_evening") && d.NextAllowedAt != "" {
				t.Errorf("next_allowed_at %s with a CEL violation", d.NextAllowedAt)
			}
		})
	}

	t.Run("the custom pack needs --pack-file", func(t *testing.T) {
		req := smsRequest("2026-11-24T20:30:00+08:00")
		code, stdout, stderr := run(t, strings.NewReader(req), "check")
		if code != 2 || stdout != "" || !strings.Contains(stderr, `pack: unknown pack "acme-cn"`) {
			t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
		}
	})
}

func TestRulesLint(t *testing.T) {
	good := writeFile(t, "good.yaml", customPack)
	code, stdout, stderr := run(t, nil, "rules", "lint", good)
	want := good + ": ok: pack acme-cn, extends cn, 16 rules, 3 obligations\n"
	if code != 0 || stdout != want || stderr != "" {
		t.Errorf("lint good pack: exit %d, stdout %q, stderr %q; want exit 0 and %q", code, stdout, stderr, want)
	}

	bad := writeFile(t, "bad.yaml", badPack)
	code, stdout, stderr = run(t, nil, "rules", "lint", bad)
	at := fmt.Sprintf("%s:10:5: ", bad)
	if code != 1 || stdout != "" || !strings.Contains(stderr, at) || !strings.Contains(stderr, `unknown key "colour"`) {
		t.Errorf("lint bad pack: exit %d, stdout %q, stderr %q; want exit 1 and %q... unknown key \"colour\"", code, stdout, stderr, at)
	}

	code, _, stderr = run(t, nil, "rules", "lint", filepath.Join(t.TempDir(), "missing.yaml"))
	if code != 1 || !strings.Contains(stderr, "missing.yaml") {
		t.Errorf("lint missing file: exit %d, stderr %q; want exit 1", code, stderr)
	}
}

// cnRules are the ids of the cn pack's rules and obligations, as documented.
var cnRules = []string{
	"cn.quiet_hours", "cn.frequency.connected_calls_per_day", "cn.frequency.call_attempts_per_contact_method",
	"cn.third_party.unrelated", "cn.third_party.consent_required", "cn.third_party.objected",
	"cn.third_party.locate_only", "cn.third_party.debtor_unreachable_only",
	"cn.data_minimization.emergency_contacts", "cn.third_party.no_disclosure", "cn.opt_out.channel",
	"cn.channel.no_public_posts", "cn.visit.two_collectors", "cn.identity.registered_caller_id",
	"cn.content.prohibited",
	"cn.obligation.state_identity", "cn.obligation.record_call", "cn.obligation.location_only_script",
}

func TestRulesList(t *testing.T) {
	code, stdout, stderr := run(t, nil, "rules", "list", "--pack", "cn")
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if !strings.HasPrefix(stdout, "pack cn — 中国 / China (15 rules)\n") {
		t.Errorf("stdout does not start with the cn header:\n%s", stdout)
	}
	reg, err := policy.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	cn, err := reg.Get("cn")
	if err != nil {
		t.Fatal(err)
	}
	ids := slices.Clone(cnRules)
	for _, r := range cn.Rules() {
		ids = append(ids, r.ID)
	}
	for _, o := range cn.Obligations() {
		ids = append(ids, o.ID)
	}
	lines := strings.Split(stdout, "\n")
	for _, id := range ids {
		if !slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, id+" ") }) {
			t.Errorf("rules list --pack cn has no line for %s", id)
		}
	}
	if strings.Contains(stdout, "pack us") {
		t.Errorf("rules list --pack cn lists other packs:\n%s", stdout)
	}

	code, stdout, stderr = run(t, nil, "rules", "list", "--pack", "nope")
	if code != 2 || stdout != "" || stderr != "fairdebt: unknown pack \"nope\" (known: cn, us, us-ma, us-nyc)\n" {
		t.Errorf("rules list --pack nope: exit %d, stdout %q, stderr %q; want exit 2 and one line naming the pack", code, stdout, stderr)
	}

	pack := writeFile(t, "acme-cn.yaml", customPack)
	code, stdout, stderr = run(t, nil, "--pack-file", pack, "rules", "list", "--pack", "acme-cn")
	if code != 0 || stderr != "" || !strings.HasPrefix(stdout, "pack acme-cn — 某某公司 / ACME (16 rules, extends cn)\n") ||
		!strings.Contains(stdout, "\nacme-cn.sms_evening ") || !strings.Contains(stdout, "\ncn.quiet_hours ") {
		t.Errorf("rules list of the custom pack: exit %d, stderr %q, stdout:\n%s", code, stderr, stdout)
	}
}
