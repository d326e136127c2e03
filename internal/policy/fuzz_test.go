package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// requestSeeds are hand-written requests beside the examples: valid ones that reach
// the time-based rules, DST days and the overlays, and invalid ones.
var requestSeeds = []string{
	// cn: three connected calls today, at 23:00 (quiet hours and the daily cap).
	`{"pack":"cn","now":"2026-11-24T23:00:00+08:00","debtor":{"id":"D1","timezone":"Asia/Shanghai"},
	  "parties":[{"id":"D1","role":"debtor"}],
	  "history":[{"at":"2026-11-24T09:00:00+08:00","party":"D1","channel":"call","result":"connected"},
	             {"at":"2026-11-24T10:00:00+08:00","party":"D1","channel":"call","result":"connected"},
	             {"at":"2026-11-24T11:00:00+08:00","party":"D1","channel":"call"}],
	  "attempt":{"party":"D1","channel":"call"}}`,
	// us: a conversation yesterday, an attempt on the night of a DST change.
	`{"pack":"us","now":"2026-03-08T01:30:00-05:00","debtor":{"id":"D1","timezone":"America/New_York","holds":["plan_active"]},
	  "parties":[{"id":"D1","role":"debtor"},{"id":"T1","role":"third_party","objected":false}],
	  "optouts":[{"party":"T1","channel":"sms"}],
	  "history":[{"at":"2026-03-07T10:00:00-05:00","party":"D1","channel":"call","result":"connected"}],
	  "attempt":{"party":"D1","channel":"call","at":"2026-03-08T02:30:00-05:00","caller_id_registered":true}}`,
	// us-nyc at the end of 2026, when the 2-in-7 cap gives way to 3-in-7.
	`{"pack":"us-nyc","now":"2026-12-31T23:30:00-05:00","debtor":{"id":"D1","timezone":"America/New_York"},
	  "parties":[{"id":"D1","role":"debtor"}],
	  "history":[{"at":"2026-12-28T10:00:00-05:00","party":"D1","channel":"sms","result":"delivered"},
	             {"at":"2026-12-29T10:00:00-05:00","party":"D1","channel":"email","result":"delivered"}],
	  "attempt":{"party":"D1","channel":"email","purpose":"collect","message":"Please call us."}}`,
	// us-ma: two calls this week.
	`{"pack":"us-ma","now":"2026-11-23T10:00:00-05:00","debtor":{"id":"D1","timezone":"America/New_York"},
	  "parties":[{"id":"D1","role":"debtor"}],
	  "history":[{"at":"2026-11-18T10:00:00-05:00","party":"D1","channel":"call","result":"connected"},
	             {"at":"2026-11-20T10:00:00-05:00","party":"D1","channel":"call","result":"voicemail"}],
	  "attempt":{"party":"D1","channel":"call"}}`,
	// cn: a visit with one collector, an emergency contact without consent, a threat.
	`{"pack":"cn","now":"2026-11-24T10:00:00+08:00","debtor":{"id":"D1","timezone":"Asia/Shanghai","holds":["dispute","cease"]},
	  "parties":[{"id":"D1","role":"debtor"},{"id":"E1","role":"emergency_contact","relation":"friend"},{"id":"A1","role":"attorney"}],
	  "attempt":{"party":"E1","channel":"visit","purpose":"locate","collectors":1,"message":"再不还钱就曝光你"}}`,
	// Invalid: unknown field, repeated field, bad time, unknown party, Local zone.
	`{"pack":"cn","now":"2026-11-24T10:00:00+08:00","debtor":{"id":"D1","timezone":"Asia/Shanghai"},"parties":[{"id":"D1","role":"debtor"}],"attempt":{"party":"D1","channel":"call"},"extra":1}`,
	`{"pack":"cn","pack":"us","now":"2026-11-24T10:00:00+08:00"}`,
	`{"pack":"cn","now":"2026-11-24 10:00","debtor":{"id":"D1","timezone":"Asia/Shanghai"},"parties":[],"attempt":{}}`,
	`{"pack":"cn","now":"2026-11-24T10:00:00+08:00","debtor":{"id":"D1","timezone":"Asia/Shanghai"},"parties":[{"id":"D1","role":"debtor"}],"attempt":{"party":"X","channel":"call"}}`,
	`{"pack":"cn","now":"2026-11-24T10:00:00+08:00","debtor":{"id":"D1","timezone":"Local"},"parties":[{"id":"D1","role":"debtor"}],"attempt":{"party":"D1","channel":"call"}}`,
	`{"pack":"zz"}`,
	`[]`,
	`null`,
	`{`,
	``,
}

func FuzzDecodeRequest(f *testing.F) {
	files, err := filepath.Glob("../../examples/*.json")
	if err != nil || len(files) == 0 {
		f.Fatalf("no example requests in ../../examples (err %v)", err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range requestSeeds {
		f.Add([]byte(s))
	}
	reg := mustBuiltin(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := DecodeRequest(data, reg)
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %v is a %T, not an *InputError", err, err)
			}
			if req != nil {
				t.Fatalf("a request along with the error %v", err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error message spans lines: %q", err.Error())
			}
			return
		}
		checkDecision(t, req.Pack, &req.Snapshot, &req.Attempt)
	})
}

// checkDecision evaluates an attempt and checks that the decision is consistent.
func checkDecision(t *testing.T, p *Pack, s *Snapshot, a *Attempt) {
	t.Helper()
	d := Evaluate(p, s, a)
	if d.Allowed != (len(d.Violations) == 0) {
		t.Fatalf("allowed = %v with %d violations", d.Allowed, len(d.Violations))
	}
	for _, v := range d.Violations {
		if v.Rule == "" || v.Citation == "" || v.Category == "" || !slices.Contains(Categories, v.Category) {
			t.Fatalf("incomplete violation %+v", v)
		}
	}
	// The decision's JSON form is the contract of `fairdebt check`.
	if _, err := json.Marshal(d); err != nil {
		t.Fatalf("decision for an attempt at %v cannot be encoded: %v", a.At, err)
	}
	if d.NextAllowedAt.IsZero() {
		return
	}
	if d.Allowed {
		t.Fatalf("allowed with next_allowed_at %v", d.NextAllowedAt)
	}
	if d.NextAllowedAt.Before(a.At) {
		t.Fatalf("next_allowed_at %v is before the attempt %v", d.NextAllowedAt, a.At)
	}
	// When every earlier contact precedes the attempt, nothing but the clock changes
	// by waiting: the same attempt made at next_allowed_at passes, provided every
	// rule is one of the engine's own (a custom CEL rule may read the clock).
	for _, h := range s.History {
		if h.At.Unix() >= a.At.Unix() {
			return
		}
	}
	if slices.ContainsFunc(p.rules, func(r rule) bool { return r.kind == kindCEL }) {
		return
	}
	later := *a
	later.At = d.NextAllowedAt
	if again := Evaluate(p, s, &later); !again.Allowed {
		t.Fatalf("attempt at %v: next_allowed_at %v, but there it breaks %v", a.At, d.NextAllowedAt, ruleIDs(again))
	}
}

// packSeeds are hand-written pack files: valid overlays and broken variants.
var packSeeds = []string{
	"pack: acme-cn\nextends: cn\nrules:" + contactLimitRule,
	"pack: acme-off\nextends: cn\nrules:\n  - {id: cn.identity.registered_caller_id, disabled: true}\n",
	`pack: acme
name: {zh: 某某公司, en: ACME}
rules:
  - id: acme.sms_evening
    category: quiet_hours
    kind: cel
    citation: CBA 2026 指引
    confidence: R
    channels: [sms]
    roles: [debtor]
    from: 2027-01-01
    until: 2027-12-31
    params:
      condition: 'hour >= 20 && attempts_today >= 1 && "threat_violence" in content'
    reason: {zh: 晚间不再发送第二条短信。, en: No second SMS in the evening.}
  - id: acme.calls
    category: frequency
    kind: cap
    citation: CBA 2026 指引
    confidence: R
    params: {max: 0, days: 366, scope: contact_method, results: [pending]}
    reason: {zh: "{days}天{max}次", en: "{max} in {days} days"}
  - id: acme.night
    category: quiet_hours
    kind: quiet_hours
    citation: CBA 2026 指引
    confidence: U
    params: {start: "00:00", end: "23:59"}
    reason: {zh: "{start}-{end}", en: "{start}-{end}"}
  - id: acme.unreachable
    category: third_party
    kind: debtor_unreachable
    citation: CBA 2026 指引
    confidence: U
    params: {attempts: 16, failures: [busy], immediate: [failed]}
    reason: {zh: "{attempts}", en: "{attempts}"}
obligations:
  - {id: acme.obligation.record_sms, obligation: record_message, citation: CBA 2026 指引, confidence: R, channels: [sms]}
`,
	"pack: acme\nname: {zh: 某, en: ACME}\ncolour: blue\n",
	"pack: acme\nextends: acme\n",
	"pack: acme\nextends: nope\nrules: []\n",
	"pack: Acme!\nname: x\nrules: 3\n",
	"pack: acme\nname: {zh: 某, en: ACME}\nrules:\n  - id: acme.x\n    kind: cel\n    params: {condition: 'hour +'}\n",
	"pack: acme\nname: {zh: 某, en: ACME}\nrules:\n  - id: acme.x\n    category: quiet_hours\n    kind: quiet_hours\n    citation: c\n    confidence: T\n    params: {start: \"25:00\", end: \"08:00\"}\n    reason: {zh: \"{nope}\", en: x}\n",
	"pack: acme\n\tname: x\n",
	"- a\n- b\n",
	"---\npack: a\n---\npack: b\n",
	"pack: &a acme\nname: *a\n",
}

func FuzzLoadPack(f *testing.F) {
	entries, err := fs.ReadDir(builtinFS, "packs")
	if err != nil || len(entries) == 0 {
		f.Fatalf("no embedded packs (err %v)", err)
	}
	for _, e := range entries {
		data, err := fs.ReadFile(builtinFS, path.Join("packs", e.Name()))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		// The same pack under another name, so that it loads beside the built-ins.
		f.Add([]byte(strings.Replace(string(data), "pack: ", "pack: x", 1)))
	}
	for _, s := range packSeeds {
		f.Add([]byte(s))
	}
	base := mustBuiltin(f)
	const file = "fuzz.yaml"
	f.Fuzz(func(t *testing.T, data []byte) {
		reg := &Registry{packs: make(map[string]*Pack, len(base.packs)+1)}
		for n, p := range base.packs {
			reg.packs[n] = p
		}
		out, err := loadAll(reg, map[string][]byte{file: data})
		if err != nil {
			var les LoadErrors
			if !errors.As(err, &les) || len(les) == 0 {
				t.Fatalf("error %v is a %T, not a non-empty LoadErrors", err, err)
			}
			for _, e := range les {
				if e.File != file {
					t.Errorf("error in file %q, want %q: %v", e.File, file, e)
				}
				if e.Line < 1 || e.Column < 1 {
					t.Errorf("error at line %d column %d, want both ≥ 1: %v", e.Line, e.Column, e)
				}
				if e.Msg == "" || strings.Contains(e.Error(), "\n") {
					t.Errorf("message is empty or spans lines: %q", e.Error())
				}
			}
			return
		}
		var p *Pack
		for n, q := range out.packs {
			if base.packs[n] == nil {
				if p != nil {
					t.Fatalf("one file loaded two packs, %s and %s", p.Name, q.Name)
				}
				p = q
			}
		}
		if p == nil {
			t.Fatal("loaded without error but added no pack")
		}
		checkLoadedPack(t, p)
	})
}

// checkLoadedPack checks a custom pack's listing and evaluates a few attempts.
func checkLoadedPack(t *testing.T, p *Pack) {
	t.Helper()
	if len(p.Rules()) == 0 {
		t.Fatal("pack without rules")
	}
	for _, r := range p.Rules() {
		if !slices.Contains(Categories, r.Category) || r.Citation == "" || r.Kind == "" ||
			(r.Confidence != "T" && r.Confidence != "R" && r.Confidence != "U") {
			t.Fatalf("rule %+v", r)
		}
	}
	if n := p.MaxEmergencyContacts(); n < 0 || n > 20 {
		t.Fatalf("MaxEmergencyContacts() = %d", n)
	}
	loc, err := LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 8, 1, 30, 0, 0, loc) // DST starts at 02:00
	s := &Snapshot{
		Debtor: DebtorInfo{ID: "D1", Location: loc, Holds: HoldSet(0).With(HoldDispute)},
		Parties: []Party{
			{ID: "D1", Role: Debtor},
			{ID: "E1", Role: EmergencyContact, Consent: true, Relation: "parent"},
			{ID: "T1", Role: ThirdParty, Objected: true},
		},
		OptOuts: []OptOut{{Party: "D1", Channel: SMS}},
	}
	for i := range 20 {
		s.History = append(s.History, Contact{At: now.Add(-time.Duration(i) * 7 * time.Hour), Party: s.Parties[i%3].ID,
			Channel: Channel(1 + i%int(SocialPost)), Result: Result(i % 9)})
	}
	for _, a := range []Attempt{
		{Party: "D1", Channel: Call, At: now.Add(time.Minute), Purpose: Collect, Collectors: 1, CallerIDRegistered: true},
		{Party: "D1", Channel: SMS, At: now.Add(-30 * time.Hour), Purpose: Collect, Message: "pay now or we will sue you"},
		{Party: "E1", Channel: Visit, At: now.Add(time.Hour), Purpose: Locate, Collectors: 2},
		{Party: "T1", Channel: SocialPost, At: now, Purpose: Locate},
		{Party: "nobody", Channel: Email, At: now.Add(24 * time.Hour), Purpose: Collect},
	} {
		checkDecision(t, p, s, &a)
	}
}

// TestDecodeRequestErrorIsOneLine checks, for inputs the fuzzer is slow to build,
// that an input error is one line even when the offending key holds a line break.
func TestDecodeRequestErrorIsOneLine(t *testing.T) {
	reg := mustBuiltin(t)
	for _, in := range []string{
		`{"pack":"cn","bad\nkey":1}`,
		`{"pack":"cn","x\r\ny":1}`,
		`{"pack":"cn","now":"2026-11-24T10:00:00+08:00","debtor":{"id":"D1","timezone":"UTC","odd\nfield":true},"parties":[],"attempt":{}}`,
		`{"pack":"cn","pack\n":"cn","pack\n":"cn"}`,
		`{"pack":"cn\nus","now":"2026-11-24T10:00:00+08:00","debtor":{"id":"D\n1","timezone":"UTC"},"parties":[{"id":"D\n1","role":"debtor"}],"attempt":{"party":"x\ny","channel":"call"}}`,
	} {
		_, err := DecodeRequest([]byte(in), reg)
		var ie *InputError
		if !errors.As(err, &ie) {
			t.Errorf("%s: error %v (%T), want an *InputError", in, err, err)
			continue
		}
		if strings.ContainsAny(err.Error(), "\r\n") {
			t.Errorf("%s: error message spans lines: %q", in, err.Error())
		}
	}
}

// TestDecisionEncodableAtEndOfYear9999 checks that every request DecodeRequest
// accepts gets a decision that encodes as JSON. An attempt late on 9999-12-31 in
// quiet hours would be next allowed in the year 10000, which encoding/json refuses,
// so the decoder stops a year short and says so.
func TestDecisionEncodableAtEndOfYear9999(t *testing.T) {
	const tmpl = `{"pack":"cn","now":"%s","debtor":{"id":"D1","timezone":"Asia/Shanghai"},
	        "parties":[{"id":"D1","role":"debtor"}],"attempt":{"party":"D1","channel":"call"}}`
	_, err := DecodeRequest(fmt.Appendf(nil, tmpl, "9999-12-31T23:30:00+08:00"), mustBuiltin(t))
	var ie *InputError
	if !errors.As(err, &ie) || ie.Field != "now" {
		t.Fatalf("year 9999: error %v, want an *InputError on now", err)
	}
	req, err := DecodeRequest(fmt.Appendf(nil, tmpl, "9998-12-31T23:30:00+08:00"), mustBuiltin(t))
	if err != nil {
		t.Fatalf("DecodeRequest: %v", err)
	}
	d := Evaluate(req.Pack, &req.Snapshot, &req.Attempt)
	if d.NextAllowedAt.IsZero() {
		t.Fatalf("want a next_allowed_at in quiet hours, got %+v", d)
	}
	if _, err := json.Marshal(d); err != nil {
		t.Errorf("decision (next_allowed_at %v) cannot be encoded: %v", d.NextAllowedAt, err)
	}
}
