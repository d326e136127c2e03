package policy

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fairdebt/fairdebt/internal/screen"
	"go.yaml.in/yaml/v3"
)

//go:embed packs/*.yaml
var builtinFS embed.FS

// Pack is a jurisdiction's rules, compiled and ready to evaluate. A Pack is
// immutable and safe for concurrent use.
type Pack struct {
	Name    string
	Title   Reason // the pack's human name
	Extends string
	File    string

	// Complaints is how fast a complaint must be answered under this pack.
	Complaints ComplaintSLA

	rules       []rule
	obligations []obligationRule
	screener    contentScreener
	// obligationTable[channel][role][purpose] lists the obligations of a contact.
	obligationTable [SocialPost + 1][ThirdParty + 1][Remind + 1][]string
	// contentWant[role] is the content categories the rules can look at in a
	// message to a person of that role: what the screener must decide.
	contentWant [ThirdParty + 1]screen.Set
}

// contentScreener finds the content categories of a message among those wanted.
type contentScreener interface {
	CategoriesIn(text string, want screen.Set) screen.Set
}

// ruleKind is the engine's built-in check a rule configures.
type ruleKind uint8

const (
	kindQuietHours ruleKind = iota + 1
	kindCap
	kindPostConversation
	kindHold
	kindDeny
	kindConsentRequired
	kindObjected
	kindPurpose
	kindDebtorUnreachable
	kindOnce
	kindOptOut
	kindContent
	kindMinCollectors
	kindCallerID
	kindCEL
	kindContactLimit
	kindInconvenient
)

var kindNames = []string{"", "quiet_hours", "cap", "post_conversation", "hold", "deny", "consent_required",
	"objected", "purpose", "debtor_unreachable", "once", "opt_out", "content", "min_collectors", "caller_id", "cel", "contact_limit", "inconvenient_times"}

// kindParams lists, for each kind, its parameters and which are required.
var kindParams = map[ruleKind]struct{ allowed, required []string }{
	kindQuietHours:        {[]string{"start", "end"}, []string{"start", "end"}},
	kindCap:               {[]string{"max", "days", "scope", "results"}, []string{"max", "days"}},
	kindPostConversation:  {[]string{"days"}, []string{"days"}},
	kindHold:              {[]string{"holds"}, []string{"holds"}},
	kindPurpose:           {[]string{"purposes"}, []string{"purposes"}},
	kindDebtorUnreachable: {[]string{"attempts", "failures", "immediate"}, []string{"attempts", "failures"}},
	kindOnce:              {[]string{"results"}, nil},
	kindContent:           {[]string{"categories"}, []string{"categories"}},
	kindMinCollectors:     {[]string{"min"}, []string{"min"}},
	kindCEL:               {[]string{"condition"}, []string{"condition"}},
	kindContactLimit:      {[]string{"max"}, []string{"max"}},
}

// timeBased reports whether waiting can cure a violation of this kind.
func (k ruleKind) timeBased() bool {
	return k == kindQuietHours || k == kindCap || k == kindPostConversation || k == kindInconvenient
}

type capScope uint8

const (
	scopePerson capScope = iota + 1
	scopeContactMethod
)

// noDay marks an open end of a rule's effective dates.
const noDay = int64(-1 << 62)

// rule is one compiled rule.
type rule struct {
	ID         string
	Category   string
	Citation   string
	Confidence string
	Reason     Reason
	Pack       string // the pack that defined the rule
	kind       ruleKind
	params     string // a one-line summary for listings

	channels    set // attempt channels the rule applies to; 0 means all
	roles       set // roles of the person contacted; 0 means all
	forPurposes set // purposes of the attempts the rule applies to; 0 means all
	from        int64
	until       int64

	start, end int // quiet hours, minutes after local midnight
	max, days  int
	scope      capScope
	results    set // results that count; 0 means all
	holds      HoldSet
	purposes   set
	attempts   int
	failures   set
	immediate  set
	content    screen.Set
	min        int
	cel        *celCondition
}

// obligationRule adds an obligation to matching contacts.
type obligationRule struct {
	ID, Obligation, Citation, Confidence string
	channels, roles, purposes            set
}

// RuleInfo describes a rule for listings.
type RuleInfo struct {
	ID         string `json:"id"`
	Category   string `json:"category"`
	Kind       string `json:"kind"`
	Params     string `json:"params,omitempty"`
	Citation   string `json:"citation"`
	Confidence string `json:"confidence"`
	Pack       string `json:"pack"`
	Reason     Reason `json:"reason"`
}

// ObligationInfo describes an obligation rule for listings.
type ObligationInfo struct {
	ID         string `json:"id"`
	Obligation string `json:"obligation"`
	Citation   string `json:"citation"`
	Confidence string `json:"confidence"`
}

// DefaultMaxEmergencyContacts applies when a pack has no contact_limit rule.
const DefaultMaxEmergencyContacts = 5

// ContentFor returns the content categories found in text that the pack's rules
// weigh in a message to a person of role (debt words, for one, matter toward a
// third party and not toward the debtor): what a composer should warn about.
func (p *Pack) ContentFor(role Role, text string) []string {
	if role <= 0 || int(role) >= len(p.contentWant) {
		return nil
	}
	return p.screener.CategoriesIn(text, p.contentWant[role]).Names()
}

// MaxEmergencyContacts is how many emergency contacts one borrower may have: the
// lowest limit among the pack's contact_limit rules.
func (p *Pack) MaxEmergencyContacts() int {
	limit := -1
	for _, r := range p.rules {
		if r.kind == kindContactLimit && (limit < 0 || r.max < limit) {
			limit = r.max
		}
	}
	if limit < 0 {
		return DefaultMaxEmergencyContacts
	}
	return limit
}

// ContactLimit returns the tightest contact_limit rule as the violation a caller
// reports when it refuses one more emergency contact, with the limit. ok is false
// when the pack has no such rule (DefaultMaxEmergencyContacts applies).
func (p *Pack) ContactLimit() (limit int, v Violation, ok bool) {
	for i := range p.rules {
		r := &p.rules[i]
		if r.kind == kindContactLimit && (!ok || r.max < limit) {
			limit, v, ok = r.max, Violation{Rule: r.ID, Category: r.Category, Citation: r.Citation, Reason: r.Reason}, true
		}
	}
	if !ok {
		limit = DefaultMaxEmergencyContacts
	}
	return limit, v, ok
}

// HistoryNeeds says which earlier contacts a caller must put in a Snapshot for the
// pack's rules to see everything they count: every contact within window before the
// attempt, the last debtorAttempts contacts with the debtor however old, and, when
// allNonDebtor is set, every contact ever made with anyone but the debtor.
func (p *Pack) HistoryNeeds() (window time.Duration, debtorAttempts int, allNonDebtor bool) {
	days := 1 // the CEL variable attempts_today, and today's caps
	for i := range p.rules {
		r := &p.rules[i]
		switch r.kind {
		case kindCEL:
			days = max(days, 7) // the CEL variable attempts_7d
		case kindCap, kindPostConversation:
			days = max(days, r.days)
		case kindDebtorUnreachable:
			debtorAttempts = max(debtorAttempts, r.attempts)
		case kindOnce:
			allNonDebtor = true
		}
	}
	// One more day covers the local-day boundary and a DST day of 25 hours.
	return time.Duration(days+1) * 25 * time.Hour, debtorAttempts, allNonDebtor
}

// CountsToward reports whether a contact with result res counts toward the rule
// with id: for a cap, whether res is among the results the cap counts; for any
// other rule, true. The gate denies an attempt once a cap is reached, whatever
// its outcome would be; an audit of contacts already made (the evidence
// analyser) holds a contact to break a cap only when it is of the kind counted.
func (p *Pack) CountsToward(id string, res Result) bool {
	for i := range p.rules {
		if r := &p.rules[i]; r.ID == id {
			return r.kind != kindCap || r.results.matches(uint8(res))
		}
	}
	return true
}

// Rules lists the pack's rules in evaluation order.
func (p *Pack) Rules() []RuleInfo {
	out := make([]RuleInfo, len(p.rules))
	for i, r := range p.rules {
		out[i] = RuleInfo{ID: r.ID, Category: r.Category, Kind: kindNames[r.kind], Params: r.params,
			Citation: r.Citation, Confidence: r.Confidence, Pack: r.Pack, Reason: r.Reason}
	}
	return out
}

// Obligations lists the pack's obligation rules.
func (p *Pack) Obligations() []ObligationInfo {
	out := make([]ObligationInfo, len(p.obligations))
	for i, o := range p.obligations {
		out[i] = ObligationInfo{ID: o.ID, Obligation: o.Obligation, Citation: o.Citation, Confidence: o.Confidence}
	}
	return out
}

// Registry holds packs by name.
type Registry struct {
	packs map[string]*Pack
}

// Names lists the registry's packs in sorted order.
func (g *Registry) Names() []string {
	names := make([]string, 0, len(g.packs))
	for n := range g.packs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Get returns the named pack.
func (g *Registry) Get(name string) (*Pack, error) {
	if p := g.packs[name]; p != nil {
		return p, nil
	}
	return nil, fmt.Errorf("unknown pack %q (known: %s)", name, strings.Join(g.Names(), ", "))
}

var builtin = sync.OnceValues(func() (*Registry, error) {
	entries, err := fs.ReadDir(builtinFS, "packs")
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	for _, e := range entries {
		data, err := fs.ReadFile(builtinFS, path.Join("packs", e.Name()))
		if err != nil {
			return nil, err
		}
		files[path.Join("packs", e.Name())] = data
	}
	return loadAll(&Registry{packs: map[string]*Pack{}}, files)
})

// Builtin returns the registry of the packs embedded in the binary.
func Builtin() (*Registry, error) { return builtin() }

// WithPack returns a new registry holding the packs of g and the pack in data, which
// may extend one of g's packs but may not replace one.
func (g *Registry) WithPack(file string, data []byte) (*Registry, *Pack, error) {
	out := &Registry{packs: make(map[string]*Pack, len(g.packs)+1)}
	for n, p := range g.packs {
		out.packs[n] = p
	}
	before := len(out.packs)
	reg, err := loadAll(out, map[string][]byte{file: data})
	if err != nil {
		return nil, nil, err
	}
	if len(reg.packs) == before {
		return nil, nil, fmt.Errorf("%s: no pack loaded", file)
	}
	for n, p := range reg.packs {
		if g.packs[n] == nil {
			return reg, p, nil
		}
	}
	return nil, nil, fmt.Errorf("%s: no pack loaded", file)
}

// packDoc is a parsed but not yet linked pack file.
type packDoc struct {
	file    string
	root    *yaml.Node
	fields  map[string]*yaml.Node
	name    string
	extends string
}

// loadAll compiles the pack files into reg, base packs before their overlays.
func loadAll(reg *Registry, files map[string][]byte) (*Registry, error) {
	var errs LoadErrors
	var docs []*packDoc
	names := make([]string, 0, len(files))
	for f := range files {
		names = append(names, f)
	}
	sort.Strings(names)
	for _, f := range names {
		d, e := parsePackDoc(f, files[f])
		errs = append(errs, e...)
		if d == nil {
			continue
		}
		if reg.packs[d.name] != nil {
			errs = append(errs, &LoadError{File: f, Line: d.fields["pack"].Line, Column: d.fields["pack"].Column,
				Msg: fmt.Sprintf("pack: %q is already defined", d.name)})
			continue
		}
		docs = append(docs, d)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	for len(docs) > 0 {
		progressed := false
		rest := docs[:0]
		for _, d := range docs {
			if d.extends != "" && reg.packs[d.extends] == nil && slices.ContainsFunc(docs, func(o *packDoc) bool { return o.name == d.extends }) {
				rest = append(rest, d)
				continue
			}
			p, e := compilePack(reg, d)
			if len(e) > 0 {
				errs = append(errs, e...)
			} else {
				reg.packs[p.Name] = p
			}
			progressed = true
		}
		docs = rest
		if !progressed {
			for _, d := range docs {
				n := d.fields["extends"]
				errs = append(errs, &LoadError{File: d.file, Line: n.Line, Column: n.Column, Msg: fmt.Sprintf("extends: %q forms a cycle", d.extends)})
			}
			break
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return reg, nil
}

var (
	packNameRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)
	ruleIDRE   = regexp.MustCompile(`^[a-z][a-z0-9-]*(\.[a-z0-9_]+)+$`)
	wordRE     = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)
	clockRE    = regexp.MustCompile(`^([01][0-9]|2[0-3]):([0-5][0-9])$`)
)

func parsePackDoc(file string, data []byte) (*packDoc, LoadErrors) {
	r := &nodeReader{file: file}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		var at *yaml.Node
		if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
			line, _ := strconv.Atoi(m[1])
			at = &yaml.Node{Line: line, Column: 1}
		}
		r.errorf(at, "not valid YAML: %v", strings.TrimPrefix(err.Error(), "yaml: "))
		return nil, r.errs
	}
	if root.Kind != yaml.DocumentNode || len(root.Content) != 1 {
		r.errorf(&root, "want one YAML document holding a pack")
		return nil, r.errs
	}
	top := root.Content[0]
	f := r.fields(top, "pack", "pack", "name", "description", "extends", "rules", "obligations", "complaints")
	if f == nil {
		return nil, r.errs
	}
	d := &packDoc{file: file, root: top, fields: f}
	if r.require(top, f, "pack", "pack") {
		d.name = r.str(f["pack"], "pack")
		if d.name != "" && !packNameRE.MatchString(d.name) {
			r.errorf(f["pack"], "pack: %q is not a valid name (lower-case letters, digits and '-', at most 32)", d.name)
		}
	}
	if n := f["extends"]; n != nil {
		d.extends = r.str(n, "extends")
	}
	if len(r.errs) > 0 {
		return nil, r.errs
	}
	return d, nil
}

func compilePack(reg *Registry, d *packDoc) (*Pack, LoadErrors) {
	r := &nodeReader{file: d.file}
	f := d.fields
	p := &Pack{Name: d.name, Extends: d.extends, File: d.file, screener: screen.Default()}
	var base *Pack
	if d.extends != "" {
		var err error
		if base, err = reg.Get(d.extends); err != nil {
			r.errorf(f["extends"], "extends: %v", err)
			return nil, r.errs
		}
		p.rules = slices.Clone(base.rules)
		p.obligations = slices.Clone(base.obligations)
		p.Title = base.Title
		p.Complaints = base.Complaints
	}
	if n := f["complaints"]; n != nil {
		p.Complaints = compileComplaints(r, n)
	} else if base == nil {
		p.Complaints = DefaultComplaintSLA
	}
	if n := f["name"]; n != nil {
		p.Title = r.bilingual(n, "name")
	} else if base == nil {
		r.errorf(d.root, "pack: missing required key %q", "name")
	}
	if n := f["description"]; n != nil {
		r.str(n, "description")
	}
	if n := f["rules"]; n != nil {
		if n.Kind != yaml.SequenceNode {
			r.errorf(n, "rules: want a list")
		} else {
			for i, rn := range n.Content {
				compileRuleEntry(r, p, rn, fmt.Sprintf("rules[%d]", i))
			}
		}
	}
	if n := f["obligations"]; n != nil {
		if n.Kind != yaml.SequenceNode {
			r.errorf(n, "obligations: want a list")
		} else {
			for i, on := range n.Content {
				if o, ok := compileObligation(r, p, on, fmt.Sprintf("obligations[%d]", i)); ok {
					p.obligations = append(p.obligations, o)
				}
			}
		}
	}
	if len(p.rules) == 0 && len(r.errs) == 0 {
		r.errorf(d.root, "pack %q has no rules", p.Name)
	}
	if len(r.errs) > 0 {
		return nil, r.errs
	}
	p.buildObligationTable()
	p.buildContentWant()
	return p, nil
}

// buildContentWant collects, for each role, the content categories of the content
// rules that may apply to it; a CEL rule may look at any category.
func (p *Pack) buildContentWant() {
	for ro := range p.contentWant {
		var want screen.Set
		for i := range p.rules {
			r := &p.rules[i]
			switch {
			case r.kind == kindCEL:
				want = screen.AllCategories
			case r.kind == kindContent && r.roles.matches(uint8(ro)):
				want |= r.content
			}
		}
		p.contentWant[ro] = want
	}
}

// compileRuleEntry adds, replaces or disables one rule of p.
func compileRuleEntry(r *nodeReader, p *Pack, n *yaml.Node, what string) {
	f := r.fields(n, what, "id", "category", "kind", "citation", "confidence", "channels", "roles", "purposes",
		"from", "until", "params", "reason", "replaces", "disabled")
	if f == nil || !r.require(n, f, what, "id") {
		return
	}
	id := r.str(f["id"], what+".id")
	if id == "" {
		return
	}
	if !ruleIDRE.MatchString(id) {
		r.errorf(f["id"], "%s.id: %q is not a valid rule id (like cn.quiet_hours)", what, id)
		return
	}
	what = fmt.Sprintf("rule %s", id)
	existing := slices.IndexFunc(p.rules, func(x rule) bool { return x.ID == id })
	replaces := f["replaces"] != nil && r.boolean(f["replaces"], what+".replaces")
	if dn := f["disabled"]; dn != nil {
		if !r.boolean(dn, what+".disabled") {
			r.errorf(dn, "%s.disabled: only `disabled: true` is meaningful", what)
			return
		}
		if len(f) != 2 {
			r.errorf(n, "%s: a disabled rule takes only id and disabled", what)
			return
		}
		if ok := checkOverridable(r, p, f["id"], id, existing, what); ok {
			p.rules = slices.Delete(p.rules, existing, existing+1)
		}
		return
	}
	if existing >= 0 && !replaces {
		r.errorf(f["id"], "%s: id already defined (by pack %s); set `replaces: true` to replace a rule of confidence U", what, p.rules[existing].Pack)
		return
	}
	if replaces && !checkOverridable(r, p, f["id"], id, existing, what) {
		return
	}
	ru, ok := compileRule(r, p, n, f, id, what)
	if !ok {
		return
	}
	if replaces {
		if ru.kind != p.rules[existing].kind || ru.Category != p.rules[existing].Category {
			r.errorf(n, "%s: a replacement must keep the kind (%s) and category (%s)", what, kindNames[p.rules[existing].kind], p.rules[existing].Category)
			return
		}
		p.rules[existing] = ru
		return
	}
	p.rules = append(p.rules, ru)
}

// checkOverridable reports whether rule id may be replaced or disabled: only rules
// whose source is unverified (confidence U) are configurable defaults.
func checkOverridable(r *nodeReader, p *Pack, at *yaml.Node, id string, existing int, what string) bool {
	if existing < 0 {
		r.errorf(at, "%s: no inherited rule with this id to replace or disable", what)
		return false
	}
	if c := p.rules[existing].Confidence; c != "U" {
		r.errorf(at, "%s: confidence %s: only rules of confidence U are configurable defaults that a pack may replace or disable", what, c)
		return false
	}
	return true
}

func compileRule(r *nodeReader, p *Pack, n *yaml.Node, f map[string]*yaml.Node, id, what string) (rule, bool) {
	before := len(r.errs)
	ru := rule{ID: id, Pack: p.Name, from: noDay, until: -noDay}
	for _, k := range []string{"category", "kind", "citation", "confidence", "reason"} {
		r.require(n, f, what, k)
	}
	if v := f["category"]; v != nil {
		ru.Category = r.str(v, what+".category")
		if ru.Category != "" && !slices.Contains(Categories, ru.Category) {
			r.errorf(v, "%s.category: unknown category %q (want one of: %s)", what, ru.Category, strings.Join(Categories, ", "))
		}
	}
	if v := f["kind"]; v != nil {
		name := r.str(v, what+".kind")
		if i := slices.Index(kindNames, name); i > 0 {
			ru.kind = ruleKind(i)
		} else if name != "" {
			r.errorf(v, "%s.kind: unknown kind %q (want one of: %s)", what, name, strings.Join(kindNames[1:], ", "))
		}
	}
	if v := f["citation"]; v != nil {
		ru.Citation = r.str(v, what+".citation")
	}
	if v := f["confidence"]; v != nil {
		ru.Confidence = readConfidence(r, v, what)
	}
	if v := f["channels"]; v != nil {
		ru.channels = readChannels(r, v, what+".channels")
	}
	if v := f["roles"]; v != nil {
		ru.roles = readRoles(r, v, what+".roles")
	}
	if v := f["purposes"]; v != nil {
		ru.forPurposes = readPurposes(r, v, what+".purposes")
	}
	if v := f["from"]; v != nil {
		ru.from = readDate(r, v, what+".from")
	}
	if v := f["until"]; v != nil {
		ru.until = readDate(r, v, what+".until")
	}
	if f["from"] != nil && f["until"] != nil && ru.from > ru.until {
		r.errorf(f["until"], "%s.until: before from", what)
	}
	if v := f["reason"]; v != nil {
		ru.Reason = r.bilingual(v, what+".reason")
	}
	if ru.kind != 0 {
		compileParams(r, &ru, n, f["params"], what)
	}
	if v := f["reason"]; v != nil && len(r.errs) == before {
		ru.Reason.ZH = fillReason(r, v, what, ru.Reason.ZH, &ru)
		ru.Reason.EN = fillReason(r, v, what, ru.Reason.EN, &ru)
	}
	return ru, len(r.errs) == before
}

func readConfidence(r *nodeReader, v *yaml.Node, what string) string {
	c := r.str(v, what+".confidence")
	if c != "" && c != "T" && c != "R" && c != "U" {
		r.errorf(v, "%s.confidence: %q is not one of T (text read), R (reported), U (unverified)", what, c)
	}
	return c
}

func compileParams(r *nodeReader, ru *rule, n, pn *yaml.Node, what string) {
	spec, takes := kindParams[ru.kind]
	if pn == nil {
		if takes && len(spec.required) > 0 {
			r.errorf(n, "%s: kind %s needs params: %s", what, kindNames[ru.kind], strings.Join(spec.required, ", "))
		}
		return
	}
	if !takes {
		r.errorf(pn, "%s.params: kind %s takes no params", what, kindNames[ru.kind])
		return
	}
	w := what + ".params"
	pf := r.fields(pn, w, spec.allowed...)
	if pf == nil {
		return
	}
	for _, k := range spec.required {
		r.require(pn, pf, w, k)
	}
	var summary []string
	note := func(k string) {
		if v := pf[k]; v != nil {
			if v.Kind == yaml.SequenceNode {
				items := make([]string, len(v.Content))
				for i, c := range v.Content {
					items[i] = c.Value
				}
				summary = append(summary, k+"=["+strings.Join(items, ",")+"]")
			} else {
				summary = append(summary, k+"="+v.Value)
			}
		}
	}
	for _, k := range spec.allowed {
		note(k)
	}
	ru.params = strings.Join(summary, " ")
	switch ru.kind {
	case kindQuietHours:
		if v := pf["start"]; v != nil {
			ru.start = readClock(r, v, w+".start")
		}
		if v := pf["end"]; v != nil {
			ru.end = readClock(r, v, w+".end")
		}
		if pf["start"] != nil && pf["end"] != nil && ru.start == ru.end {
			r.errorf(pf["end"], "%s.end: equal to start", w)
		}
	case kindCap:
		ru.scope = scopePerson
		if v := pf["max"]; v != nil {
			ru.max = r.integer(v, w+".max", 0, 1000)
		}
		if v := pf["days"]; v != nil {
			ru.days = r.integer(v, w+".days", 1, 366)
		}
		if v := pf["scope"]; v != nil {
			switch s := r.str(v, w+".scope"); s {
			case "person":
			case "contact_method":
				ru.scope = scopeContactMethod
			case "":
			default:
				r.errorf(v, "%s.scope: unknown scope %q (want person or contact_method)", w, s)
			}
		}
		if v := pf["results"]; v != nil {
			ru.results = readResults(r, v, w+".results")
		}
	case kindPostConversation:
		if v := pf["days"]; v != nil {
			ru.days = r.integer(v, w+".days", 1, 366)
		}
	case kindHold:
		if v := pf["holds"]; v != nil {
			r.list(v, w+".holds", func(_ *yaml.Node, s string) error {
				h, err := ParseHold(s)
				ru.holds = ru.holds.With(h)
				return err
			})
		}
	case kindPurpose:
		if v := pf["purposes"]; v != nil {
			r.list(v, w+".purposes", func(_ *yaml.Node, s string) error {
				p, err := ParsePurpose(s)
				ru.purposes |= 1 << p
				return err
			})
		}
	case kindDebtorUnreachable:
		if v := pf["attempts"]; v != nil {
			ru.attempts = r.integer(v, w+".attempts", 1, maxUnreachableAttempts)
		}
		if v := pf["failures"]; v != nil {
			ru.failures = readResults(r, v, w+".failures")
		}
		if v := pf["immediate"]; v != nil {
			ru.immediate = readResults(r, v, w+".immediate")
		}
		for _, bad := range []Result{Connected, Replied, Pending} {
			if ru.failures.has(uint8(bad)) || ru.immediate.has(uint8(bad)) {
				r.errorf(pn, "%s: %s cannot count as a failure to reach the debtor", w, bad)
			}
		}
	case kindOnce:
		if v := pf["results"]; v != nil {
			ru.results = readResults(r, v, w+".results")
		}
	case kindContent:
		if v := pf["categories"]; v != nil {
			r.list(v, w+".categories", func(_ *yaml.Node, s string) error {
				c, err := screen.ParseCategory(s)
				if err == nil {
					ru.content = ru.content.With(c)
				}
				return err
			})
		}
	case kindContactLimit:
		if v := pf["max"]; v != nil {
			ru.max = r.integer(v, w+".max", 0, 20)
		}
	case kindMinCollectors:
		if v := pf["min"]; v != nil {
			ru.min = r.integer(v, w+".min", 1, 20)
		}
	case kindCEL:
		if v := pf["condition"]; v != nil {
			src := r.str(v, w+".condition")
			if src != "" {
				c, err := compileCEL(src)
				if err != nil {
					r.errorf(v, "%s.condition: %v", w, err)
				}
				ru.cel = c
			}
		}
	}
}

// maxUnreachableAttempts bounds the debtor_unreachable rule's look-back.
const maxUnreachableAttempts = 16

// yamlLineRE finds the line a YAML syntax error names.
var yamlLineRE = regexp.MustCompile(`line (\d+):`)

var placeholderRE = regexp.MustCompile(`\{[a-z_]+\}`)

// fillReason substitutes the rule's parameters into a reason, once, at load time.
func fillReason(r *nodeReader, n *yaml.Node, what, s string, ru *rule) string {
	values := map[string]string{
		"{max}": fmt.Sprint(ru.max), "{days}": fmt.Sprint(ru.days), "{min}": fmt.Sprint(ru.min),
		"{attempts}": fmt.Sprint(ru.attempts),
		"{start}":    fmt.Sprintf("%02d:%02d", ru.start/60, ru.start%60),
		"{end}":      fmt.Sprintf("%02d:%02d", ru.end/60, ru.end%60),
	}
	return placeholderRE.ReplaceAllStringFunc(s, func(ph string) string {
		v, ok := values[ph]
		if !ok {
			r.errorf(n, "%s.reason: unknown placeholder %s", what, ph)
		}
		return v
	})
}

func readClock(r *nodeReader, v *yaml.Node, what string) int {
	s := r.str(v, what)
	m := clockRE.FindStringSubmatch(s)
	if m == nil {
		if s != "" {
			r.errorf(v, "%s: %q is not a time of day HH:MM (00:00 to 23:59)", what, s)
		}
		return 0
	}
	return int(m[1][0]-'0')*600 + int(m[1][1]-'0')*60 + int(m[2][0]-'0')*10 + int(m[2][1]-'0')
}

func readDate(r *nodeReader, v *yaml.Node, what string) int64 {
	s := r.str(v, what)
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		if s != "" {
			r.errorf(v, "%s: %q is not a date YYYY-MM-DD", what, s)
		}
		return 0
	}
	return t.Unix() / secondsPerDay
}

func readChannels(r *nodeReader, v *yaml.Node, what string) set {
	var out set
	r.list(v, what, func(_ *yaml.Node, s string) error {
		c, err := ParseChannel(s)
		out |= 1 << c
		return err
	})
	return out
}

func readRoles(r *nodeReader, v *yaml.Node, what string) set {
	var out set
	r.list(v, what, func(_ *yaml.Node, s string) error {
		x, err := ParseRole(s)
		out |= 1 << x
		return err
	})
	return out
}

func readResults(r *nodeReader, v *yaml.Node, what string) set {
	var out set
	r.list(v, what, func(_ *yaml.Node, s string) error {
		x, err := ParseResult(s)
		out |= 1 << x
		return err
	})
	return out
}

func readPurposes(r *nodeReader, v *yaml.Node, what string) set {
	var out set
	r.list(v, what, func(_ *yaml.Node, s string) error {
		x, err := ParsePurpose(s)
		out |= 1 << x
		return err
	})
	return out
}

func compileObligation(r *nodeReader, p *Pack, n *yaml.Node, what string) (obligationRule, bool) {
	before := len(r.errs)
	f := r.fields(n, what, "id", "obligation", "citation", "confidence", "channels", "roles", "purposes")
	if f == nil {
		return obligationRule{}, false
	}
	for _, k := range []string{"id", "obligation", "citation", "confidence"} {
		r.require(n, f, what, k)
	}
	var o obligationRule
	if v := f["id"]; v != nil {
		o.ID = r.str(v, what+".id")
		if o.ID != "" && !ruleIDRE.MatchString(o.ID) {
			r.errorf(v, "%s.id: %q is not a valid id", what, o.ID)
		}
		if slices.ContainsFunc(p.obligations, func(x obligationRule) bool { return x.ID == o.ID }) {
			r.errorf(v, "%s.id: %q already defined", what, o.ID)
		}
	}
	if v := f["obligation"]; v != nil {
		o.Obligation = r.str(v, what+".obligation")
		if o.Obligation != "" && !wordRE.MatchString(o.Obligation) {
			r.errorf(v, "%s.obligation: %q is not a snake_case name", what, o.Obligation)
		}
	}
	if v := f["citation"]; v != nil {
		o.Citation = r.str(v, what+".citation")
	}
	if v := f["confidence"]; v != nil {
		o.Confidence = readConfidence(r, v, what)
	}
	if v := f["channels"]; v != nil {
		o.channels = readChannels(r, v, what+".channels")
	}
	if v := f["roles"]; v != nil {
		o.roles = readRoles(r, v, what+".roles")
	}
	if v := f["purposes"]; v != nil {
		o.purposes = readPurposes(r, v, what+".purposes")
	}
	return o, len(r.errs) == before
}

// matches reports whether a filter set admits v (an empty set admits everything).
func (s set) matches(v uint8) bool { return s == 0 || s.has(v) }

func (p *Pack) buildObligationTable() {
	for c := range p.obligationTable {
		for ro := range p.obligationTable[c] {
			for pu := range p.obligationTable[c][ro] {
				out := []string{}
				for _, o := range p.obligations {
					if o.channels.matches(uint8(c)) && o.roles.matches(uint8(ro)) && o.purposes.matches(uint8(pu)) &&
						!slices.Contains(out, o.Obligation) {
						out = append(out, o.Obligation)
					}
				}
				sort.Strings(out)
				p.obligationTable[c][ro][pu] = out
			}
		}
	}
}

// ComplaintSLA is how fast a complaint must be answered: within RespondDays
// calendar days of receipt, or, once the lender extends it (a complex case; in
// the US a response "in progress"), within ExtendedDays. Days end at midnight in
// the complainant's time zone.
//
// A deadline cites the catalogue like a rule does, or, where the catalogue has
// no source for it, carries confidence U and a Note saying where the figures
// come from: a documented, configurable default. A deadline never denies a
// contact; it only decides when a complaint is overdue.
type ComplaintSLA struct {
	RespondDays, ExtendedDays  int
	Citation, Confidence, Note string
}

// DefaultComplaintSLA is the deadline of a pack that names none: 15 days,
// extendable to 30 (the cn pack's, a documented default).
var DefaultComplaintSLA = ComplaintSLA{RespondDays: 15, ExtendedDays: 30, Confidence: "U",
	Note: "fairdebt's default for a pack that names no deadline: the cn pack's figures"}

func compileComplaints(r *nodeReader, n *yaml.Node) ComplaintSLA {
	f := r.fields(n, "complaints", "respond_days", "extended_days", "citation", "confidence", "note")
	if f == nil {
		return ComplaintSLA{}
	}
	var c ComplaintSLA
	for _, k := range []string{"respond_days", "extended_days", "confidence"} {
		r.require(n, f, "complaints", k)
	}
	if v := f["respond_days"]; v != nil {
		c.RespondDays = r.integer(v, "complaints.respond_days", 1, 365)
	}
	if v := f["extended_days"]; v != nil {
		c.ExtendedDays = r.integer(v, "complaints.extended_days", 1, 365)
	}
	if c.ExtendedDays < c.RespondDays {
		r.errorf(f["extended_days"], "complaints.extended_days: must be at least respond_days")
	}
	if v := f["citation"]; v != nil {
		c.Citation = r.str(v, "complaints.citation")
	}
	if v := f["confidence"]; v != nil {
		c.Confidence = readConfidence(r, v, "complaints")
	}
	if v := f["note"]; v != nil {
		c.Note = r.str(v, "complaints.note")
	}
	if c.Citation == "" && f["confidence"] != nil && (c.Confidence != "U" || c.Note == "") {
		r.errorf(n, "complaints: without a citation the deadline must be confidence U with a note saying where its figures come from")
	}
	return c
}
