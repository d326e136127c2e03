package policy

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/fairdebt/fairdebt/internal/catalogue"
)

// builtinNames are the packs embedded in the binary.
var builtinNames = []string{"cn", "us", "us-ma", "us-nyc"}

func mustBuiltin(t testing.TB) *Registry {
	t.Helper()
	reg, err := Builtin()
	if err != nil {
		t.Fatalf("Builtin: %v", err)
	}
	return reg
}

// lines joins the lines of a YAML document, so that a test can name positions by
// counting: the i-th argument is line i+1.
func lines(ls ...string) string { return strings.Join(ls, "\n") + "\n" }

// loadErrors returns the load errors of err, failing the test if it is not one.
func loadErrors(t *testing.T, err error) LoadErrors {
	t.Helper()
	var les LoadErrors
	if !errors.As(err, &les) || len(les) == 0 {
		t.Fatalf("error %v (%T) is not a non-empty LoadErrors", err, err)
	}
	return les
}

func TestBuiltinPacksLoad(t *testing.T) {
	reg := mustBuiltin(t)
	if got := reg.Names(); !slices.Equal(got, builtinNames) {
		t.Fatalf("Names() = %v, want %v", got, builtinNames)
	}
	extends := map[string]string{"cn": "", "us": "", "us-ma": "us", "us-nyc": "us"}
	for _, name := range builtinNames {
		p, err := reg.Get(name)
		if err != nil {
			t.Fatalf("Get(%q): %v", name, err)
		}
		if p.Name != name {
			t.Errorf("pack %q has Name %q", name, p.Name)
		}
		if p.File != "packs/"+name+".yaml" {
			t.Errorf("pack %q has File %q", name, p.File)
		}
		if p.Extends != extends[name] {
			t.Errorf("pack %q extends %q, want %q", name, p.Extends, extends[name])
		}
		if p.Title.ZH == "" || p.Title.EN == "" {
			t.Errorf("pack %q has an incomplete title %+v", name, p.Title)
		}
		if len(p.Rules()) == 0 {
			t.Errorf("pack %q has no rules", name)
		}
	}
	if _, err := reg.Get("xx"); err == nil {
		t.Error(`Get("xx") succeeded`)
	}
}

func TestCitationsAreInRegulationsCatalogue(t *testing.T) {
	path, text := catalogue.Read(t)
	reg := mustBuiltin(t)
	for _, name := range builtinNames {
		p, _ := reg.Get(name)
		for _, r := range p.Rules() {
			if r.Citation == "" || !strings.Contains(text, r.Citation) {
				t.Errorf("pack %s rule %s: citation %q does not appear verbatim in %s", name, r.ID, r.Citation, path)
			}
		}
		for _, o := range p.Obligations() {
			if o.Citation == "" || !strings.Contains(text, o.Citation) {
				t.Errorf("pack %s obligation %s: citation %q does not appear verbatim in %s", name, o.ID, o.Citation, path)
			}
		}
		// A deadline the catalogue has no source for is a U default that says so.
		switch c := p.Complaints; {
		case c.Citation == "" && (c.Confidence != "U" || c.Note == ""):
			t.Errorf("pack %s complaints: no citation, yet confidence %q and note %q", name, c.Confidence, c.Note)
		case c.Citation != "" && !strings.Contains(text, c.Citation):
			t.Errorf("pack %s complaints: citation %q does not appear verbatim in %s", name, c.Citation, path)
		}
	}
}

// Complaint deadlines come from the packs; an overlay inherits its base's, and a
// pack that names none gets the documented default.
func TestComplaintSLA(t *testing.T) {
	reg := mustBuiltin(t)
	for name, want := range map[string][2]int{"cn": {15, 30}, "us": {15, 60}, "us-ma": {15, 60}, "us-nyc": {15, 60}} {
		p, _ := reg.Get(name)
		if p.Complaints.RespondDays != want[0] || p.Complaints.ExtendedDays != want[1] {
			t.Errorf("%s: %+v, want %v", name, p.Complaints, want)
		}
	}
	rule := lines(`rules:`, `  - id: acme.night`, `    category: quiet_hours`, `    kind: quiet_hours`, `    citation: PIPL art. 14, 15`,
		`    confidence: R`, `    params: {start: "22:00", end: "08:00"}`, `    reason: {zh: "{start}至{end}", en: "{start} to {end}"}`)
	_, p, err := reg.WithPack("acme.yaml", []byte(lines(`pack: acme`, `name: {zh: 某, en: ACME}`)+rule))
	if err != nil {
		t.Fatal(err)
	}
	if p.Complaints != DefaultComplaintSLA {
		t.Errorf("a pack without deadlines: %+v", p.Complaints)
	}
	for _, bad := range []string{
		lines(`complaints: {respond_days: 30, extended_days: 15, citation: x, confidence: R}`),
		lines(`complaints: {respond_days: 0, extended_days: 15, citation: x, confidence: R}`),
		lines(`complaints: {respond_days: 15, citation: x, confidence: R}`),
		lines(`complaints: {respond_days: 15, extended_days: 30, citation: x, confidence: maybe}`),
		lines(`complaints: {respond_days: 15, extended_days: 30, confidence: R}`),
		lines(`complaints: {respond_days: 15, extended_days: 30, confidence: U}`),
		lines(`complaints: {respond_days: 15, extended_days: 30, confidence: R, note: from a blog}`),
	} {
		if _, _, err := reg.WithPack("acme.yaml", []byte(lines(`pack: acme`, `name: {zh: 某, en: ACME}`)+bad+rule)); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
	uncited := lines(`complaints: {respond_days: 10, extended_days: 20, confidence: U, note: "the lender's own promise"}`)
	if _, p, err := reg.WithPack("acme.yaml", []byte(lines(`pack: acme`, `name: {zh: 某, en: ACME}`)+uncited+rule)); err != nil {
		t.Errorf("refused a U deadline with a note: %v", err)
	} else if p.Complaints.RespondDays != 10 || p.Complaints.Note != "the lender's own promise" {
		t.Errorf("U deadline read as %+v", p.Complaints)
	}
}

// leftoverPlaceholder matches anything in braces: a reason's placeholders are all
// filled in at load time and the packs use no literal braces.
var leftoverPlaceholder = regexp.MustCompile(`\{[^{}]*\}`)

func TestBuiltinRuleFields(t *testing.T) {
	reg := mustBuiltin(t)
	for _, name := range builtinNames {
		p, _ := reg.Get(name)
		// The packs whose rules p may carry: itself and the packs it extends.
		lineage := []string{p.Name}
		for b := p; b.Extends != ""; {
			lineage = append(lineage, b.Extends)
			var err error
			if b, err = reg.Get(b.Extends); err != nil {
				t.Fatal(err)
			}
		}
		seen := map[string]bool{}
		for _, r := range p.Rules() {
			if seen[r.ID] {
				t.Errorf("pack %s: rule %s listed twice", name, r.ID)
			}
			seen[r.ID] = true
			if r.Confidence != "T" && r.Confidence != "R" && r.Confidence != "U" {
				t.Errorf("pack %s rule %s: confidence %q not in T/R/U", name, r.ID, r.Confidence)
			}
			if !slices.Contains(lineage, r.Pack) {
				t.Errorf("pack %s rule %s: defined by pack %q, not in %v", name, r.ID, r.Pack, lineage)
			}
			// A rule's id starts with the name of the pack that defines it: us-ma's own
			// rules with "us-ma.", the us rules it inherits keep "us.".
			if prefix, _, _ := strings.Cut(r.ID, "."); prefix != r.Pack || !strings.HasPrefix(r.ID, r.Pack+".") {
				t.Errorf("pack %s rule %s: id is not prefixed by its pack %q", name, r.ID, r.Pack+".")
			}
			if r.Pack == p.Name && !strings.HasPrefix(r.ID, p.Name+".") {
				t.Errorf("pack %s rule %s: own rule not prefixed by %q", name, r.ID, p.Name+".")
			}
			if !slices.Contains(Categories, r.Category) {
				t.Errorf("pack %s rule %s: category %q not in Categories", name, r.ID, r.Category)
			}
			if r.Kind == "" {
				t.Errorf("pack %s rule %s: no kind", name, r.ID)
			}
			for lang, s := range map[string]string{"zh": r.Reason.ZH, "en": r.Reason.EN} {
				if strings.TrimSpace(s) == "" {
					t.Errorf("pack %s rule %s: empty %s reason", name, r.ID, lang)
				}
				if m := leftoverPlaceholder.FindString(s); m != "" {
					t.Errorf("pack %s rule %s: %s reason has an unfilled placeholder %s: %q", name, r.ID, lang, m, s)
				}
			}
		}
		for _, o := range p.Obligations() {
			if o.Confidence != "T" && o.Confidence != "R" && o.Confidence != "U" {
				t.Errorf("pack %s obligation %s: confidence %q not in T/R/U", name, o.ID, o.Confidence)
			}
			if prefix, _, _ := strings.Cut(o.ID, "."); !slices.Contains(lineage, prefix) {
				t.Errorf("pack %s obligation %s: id is not prefixed by a pack of %v", name, o.ID, lineage)
			}
			if o.Obligation == "" {
				t.Errorf("pack %s obligation %s: empty obligation", name, o.ID)
			}
		}
	}
}

// TestCategoriesCovered checks that cn and us together use every category. Evaluate
// reports only rule violations (a violation's category is its rule's), so no
// category is produced without a rule: data_minimization, for one, comes from cn's
// contact_limit rule.
func TestCategoriesCovered(t *testing.T) {
	reg := mustBuiltin(t)
	used := map[string]bool{}
	for _, name := range []string{"cn", "us"} {
		p, _ := reg.Get(name)
		for _, r := range p.Rules() {
			used[r.Category] = true
		}
	}
	if len(Categories) != 13 {
		t.Errorf("Categories has %d entries, want 13: %v", len(Categories), Categories)
	}
	for _, c := range Categories {
		if !used[c] {
			t.Errorf("category %q is used by no rule of cn or us", c)
		}
	}
	p, _ := reg.Get("cn")
	i := slices.IndexFunc(p.Rules(), func(r RuleInfo) bool { return r.Category == CatDataMinimization })
	if i < 0 || p.Rules()[i].Kind != "contact_limit" {
		t.Errorf("cn: data_minimization does not come from a contact_limit rule")
	}
}

func TestLoadErrors(t *testing.T) {
	const file = "acme-custom.yaml"
	cases := []struct {
		name      string
		yaml      string
		line, col int
		msg       []string // substrings of the message
	}{
		{
			name: "unknown top-level key",
			yaml: lines(
				`pack: acme`,
				`name: {zh: 某, en: ACME}`,
				`colour: blue`,
				`rules:`,
				`  - id: acme.night`,
				`    category: quiet_hours`,
				`    kind: quiet_hours`,
				`    citation: PIPL art. 14, 15`,
				`    confidence: R`,
				`    params: {start: "22:00", end: "08:00"}`,
				`    reason: {zh: "{start}至{end}", en: "{start} to {end}"}`,
			),
			line: 3, col: 1, msg: []string{`unknown key "colour"`},
		},
		{
			name: "unknown rule key",
			yaml: lines(
				`pack: acme`,
				`name: {zh: 某, en: ACME}`,
				`rules:`,
				`  - id: acme.night`,
				`    category: quiet_hours`,
				`    kind: quiet_hours`,
				`    citation: PIPL art. 14, 15`,
				`    confidence: R`,
				`    severity: high`,
				`    params: {start: "22:00", end: "08:00"}`,
				`    reason: {zh: "{start}至{end}", en: "{start} to {end}"}`,
			),
			line: 9, col: 5, msg: []string{"rules[0]", `unknown key "severity"`},
		},
		{
			name: "bad time 25:00",
			yaml: lines(
				`pack: acme`,
				`name: {zh: 某, en: ACME}`,
				`rules:`,
				`  - id: acme.night`,
				`    category: quiet_hours`,
				`    kind: quiet_hours`,
				`    citation: PIPL art. 14, 15`,
				`    confidence: R`,
				`    params:`,
				`      start: "25:00"`,
				`      end: "08:00"`,
				`    reason: {zh: "{start}至{end}", en: "{start} to {end}"}`,
			),
			line: 10, col: 14, msg: []string{"acme.night", "params.start", `"25:00" is not a time of day`},
		},
		{
			name: "unknown category",
			yaml: lines(
				`pack: acme`,
				`name: {zh: 某, en: ACME}`,
				`rules:`,
				`  - id: acme.night`,
				`    category: noise`,
				`    kind: quiet_hours`,
				`    citation: PIPL art. 14, 15`,
				`    confidence: R`,
				`    params: {start: "22:00", end: "08:00"}`,
				`    reason: {zh: "{start}至{end}", en: "{start} to {end}"}`,
			),
			line: 5, col: 15, msg: []string{"acme.night.category", `unknown category "noise"`},
		},
		{
			name: "unknown kind",
			yaml: lines(
				`pack: acme`,
				`name: {zh: 某, en: ACME}`,
				`rules:`,
				`  - id: acme.night`,
				`    category: quiet_hours`,
				`    kind: curfew`,
				`    citation: PIPL art. 14, 15`,
				`    confidence: R`,
				`    params: {start: "22:00", end: "08:00"}`,
				`    reason: {zh: "{start}至{end}", en: "{start} to {end}"}`,
			),
			line: 6, col: 11, msg: []string{"acme.night.kind", `unknown kind "curfew"`},
		},
		{
			name: "bad CEL syntax",
			yaml: lines(
				`pack: acme`,
				`name: {zh: 某, en: ACME}`,
				`rules:`,
				`  - id: acme.evening`,
				`    category: quiet_hours`,
				`    kind: cel`,
				`    citation: PIPL art. 14, 15`,
				`    confidence: R`,
				`    params:`,
				`      condition: 'hour >= '`,
				`    reason: {zh: 晚间不联系。, en: No evening contact.}`,
			),
			line: 10, col: 18, msg: []string{"acme.evening.params.condition", "Syntax error"},
		},
		{
			name: "CEL not bool",
			yaml: lines(
				`pack: acme`,
				`name: {zh: 某, en: ACME}`,
				`rules:`,
				`  - id: acme.evening`,
				`    category: quiet_hours`,
				`    kind: cel`,
				`    citation: PIPL art. 14, 15`,
				`    confidence: R`,
				`    params:`,
				`      condition: 'hour + 1'`,
				`    reason: {zh: 晚间不联系。, en: No evening contact.}`,
			),
			line: 10, col: 18, msg: []string{"acme.evening.params.condition", "must evaluate to bool, not int"},
		},
		{
			name: "duplicate rule id",
			yaml: lines(
				`pack: acme`,
				`name: {zh: 某, en: ACME}`,
				`rules:`,
				`  - id: acme.posts`,
				`    category: channel_forbidden`,
				`    kind: deny`,
				`    citation: PIPL art. 14, 15`,
				`    confidence: R`,
				`    channels: [social_post]`,
				`    reason: {zh: 不得公开发布。, en: No public posts.}`,
				`  - id: acme.posts`,
				`    category: channel_forbidden`,
				`    kind: deny`,
				`    citation: PIPL art. 14, 15`,
				`    confidence: R`,
				`    channels: [visit]`,
				`    reason: {zh: 不得上门。, en: No visits.}`,
			),
			line: 11, col: 9, msg: []string{"rule acme.posts", "id already defined (by pack acme)"},
		},
		{
			name: "extends unknown pack",
			yaml: lines(
				`pack: acme`,
				`extends: nope`,
				`name: {zh: 某, en: ACME}`,
				`rules:`,
				`  - id: acme.posts`,
				`    category: channel_forbidden`,
				`    kind: deny`,
				`    citation: PIPL art. 14, 15`,
				`    confidence: R`,
				`    reason: {zh: 不得公开发布。, en: No public posts.}`,
			),
			line: 2, col: 10, msg: []string{"extends", `unknown pack "nope"`},
		},
		{
			name: "replaces on a T-confidence rule",
			yaml: lines(
				`pack: acme`,
				`extends: cn`,
				`rules:`,
				`  - id: cn.opt_out.channel`,
				`    replaces: true`,
				`    category: opt_out`,
				`    kind: opt_out`,
				`    citation: PIPL art. 14, 15`,
				`    confidence: T`,
				`    channels: [sms]`,
				`    reason: {zh: 已退订短信。, en: Opted out of SMS.}`,
			),
			line: 4, col: 9, msg: []string{"rule cn.opt_out.channel", "confidence T", "only rules of confidence U"},
		},
		{
			name: "disabled on a T-confidence rule",
			yaml: lines(
				`pack: acme`,
				`extends: us`,
				`rules:`,
				`  - {id: us.quiet_hours, disabled: true}`,
			),
			line: 4, col: 10, msg: []string{"rule us.quiet_hours", "confidence T"},
		},
		{
			name: "missing citation",
			yaml: lines(
				`pack: acme`,
				`name: {zh: 某, en: ACME}`,
				`rules:`,
				`  - id: acme.posts`,
				`    category: channel_forbidden`,
				`    kind: deny`,
				`    confidence: R`,
				`    reason: {zh: 不得公开发布。, en: No public posts.}`,
			),
			line: 4, col: 5, msg: []string{"rule acme.posts", `missing required key "citation"`},
		},
		{
			name: "wrong YAML type: rules is a mapping",
			yaml: lines(
				`pack: acme`,
				`name: {zh: 某, en: ACME}`,
				`rules: {id: acme.posts}`,
			),
			line: 3, col: 8, msg: []string{"rules: want a list"},
		},
		{
			name: "wrong YAML type: confidence is a list",
			yaml: lines(
				`pack: acme`,
				`name: {zh: 某, en: ACME}`,
				`rules:`,
				`  - id: acme.posts`,
				`    category: channel_forbidden`,
				`    kind: deny`,
				`    citation: PIPL art. 14, 15`,
				`    confidence: [R]`,
				`    reason: {zh: 不得公开发布。, en: No public posts.}`,
			),
			line: 8, col: 17, msg: []string{"rule acme.posts.confidence", "want a string"},
		},
		{
			name: "wrong YAML type: cap max is a string",
			yaml: lines(
				`pack: acme`,
				`name: {zh: 某, en: ACME}`,
				`rules:`,
				`  - id: acme.calls`,
				`    category: frequency`,
				`    kind: cap`,
				`    citation: PIPL art. 14, 15`,
				`    confidence: R`,
				`    params:`,
				`      max: three`,
				`      days: 1`,
				`    reason: {zh: "每日{max}次。", en: "{max} a day."}`,
			),
			line: 10, col: 12, msg: []string{"rule acme.calls.params.max", "want a whole number"},
		},
		{
			name: "wrong YAML type: name is a string",
			yaml: lines(
				`pack: acme`,
				`name: ACME`,
				`rules:`,
				`  - id: acme.posts`,
				`    category: channel_forbidden`,
				`    kind: deny`,
				`    citation: PIPL art. 14, 15`,
				`    confidence: R`,
				`    reason: {zh: 不得公开发布。, en: No public posts.}`,
			),
			line: 2, col: 7, msg: []string{"name: want a mapping"},
		},
	}
	base := mustBuiltin(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			reg, p, err := base.WithPack(file, []byte(tc.yaml))
			if err == nil {
				t.Fatalf("loaded pack %q, want an error", p.Name)
			}
			if reg != nil || p != nil {
				t.Errorf("WithPack returned a registry or pack along with the error")
			}
			les := loadErrors(t, err)
			if len(les) != 1 {
				t.Errorf("got %d errors, want 1:\n%v", len(les), err)
			}
			e := les[0]
			if e.File != file {
				t.Errorf("File = %q, want %q", e.File, file)
			}
			if e.Line != tc.line || e.Column != tc.col {
				t.Errorf("position %d:%d, want %d:%d (%s)", e.Line, e.Column, tc.line, tc.col, e.Msg)
			}
			for _, s := range tc.msg {
				if !strings.Contains(e.Msg, s) {
					t.Errorf("message %q does not mention %q", e.Msg, s)
				}
			}
			if want := file + ":"; !strings.HasPrefix(e.Error(), want) {
				t.Errorf("Error() = %q, want prefix %q", e.Error(), want)
			}
			if strings.Contains(e.Error(), "\n") {
				t.Errorf("message spans lines: %q", e.Error())
			}
		})
	}
	// The registry WithPack was called on is unchanged.
	if got := base.Names(); !slices.Equal(got, builtinNames) {
		t.Errorf("base registry now holds %v", got)
	}
}

// TestLoadErrorsAsLoadError checks that a failed load can be inspected with
// errors.As for a single *LoadError, as callers of a Go error type expect.
func TestLoadErrorsAsLoadError(t *testing.T) {
	_, _, err := mustBuiltin(t).WithPack("x.yaml", []byte("pack: acme\nname: {zh: 某, en: ACME}\ncolour: blue\n"))
	if err == nil {
		t.Fatal("loaded a pack with an unknown key")
	}
	var le *LoadError
	if !errors.As(err, &le) {
		t.Fatalf("errors.As(%T, *LoadError) = false: LoadErrors has no Unwrap() []error", err)
	}
	if le.File != "x.yaml" || le.Line != 3 || le.Column != 1 {
		t.Errorf("LoadError at %s:%d:%d, want x.yaml:3:1", le.File, le.Line, le.Column)
	}
}

// TestLoadErrorPositionOfEmptyPack checks that a pack file with no document (empty,
// or only comments) is reported at a real position, line 1 column 1 at least.
func TestLoadErrorPositionOfEmptyPack(t *testing.T) {
	for _, src := range []string{"", "# only a comment\n", "\n\n"} {
		_, _, err := mustBuiltin(t).WithPack("empty.yaml", []byte(src))
		if err == nil {
			t.Fatalf("%q loaded", src)
		}
		for _, e := range loadErrors(t, err) {
			if e.Line < 1 || e.Column < 1 {
				t.Errorf("%q: error at line %d column %d, want both ≥ 1: %v", src, e.Line, e.Column, e)
			}
		}
	}
}

const contactLimitRule = `
  - id: cn.data_minimization.emergency_contacts
    replaces: true
    category: data_minimization
    kind: contact_limit
    citation: 《个人信息保护法》PIPL art. 5, 6
    confidence: U
    roles: [emergency_contact]
    params: {max: 3}
    reason:
      zh: "紧急联系人超过{max}人，不得联系其中任何人。"
      en: "The case holds more than {max} emergency contacts: none of them may be contacted."
`

func TestMaxEmergencyContacts(t *testing.T) {
	base := mustBuiltin(t)
	cn, _ := base.Get("cn")
	if got := cn.MaxEmergencyContacts(); got != 5 {
		t.Fatalf("cn: MaxEmergencyContacts() = %d, want 5", got)
	}
	us, _ := base.Get("us")
	if got := us.MaxEmergencyContacts(); got != DefaultMaxEmergencyContacts {
		t.Errorf("us (no contact_limit rule): MaxEmergencyContacts() = %d, want %d", got, DefaultMaxEmergencyContacts)
	}

	reg, p, err := base.WithPack("acme.yaml", []byte("pack: acme-cn\nextends: cn\nrules:"+contactLimitRule))
	if err != nil {
		t.Fatal(err)
	}
	if got := p.MaxEmergencyContacts(); got != 3 {
		t.Errorf("acme-cn: MaxEmergencyContacts() = %d, want 3", got)
	}
	if got := cn.MaxEmergencyContacts(); got != 5 {
		t.Errorf("cn after the overlay loaded: MaxEmergencyContacts() = %d, want 5", got)
	}
	if got, err := reg.Get("acme-cn"); err != nil || got != p {
		t.Errorf("the new registry does not hold the overlay: %v", err)
	}
	// The replacement takes the replaced rule's place, keeps its id, and is the only
	// rule with it; its reason is filled in with the new limit.
	cnRules, pRules := cn.Rules(), p.Rules()
	if len(pRules) != len(cnRules) {
		t.Fatalf("overlay has %d rules, cn %d", len(pRules), len(cnRules))
	}
	for i := range cnRules {
		if pRules[i].ID != cnRules[i].ID {
			t.Errorf("rule %d: %s, cn has %s", i, pRules[i].ID, cnRules[i].ID)
		}
		if pRules[i].ID == "cn.data_minimization.emergency_contacts" {
			if pRules[i].Pack != "acme-cn" || pRules[i].Params != "max=3" || !strings.Contains(pRules[i].Reason.EN, "more than 3") {
				t.Errorf("replacement rule = %+v", pRules[i])
			}
		}
	}

	// Four consenting emergency contacts: allowed by cn's limit of 5, not by 3.
	loc := mustLoc(t, sh)
	snap := &Snapshot{Debtor: DebtorInfo{ID: "D1", Location: loc}, Parties: []Party{{ID: "D1", Role: Debtor}}}
	for _, id := range []string{"E1", "E2", "E3", "E4"} {
		snap.Parties = append(snap.Parties, Party{ID: id, Role: EmergencyContact, Consent: true})
	}
	snap.History = calls(3, "D1", Call, NoAnswer, at(t, sh, "2026-11-24 09:00"))
	a := &Attempt{Party: "E1", Channel: Call, At: at(t, sh, "2026-11-24 10:00"), Purpose: Locate, Collectors: 1, CallerIDRegistered: true}
	expect(t, Evaluate(cn, snap, a))
	expect(t, Evaluate(p, snap, a), "cn.data_minimization.emergency_contacts")

	// Disabling the rule leaves no contact_limit rule: the default applies.
	_, q, err := base.WithPack("off.yaml", []byte("pack: acme-off\nextends: cn\nrules:\n  - {id: cn.data_minimization.emergency_contacts, disabled: true}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := q.MaxEmergencyContacts(); got != DefaultMaxEmergencyContacts {
		t.Errorf("contact limit disabled: MaxEmergencyContacts() = %d, want %d", got, DefaultMaxEmergencyContacts)
	}

	// Without replaces the id clashes; a replacement keeps the kind and category.
	_, _, err = base.WithPack("clash.yaml", []byte("pack: acme-cn\nextends: cn\nrules:"+strings.Replace(contactLimitRule, "    replaces: true\n", "", 1)))
	if err == nil || !strings.Contains(err.Error(), "id already defined (by pack cn)") {
		t.Errorf("redefining without replaces: err = %v", err)
	}
	_, _, err = base.WithPack("cat.yaml", []byte("pack: acme-cn\nextends: cn\nrules:"+strings.Replace(contactLimitRule, "category: data_minimization\n", "category: third_party\n", 1)))
	if err == nil || !strings.Contains(err.Error(), "must keep the kind (contact_limit) and category (data_minimization)") {
		t.Errorf("replacing with another category: err = %v", err)
	}
}
