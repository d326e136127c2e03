package screen

// automaton is an Aho-Corasick string matcher compiled to a dense DFA over byte
// classes. Each state carries the set of categories of every term that ends there,
// including terms that are suffixes of longer ones, so one pass over a text with
// one table look-up per byte finds every category, overlapping matches included.
//
// Bytes that occur in no term share class 0, so a row holds one entry per distinct
// byte of the lexicon rather than 256, which keeps the hot rows in cache.
type automaton struct {
	class [256]uint8 // class[b] is the column of byte b
	// table holds one row per state: the state's output set, then its transitions.
	// A transition holds the start of the next state's row, so stepping needs no
	// multiplication: next = table[row+1+class].
	table []uint32
}

// newAutomaton builds the DFA for terms. ASCII letters match either case.
func newAutomaton(terms []term) *automaton {
	a := &automaton{}
	w := 1 // the number of byte classes
	for _, t := range terms {
		for i := 0; i < len(t.text); i++ {
			if c := lowerASCII(t.text[i]); a.class[c] == 0 {
				if w == 256 {
					panic("screen: lexicon uses more than 255 distinct bytes")
				}
				a.class[c] = uint8(w)
				w++
			}
		}
	}
	for c := 'A'; c <= 'Z'; c++ {
		a.class[c] = a.class[c+'a'-'A']
	}
	// The trie: goto edges, with 0 meaning "no edge" (the root is never a target).
	delta := make([]int, w)
	out := []Set{0}
	for _, t := range terms {
		s := 0
		for i := 0; i < len(t.text); i++ {
			c := int(a.class[t.text[i]])
			if delta[s*w+c] == 0 {
				delta[s*w+c] = len(out)
				delta = append(delta, make([]int, w)...)
				out = append(out, 0)
			}
			s = delta[s*w+c]
		}
		out[s] = out[s].With(t.category)
	}
	// Breadth-first, turn the trie into the DFA: a missing edge follows the failure
	// link, and each state inherits the outputs of its failure state.
	fail := make([]int, len(out))
	queue := make([]int, 0, len(out))
	for c := 0; c < w; c++ {
		if s := delta[c]; s != 0 {
			queue = append(queue, s)
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		f := fail[s]
		out[s] |= out[f]
		for c := 0; c < w; c++ {
			if next := delta[s*w+c]; next != 0 {
				fail[next] = delta[f*w+c]
				queue = append(queue, next)
			} else {
				delta[s*w+c] = delta[f*w+c]
			}
		}
	}
	row := w + 1
	if len(out)*row > 1<<32-1 {
		panic("screen: lexicon too large for the matcher")
	}
	a.table = make([]uint32, len(out)*row)
	for st := range out {
		a.table[st*row] = uint32(out[st])
		for c := 0; c < w; c++ {
			a.table[st*row+1+c] = uint32(delta[st*w+c] * row)
		}
	}
	return a
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// categories returns the union of the categories of every term found in text.
func (a *automaton) categories(text string) Set {
	var set uint32
	row := uint32(0)
	t := a.table
	for i := 0; i < len(text); i++ {
		row = t[row+1+uint32(a.class[text[i]])]
		set |= t[row]
	}
	return Set(set)
}
