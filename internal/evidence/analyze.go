// Package evidence turns what a harassed borrower's phone recorded into
// findings: which calls and messages were debt collection, and which of them a
// rule pack forbids — calls in quiet hours, days over the caps, calls after a
// conversation, prohibited words, contacts with the people around the borrower
// and what was disclosed to them. It replays the contacts through the same gate
// (policy.Evaluate) and screener (screen) the collection service uses, so a
// finding carries the rule, its citation and its reason in Chinese and English.
//
// The package does no I/O: records come in through Analyzer.Add, one at a time,
// and the result comes out of Analyzer.Result. Memory grows with the contacts
// from numbers the phone has no name for, not with the size of the export: a
// record from a saved contact is counted and dropped, and a message's text is
// kept only when the screener finds something in it.
package evidence

import (
	"cmp"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/fairdebt/fairdebt/internal/evidence/export"
	"github.com/fairdebt/fairdebt/internal/policy"
	"github.com/fairdebt/fairdebt/internal/screen"
)

// Role is whose phone an export comes from.
type Role uint8

// The roles.
const (
	// Owner is the borrower: contacts to them are collection.
	Owner Role = iota + 1
	// ThirdParty is someone with no part in the debt (a friend, a colleague) who
	// gave the borrower their export.
	ThirdParty
	// Designated is an emergency contact the borrower designated, with consent.
	Designated
)

func (r Role) String() string {
	switch r {
	case Owner:
		return "owner"
	case ThirdParty:
		return "third_party"
	case Designated:
		return "emergency_contact"
	}
	return "unknown"
}

// MarshalText writes the role's name.
func (r Role) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// Source is one export file.
type Source struct {
	File string `json:"file"`
	Role Role   `json:"role"`
	// Label names the person for the report ("mother", "colleague"); the
	// owner's is ignored.
	Label string `json:"label,omitempty"`
}

// Collector is a number the user knows to be a collector's, or the name the
// phone has saved a collector's numbers under (one of the two), with the
// creditor or agency it called for ("" when unknown).
type Collector struct {
	Number string
	Name   string // matched with the phone's contact name, ignoring case and surrounding spaces
	Label  string
}

// Config is what an analysis needs besides the records.
type Config struct {
	Pack     *policy.Pack
	Screener *screen.Screener
	// Location is the borrower's time zone: days and hours are counted there.
	Location   *time.Location
	Collectors []Collector
}

// MaxTextBytes bounds the text kept of one message for the report.
const MaxTextBytes = 4 << 10

// Observable lists the violation categories an export can show. The others
// need facts a phone does not record (a hold, an opt-out, the caller ID's
// registration, a visit).
var Observable = []string{policy.CatQuietHours, policy.CatFrequency, policy.CatPostConversation,
	policy.CatProhibitedContent, policy.CatThirdParty, policy.CatThirdPartyDisclosure, policy.CatThirdPartyRepeat}

// contact is one record kept for the replay: every incoming call and message
// from a number with no contact name (or a known collector's), and the owner's
// answered outgoing calls to such numbers (a conversation counts toward the
// rules that follow one).
//
// It is kept small (40 bytes and the text): an export may hold hundreds of
// thousands of contacts.
type contact struct {
	ns      int64 // the time, in Unix nanoseconds
	num     int32 // index into Analyzer.nums
	line    int32
	cats    screen.Set
	src     uint8 // index into Analyzer.sources
	kind    export.Kind
	in      bool
	outcome export.Outcome
	text    string // kept when cats is not empty
}

// at is the contact's time, in UTC.
func (c *contact) at() time.Time { return time.Unix(0, c.ns).UTC() }

type number struct {
	display  string // as first seen
	label    string
	known    bool // given by the user
	inferred bool // a message from it was collection
}

// SourceStats counts what one export held.
type SourceStats struct {
	Source
	Records    int `json:"records"`
	Calls      int `json:"calls"`
	Messages   int `json:"messages"`
	Collection int `json:"collection"` // contacts identified as collection
}

// Analyzer accumulates records and produces the findings.
type Analyzer struct {
	cfg      Config
	rules    map[string]*RuleRef // the pack's rules, by id
	whom     []*Whom             // per source
	sources  []Source
	stats    []SourceStats
	nums     []number
	byKey    map[string]int32
	names    map[string]string // collectors' contact names (lower case) and their labels
	contacts []contact
}

// New returns an analyzer. Config.Pack and Config.Screener are required; a nil
// Location means UTC.
func New(cfg Config) (*Analyzer, error) {
	if cfg.Pack == nil || cfg.Screener == nil {
		return nil, fmt.Errorf("evidence: a pack and a screener are required")
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	a := &Analyzer{cfg: cfg, byKey: map[string]int32{}, rules: map[string]*RuleRef{}, names: map[string]string{}}
	for _, r := range cfg.Pack.Rules() {
		a.rules[r.ID] = &RuleRef{Rule: r.ID, Category: r.Category, Citation: r.Citation, Confidence: r.Confidence, Reason: r.Reason}
	}
	for _, c := range cfg.Collectors {
		if c.Number == "" {
			name := strings.ToLower(strings.TrimSpace(c.Name))
			if name == "" {
				return nil, fmt.Errorf("evidence: a collector with neither a number nor a name")
			}
			a.names[name] = c.Label
			continue
		}
		key := NumberKey(c.Number)
		if key == "" {
			return nil, fmt.Errorf("evidence: collector number %q has no digits or letters", c.Number)
		}
		i := a.number(key, c.Number)
		a.nums[i].known = true
		if c.Label != "" {
			a.nums[i].label = c.Label
		}
	}
	return a, nil
}

// AddSource registers an export and returns its index for Add. An analysis
// takes up to 255 exports.
func (a *Analyzer) AddSource(s Source) (int, error) {
	if s.Role < Owner || s.Role > Designated {
		return 0, fmt.Errorf("evidence: %s: unknown role", s.File)
	}
	if len(a.sources) == 255 {
		return 0, fmt.Errorf("evidence: more than 255 exports")
	}
	a.sources = append(a.sources, s)
	a.stats = append(a.stats, SourceStats{Source: s})
	w := &Whom{Person: "owner", Role: s.Role.String(), File: s.File}
	if s.Role != Owner {
		w.Person = s.Label
	}
	a.whom = append(a.whom, w)
	return len(a.sources) - 1, nil
}

// number returns the index of the number with key, adding it.
func (a *Analyzer) number(key, display string) int32 {
	if i, ok := a.byKey[key]; ok {
		return i
	}
	a.nums = append(a.nums, number{display: display})
	i := int32(len(a.nums) - 1)
	a.byKey[key] = i
	return i
}

// Add takes one record of export src.
func (a *Analyzer) Add(src int, r export.Record) {
	st := &a.stats[src]
	st.Records++
	if r.Kind == export.Call {
		st.Calls++
	} else {
		st.Messages++
	}
	key := NumberKey(r.Number)
	if key == "" {
		return
	}
	i, seen := a.byKey[key]
	known := seen && a.nums[i].known
	// A saved contact's calls and messages are the borrower's own life, unless
	// the user named the number, or the name it is saved under, as a collector's.
	if r.Name != "" && !known {
		label, ok := a.names[strings.ToLower(strings.TrimSpace(r.Name))]
		if !ok {
			return
		}
		i = a.number(key, r.Number)
		a.nums[i].known, a.nums[i].label, known = true, label, true
	}
	c := contact{ns: r.At.UnixNano(), src: uint8(src), kind: r.Kind, in: r.In, outcome: r.Outcome, line: int32(r.Line)}
	switch {
	case r.Kind == export.SMS && r.In:
		c.cats = a.cfg.Screener.Categories(r.Text)
		if c.cats != 0 {
			c.text = clip(r.Text, MaxTextBytes)
		} else if !known {
			// Nothing in it and not from a known collector: it can never
			// be a finding, nor make its number a collector's.
			return
		}
	case r.Kind == export.Call && r.In:
	case r.Kind == export.Call && r.Outcome == export.Outgoing && r.Duration > 0 && a.sources[src].Role == Owner:
	default:
		return
	}
	c.num = a.number(key, r.Number)
	if c.cats != 0 {
		a.nums[c.num].inferred = true
	}
	a.contacts = append(a.contacts, c)
}

// clip cuts s to at most n bytes at a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return strings.Clone(s)
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return strings.Clone(s[:n])
}

// NumberKey is how numbers are compared: the last ten digits (enough to tell
// apart any two numbers of one country, and blind to how a country code or a
// trunk prefix was written: +86 138…, 0086 138…, 138…; +1 202…, 202…), or
// all the digits of a shorter number; a sender with no digits (an
// alphanumeric sender ID) is compared by its letters, case-folded.
func NumberKey(s string) string {
	var b [32]byte
	n := 0
	for i := len(s) - 1; i >= 0 && n < 10; i-- {
		if c := s[i]; c >= '0' && c <= '9' {
			n++
			b[len(b)-n] = c
		}
	}
	if n > 0 {
		return string(b[len(b)-n:])
	}
	return strings.ToLower(strings.TrimSpace(s))
}

// Span is one thing the screener found in a message, with the words.
type Span struct {
	Category string `json:"category"`
	Rule     string `json:"rule"`
	Start    int    `json:"start"` // in runes of the text
	End      int    `json:"end"`
	Text     string `json:"text"`
}

// RuleRef is the rule a finding breaks; the findings of one rule share it.
type RuleRef struct {
	Rule       string        `json:"rule"`
	Category   string        `json:"category"`
	Citation   string        `json:"citation"`
	Confidence string        `json:"confidence"`
	Reason     policy.Reason `json:"reason"`
}

// Whom is whom a finding's contact reached; the findings of one export share
// it.
type Whom struct {
	// Person is "owner" (the borrower), or a third party's label.
	Person string `json:"person"`
	Role   string `json:"role"`
	File   string `json:"file"` // the export it is in
}

// Finding is one contact a rule forbids. The rule and whom it reached are
// shared with other findings (a report may hold hundreds of thousands); in
// JSON their fields are the finding's own.
type Finding struct {
	*RuleRef
	At        time.Time `json:"at"` // in the borrower's zone
	Number    string    `json:"number"`
	Collector string    `json:"collector,omitempty"` // the creditor or agency, when known
	Channel   string    `json:"channel"`
	Outcome   string    `json:"outcome,omitempty"`
	*Whom
	Line  int    `json:"line"`
	Text  string `json:"text,omitempty"`
	Spans []Span `json:"spans,omitempty"`
	// Assumption says what the finding takes for granted, when anything.
	Assumption string `json:"assumption,omitempty"`
	// OverCap is, for a cap (category frequency), how many contacts with the
	// person went over it that local day: a cap finding stands for the day,
	// and the rest of it is about the first contact over the cap.
	OverCap int `json:"over_cap,omitempty"`
}

// Day counts one local day's collection contacts with the borrower.
type Day struct {
	Date     string `json:"date"`
	Calls    int    `json:"calls"`
	Answered int    `json:"answered"`
	Messages int    `json:"messages"`
	Flagged  int    `json:"flagged"` // contacts with at least one finding
}

// Number is a number identified as a collector's.
type Number struct {
	Number   string    `json:"number"`
	Label    string    `json:"label,omitempty"`
	Known    bool      `json:"known"` // named by the user; otherwise inferred from its messages
	Calls    int       `json:"calls"`
	Messages int       `json:"messages"`
	First    time.Time `json:"first"`
	Last     time.Time `json:"last"`
}

// ThirdPartyContact sums up the collection contacts with one third party.
type ThirdPartyContact struct {
	Person   string   `json:"person"`
	Role     string   `json:"role"`
	File     string   `json:"file"`
	Calls    int      `json:"calls"`
	Messages int      `json:"messages"`
	Disclose []string `json:"disclosed"` // screener categories found in what they were sent
}

// Result is the analysis.
type Result struct {
	Pack        string              `json:"pack"`
	Zone        string              `json:"zone"`
	Sources     []SourceStats       `json:"sources"`
	Collectors  []Number            `json:"collectors"`
	From        time.Time           `json:"from,omitzero"`
	To          time.Time           `json:"to,omitzero"`
	Days        []Day               `json:"days"`
	ThirdParty  []ThirdPartyContact `json:"third_parties"`
	Findings    []Finding           `json:"findings,omitempty"` // WriteJSON writes them last, always
	ByCategory  map[string]int      `json:"by_category"`
	Observable  []string            `json:"observable_categories"`
	Assumptions []string            `json:"assumptions"`
}

// unidentified is the group of the numbers with no creditor label.
const unidentified = ""

// assumptions names what every analysis assumes; the report and the JSON give
// the names, the report's texts say them in full ("assume.<name>").
var assumptions = []string{
	"collection_traffic",
	"caller_id",
	"unlabelled_numbers",
	"third_party_purpose",
}

// Result replays the collection contacts through the pack and returns the
// findings. It may be called once.
func (a *Analyzer) Result() *Result {
	res := &Result{Pack: a.cfg.Pack.Name, Zone: a.cfg.Location.String(), Sources: a.stats, ByCategory: map[string]int{},
		Observable: Observable, Assumptions: assumptions}
	collector := func(c *contact) bool { n := &a.nums[c.num]; return n.known || n.inferred }
	kept := a.contacts[:0]
	for _, c := range a.contacts {
		if collector(&c) {
			kept = append(kept, c)
			if c.in {
				a.stats[c.src].Collection++
			}
		}
	}
	slices.SortStableFunc(kept, func(x, y contact) int { return cmp.Compare(x.ns, y.ns) })
	a.contacts = kept

	// One replay per creditor: caps count across a lender and its agencies.
	groups := map[string][]int{}
	for i := range kept {
		l := a.nums[kept[i].num].label
		groups[l] = append(groups[l], i)
	}
	flagged := make([]bool, len(kept))
	for _, label := range slices.Sorted(maps.Keys(groups)) {
		for _, f := range a.replay(groups[label], flagged) {
			if label == unidentified && (f.Category == policy.CatFrequency || f.Category == policy.CatPostConversation ||
				f.Category == policy.CatThirdParty) {
				f.Assumption = "unlabelled_numbers"
			}
			res.Findings = append(res.Findings, f)
			res.ByCategory[f.Category]++
		}
	}
	slices.SortStableFunc(res.Findings, func(x, y Finding) int { return x.At.Compare(y.At) })
	res.Collectors = a.collectorList()
	res.Days = a.days(flagged)
	res.ThirdParty = a.thirdParties()
	if len(kept) > 0 {
		res.From, res.To = kept[0].at().In(a.cfg.Location), kept[len(kept)-1].at().In(a.cfg.Location)
	}
	return res
}

// partyID names the person a contact reached, for the policy snapshot.
func (a *Analyzer) partyID(src uint8) string {
	if a.sources[src].Role == Owner {
		return "owner"
	}
	return fmt.Sprintf("person-%d", src)
}

func result(c *contact) policy.Result {
	if c.kind == export.SMS {
		return policy.Delivered
	}
	switch c.outcome {
	case export.Answered, export.Outgoing:
		return policy.Connected
	case export.Voicemail:
		return policy.Voicemail
	case export.Rejected:
		return policy.Busy
	case export.Blocked:
		return policy.Failed
	}
	return policy.NoAnswer
}

// replayChunk is the fewest contacts worth a worker of their own.
var replayChunk = 512

// replay evaluates each incoming contact of one creditor (idx, in time order)
// against every contact before it, as the gate would have, and returns the
// violations of observable categories. What came before a contact does not
// depend on any decision (every contact was made), so the contacts are
// evaluated in parallel, in chunks, each worker with its own snapshot.
func (a *Analyzer) replay(idx []int, flagged []bool) []Finding {
	p := a.cfg.Pack
	window, debtorAttempts, allNonDebtor := p.HistoryNeeds()
	parties := []policy.Party{{ID: "owner", Role: policy.Debtor}}
	for i, s := range a.sources {
		switch s.Role {
		case ThirdParty:
			parties = append(parties, policy.Party{ID: a.partyID(uint8(i)), Role: policy.ThirdParty, Relation: s.Label})
		case Designated:
			parties = append(parties, policy.Party{ID: a.partyID(uint8(i)), Role: policy.EmergencyContact, Consent: true, Relation: s.Label})
		}
	}
	history := make([]policy.Contact, len(idx)) // every contact, oldest first
	firstOther := -1                            // the first contact with anyone but the debtor
	for k, i := range idx {
		c := &a.contacts[i]
		history[k] = policy.Contact{At: c.at(), Party: a.partyID(c.src), Channel: channelOf(c), Result: result(c)}
		if firstOther < 0 && history[k].Party != "owner" {
			firstOther = k
		}
	}
	workers := max(1, min(runtime.GOMAXPROCS(0), len(idx)/replayChunk))
	out := make([][]Finding, workers)
	// Contacts over a cap are kept as hits and made into one finding per
	// person, rule and day below: a day of fifty calls over a cap of six is
	// one finding, not forty-four.
	type capHit struct {
		k    int // position in idx
		rule int // index into capViolations
	}
	hits := make([][]capHit, workers)
	var capMu sync.Mutex
	var capViolations []policy.Violation
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := len(idx)*w/workers, len(idx)*(w+1)/workers
		wg.Go(func() {
			snap := &policy.Snapshot{Debtor: policy.DebtorInfo{ID: "owner", Location: a.cfg.Location}, Parties: parties}
			var buf []policy.Contact
			var ev policy.Evaluator
			start := 0 // the first history entry inside the window
			for k := lo; k < hi; k++ {
				c := &a.contacts[idx[k]]
				if !c.in {
					continue
				}
				for start < k && history[start].At.Before(history[k].At.Add(-window)) {
					start++
				}
				first := firstOther
				if first >= k {
					first = -1
				}
				snap.History = historyFor(history[:k], start, debtorAttempts, allNonDebtor, first, buf[:0])
				at := policy.Attempt{Party: history[k].Party, Channel: history[k].Channel, At: history[k].At, Purpose: policy.Collect,
					Collectors: 1, CallerIDRegistered: true}
				if c.kind == export.SMS {
					at.Message = c.text
				}
				if a.sources[c.src].Role != Owner {
					// A call to a third party may have asked where the
					// borrower is; only what the message says proves more.
					at.Purpose = policy.Locate
				}
				d := ev.Evaluate(p, snap, &at)
				for _, v := range d.Violations {
					// A contact made anyway breaks a cap only if it is
					// of the kind the cap counts (a missed call does not
					// break a cap on connected calls).
					if !slices.Contains(Observable, v.Category) || !p.CountsToward(v.Rule, history[k].Result) {
						continue
					}
					flagged[idx[k]] = true
					if v.Category != policy.CatFrequency {
						out[w] = append(out[w], a.finding(c, v))
						continue
					}
					capMu.Lock()
					r := slices.IndexFunc(capViolations, func(x policy.Violation) bool { return x.Rule == v.Rule })
					if r < 0 {
						capViolations = append(capViolations, v)
						r = len(capViolations) - 1
					}
					capMu.Unlock()
					hits[w] = append(hits[w], capHit{k, r})
				}
			}
		})
	}
	wg.Wait()
	type dayKey struct {
		src  uint8
		rule int
		date string
	}
	byDay := map[dayKey]int{} // index into found
	found := slices.Concat(out...)
	for _, h := range slices.Concat(hits...) {
		c := &a.contacts[idx[h.k]]
		key := dayKey{c.src, h.rule, c.at().In(a.cfg.Location).Format(time.DateOnly)}
		if i, ok := byDay[key]; ok {
			found[i].OverCap++
			continue
		}
		f := a.finding(c, capViolations[h.rule])
		f.OverCap = 1
		byDay[key] = len(found)
		found = append(found, f)
	}
	return found
}

func channelOf(c *contact) policy.Channel {
	if c.kind == export.Call {
		return policy.Call
	}
	return policy.SMS
}

// historyFor is what the pack needs to see of history before an attempt (see
// policy.Pack.HistoryNeeds): the window (from start), the last debtorAttempts
// contacts with the debtor before it, and, with allNonDebtor, every contact
// with anyone else (the first of which is at firstOther, or -1). Passing more
// than that is never wrong, only slower: when what is needed is a suffix of
// history not much longer than the window, the suffix itself is returned, with
// no copy; otherwise the entries are gathered into buf.
func historyFor(history []policy.Contact, start, debtorAttempts int, allNonDebtor bool, firstOther int, buf []policy.Contact) []policy.Contact {
	const slack = 256
	lo := start
	for need := debtorAttempts; lo > 0 && need > 0; {
		lo--
		if history[lo].Party == "owner" {
			need--
		}
	}
	if !allNonDebtor || firstOther < 0 || firstOther >= lo {
		return history[lo:]
	}
	if lo-firstOther <= slack {
		return history[firstOther:]
	}
	for _, h := range history[firstOther:lo] {
		if h.Party != "owner" {
			buf = append(buf, h)
		}
	}
	return append(buf, history[lo:]...)
}

func (a *Analyzer) finding(c *contact, v policy.Violation) Finding {
	n := &a.nums[c.num]
	f := Finding{RuleRef: a.rules[v.Rule], At: c.at().In(a.cfg.Location), Number: n.display, Collector: n.label,
		Channel: channelOf(c).String(), Whom: a.whom[c.src], Line: int(c.line)}
	if f.RuleRef == nil { // a rule the pack does not list: cannot happen
		f.RuleRef = &RuleRef{Rule: v.Rule, Category: v.Category, Citation: v.Citation, Reason: v.Reason}
	}
	if c.kind == export.Call {
		f.Outcome = c.outcome.String()
	}
	if v.Category == policy.CatProhibitedContent || v.Category == policy.CatThirdPartyDisclosure {
		f.Text = c.text
		f.Spans = spans(a.cfg.Screener, c.text)
	}
	return f
}

// spans screens text again for the words behind its categories.
func spans(s *screen.Screener, text string) []Span {
	r := s.Screen(text)
	if len(r.Spans) == 0 {
		return nil
	}
	runes := []rune(text)
	out := make([]Span, 0, len(r.Spans))
	for _, sp := range r.Spans {
		if sp.Start < 0 || sp.End > len(runes) || sp.Start > sp.End {
			continue
		}
		out = append(out, Span{Category: sp.Category.String(), Rule: sp.Rule, Start: sp.Start, End: sp.End, Text: string(runes[sp.Start:sp.End])})
	}
	return out
}

func (a *Analyzer) collectorList() []Number {
	by := map[int32]*Number{}
	var order []int32
	for i := range a.contacts {
		c := &a.contacts[i]
		n := by[c.num]
		if n == nil {
			num := &a.nums[c.num]
			n = &Number{Number: num.display, Label: num.label, Known: num.known, First: c.at().In(a.cfg.Location)}
			by[c.num] = n
			order = append(order, c.num)
		}
		if !c.in {
			continue
		}
		if c.kind == export.Call {
			n.Calls++
		} else {
			n.Messages++
		}
		n.Last = c.at().In(a.cfg.Location)
	}
	out := make([]Number, 0, len(order))
	for _, i := range order {
		out = append(out, *by[i])
	}
	slices.SortStableFunc(out, func(x, y Number) int { return cmp.Compare(y.Calls+y.Messages, x.Calls+x.Messages) })
	return out
}

func (a *Analyzer) days(flagged []bool) []Day {
	var out []Day
	for i := range a.contacts {
		c := &a.contacts[i]
		if !c.in || a.sources[c.src].Role != Owner {
			continue
		}
		date := c.at().In(a.cfg.Location).Format(time.DateOnly)
		if len(out) == 0 || out[len(out)-1].Date != date {
			out = append(out, Day{Date: date})
		}
		d := &out[len(out)-1]
		if c.kind == export.Call {
			d.Calls++
			if c.outcome == export.Answered {
				d.Answered++
			}
		} else {
			d.Messages++
		}
		if flagged[i] {
			d.Flagged++
		}
	}
	return out
}

func (a *Analyzer) thirdParties() []ThirdPartyContact {
	var out []ThirdPartyContact
	for si, s := range a.sources {
		if s.Role == Owner {
			continue
		}
		t := ThirdPartyContact{Person: s.Label, Role: s.Role.String(), File: s.File}
		var cats screen.Set
		for i := range a.contacts {
			c := &a.contacts[i]
			if int(c.src) != si || !c.in {
				continue
			}
			if c.kind == export.Call {
				t.Calls++
			} else {
				t.Messages++
			}
			cats |= c.cats
		}
		t.Disclose = cats.Names()
		out = append(out, t)
	}
	return out
}
