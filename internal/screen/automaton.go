package screen

// automaton is an Aho-Corasick string matcher compiled to a dense DFA over byte
// classes. Each state knows every term that ends there, including terms that are
// suffixes of longer ones, so one pass over a text with one table look-up per byte
// finds every occurrence of every term, overlapping ones included.
//
// Bytes that occur in no term share class 0, so a row holds one entry per distinct
// byte of the lexicon rather than 256, which keeps the hot rows in cache.
type automaton struct {
	class [256]uint8 // class[b] is the column of byte b
	// table holds one row per state: the state's output list, then its transitions.
	// A transition holds the start of the next state's row, so stepping needs no
	// multiplication: next = table[row+1+class]; its top bit says whether the next
	// state has outputs, so the common step touches one cache line, not two.
	table []uint32
	// outs[k] lists the terms that end in a state whose output list is k; list 0 is
	// empty.
	outs [][]int32
}

// newAutomaton builds the DFA for terms, which the caller has normalised.
func newAutomaton(terms []string) *automaton {
	a := &automaton{}
	w := 1 // the number of byte classes
	for _, t := range terms {
		for i := 0; i < len(t); i++ {
			if a.class[t[i]] == 0 {
				if w == 256 {
					panic("screen: lexicon uses more than 255 distinct bytes")
				}
				a.class[t[i]] = uint8(w)
				w++
			}
		}
	}
	// The trie: goto edges, with 0 meaning "no edge" (the root is never a target).
	size := 1
	for _, t := range terms {
		size += len(t)
	}
	delta := make([]int32, w, size*w)
	out := [][]int32{nil}
	for id, t := range terms {
		s := 0
		for i := 0; i < len(t); i++ {
			c := int(a.class[t[i]])
			if delta[s*w+c] == 0 {
				delta[s*w+c] = int32(len(out))
				delta = delta[:len(delta)+w] // within capacity, and still zero
				out = append(out, nil)
			}
			s = int(delta[s*w+c])
		}
		out[s] = append(out[s], int32(id))
	}
	// Breadth-first, turn the trie into the DFA: a missing edge follows the failure
	// link, and each state inherits the outputs of its failure state.
	fail := make([]int, len(out))
	queue := make([]int, 0, len(out))
	for c := 0; c < w; c++ {
		if s := int(delta[c]); s != 0 {
			queue = append(queue, s)
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		f := fail[s]
		out[s] = append(out[s], out[f]...)
		for c := 0; c < w; c++ {
			if next := int(delta[s*w+c]); next != 0 {
				fail[next] = int(delta[f*w+c])
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
	if len(out)*row >= hasOutputs {
		panic("screen: lexicon too large for the matcher")
	}
	a.table = make([]uint32, len(out)*row)
	a.outs = [][]int32{nil}
	for st := range out {
		if len(out[st]) > 0 {
			a.table[st*row] = uint32(len(a.outs))
			a.outs = append(a.outs, out[st])
		}
		for c := 0; c < w; c++ {
			next := int(delta[st*w+c])
			e := uint32(next * row)
			if len(out[next]) > 0 {
				e |= hasOutputs
			}
			a.table[st*row+1+c] = e
		}
	}
	return a
}

// hasOutputs marks a transition into a state where terms end.
const hasOutputs = 1 << 31

// occurrence is one term found in a normalised text: bytes [end-len(term), end).
type occurrence struct {
	term int32
	end  int32
}

// scan appends every occurrence of every term in text to occ, in order of their end.
func (a *automaton) scan(text []byte, occ []occurrence) []occurrence {
	row := uint32(0)
	t := a.table
	for i := 0; i < len(text); i++ {
		e := t[row+1+uint32(a.class[text[i]])]
		row = e &^ hasOutputs
		if e&hasOutputs != 0 {
			for _, id := range a.outs[t[row]] {
				occ = append(occ, occurrence{term: id, end: int32(i + 1)})
			}
		}
	}
	return occ
}
