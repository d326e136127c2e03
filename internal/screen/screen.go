// Package screen finds prohibited or sensitive content in collection messages.
//
// This is the interim screener: a small keyword lexicon matched case-insensitively.
// The content-screening issue replaces its internals (normalisation of traditional
// Chinese, full-width forms and evasions, spans, a larger lexicon); the Category and
// Set types and the Categories method are the contract the compliance gate relies on.
package screen

import (
	"fmt"
	"strings"
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

// Screener reports which categories a text triggers. It is safe for concurrent use.
type Screener struct {
	matcher *automaton
}

type term struct {
	text     string
	category Category
}

// New builds a screener from a lexicon: for each category, the terms that trigger it.
// Terms are matched as substrings; ASCII letters match in either case.
func New(lexicon map[Category][]string) *Screener {
	var terms []term
	for c := Category(0); c < numCategories; c++ {
		for _, t := range lexicon[c] {
			if t != "" {
				terms = append(terms, term{text: t, category: c})
			}
		}
	}
	return &Screener{matcher: newAutomaton(terms)}
}

var defaultScreener = New(interimLexicon)

// Default returns the screener built from the embedded lexicon.
func Default() *Screener { return defaultScreener }

// Categories returns the set of categories that text triggers.
func (s *Screener) Categories(text string) Set {
	return s.matcher.categories(text)
}
