package screen

import (
	"fmt"
	"math"
	"slices"
	"unicode/utf8"
)

// fastMatcher finds the lexicon's terms in a message without writing its normalised
// text: each rune is folded and classified by one table look-up, giving the symbol
// of its folded form; the normaliser's rules (no separators between Chinese
// characters, one space between other words) turn the runes into a stream of
// symbols; and an Aho-Corasick automaton over the lexicon's alphabet of runes,
// stored as a double array, runs over the symbols.
//
// It finds exactly the term occurrences that Normalize followed by the byte
// automaton finds (the tests and a fuzz target compare the two), except in one case
// it does not handle: a run of single spaced letters long enough to be joined
// ("p o l i c e"), which rewrites text already written. It then reports that it
// gave up, and the caller takes the reference path.
type fastMatcher struct {
	// syms holds the symbol of every rune that terms use, for runes outside tab.
	syms map[rune]uint16
	// uses lists, for output list o (da[s].out), one entry per use, as a member of a
	// rule's group, of each term that ends in state s: uses[useStart[o]:useStart[o+1]].
	uses     []outUse
	useStart []int32
	// outCats[o] is the set of the categories of the rules of output list o.
	outCats []Set
	// unless lists the same way the uses as unless or unless_after terms, for list
	// unlessOut[s]. They matter only once some rule has a hit in every group, so the
	// scan does not stop for them: it records the state of every normalised rune,
	// and they are read from there when needed.
	unless      []outUse
	unlessStart []int32
	unlessOut   []uint16
	// space is the symbol of the space written between words (0 if no term has one).
	space uint16

	// The tables below are arrays indexed by values that cannot exceed their size,
	// so no access needs a bounds check; they sit in the matcher itself, so that
	// one register reaches them all; and they come after every pointer, so that
	// the garbage collector does not scan them.

	// tab[r] describes BMP rune r once folded: its symbol (the low symBits; 0 when
	// no term uses the rune), its normClass, and whether it is an ASCII letter or
	// digit (a word byte, for the word boundaries of Latin terms).
	tab [0x10000]uint16
	// The automaton. State 0 is the root, whose transitions are the dense rootNext;
	// any other state s has its child on symbol c at t = da[s].base+c when
	// da[t].check is s+1, and otherwise continues from da[s].fail. da[s].out
	// indexes outs (0: none). A state's fields share a cache line.
	rootNext [1 << symBits]uint16
	da       [1 << 16]daState
}

// outUse is one use, by one rule, of a term that ends in some state.
type outUse struct {
	rule          int32
	runes         int32 // the term's length in normalised runes
	group         int8
	cat           Category // the rule's
	words, prefix bool     // as termInfo
}

const (
	symBits    = 12
	symMask    = 1<<symBits - 1
	classShift = symBits
	classMask  = 7
	wordFlag   = 1 << 15
)

// tabEntry is the table entry of folded rune f, of class class, with symbol sym.
func tabEntry(sym uint16, f rune, class normClass) uint16 {
	e := sym | uint16(class)<<classShift
	if f < utf8.RuneSelf && isWordByte(byte(f)) {
		e |= wordFlag
	}
	return e
}

// newFastMatcher builds the matcher for texts, the normalised text of each term,
// whose compiled form is terms.
func newFastMatcher(texts []string, terms []termInfo, rules []rule) (*fastMatcher, error) {
	m := &fastMatcher{}
	runes := make([]int32, len(texts)) // each term's length in normalised runes
	syms := map[rune]uint16{}
	for id, t := range texts {
		n := 0
		for _, r := range t {
			n++
			if syms[r] == 0 {
				if len(syms) == symMask {
					return nil, fmt.Errorf("screen: the lexicon uses more than %d distinct characters", symMask)
				}
				syms[r] = uint16(len(syms) + 1)
			}
		}
		runes[id] = int32(n)
	}
	ft := foldTables()
	for r := range rune(0x10000) {
		f, class := ft.lookup(r)
		m.tab[r] = tabEntry(syms[f], f, class)
	}
	// A surrogate is not a rune: its UTF-8 form is three invalid bytes, which
	// DecodeRune reads one at a time. Giving surrogates a class that hanScan leaves
	// to scan spares hanScan a test; scan never looks them up.
	for r := 0xD800; r <= 0xDFFF; r++ {
		m.tab[r] = tabEntry(0, rune(r), normWord)
	}
	m.syms = syms
	m.space = syms[' ']
	nsym := len(syms) + 1

	// The trie, then failure links and outputs breadth-first, as in newAutomaton.
	type node struct {
		next map[uint16]int
		out  []int32
	}
	nodes := []node{{next: map[uint16]int{}}}
	for id, t := range texts {
		s := 0
		for _, r := range t {
			c := syms[r]
			nx, ok := nodes[s].next[c]
			if !ok {
				nx = len(nodes)
				nodes[s].next[c] = nx
				nodes = append(nodes, node{next: map[uint16]int{}})
			}
			s = nx
		}
		nodes[s].out = append(nodes[s].out, int32(id))
	}
	sortedKeys := func(s int) []uint16 {
		keys := make([]uint16, 0, len(nodes[s].next))
		for c := range nodes[s].next {
			keys = append(keys, c)
		}
		slices.Sort(keys)
		return keys
	}
	fail := make([]int, len(nodes))
	order := make([]int, 0, len(nodes)) // breadth-first
	for _, c := range sortedKeys(0) {
		order = append(order, nodes[0].next[c])
	}
	for i := 0; i < len(order); i++ {
		s := order[i]
		nodes[s].out = append(nodes[s].out, nodes[fail[s]].out...)
		for _, c := range sortedKeys(s) {
			nx := nodes[s].next[c]
			f := fail[s]
			for f != 0 && nodes[f].next[c] == 0 {
				f = fail[f]
			}
			if g, ok := nodes[f].next[c]; ok && g != nx {
				fail[nx] = g
			}
			order = append(order, nx)
		}
	}

	// Place the trie in the double array: slot[s] is node s's index; the root is 0.
	// Each node's children go at the first base where all their slots are free,
	// found by trying the free slots in turn for the first child.
	slot := make([]int32, len(nodes))
	// Room for every slot a uint16 can name, and a row of symbols past the last.
	base := make([]int32, 1<<16+nsym)
	check := make([]int32, len(base))
	// nextFree finds the first free slot at or after p, skipping taken ones in
	// near-constant time (a union-find over runs of taken slots).
	skip := make([]int32, len(check)+1)
	for i := range skip {
		skip[i] = int32(i)
	}
	nextFree := func(p int) int {
		for int(skip[p]) != p {
			skip[p] = skip[skip[p]]
			p = int(skip[p])
		}
		return p
	}
	take := func(p int) { skip[p] = int32(p + 1) }
	take(0)
	top := 0 // the highest slot taken
	for _, s := range append([]int{0}, order...) {
		keys := sortedKeys(s)
		if len(keys) == 0 {
			continue
		}
		b := 0
	search:
		for p := nextFree(int(keys[0]) + 1); ; p = nextFree(p + 1) {
			if p+nsym >= len(check) {
				return nil, fmt.Errorf("screen: the lexicon is too large for the matcher (more than %d states)", math.MaxUint16)
			}
			b = p - int(keys[0])
			for _, c := range keys[1:] {
				if check[b+int(c)] != 0 {
					continue search
				}
			}
			break
		}
		base[slot[s]] = int32(b)
		for _, c := range keys {
			slot[nodes[s].next[c]] = int32(b + int(c))
			check[b+int(c)] = slot[s] + 1
			take(b + int(c))
		}
		top = max(top, b+int(keys[len(keys)-1]))
	}
	base, check = base[:top+nsym+1], check[:top+nsym+1]
	for c, nx := range nodes[0].next {
		m.rootNext[c] = uint16(slot[nx])
	}
	lists := 0 // at most one list of each kind per state
	for s := range nodes {
		if len(nodes[s].out) > 0 {
			lists++
		}
	}
	if len(check) > math.MaxUint16 || lists >= math.MaxUint16 {
		return nil, fmt.Errorf("screen: the lexicon is too large for the matcher (%d slots, %d output lists; at most %d each)",
			len(check), lists, math.MaxUint16)
	}
	for i := range check {
		m.da[i] = daState{check: uint16(check[i]), base: uint16(base[i])}
	}
	m.useStart = []int32{0, 0} // output list 0 is empty
	m.outCats = []Set{0}
	m.unlessStart = []int32{0, 0}
	m.unlessOut = make([]uint16, len(check))
	for s := 1; s < len(nodes); s++ {
		m.da[slot[s]].fail = uint16(slot[fail[s]])
		n, nu := len(m.uses), len(m.unless)
		for _, id := range nodes[s].out {
			t := &terms[id]
			for _, u := range t.uses {
				ou := outUse{rule: u.rule, runes: runes[id], group: u.group, cat: rules[u.rule].category, words: t.words, prefix: t.prefix}
				if u.group >= 0 {
					m.uses = append(m.uses, ou)
				} else {
					m.unless = append(m.unless, ou)
				}
			}
		}
		if len(m.uses) > n {
			m.da[slot[s]].out = uint16(len(m.useStart) - 1)
			m.useStart = append(m.useStart, int32(len(m.uses)))
			var cats Set
			for _, u := range m.uses[n:] {
				cats = cats.With(u.cat)
			}
			m.outCats = append(m.outCats, cats)
		}
		if len(m.unless) > nu {
			m.unlessOut[slot[s]] = uint16(len(m.unlessStart) - 1)
			m.unlessStart = append(m.unlessStart, int32(len(m.unless)))
		}
	}
	return m, nil
}

// daState is one slot of the double array, in 8 bytes so that the hot part of the
// automaton stays in the first-level cache.
type daState struct {
	check, base, fail, out uint16
}

// lookupSupp returns the table entry of a supplementary rune.
func (m *fastMatcher) lookupSupp(r rune) uint16 {
	f, class := foldTables().lookup(r)
	return tabEntry(m.syms[f], f, class)
}

// fastHits puts in sc.hits the hits of text's terms as members of the groups of
// rules of the categories in want (not their unless terms: see unlessHits), counts
// its Han and Latin letters, and reports true; or reports false, having changed
// only scratch space, when text has a run of single letters that Normalize would
// join.
func (s *Screener) fastHits(text string, sc *scratch, want Set) (han, latin int, ok bool) {
	m := s.lx.fast
	syms, ends, han, latin, ok := m.scan(text, sc.syms, sc.ends)
	sc.syms, sc.ends = syms, ends
	if !ok {
		return 0, 0, false
	}
	hits := sc.hits[:0]
	for _, j := range ends {
		o := m.da[syms[j].st].out
		if m.outCats[o]&want == 0 {
			continue
		}
		hits = found(hits, m.uses[m.useStart[o]:m.useStart[o+1]], int(j), syms, want)
	}
	sc.hits, sc.fast = hits, true
	return han, latin, true
}

// unlessHits appends to hits the hits of unless and unless_after terms, in the text
// fastHits last scanned, of the rules for which want reports true.
func (s *Screener) unlessHits(hits []ruleHit, syms []symAt, want func(rule int32) bool) []ruleHit {
	m := s.lx.fast
	for j, x := range syms {
		o := m.unlessOut[x.st]
		if o == 0 {
			continue
		}
		for _, u := range m.unless[m.unlessStart[o]:m.unlessStart[o+1]] {
			if want(u.rule) {
				hits = found(hits, []outUse{u}, j, syms, AllCategories)
			}
		}
	}
	return hits
}

// symAt is one normalised rune: its table entry, the automaton's state after it,
// and the index of the original rune it comes from.
type symAt struct {
	e, st uint16
	orig  int32
}

// scan normalises text as Normalize would, into syms's storage (the table entry and
// original index of each normalised rune), and runs the automaton over it,
// recording its state after each normalised rune.
//
// Its inner loop, hanScan, takes the common case, a three-byte rune (every Chinese
// character and punctuation mark) outside a Latin word; this loop handles every
// other rune.
func (m *fastMatcher) scan(text string, syms []symAt, ends []int32) (_ []symAt, _ []int32, han, latin int, ok bool) {
	// A rune writes at most itself and a space before it.
	if max := 2*len(text) + 1; cap(syms) < max || cap(ends) < max {
		syms, ends = make([]symAt, max), make([]int32, max)
	}
	out, ends := syms[:cap(syms)], ends[:cap(ends)]
	n, ne := 0, 0
	prevWord, inTok, tokLatin := false, false, false
	sepAt := int32(-1)
	tokRunes, runLen := 0, 0
	var ri int32 // index of the current rune in text
	var state uint16
	i := 0
	// emit writes one normalised rune and steps the automaton over it.
	emit := func(e uint16, at int32) {
		state = m.step(state, e&symMask)
		out[n] = symAt{e, state, at}
		if m.da[state].out != 0 {
			ends[ne] = int32(n)
			ne++
		}
		n++
	}
	for {
		if !inTok {
			n0 := n
			i, ri, n, sepAt, state, ne = m.hanScan(text, i, ri, out, n, sepAt, state, ends, ne)
			if n > n0 { // Han characters were written
				han += n - n0
				runLen, prevWord = 0, false
			}
		}
		if i >= len(text) {
			break
		}
		r, size := rune(text[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(text[i:])
		}
		i += size
		var e uint16
		if r < 0x10000 {
			e = m.tab[r]
		} else {
			e = m.lookupSupp(r)
		}
		switch class := normClass(e >> classShift & classMask); class {
		case normDrop:
		case normSep, normHan:
			if inTok {
				inTok = false
				if tokRunes != 1 || !tokLatin {
					runLen = 0
				} else if runLen++; runLen >= minSpacedLetters {
					return out[:n], ends[:ne], 0, 0, false
				}
			}
			if class == normSep {
				if sepAt < 0 {
					sepAt = ri
				}
				break
			}
			runLen, sepAt, prevWord = 0, -1, false
			han++
			emit(e, ri)
		default: // normLatin, normWord
			if !inTok {
				if sepAt >= 0 && prevWord {
					emit(m.space, sepAt)
				}
				sepAt = -1
				inTok, tokRunes, tokLatin = true, 0, class == normLatin
			}
			tokRunes++
			prevWord = true
			if class == normLatin {
				latin++
			}
			emit(e, ri)
		}
		ri++
	}
	if inTok && tokRunes == 1 && tokLatin && runLen+1 >= minSpacedLetters {
		return out[:n], ends[:ne], 0, 0, false
	}
	return out[:n], ends[:ne], han, latin, true
}

// step moves the automaton from state s on symbol c.
func (m *fastMatcher) step(s, c uint16) uint16 {
	if c == 0 {
		return 0
	}
	for s != 0 {
		st := &m.da[s]
		if t := st.base + c; m.da[t].check == s+1 {
			return t
		}
		s = st.fail
	}
	return m.rootNext[c]
}

// hanScan is scan's inner loop: from text[i], the ri-th rune, it writes to out[n:]
// the runs of Chinese characters, punctuation and invisible characters (three bytes
// each, outside a Latin word), steps the automaton from state over them, and
// returns where it stopped, before a rune it does not handle. It has few variables
// and calls nothing, so that they all stay in registers.
func (m *fastMatcher) hanScan(text string, i int, ri int32, out []symAt, n int, sepAt int32, state uint16, ends []int32, ne int) (int, int32, int, int32, uint16, int) {
	_ = m.tab[0] // one nil check, before the loop
	// Four bytes are read at once, so the last rune is left to the caller. out has
	// room for every rune of text.
	for i+3 < len(text) {
		b := text[i : i+4]
		w := uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
		if w&0xC0C0F0 != 0x8080E0 { // not 1110xxxx 10xxxxxx 10xxxxxx
			break
		}
		r := (w&0x0F)<<12 | (w>>2)&0xFC0 | (w>>16)&0x3F
		if r < 0x800 { // overlong (surrogates are in tab as runes hanScan leaves)
			break
		}
		e := m.tab[uint16(r)]
		if class := normClass(e >> classShift & classMask); class == normHan {
			sepAt = -1
			if c := e & symMask; c == 0 {
				state = 0
			} else {
				for {
					if state == 0 {
						state = m.rootNext[c]
						break
					}
					st := &m.da[state]
					if t := st.base + c; m.da[t].check == state+1 {
						state = t
						break
					}
					state = st.fail
				}
			}
			out[n] = symAt{e, state, ri}
			if m.da[state].out != 0 {
				ends[ne] = int32(n)
				ne++
			}
			n++
		} else if class == normSep {
			if sepAt < 0 {
				sepAt = ri
			}
		} else if class != normDrop {
			break
		}
		i += 3
		ri++
	}
	return i, ri, n, sepAt, state, ne
}

// found appends the hits of uses of categories in want, of terms that end at
// normalised rune j, that lie on word boundaries.
func found(hits []ruleHit, uses []outUse, j int, syms []symAt, want Set) []ruleHit {
	end := syms[j].orig + 1
	nextWord := j+1 < len(syms) && syms[j+1].e&wordFlag != 0
	for _, u := range uses {
		if !want.Has(u.cat) {
			continue
		}
		first := j + 1 - int(u.runes)
		if u.words && first > 0 && syms[first-1].e&wordFlag != 0 || !u.prefix && nextWord {
			continue
		}
		hits = append(hits, ruleHit{rule: u.rule, group: u.group, cat: u.cat, start: syms[first].orig, end: end})
	}
	return hits
}

// appendUses appends one hit per use of a term found at [start, end).
func (lx *lexicon) appendUses(hits []ruleHit, uses []use, start, end int32) []ruleHit {
	for _, u := range uses {
		hits = append(hits, ruleHit{rule: u.rule, group: u.group, cat: lx.rules[u.rule].category, start: start, end: end})
	}
	return hits
}
