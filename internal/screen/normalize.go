package screen

import (
	"fmt"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/longbridgeapp/opencc"
	"golang.org/x/text/unicode/norm"
)

// Normalized is a message prepared for matching, with a map back to the original.
//
// Normalize folds each rune (compatibility forms such as full-width, half-width,
// circled and mathematical letters; case; traditional to simplified Chinese), drops
// invisible runes, and reduces everything that is not a letter or number to word
// boundaries: nothing next to a Han character, one space between other words. Runs of
// at least minSpacedLetters single Latin letters ("p o l i c e") are joined.
//
// Terms to be matched against Text must be normalised the same way.
type Normalized struct {
	// Text is the normalised text (UTF-8).
	Text []byte
	// Orig[i] is the index, in runes of the original message, of the rune that
	// produced byte i of Text.
	Orig []int32
	// Han and Latin count the letters of each script in the original (for language detection).
	Han, Latin int
	// joined reports whether a run of spaced letters was joined.
	joined bool
}

// minSpacedLetters is the shortest run of single-letter Latin tokens that is joined
// into one word. The rule is "at least three consecutive single-letter tokens, and the
// joined word at least four letters"; as every token is one letter, that is a run of
// four. Three-letter runs stay spaced, so lawful text such as "a b c" or "Plan A or B"
// is left alone, and so are spaced three-letter acronyms ("F.B.I." becomes "f b i":
// a lexicon that needs them lists the spaced form).
const minSpacedLetters = 4

// Normalize fills n with the normalised form of s, reusing n's buffers (no allocation
// once they are large enough).
//
// Invalid UTF-8 bytes count as one rune each in Orig and act as separators.
func Normalize(s string, n *Normalized) {
	t := foldTables()
	st := normState{
		text:     n.Text[:0],
		orig:     n.Orig[:0],
		sepAt:    -1,
		tokStart: -1,
	}
	han, latin := 0, 0
	var ri int32 // index of the current rune in s
	if cap(st.text) < len(s) {
		st.text = make([]byte, 0, len(s)+len(s)/8)
		st.orig = make([]int32, 0, cap(st.text))
	}
	for i := 0; i < len(s); ri++ {
		r, size := rune(s[i]), 1
		switch {
		case r < utf8.RuneSelf:
		case r&0xF0 == 0xE0 && i+2 < len(s) && s[i+1]&0xC0 == 0x80 && s[i+2]&0xC0 == 0x80:
			// Three bytes, which is every Han character of the BMP: decoded inline.
			r, size = (r&0x0F)<<12|rune(s[i+1]&0x3F)<<6|rune(s[i+2]&0x3F), 3
			if r < 0x800 || (0xD800 <= r && r < 0xE000) { // overlong or a surrogate
				r, size = utf8.DecodeRuneInString(s[i:])
			}
		default:
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		i += size
		f, class := t.lookup(r)
		switch class {
		case normDrop:
		case normSep:
			if st.tokStart >= 0 {
				st.endToken()
			}
			if st.sepAt < 0 {
				st.sepAt = ri
			}
		case normHan:
			if st.tokStart >= 0 {
				st.endToken()
			}
			st.endRun()
			st.sepAt = -1
			st.emit(f, ri)
			st.prevWord = false
			han++
		default: // normLatin, normWord
			if st.tokStart < 0 {
				if st.sepAt >= 0 && st.prevWord {
					st.text = append(st.text, ' ')
					st.orig = append(st.orig, st.sepAt)
				}
				st.sepAt = -1
				st.tokStart = len(st.text)
				st.tokRunes = 0
				st.tokLatin = class == normLatin
			}
			st.emit(f, ri)
			st.tokRunes++
			st.prevWord = true
			if class == normLatin {
				latin++
			}
		}
	}
	if st.tokStart >= 0 {
		st.endToken()
	}
	st.endRun()
	n.Text, n.Orig, n.Han, n.Latin, n.joined = st.text, st.orig, han, latin, st.joined
}

// Span turns the byte range [start, end) of n.Text into the range [origStart, origEnd)
// of runes of the original message that produced it. An empty range maps to an empty
// range at the rune that produced byte start (or just after the last one).
func (n *Normalized) Span(start, end int) (origStart, origEnd int) {
	if start < end {
		return int(n.Orig[start]), int(n.Orig[end-1]) + 1
	}
	switch {
	case start < len(n.Orig):
		origStart = int(n.Orig[start])
	case len(n.Orig) > 0:
		origStart = int(n.Orig[len(n.Orig)-1]) + 1
	}
	return origStart, origStart
}

// normState is the state of one Normalize call: the output so far, the separator
// waiting to become a space, the current non-Han token and the run of single-letter
// Latin tokens that may be joined.
type normState struct {
	text []byte
	orig []int32
	// prevWord reports whether the last rune written was a non-Han letter or number,
	// the only case in which a separator becomes a space.
	prevWord bool
	// sepAt is the original index of the first separator since the last letter or
	// number, or -1.
	sepAt int32
	// tokStart is the offset in text of the current non-Han token, or -1.
	tokStart int
	tokRunes int
	tokLatin bool // the token's first rune is a Latin letter
	// text[runStart:runEnd] holds runLen single-letter tokens with one space between each.
	runStart, runEnd, runLen int
	joined                   bool
}

func (st *normState) emit(r rune, at int32) {
	if r < utf8.RuneSelf {
		st.text = append(st.text, byte(r))
		st.orig = append(st.orig, at)
		return
	}
	if 0x800 <= r && r < 0x10000 {
		st.text = append(st.text, byte(0xE0|r>>12), byte(0x80|(r>>6)&0x3F), byte(0x80|r&0x3F))
		st.orig = append(st.orig, at, at, at)
		return
	}
	st.text = utf8.AppendRune(st.text, r)
	for len(st.orig) < len(st.text) {
		st.orig = append(st.orig, at)
	}
}

// endToken closes the current non-Han token, adding it to the run of single letters
// or ending that run.
func (st *normState) endToken() {
	start := st.tokStart
	st.tokStart = -1
	if st.tokRunes != 1 || !st.tokLatin {
		st.endRun()
		return
	}
	if st.runLen == 0 {
		st.runStart = start
	}
	st.runLen++
	st.runEnd = len(st.text)
}

// endRun joins the run of single letters if it is long enough, closing up whatever
// follows it.
func (st *normState) endRun() {
	if st.runLen >= minSpacedLetters {
		st.joined = true
		w := st.runStart
		for i := st.runStart; i < len(st.text); i++ {
			if i < st.runEnd && st.text[i] == ' ' {
				continue
			}
			st.text[w], st.orig[w] = st.text[i], st.orig[i]
			w++
		}
		st.text, st.orig = st.text[:w], st.orig[:w]
	}
	st.runLen = 0
}

// normClass says what Normalize does with a folded rune.
type normClass uint8

const (
	normSep   normClass = iota // not a letter or number: a word boundary
	normDrop                   // invisible: removed without breaking a word
	normHan                    // Han letter or number
	normLatin                  // Latin letter
	normWord                   // any other letter or number
)

// classifyRune returns the class of a folded rune. Format characters (zero-width
// spaces and joiners, BOM, soft hyphen, bidirectional controls, tags), other default
// ignorable code points (Hangul fillers, combining grapheme joiner), combining marks
// (so that stacked diacritics, variation selectors or strike-through cannot split a
// word) and control characters other than white space are invisible.
func classifyRune(r rune) normClass {
	switch {
	case unicode.Is(unicode.Cf, r),
		unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r),
		unicode.IsMark(r),
		unicode.IsControl(r) && !unicode.IsSpace(r):
		return normDrop
	case !unicode.IsLetter(r) && !unicode.IsNumber(r):
		return normSep
	case unicode.Is(unicode.Han, r):
		return normHan
	case unicode.IsLetter(r) && (r < utf8.RuneSelf || unicode.Is(unicode.Latin, r)):
		return normLatin
	}
	return normWord
}

// folder computes the form of a rune that Normalize writes.
type folder struct {
	t2s map[rune]rune // traditional to simplified Chinese
	buf []byte        // scratch for NFKC look-ups
}

// fold returns the form of r that Normalize writes: its NFKC compatibility mapping
// when that is a single rune (full-width and half-width forms, the ideographic space,
// circled and mathematical letters, superscript digits, Kangxi radicals and
// compatibility ideographs), lower case (via upper case, so that ſ, K and ς fold with
// s, k and σ), and the simplified form of a traditional character, repeated until
// nothing changes. Chinese numerals are letters and are left alone.
func (fo *folder) fold(r rune) rune {
	for range 4 {
		f := unicode.ToLower(unicode.ToUpper(fo.compat(r)))
		if v, ok := fo.t2s[f]; ok {
			f = v
		}
		if f == r {
			break
		}
		r = f
	}
	return r
}

// compat returns the NFKC form of r if that is a single rune, else r.
func (fo *folder) compat(r rune) rune {
	fo.buf = utf8.AppendRune(fo.buf[:0], r)
	if norm.NFKC.Properties(fo.buf).Decomposition() == nil {
		return r
	}
	k := norm.NFKC.Bytes(fo.buf)
	f, size := utf8.DecodeRune(k)
	if size != len(k) {
		return r
	}
	return f
}

// foldTable holds folder.fold and classifyRune precomputed: bmp[r] is the folded rune
// in the low 21 bits and its class in the top byte; supp holds the supplementary runes
// that fold to something else (their class is computed when needed).
type foldTable struct {
	bmp  [0x10000]uint32
	supp map[rune]rune
}

func (t *foldTable) lookup(r rune) (rune, normClass) {
	if r < 0x10000 {
		e := t.bmp[r]
		return rune(e & 0x1FFFFF), normClass(e >> 24)
	}
	if f, ok := t.supp[r]; ok {
		r = f
	}
	return r, classifyRune(r)
}

// foldTables builds the fold table on first use: about 25 ms on one core, of which
// OpenCC's dictionaries take 4 (see BenchmarkFoldTableBuild).
var foldTables = sync.OnceValue(func() *foldTable {
	t2s, err := loadT2S()
	if err != nil {
		panic(err)
	}
	return buildFoldTable(t2s)
})

func buildFoldTable(t2s map[rune]rune) *foldTable {
	fo := &folder{t2s: t2s}
	t := &foldTable{supp: make(map[rune]rune)}
	for r := range rune(len(t.bmp)) {
		f := fo.fold(r)
		t.bmp[r] = uint32(f) | uint32(classifyRune(f))<<24
	}
	add := func(r rune) {
		if f := fo.fold(r); f != r {
			t.supp[r] = f
		}
	}
	// Outside the BMP, compatibility mappings and case exist only in plane 1 and the
	// CJK compatibility ideographs supplement; the rest is traditional characters.
	for r := rune(0x10000); r < 0x20000; r++ {
		add(r)
	}
	for r := rune(0x2F800); r < 0x2FA20; r++ {
		add(r)
	}
	for r := range t2s {
		if r >= 0x10000 {
			add(r)
		}
	}
	return t
}

// loadT2S reads OpenCC's traditional-to-simplified character table (TSCharacters),
// keeping the first candidate of each single-character entry.
func loadT2S() (map[rune]rune, error) {
	const dict = "TSCharacters.ocd2"
	cc, err := opencc.New("t2s")
	if err != nil {
		return nil, fmt.Errorf("screen: loading OpenCC t2s: %w", err)
	}
	m := make(map[rune]rune, 4200)
	for _, g := range cc.DictChains {
		for i, file := range g.Files {
			if file != dict {
				continue
			}
			d := g.Dicts[i]
			for _, id := range d.Trie.PrefixPredict(nil, 0) {
				key, err := d.Trie.Key(id)
				if err != nil {
					return nil, fmt.Errorf("screen: reading OpenCC %s: %w", dict, err)
				}
				v, err := d.Trie.Value(id)
				if err != nil {
					return nil, fmt.Errorf("screen: reading OpenCC %s entry %q: %w", dict, key, err)
				}
				from, n := utf8.DecodeRune(key)
				if n != len(key) || len(d.Values[v]) == 0 {
					continue
				}
				cand := d.Values[v][0]
				to, n := utf8.DecodeRuneInString(cand)
				if n != len(cand) || to == from {
					continue
				}
				m[from] = to
			}
		}
	}
	if len(m) == 0 {
		return nil, fmt.Errorf("screen: OpenCC t2s has no %s entries", dict)
	}
	return m, nil
}
