// Package screen finds prohibited or sensitive content in collection messages, in
// Chinese (simplified and traditional) and English, through the common evasions
// (full-width forms, inserted spaces and symbols, invisible characters).
//
// A message is normalised (normalize.go), every lexicon term is found in one pass of
// an Aho-Corasick automaton (automaton.go), and the lexicon's rules (rules.go, data
// in lexicon/*.yaml) turn term occurrences into findings, with co-occurrence windows
// and negations. The package does no I/O.
package screen

import (
	"embed"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Category is one stable content category.
type Category uint8

// The stable content categories. Their names are part of the public contract.
const (
	ThreatViolence Category = iota
	ThreatExposure
	FalseLegal
	FalseAuthority
	GuarantorClaim
	Insult
	DebtDisclosure
	InduceBorrowing
	UnauthorizedFee
	numCategories
)

var categoryNames = [numCategories]string{
	ThreatViolence:  "threat_violence",
	ThreatExposure:  "threat_exposure",
	FalseLegal:      "false_legal",
	FalseAuthority:  "false_authority",
	GuarantorClaim:  "guarantor_claim",
	Insult:          "insult",
	DebtDisclosure:  "debt_disclosure",
	InduceBorrowing: "induce_borrowing",
	UnauthorizedFee: "unauthorized_fee",
}

// String returns the category's stable name.
func (c Category) String() string {
	if c < numCategories {
		return categoryNames[c]
	}
	return fmt.Sprintf("Category(%d)", c)
}

// ParseCategory returns the category with the given stable name.
func ParseCategory(name string) (Category, error) {
	for i, n := range categoryNames {
		if n == name {
			return Category(i), nil
		}
	}
	return 0, fmt.Errorf("unknown content category %q (known: %s)", name, strings.Join(categoryNames[:], ", "))
}

// Categories lists every category in a stable order.
func Categories() []Category {
	out := make([]Category, numCategories)
	for i := range out {
		out[i] = Category(i)
	}
	return out
}

// Set is a set of categories.
type Set uint16

// AllCategories is the set of every category.
const AllCategories Set = 1<<numCategories - 1

// Has reports whether c is in the set.
func (s Set) Has(c Category) bool { return s&(1<<c) != 0 }

// With returns the set with c added.
func (s Set) With(c Category) Set { return s | 1<<c }

// Names returns the names of the categories in the set, in stable order.
func (s Set) Names() []string {
	var out []string
	for c := Category(0); c < numCategories; c++ {
		if s.Has(c) {
			out = append(out, c.String())
		}
	}
	return out
}

// Screener finds prohibited or sensitive content in messages. It is safe for
// concurrent use.
type Screener struct {
	lx *lexicon
}

//go:embed lexicon/*.yaml
var lexiconFS embed.FS

// Compile builds a screener from lexicon files (file name → YAML), in name order.
func Compile(files map[string][]byte) (*Screener, error) {
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	lx, err := compileLexicon(files, names)
	if err != nil {
		return nil, err
	}
	return &Screener{lx: lx}, nil
}

var defaultScreener = sync.OnceValues(func() (*Screener, error) {
	entries, err := lexiconFS.ReadDir("lexicon")
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	for _, e := range entries {
		data, err := lexiconFS.ReadFile("lexicon/" + e.Name())
		if err != nil {
			return nil, err
		}
		files["lexicon/"+e.Name()] = data
	}
	return Compile(files)
})

// Default returns the screener built from the embedded lexicon. The lexicon is
// checked by the tests, so a failure to build it is a bug and panics.
func Default() *Screener {
	s, err := defaultScreener()
	if err != nil {
		panic("screen: embedded lexicon: " + err.Error())
	}
	return s
}

// Span is one finding: the rule that fired and where, in runes of the original text.
type Span struct {
	Category Category
	Start    int
	End      int
	Rule     string
}

// Result is what screening one message found.
type Result struct {
	// Lang is the message's language: "zh", "en", or "" when it has no letters.
	Lang       string
	Categories Set
	Spans      []Span
}

// Document is the JSON form of a screening result, the public contract of
// `fairdebt screen` and POST /v1/screen.
type Document struct {
	Text       string    `json:"text"`
	Lang       string    `json:"lang" doc:"zh, en, or empty when the text has no letters"`
	Categories []string  `json:"categories"`
	Spans      []DocSpan `json:"spans"`
}

// DocSpan is one finding in a Document, in runes of the text.
type DocSpan struct {
	Category string `json:"category"`
	Start    int    `json:"start"`
	End      int    `json:"end"`
	Rule     string `json:"rule"`
}

// Document returns the result as its JSON document for text.
func (r Result) Document(text string) Document {
	d := Document{Text: text, Lang: r.Lang, Categories: r.Categories.Names(), Spans: make([]DocSpan, len(r.Spans))}
	if d.Categories == nil {
		d.Categories = []string{}
	}
	for i, s := range r.Spans {
		d.Spans[i] = DocSpan{Category: s.Category.String(), Start: s.Start, End: s.End, Rule: s.Rule}
	}
	return d
}

// scratch holds one screening's buffers; they are pooled, so screening allocates
// nothing in the steady state.
type scratch struct {
	n    Normalized
	occ  []occurrence
	hits []ruleHit
	fast bool      // hits came from the one-pass matcher, without unless terms
	syms []symAt   // the one-pass matcher's normalised runes
	ends []int32   // the indexes in syms of output states
	seen []uint16  // apply: per rule, the groups with a hit (all zero between calls)
	kept []ruleHit // apply: the hits of rules with every group
}

// ruleHit is a term occurrence as one rule sees it, in runes of the original text.
type ruleHit struct {
	rule       int32
	group      int8     // unlessGroup, unlessAfterGroup, or a group of the rule
	cat        Category // the rule's
	start, end int32
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// Categories returns the set of categories that text triggers.
func (s *Screener) Categories(text string) Set {
	return s.CategoriesIn(text, AllCategories)
}

// CategoriesIn returns the categories of want that text triggers. It does not
// apply the rules of other categories, which saves their work: the gate asks only
// for the categories that matter to the person a message is for.
func (s *Screener) CategoriesIn(text string, want Set) Set {
	sc := scratchPool.Get().(*scratch)
	s.hits(text, sc, false, want)
	set := s.apply(sc, nil, want)
	scratchPool.Put(sc)
	return set
}

// Screen returns the language, categories and spans of text.
func (s *Screener) Screen(text string) Result {
	sc := scratchPool.Get().(*scratch)
	r := s.screen(text, sc, false)
	scratchPool.Put(sc)
	return r
}

func (s *Screener) screen(text string, sc *scratch, reference bool) Result {
	r := Result{Spans: []Span{}}
	han, latin := s.hits(text, sc, reference, AllCategories)
	r.Categories = s.apply(sc, &r.Spans, AllCategories)
	switch {
	case han == 0 && latin == 0:
	case han*3 >= latin:
		r.Lang = "zh"
	default:
		r.Lang = "en"
	}
	return r
}

// hits fills sc.hits with every rule hit in text, in rune offsets of text, and
// counts its Han and Latin letters. The one-pass matcher keeps only the hits of
// rules of the categories in want; apply ignores the others in any case. It takes the one-pass matcher unless reference
// is set or the text has spaced letters to join; the reference path normalises the
// text (Normalize) and scans it with the byte automaton. Both give the same hits in
// the same order, except that the one-pass matcher leaves the unless terms to
// apply, which asks for them only when a rule that has some fires.
func (s *Screener) hits(text string, sc *scratch, reference bool, want Set) (han, latin int) {
	if !reference {
		var ok bool
		if han, latin, ok = s.fastHits(text, sc, want); ok {
			return han, latin
		}
	}
	sc.fast = false
	lx := s.lx
	Normalize(text, &sc.n)
	norm, orig := sc.n.Text, sc.n.Orig
	sc.occ = lx.ac.scan(norm, sc.occ[:0])
	sc.hits = sc.hits[:0]
	for _, o := range sc.occ {
		t := &lx.terms[o.term]
		end := int(o.end)
		start := end - int(t.len)
		if t.words && start > 0 && isWordByte(norm[start-1]) {
			continue
		}
		if !t.prefix && end < len(norm) && isWordByte(norm[end]) {
			continue
		}
		sc.hits = lx.appendUses(sc.hits, t.uses, orig[start], orig[end-1]+1)
	}
	return sc.n.Han, sc.n.Latin
}

// apply turns the rule hits in sc.hits into the categories of want, and into spans
// when spans is not nil.
//
// Most hits of an ordinary message are unless terms, or one group of a rule whose
// other groups never occur. A first pass notes which groups of each rule occur;
// only the hits of rules that have all their groups go on to the pairwise work,
// with, from the one-pass matcher, the unless terms of those rules alone.
func (s *Screener) apply(sc *scratch, spans *[]Span, want Set) Set {
	lx := s.lx
	if len(sc.seen) < len(lx.rules) {
		sc.seen = make([]uint16, len(lx.rules))
	}
	seen := sc.seen
	for _, h := range sc.hits {
		if !want.Has(h.cat) {
			continue
		}
		if h.group >= 0 {
			seen[h.rule] |= 1 << h.group
		} else {
			seen[h.rule] |= seenUnless
		}
	}
	complete := func(rule int32) bool {
		full := uint16(1)<<lx.rules[rule].groups - 1
		return seen[rule]&full == full
	}
	hits := sc.kept[:0]
	needUnless := false
	for _, h := range sc.hits {
		if complete(h.rule) {
			hits = append(hits, h)
			needUnless = needUnless || sc.fast && lx.rules[h.rule].hasUnless
		}
	}
	if needUnless {
		n := len(hits)
		hits = s.unlessHits(hits, sc.syms, complete)
		for _, h := range hits[n:] {
			seen[h.rule] |= seenUnless
		}
	}
	sc.kept = hits
	var set Set
	for i, h := range hits {
		if h.group < 0 {
			continue
		}
		r := &lx.rules[h.rule]
		if set.Has(r.category) && spans == nil {
			continue
		}
		start, end := h.start, h.end
		if r.groups > 1 {
			var ok bool
			if start, end, ok = completeGroups(r, hits, i); !ok {
				continue
			}
		}
		if seen[h.rule]&seenUnless != 0 && negated(r, hits, h.rule, start, end) {
			continue
		}
		set = set.With(r.category)
		if spans != nil && !covered(*spans, r.id, int(start), int(end)) {
			*spans = append(*spans, Span{Category: r.category, Start: int(start), End: int(end), Rule: r.id})
		}
	}
	for _, h := range sc.hits {
		seen[h.rule] = 0
	}
	return set
}

// seenUnless marks, in apply's seen, a rule with a hit of an unless term.
const seenUnless = 1 << 15

// completeGroups looks, around hits[i], for a hit of every other group of the same
// rule such that the whole match spans at most r.near characters; it returns the
// match's extent.
func completeGroups(r *rule, hits []ruleHit, i int) (start, end int32, ok bool) {
	h := hits[i]
	start, end = h.start, h.end
	for g := int8(0); int(g) < r.groups; g++ {
		if g == h.group {
			continue
		}
		best := -1
		var bs, be int32
		for j := range hits {
			x := hits[j]
			if x.rule != h.rule || x.group != g {
				continue
			}
			s, e := min(start, x.start), max(end, x.end)
			if int(e-s) <= r.near && (best < 0 || e-s < be-bs) {
				best, bs, be = j, s, e
			}
		}
		if best < 0 {
			return 0, 0, false
		}
		start, end = bs, be
	}
	return start, end, true
}

// negated reports whether one of the rule's unless terms occurs inside the match or
// shortly before it, or one of its unless_after terms inside it or shortly after.
func negated(r *rule, hits []ruleHit, ri int32, start, end int32) bool {
	for _, u := range hits {
		if u.rule != ri {
			continue
		}
		switch u.group {
		case unlessGroup:
			if u.start >= start-int32(r.unlessBefore) && u.start < end {
				return true
			}
		case unlessAfterGroup:
			if u.start >= start && u.start < end+unlessAfterWindow {
				return true
			}
		}
	}
	return false
}

// covered reports whether spans already has this rule over an overlapping range.
func covered(spans []Span, rule string, start, end int) bool {
	for _, s := range spans {
		if s.Rule == rule && s.Start < end && start < s.End {
			return true
		}
	}
	return false
}
