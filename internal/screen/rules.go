package screen

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The lexicon is data: YAML files a compliance officer can review, embedded in the
// binary (lexicon/*.yaml). A file holds rules; each rule flags one category when
//
//   - terms: any of its terms occurs, or
//   - groups: a term of every group occurs within `near` characters of the others
//     (co-occurrence, for when no single word is enough: a contact-group word near a
//     telling verb),
//
// unless one of its `unless` terms occurs inside the match or up to `unless_before`
// characters before it (negations such as 不会 and "will not", lawful qualifiers such
// as 依法 or "may"), or one of its `unless_after` terms starts inside it or up to
// unlessAfterWindow characters after it (denials that follow what they deny:
// "拘留、坐牢等说法均不属实"). Terms are normalised like messages are (simplified Chinese, lower
// case, half-width, no separators between Chinese characters), so a rule written in
// simplified Chinese also catches traditional and evasive spellings. A Latin term
// matches whole words; a trailing * lets it match as a prefix ("arrest*").

// lexiconFile is the YAML shape of a lexicon file.
type lexiconFile struct {
	Rules []ruleSpec `yaml:"rules"`
}

type ruleSpec struct {
	ID           string     `yaml:"id"`
	Category     string     `yaml:"category"`
	Terms        []string   `yaml:"terms"`
	Groups       [][]string `yaml:"groups"`
	Near         int        `yaml:"near"`
	Unless       []string   `yaml:"unless"`
	UnlessBefore *int       `yaml:"unless_before"`
	UnlessAfter  []string   `yaml:"unless_after"`
	Note         string     `yaml:"note"`
	line         int
}

// defaultUnlessBefore is how far before a match a negation is looked for.
const defaultUnlessBefore = 6

// maxUnlessWindow bounds unless_before, in characters.
const maxUnlessWindow = 200

// unlessAfterWindow is how far after a match an unless_after term may start.
const unlessAfterWindow = 10

// rule is a compiled rule.
type rule struct {
	id           string
	category     Category
	groups       int // 1 for a terms rule
	near         int // characters; 0 for a terms rule
	unlessBefore int
	hasUnless    bool // it has unless or unless_after terms
}

// use says what one term means to one rule: a member of group g, or (g < 0) an
// unless or unless_after term.
type use struct {
	rule  int32
	group int8
}

// termInfo is a compiled term.
type termInfo struct {
	len    int32 // bytes, normalised
	words  bool  // Latin: must start at a word boundary
	prefix bool  // Latin: may end inside a word
	uses   []use
}

// The groups of unless and unless_after terms.
const (
	unlessGroup      = -1
	unlessAfterGroup = -2
)

// lexicon is a compiled set of rules.
type lexicon struct {
	rules []rule
	terms []termInfo
	ac    *automaton   // the reference path, over Normalize's text
	fast  *fastMatcher // the same matches in one pass over the message
}

// LoadError is a problem in a lexicon file, with its place.
type LoadError struct {
	File string
	Line int
	Msg  string
}

func (e *LoadError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// compileLexicon compiles lexicon files (name → YAML).
func compileLexicon(files map[string][]byte, names []string) (*lexicon, error) {
	lx := &lexicon{}
	index := map[string]int32{} // normalised term → term id
	seen := map[string]bool{}
	var errs []error
	var n Normalized
	add := func(file string, r ruleSpec, raw string, u use) {
		t := strings.TrimSpace(raw)
		prefix := strings.HasSuffix(t, "*")
		t = strings.TrimSuffix(t, "*")
		Normalize(t, &n)
		norm := string(n.Text)
		if norm == "" {
			errs = append(errs, &LoadError{file, r.line, fmt.Sprintf("rule %s: term %q is empty once normalised", r.ID, raw)})
			return
		}
		key := norm
		if prefix {
			key += "*"
		}
		id, ok := index[key]
		if !ok {
			id = int32(len(lx.terms))
			index[key] = id
			latin := isWordByte(norm[0])
			lx.terms = append(lx.terms, termInfo{len: int32(len(norm)), words: latin, prefix: prefix || !isWordByte(norm[len(norm)-1])})
		}
		lx.terms[id].uses = append(lx.terms[id].uses, u)
	}
	for _, file := range names {
		var doc yaml.Node
		dec := yaml.NewDecoder(bytes.NewReader(files[file]))
		if err := dec.Decode(&doc); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		var lf lexiconFile
		if err := doc.Decode(&lf); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if err := checkKeys(file, &doc); err != nil {
			return nil, err
		}
		if len(doc.Content) > 0 && len(doc.Content[0].Content) > 1 {
			for i, rn := range doc.Content[0].Content[1].Content {
				if i < len(lf.Rules) {
					lf.Rules[i].line = rn.Line
				}
			}
		}
		for _, r := range lf.Rules {
			bad := func(format string, args ...any) {
				errs = append(errs, &LoadError{file, r.line, fmt.Sprintf("rule %s: ", r.ID) + fmt.Sprintf(format, args...)})
			}
			cat, err := ParseCategory(r.Category)
			switch {
			case r.ID == "":
				bad("no id")
				continue
			case seen[r.ID]:
				bad("id used twice")
				continue
			case err != nil:
				bad("%v", err)
				continue
			case !validRuleID(r.ID, r.Category):
				bad("want LANG.%s.NAME as the id", r.Category)
				continue
			case (len(r.Terms) > 0) == (len(r.Groups) > 0):
				bad("needs either terms or groups")
				continue
			case len(r.Groups) == 1 || len(r.Groups) > 8:
				bad("groups needs 2 to 8 groups")
				continue
			case len(r.Groups) > 0 && r.Near <= 0:
				bad("groups need near: the most characters the match may span")
				continue
			case len(r.Terms) > 0 && r.Near != 0:
				bad("near applies to groups only")
				continue
			}
			seen[r.ID] = true
			ru := rule{id: r.ID, category: cat, groups: max(1, len(r.Groups)), near: r.Near, unlessBefore: defaultUnlessBefore}
			if r.UnlessBefore != nil {
				ru.unlessBefore = *r.UnlessBefore
			}
			switch {
			case ru.unlessBefore < 0 || ru.unlessBefore > maxUnlessWindow:
				bad("unless_before must be between 0 and %d", maxUnlessWindow)
				continue
			case r.UnlessBefore != nil && len(r.Unless) == 0:
				bad("unless_before needs unless terms")
				continue
			}
			ri := int32(len(lx.rules))
			ru.hasUnless = len(r.Unless)+len(r.UnlessAfter) > 0
			lx.rules = append(lx.rules, ru)
			for _, t := range r.Terms {
				add(file, r, t, use{rule: ri})
			}
			for g, group := range r.Groups {
				if len(group) == 0 {
					bad("group %d is empty", g+1)
				}
				for _, t := range group {
					add(file, r, t, use{rule: ri, group: int8(g)})
				}
			}
			for _, t := range r.Unless {
				add(file, r, t, use{rule: ri, group: unlessGroup})
			}
			for _, t := range r.UnlessAfter {
				add(file, r, t, use{rule: ri, group: unlessAfterGroup})
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	texts := make([]string, len(lx.terms))
	for key, id := range index {
		texts[id] = strings.TrimSuffix(key, "*")
	}
	lx.ac = newAutomaton(texts)
	fast, err := newFastMatcher(texts, lx.terms, lx.rules)
	if err != nil {
		return nil, err
	}
	lx.fast = fast
	return lx, nil
}

// checkKeys refuses unknown keys, naming their line.
func checkKeys(file string, doc *yaml.Node) error {
	if len(doc.Content) == 0 {
		return &LoadError{file, 1, "empty lexicon"}
	}
	top := doc.Content[0]
	if top.Kind != yaml.MappingNode {
		return &LoadError{file, top.Line, "want a mapping with rules"}
	}
	allowed := map[string]bool{"id": true, "category": true, "terms": true, "groups": true, "near": true, "unless": true,
		"unless_before": true, "unless_after": true, "note": true}
	for i := 0; i+1 < len(top.Content); i += 2 {
		if top.Content[i].Value != "rules" {
			return &LoadError{file, top.Content[i].Line, fmt.Sprintf("unknown key %q", top.Content[i].Value)}
		}
		for _, r := range top.Content[i+1].Content {
			for j := 0; j+1 < len(r.Content); j += 2 {
				if k := r.Content[j]; !allowed[k.Value] {
					return &LoadError{file, k.Line, fmt.Sprintf("unknown key %q", k.Value)}
				}
			}
		}
	}
	return nil
}

func isWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || 'A' <= c && c <= 'Z'
}

// validRuleID reports whether id has the form LANG.CATEGORY.NAME.
func validRuleID(id, category string) bool {
	parts := strings.Split(id, ".")
	return len(parts) == 3 && parts[1] == category
}
