package screen

import (
	"cmp"
	"fmt"
	"io"
	"slices"
)

// Example is one labelled message of an evaluation corpus.
type Example struct {
	ID         string   `json:"id"`
	Text       string   `json:"text"`
	Categories []string `json:"categories"`
	// Lawful is true when the message has no category but debt_disclosure (which
	// is lawful toward the debtor).
	Lawful bool `json:"lawful"`
}

// harmful are the categories that make a message unlawful toward anyone.
const harmful = ^Set(0) &^ (1 << DebtDisclosure) & (1<<numCategories - 1)

// Harmful reports whether the set holds a category that is unlawful toward anyone.
func (s Set) Harmful() bool { return s&harmful != 0 }

// Counts are the confusion counts of one binary decision.
type Counts struct{ TP, FP, FN, TN int }

// Precision is TP/(TP+FP), 1 when nothing was predicted.
func (c Counts) Precision() float64 { return ratio(c.TP, c.TP+c.FP) }

// Recall is TP/(TP+FN), 1 when nothing was to be found.
func (c Counts) Recall() float64 { return ratio(c.TP, c.TP+c.FN) }

// F1 is the harmonic mean of precision and recall.
func (c Counts) F1() float64 {
	p, r := c.Precision(), c.Recall()
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

func (c *Counts) add(want, got bool) {
	switch {
	case want && got:
		c.TP++
	case got:
		c.FP++
	case want:
		c.FN++
	default:
		c.TN++
	}
}

// Mistake is a message the screener got wrong.
type Mistake struct {
	ID, Text  string
	Want, Got []string
}

// Report is the outcome of screening a labelled corpus.
type Report struct {
	Messages    int
	Overall     Counts // harmful (any category but debt_disclosure) versus lawful
	PerCategory [numCategories]Counts
	Mistakes    []Mistake
}

// LawfulFlagged is the share of lawful messages flagged as harmful.
func (r *Report) LawfulFlagged() float64 {
	lawful := r.Overall.FP + r.Overall.TN
	if lawful == 0 {
		return 0
	}
	return float64(r.Overall.FP) / float64(lawful)
}

// Evaluate screens every example and compares with its labels. A label that names
// no category is an error.
func (s *Screener) Evaluate(examples []Example) (*Report, error) {
	r := &Report{Messages: len(examples)}
	for _, ex := range examples {
		var want Set
		for _, name := range ex.Categories {
			c, err := ParseCategory(name)
			if err != nil {
				return nil, fmt.Errorf("example %s: %w", ex.ID, err)
			}
			want = want.With(c)
		}
		if want.Harmful() == ex.Lawful {
			return nil, fmt.Errorf("example %s: lawful=%v contradicts categories %v", ex.ID, ex.Lawful, ex.Categories)
		}
		got := s.Categories(ex.Text)
		r.Overall.add(want.Harmful(), got.Harmful())
		for c := range numCategories {
			r.PerCategory[c].add(want.Has(c), got.Has(c))
		}
		if got != want {
			r.Mistakes = append(r.Mistakes, Mistake{ID: ex.ID, Text: ex.Text, Want: want.Names(), Got: got.Names()})
		}
	}
	return r, nil
}

// Print writes the report as a table.
func (r *Report) Print(w io.Writer) {
	fmt.Fprintf(w, "%-18s %6s %6s %6s %9s %7s %6s\n", "category", "tp", "fp", "fn", "precision", "recall", "f1")
	for c := range numCategories {
		k := r.PerCategory[c]
		fmt.Fprintf(w, "%-18s %6d %6d %6d %9.3f %7.3f %6.3f\n", c, k.TP, k.FP, k.FN, k.Precision(), k.Recall(), k.F1())
	}
	o := r.Overall
	fmt.Fprintf(w, "%-18s %6d %6d %6d %9.3f %7.3f %6.3f\n", "harmful vs lawful", o.TP, o.FP, o.FN, o.Precision(), o.Recall(), o.F1())
	fmt.Fprintf(w, "%d messages; lawful messages flagged: %d of %d (%.1f%%); messages with any wrong category: %d\n",
		r.Messages, o.FP, o.FP+o.TN, 100*r.LawfulFlagged(), len(r.Mistakes))
}

// SortMistakes orders mistakes by id, for stable output.
func (r *Report) SortMistakes() {
	slices.SortFunc(r.Mistakes, func(a, b Mistake) int { return cmp.Compare(a.ID, b.ID) })
}
