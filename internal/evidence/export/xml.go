package export

import (
	"bytes"
	"encoding/binary"
	"io"
	"math"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// This file is a streaming scanner for the XML that SMS Backup & Restore
// writes. It accepts every document encoding/xml accepts in strict mode, with
// the same structure and attribute values, and also some that encoding/xml
// refuses but a phone writes:
//
//   - invalid UTF-8, and characters XML does not allow (control characters,
//     &#0;, U+FFFE), in attribute values, which it reads as U+FFFD;
//   - an emoji written as a pair of UTF-16 surrogate references
//     (&#55357;&#56832;), which it reads as the one character (encoding/xml
//     reads each half as U+FFFD);
//   - text that encoding/xml would refuse (invalid UTF-8, "]]>"), which it
//     does not read at all.
//
// What it refuses, as encoding/xml does: a tag that is not closed, an end tag
// that does not match, '<' in an attribute value, an entity reference other
// than the five XML predefines and numeric ones, an unquoted attribute value,
// a comment with "--" in it, and a file that ends inside an element. Beyond
// encoding/xml it also refuses what XML forbids and encoding/xml lets through:
// a second root element, and text other than white space outside the root.
//
// Unlike encoding/xml it never copies a value it does not need: a tag is
// parsed in place in the input buffer, and only the attributes that make a
// record are decoded. Attribute values keep literal tabs and newlines, as
// encoding/xml does (XML would turn them into spaces; SMS Backup writes
// newlines as &#10;), and like encoding/xml the first of two attributes with
// one name is not an error; the first one is used.

// elemClass is what an element is to the reader.
type elemClass uint8

const (
	elOther elemClass = iota // skipped with its content
	elSMS                    // <sms> in <smses>
	elMMS                    // <mms> in <smses>
	elCall                   // <call> in <calls>
	elPart                   // <part> inside an <mms>
)

// The attributes a record is made from.
const (
	atAddress = iota
	atDate
	atType
	atBody
	atContact
	atMsgBox
	atNumber
	atDuration
	atCT
	atText
	nAttr
)

// span is where an attribute value is in the tag being parsed.
type span struct {
	start, end int
	set        bool
}

// openElem is an open XML element.
type openElem struct {
	nameEnd int // its name is xmlState.names[previous nameEnd:nameEnd]
	line    int
}

// xmlState is the state of the XML scanner between calls to Next.
type xmlState struct {
	open       []openElem
	names      []byte
	rootClosed bool

	attrs [nAttr]span // the wanted attributes of the tag just parsed

	// The MMS being read: mmsDepth is its depth (0 if none), mmsSkip is set
	// when it had an error, mms is its record and mmsText its text so far.
	mmsDepth int
	mmsSkip  bool
	mms      Record
	mmsText  []byte

	scratch []byte // for decoding values
}

type event uint8

const (
	evNone   event = iota // nothing to return yet
	evRecord              // a record
	evRoot                // the root element has been read (for Open)
)

// Byte classes.
var (
	nameByte  [256]bool // bytes of XML names, as encoding/xml reads them
	valueStop [256]bool // bytes that end the fast scan of an attribute value
)

func init() {
	for c := 0; c < 256; c++ {
		b := byte(c)
		nameByte[c] = 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' ||
			b == '_' || b == ':' || b == '.' || b == '-' || b >= utf8.RuneSelf
	}
	for _, b := range []byte{'"', '\'', '<', '&'} {
		valueStop[b] = true
	}
}

// openXML reads the prolog and the root element's start tag.
func (r *Reader) openXML() error {
	for {
		_, ev, err := r.step()
		if err != nil {
			return err
		}
		if ev == evRoot {
			return nil
		}
	}
}

// nextXML returns the next record.
func (r *Reader) nextXML() (Record, error) {
	for {
		rec, ev, err := r.step()
		if err != nil {
			return Record{}, err
		}
		if ev == evRecord {
			return rec, nil
		}
	}
}

// step reads one piece of the document: some text, or one piece of markup.
func (r *Reader) step() (Record, event, error) {
	data := r.buf[r.r:r.w]
	if len(data) == 0 {
		if r.fill() {
			return Record{}, evNone, nil
		}
		return Record{}, evNone, r.endXML()
	}
	if data[0] != '<' {
		return Record{}, evNone, r.text(data)
	}
	var (
		n         int
		err       error
		nameEnd   int
		selfClose bool
		cls       elemClass
		kind      byte
	)
	if len(data) >= 2 {
		kind = data[1]
		switch kind {
		case '/':
			n, err = r.scanEnd(data)
		case '?':
			n, err = r.scanProcInst(data)
		case '!':
			n, err = r.scanBang(data)
		default:
			n, nameEnd, selfClose, cls, err = r.scanStart(data)
		}
	}
	if err != nil {
		return Record{}, evNone, err
	}
	if n == 0 {
		return Record{}, evNone, r.more(data)
	}
	line := r.line
	r.line += bytes.Count(data[:n], newline)
	r.r += n
	tag := data[:n]
	switch kind {
	case '/':
		return r.endElement(tag, line)
	case '?':
		return Record{}, evNone, nil
	case '!':
		if len(r.x.open) == 0 && tag[2] == '[' && !allSpace(tag[9:n-3]) {
			return Record{}, evNone, r.fatal(line, r.elem(), "text outside the root element")
		}
		return Record{}, evNone, nil
	}
	return r.startElement(tag, nameEnd, selfClose, cls, line)
}

var newline = []byte{'\n'}

// more reads more input when data (buf[r:w]) ends inside a piece of markup;
// at the end of the input it returns the error that the markup is not
// finished.
func (r *Reader) more(data []byte) error {
	if r.full() {
		return r.fatal(r.line, r.markupElem(data), "%s is larger than %s", markupWhat(data), sizeString(r.max))
	}
	if r.fill() {
		return nil
	}
	data = r.buf[r.r:r.w] // fill may have moved it
	endLine := r.line + bytes.Count(data, newline)
	if r.rerr != nil {
		return r.readError(endLine)
	}
	return r.fatal(endLine, r.markupElem(data), "unexpected end of file inside %s (the file is truncated)", markupWhat(data))
}

func (r *Reader) readError(line int) error {
	pe := r.fatal(line, r.elem(), "read error: %v", r.rerr)
	pe.Err = r.rerr
	return pe
}

// markupWhat says what the markup at the start of data is, for a message.
func markupWhat(data []byte) string {
	if len(data) < 2 {
		return "a tag"
	}
	switch data[1] {
	case '/':
		return "the end tag </" + string(data[2:2+nameLen(data[2:])]) + ">"
	case '?':
		return "a processing instruction"
	case '!':
		switch {
		case len(data) > 2 && data[2] == '-':
			return "a comment"
		case len(data) > 2 && data[2] == '[':
			return "a CDATA section"
		}
		return "a <!DOCTYPE> or other declaration"
	}
	return "the tag <" + string(data[1:1+nameLen(data[1:])]) + ">"
}

// markupElem is the element a problem with the markup at the start of data
// is in: the tag's own element for a start tag, else the open element.
func (r *Reader) markupElem(data []byte) string {
	if len(data) >= 2 && data[1] != '/' && data[1] != '?' && data[1] != '!' {
		if n := nameLen(data[1:]); n > 0 {
			return string(data[1 : 1+n])
		}
	}
	return r.elem()
}

// elem is the innermost open element's name, or "document" outside the root.
func (r *Reader) elem() string {
	if n := len(r.x.open); n > 0 {
		return string(r.openName(n - 1))
	}
	return "document"
}

func (r *Reader) openName(i int) []byte {
	start := 0
	if i > 0 {
		start = r.x.open[i-1].nameEnd
	}
	return r.x.names[start:r.x.open[i].nameEnd]
}

func nameLen(b []byte) int {
	n := 0
	for n < len(b) && nameByte[b[n]] {
		n++
	}
	return n
}

// endXML is called at the end of the input, outside any markup.
func (r *Reader) endXML() error {
	if r.rerr != nil {
		return r.readError(r.line)
	}
	if n := len(r.x.open); n > 0 {
		return r.fatal(r.line, r.elem(), "unexpected end of file: the element from line %d is not closed (the file is truncated)", r.x.open[n-1].line)
	}
	if !r.x.rootClosed {
		return r.fatal(r.line, "document", "no root element: not an SMS Backup & Restore export")
	}
	return io.EOF
}

// text reads text, up to the next '<' or the end of the buffer. Text is not
// part of any record, but outside the root element it must be white space,
// and everywhere its entity references must be valid.
func (r *Reader) text(data []byte) error {
	n := bytes.IndexByte(data, '<')
	if n < 0 {
		n = len(data)
		// Keep an entity reference that the end of the buffer may cut.
		if j := bytes.LastIndexByte(data, '&'); j >= 0 && !r.eof && bytes.IndexByte(data[j:], ';') < 0 {
			n = j
			if n == 0 {
				if r.full() {
					return r.fatal(r.line, r.elem(), "an entity reference is larger than %s", sizeString(r.max))
				}
				r.fill() // at the end of the input, the next call reports the reference
				return nil
			}
		}
	}
	t := data[:n]
	outside := len(r.x.open) == 0
	if outside || bytes.IndexByte(t, '&') >= 0 {
		for i := 0; i < len(t); {
			c := t[i]
			if c == '&' {
				ch, m, ok := entity(t[i:])
				if !ok {
					return r.badEntity(t, i, "")
				}
				if outside && (ch >= utf8.RuneSelf || !isSpace(byte(ch))) {
					return r.fatal(r.line+bytes.Count(t[:i], newline), r.elem(), "text outside the root element")
				}
				i += m
				continue
			}
			if outside && !isSpace(c) {
				return r.fatal(r.line+bytes.Count(t[:i], newline), r.elem(), "text outside the root element")
			}
			i++
		}
	}
	r.line += bytes.Count(t, newline)
	r.r += n
	return nil
}

// badEntity returns the error for the invalid entity reference at b[i:],
// inside the value of attribute attr if attr is not "".
func (r *Reader) badEntity(b []byte, i int, attr string) error {
	ref := b[i:]
	if j := bytes.IndexAny(ref[1:], "&<>\"' \t\r\n;"); j >= 0 {
		if ref[1+j] == ';' {
			j++
		}
		ref = ref[:1+j]
	}
	where := ""
	if attr != "" {
		where = " in the value of " + attr
	}
	return r.fatal(r.line+bytes.Count(b[:i], newline), r.elem(), "invalid entity reference %s%s (want &amp; &lt; &gt; &quot; &apos; or &#N;)", quoteValue(string(ref)), where)
}

// entity reads the entity or character reference at the start of b (b[0] is
// '&') as encoding/xml does: one of the five predefined entities, or &#N; or
// &#xH; (lowercase x) for N up to 0x10FFFF. It returns the character and the
// reference's length; ok is false if b does not start with a valid and
// complete reference. A surrogate is returned as it is, and a number that is
// not a character XML allows is returned too: the caller decides.
func entity(b []byte) (ch rune, n int, ok bool) {
	if len(b) < 2 {
		return 0, 0, false
	}
	if b[1] == '#' {
		i := 2
		base := rune(10)
		if i < len(b) && b[i] == 'x' {
			base = 16
			i++
		}
		start := i
		big := false
		for ; i < len(b); i++ {
			c := b[i]
			var d rune
			switch {
			case '0' <= c && c <= '9':
				d = rune(c - '0')
			case base == 16 && 'a' <= c && c <= 'f':
				d = rune(c-'a') + 10
			case base == 16 && 'A' <= c && c <= 'F':
				d = rune(c-'A') + 10
			default:
				d = -1
			}
			if d < 0 {
				break
			}
			if !big {
				ch = ch*base + d
				big = ch > utf8.MaxRune
			}
		}
		if i == len(b) || b[i] != ';' || i == start || big {
			return 0, 0, false
		}
		return ch, i + 1, true
	}
	i := 1
	for i < len(b) && nameByte[b[i]] {
		i++
	}
	if i == len(b) || b[i] != ';' {
		return 0, 0, false
	}
	switch string(b[1:i]) {
	case "lt":
		ch = '<'
	case "gt":
		ch = '>'
	case "amp":
		ch = '&'
	case "apos":
		ch = '\''
	case "quot":
		ch = '"'
	default:
		return 0, 0, false
	}
	return ch, i + 1, true
}

// isXMLChar reports whether XML allows c in a document.
func isXMLChar(c rune) bool {
	return c == 0x09 || c == 0x0A || c == 0x0D || 0x20 <= c && c <= 0xD7FF ||
		0xE000 <= c && c <= 0xFFFD || 0x10000 <= c && c <= utf8.MaxRune
}

// plainValue reports whether an attribute value can be used as it is: no
// references, no carriage returns, nothing but valid UTF-8 of characters XML
// allows.
func plainValue(v []byte) bool {
	high := false
	for _, c := range v {
		if c < 0x20 {
			if c != '\t' && c != '\n' {
				return false
			}
		} else if c == '&' {
			return false
		} else if c >= utf8.RuneSelf {
			high = true
		}
	}
	if !high {
		return true
	}
	// Valid UTF-8 has no surrogates and nothing beyond U+10FFFF; of the
	// characters XML does not allow, that leaves U+FFFE and U+FFFF.
	return utf8.Valid(v) && !bytes.Contains(v, []byte("\xEF\xBF\xBE")) && !bytes.Contains(v, []byte("\xEF\xBF\xBF"))
}

// appendValue appends the value of an attribute to dst: references replaced,
// a pair of references to UTF-16 surrogates joined into one character, a
// literal "\r\n" or "\r" read as "\n", and invalid UTF-8 and characters that
// XML does not allow replaced by U+FFFD. v has been checked by scanStart.
func appendValue(dst, v []byte) []byte {
	for i := 0; i < len(v); {
		c := v[i]
		switch {
		case c == '&':
			ch, n, ok := entity(v[i:])
			if !ok { // cannot happen: scanStart checked the references
				dst = append(dst, "\uFFFD"...)
				i++
				continue
			}
			i += n
			if utf16.IsSurrogate(ch) && ch < 0xDC00 && i < len(v) && v[i] == '&' {
				if lo, n2, ok := entity(v[i:]); ok && 0xDC00 <= lo && lo <= 0xDFFF {
					ch = utf16.DecodeRune(ch, lo)
					i += n2
				}
			}
			if !isXMLChar(ch) {
				ch = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, ch)
		case c == '\r':
			dst = append(dst, '\n')
			i++
			if i < len(v) && v[i] == '\n' {
				i++
			}
		case c < utf8.RuneSelf:
			if c < 0x20 && c != '\t' && c != '\n' {
				dst = append(dst, "\uFFFD"...)
			} else {
				dst = append(dst, c)
			}
			i++
		default:
			ch, n := utf8.DecodeRune(v[i:])
			if !isXMLChar(ch) {
				ch = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, ch)
			i += n
		}
	}
	return dst
}

// scanStart scans the start tag at the front of data. It records the spans
// of the attributes that the element's class wants in r.x.attrs. It returns
// the tag's length, or 0 if data ends inside it.
func (r *Reader) scanStart(data []byte) (n, nameEnd int, selfClose bool, cls elemClass, err error) {
	i := 1
	for i < len(data) && nameByte[data[i]] {
		i++
	}
	if i == len(data) {
		return 0, 0, false, 0, nil
	}
	if i == 1 {
		return 0, 0, false, 0, r.fatal(r.line+bytes.Count(data[:1], newline), r.elem(), "%s after \"<\" (want an element name)", quoteValue(string(data[1:2])))
	}
	nameEnd = i
	name := data[1:nameEnd]
	cls = r.classify(name)
	if cls != elOther {
		r.x.attrs = [nAttr]span{}
	}
	for {
		for i < len(data) && isSpace(data[i]) {
			i++
		}
		if i == len(data) {
			return 0, 0, false, 0, nil
		}
		switch data[i] {
		case '>':
			return i + 1, nameEnd, false, cls, nil
		case '/':
			if i+1 == len(data) {
				return 0, 0, false, 0, nil
			}
			if data[i+1] != '>' {
				return 0, 0, false, 0, r.tagError(data, i, "\"/\" not followed by \">\"")
			}
			return i + 2, nameEnd, true, cls, nil
		}
		ns := i
		for i < len(data) && nameByte[data[i]] {
			i++
		}
		if i == len(data) {
			return 0, 0, false, 0, nil
		}
		if i == ns {
			return 0, 0, false, 0, r.tagError(data, i, "unexpected %s in the tag (want an attribute name, \">\" or \"/>\")", quoteValue(string(data[i:i+1])))
		}
		ne := i
		for i < len(data) && isSpace(data[i]) {
			i++
		}
		if i == len(data) {
			return 0, 0, false, 0, nil
		}
		if data[i] != '=' {
			return 0, 0, false, 0, r.tagError(data, i, "attribute %s has no value", data[ns:ne])
		}
		i++
		for i < len(data) && isSpace(data[i]) {
			i++
		}
		if i == len(data) {
			return 0, 0, false, 0, nil
		}
		q := data[i]
		if q != '"' && q != '\'' {
			return 0, 0, false, 0, r.tagError(data, i, "the value of attribute %s is not in quotes", data[ns:ne])
		}
		i++
		vs := i
		amp := false
		// Skip eight bytes at a time while none of them is the quote, '<'
		// or '&'.
		qs := lsb * uint64(q)
		for i+8 <= len(data) {
			x := binary.LittleEndian.Uint64(data[i:])
			if hasZeroByte(x^qs)|hasZeroByte(x^(lsb*'<'))|hasZeroByte(x^(lsb*'&')) != 0 {
				break
			}
			i += 8
		}
		for i < len(data) {
			c := data[i]
			if !valueStop[c] {
				i++
				continue
			}
			if c == q {
				break
			}
			if c == '<' {
				return 0, 0, false, 0, r.tagError(data, i, "\"<\" in the value of attribute %s", data[ns:ne])
			}
			if c == '&' {
				amp = true
			}
			i++
		}
		if i == len(data) {
			return 0, 0, false, 0, nil
		}
		ve := i
		i++
		if amp {
			for j := vs; ; {
				k := bytes.IndexByte(data[j:ve], '&')
				if k < 0 {
					break
				}
				_, m, ok := entity(data[j+k : ve])
				if !ok {
					return 0, 0, false, 0, r.badEntityIn(data, j+k, ve, data[ns:ne])
				}
				j += k + m
			}
		}
		if cls != elOther {
			if id := attrID(cls, data[ns:ne]); id >= 0 && !r.x.attrs[id].set {
				r.x.attrs[id] = span{vs, ve, true}
			}
		}
	}
}

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// hasZeroByte reports (non-zero) whether one of the eight bytes of x is 0.
func hasZeroByte(x uint64) uint64 { return (x - lsb) &^ x & msb }

// badEntityIn is badEntity for a reference at data[i:] in an attribute value
// that ends at data[end].
func (r *Reader) badEntityIn(data []byte, i, end int, attr []byte) error {
	err := r.badEntity(data[:end], i, string(attr))
	if pe, ok := err.(*ParseError); ok && len(data) > 1 {
		if n := nameLen(data[1:]); n > 0 {
			pe.Elem = string(data[1 : 1+n])
		}
	}
	return err
}

// tagError is a fatal error at data[i] in the start tag at the front of data.
func (r *Reader) tagError(data []byte, i int, format string, args ...any) error {
	return r.fatal(r.line+bytes.Count(data[:i], newline), string(data[1:1+nameLen(data[1:])]), format, args...)
}

// classify says what an element with the given name is, where it is.
func (r *Reader) classify(name []byte) elemClass {
	switch len(r.x.open) {
	case 0:
		return elOther
	case 1:
		if r.format == FormatSMSXML {
			switch string(name) {
			case "sms":
				return elSMS
			case "mms":
				return elMMS
			}
		} else if string(name) == "call" {
			return elCall
		}
		return elOther
	}
	if r.x.mmsDepth > 0 && !r.x.mmsSkip && string(name) == "part" {
		return elPart
	}
	return elOther
}

// attrID returns the index of an attribute that an element of class cls is
// made from, or -1.
func attrID(cls elemClass, name []byte) int {
	switch cls {
	case elSMS:
		switch string(name) {
		case "address":
			return atAddress
		case "date":
			return atDate
		case "type":
			return atType
		case "body":
			return atBody
		case "contact_name":
			return atContact
		}
	case elMMS:
		switch string(name) {
		case "address":
			return atAddress
		case "date":
			return atDate
		case "msg_box":
			return atMsgBox
		case "contact_name":
			return atContact
		}
	case elCall:
		switch string(name) {
		case "number":
			return atNumber
		case "date":
			return atDate
		case "type":
			return atType
		case "duration":
			return atDuration
		case "contact_name":
			return atContact
		}
	case elPart:
		switch string(name) {
		case "ct":
			return atCT
		case "text":
			return atText
		}
	}
	return -1
}

// scanEnd scans the end tag at the front of data.
func (r *Reader) scanEnd(data []byte) (int, error) {
	i := 2
	for i < len(data) && nameByte[data[i]] {
		i++
	}
	if i == len(data) {
		return 0, nil
	}
	if i == 2 {
		return 0, r.fatal(r.line, r.elem(), "%s after \"</\" (want an element name)", quoteValue(string(data[2:3])))
	}
	nameEnd := i
	for i < len(data) && isSpace(data[i]) {
		i++
	}
	if i == len(data) {
		return 0, nil
	}
	if data[i] != '>' {
		return 0, r.fatal(r.line+bytes.Count(data[:i], newline), r.elem(), "unexpected %s in the end tag </%s> (want \">\")", quoteValue(string(data[i:i+1])), data[2:nameEnd])
	}
	return i + 1, nil
}

// scanProcInst scans the processing instruction (or XML declaration) at the
// front of data.
func (r *Reader) scanProcInst(data []byte) (int, error) {
	i := 2
	for i < len(data) && nameByte[data[i]] {
		i++
	}
	if i == len(data) {
		return 0, nil
	}
	if i == 2 {
		return 0, r.fatal(r.line, r.elem(), "%s after \"<?\" (want a name)", quoteValue(string(data[2:3])))
	}
	j := bytes.Index(data[i:], []byte("?>"))
	if j < 0 {
		return 0, nil
	}
	return i + j + 2, nil
}

// scanBang scans the comment, CDATA section or declaration (<!DOCTYPE ...>)
// at the front of data, as encoding/xml does.
func (r *Reader) scanBang(data []byte) (int, error) {
	if len(data) < 3 {
		return 0, nil
	}
	switch data[2] {
	case '-':
		if len(data) < 4 {
			return 0, nil
		}
		if data[3] != '-' {
			return 0, r.fatal(r.line, r.elem(), "\"<!-\" not followed by \"-\"")
		}
		j := bytes.Index(data[4:], []byte("--"))
		if j < 0 || 4+j+2 >= len(data) {
			return 0, nil
		}
		if data[4+j+2] != '>' {
			return 0, r.fatal(r.line+bytes.Count(data[:4+j], newline), r.elem(), "\"--\" inside a comment")
		}
		return 4 + j + 3, nil
	case '[':
		const cdata = "CDATA["
		for k := 0; k < len(cdata); k++ {
			if 3+k == len(data) {
				return 0, nil
			}
			if data[3+k] != cdata[k] {
				return 0, r.fatal(r.line, r.elem(), "\"<![\" not followed by \"CDATA[\"")
			}
		}
		j := bytes.Index(data[9:], []byte("]]>"))
		if j < 0 {
			return 0, nil
		}
		return 9 + j + 3, nil
	}
	// A declaration: quoted '<' and '>' do not count, unquoted ones nest,
	// and comments in it are skipped. The byte after "<!" is not looked at.
	i := 3
	var inquote byte
	depth := 0
	var pending byte
	havePending := false
	for {
		var b byte
		if havePending {
			b, havePending = pending, false
		} else {
			if i == len(data) {
				return 0, nil
			}
			b = data[i]
			i++
			if inquote == 0 && b == '>' && depth == 0 {
				return i, nil
			}
		}
		switch {
		case b == inquote:
			inquote = 0
		case inquote != 0:
		case b == '\'' || b == '"':
			inquote = b
		case b == '>':
			depth--
		case b == '<':
			const comment = "!--"
			k := 0
			for ; k < len(comment); k++ {
				if i == len(data) {
					return 0, nil
				}
				c := data[i]
				i++
				if c != comment[k] {
					depth++
					pending, havePending = c, true
					break
				}
			}
			if k == len(comment) {
				j := bytes.Index(data[i:], []byte("-->"))
				if j < 0 {
					return 0, nil
				}
				i += j + 3
			}
		}
	}
}

// startElement acts on a start tag.
func (r *Reader) startElement(tag []byte, nameEnd int, selfClose bool, cls elemClass, line int) (Record, event, error) {
	x := &r.x
	name := tag[1:nameEnd]
	if len(x.open) == 0 {
		if x.rootClosed {
			return Record{}, evNone, r.fatal(line, string(name), "a second root element (an XML file has one)")
		}
		switch string(name) {
		case "smses":
			r.format = FormatSMSXML
		case "calls":
			r.format = FormatCallXML
		default:
			return Record{}, evNone, r.fatal(line, string(name), "the root element is <%s>, not <smses> (SMS Backup & Restore messages) or <calls> (its call log)", name)
		}
		if selfClose {
			x.rootClosed = true
		} else if err := r.push(name, line); err != nil {
			return Record{}, evNone, err
		}
		return Record{}, evRoot, nil
	}
	if !selfClose {
		if err := r.push(name, line); err != nil {
			return Record{}, evNone, err
		}
	}
	switch cls {
	case elSMS:
		rec, err := r.smsRecord(tag, line)
		if err != nil {
			return Record{}, evNone, err
		}
		return rec, evRecord, nil
	case elCall:
		rec, err := r.callRecord(tag, line)
		if err != nil {
			return Record{}, evNone, err
		}
		return rec, evRecord, nil
	case elMMS:
		rec, err := r.mmsRecord(tag, line)
		if selfClose {
			if err != nil {
				return Record{}, evNone, err
			}
			return rec, evRecord, nil
		}
		x.mmsDepth = len(x.open)
		x.mmsSkip = err != nil
		x.mms = rec
		x.mmsText = x.mmsText[:0]
		if err != nil {
			return Record{}, evNone, err
		}
	case elPart:
		if !r.textPart(tag) {
			break
		}
		t := r.attrBytes(tag, atText)
		if len(x.mmsText)+1+len(t) > r.max {
			return Record{}, evNone, r.fatal(line, "mms", "the text of the message is larger than %s", sizeString(r.max))
		}
		if len(x.mmsText) > 0 {
			x.mmsText = append(x.mmsText, '\n')
		}
		x.mmsText = append(x.mmsText, t...)
	}
	return Record{}, evNone, nil
}

// textPart reports whether the part tag just scanned is text with a value.
func (r *Reader) textPart(tag []byte) bool {
	a := r.x.attrs
	if !a[atText].set || !a[atCT].set {
		return false
	}
	ct := r.attrString(tag, atCT)
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	if !strings.EqualFold(strings.TrimSpace(ct), "text/plain") {
		return false
	}
	t := r.attrBytes(tag, atText)
	return len(t) > 0 && string(t) != "null"
}

// push opens an element.
func (r *Reader) push(name []byte, line int) error {
	x := &r.x
	if len(x.open) >= MaxDepth {
		return r.fatal(line, string(name), "elements nested more than %d deep", MaxDepth)
	}
	if len(x.names)+len(name) > r.max {
		return r.fatal(line, string(name), "the names of the open elements are longer than %s", sizeString(r.max))
	}
	x.names = append(x.names, name...)
	x.open = append(x.open, openElem{nameEnd: len(x.names), line: line})
	return nil
}

// endElement acts on an end tag.
func (r *Reader) endElement(tag []byte, line int) (Record, event, error) {
	x := &r.x
	name := tag[2 : 2+nameLen(tag[2:])]
	n := len(x.open)
	if n == 0 {
		return Record{}, evNone, r.fatal(line, string(name), "end tag </%s> without a start tag", name)
	}
	if open := r.openName(n - 1); !bytes.Equal(open, name) {
		return Record{}, evNone, r.fatal(line, string(open), "the element from line %d is closed by </%s>", x.open[n-1].line, name)
	}
	x.open = x.open[:n-1]
	if n > 1 {
		x.names = x.names[:x.open[n-2].nameEnd]
	} else {
		x.names = x.names[:0]
		x.rootClosed = true
	}
	if n == x.mmsDepth {
		x.mmsDepth = 0
		if !x.mmsSkip {
			rec := x.mms
			rec.Text = string(x.mmsText)
			x.mms = Record{}
			return rec, evRecord, nil
		}
	}
	return Record{}, evNone, nil
}

// attrBytes returns the decoded value of an attribute of the tag just
// scanned, valid until the next call; nil if it is not there.
func (r *Reader) attrBytes(tag []byte, id int) []byte {
	s := r.x.attrs[id]
	if !s.set {
		return nil
	}
	v := tag[s.start:s.end]
	if plainValue(v) {
		return v
	}
	r.x.scratch = appendValue(r.x.scratch[:0], v)
	return r.x.scratch
}

// attrString returns the decoded value of an attribute, "" if it is not
// there.
func (r *Reader) attrString(tag []byte, id int) string {
	return string(r.attrBytes(tag, id))
}

// attrInt reads an attribute as a decimal integer, as strconv.ParseInt does.
func (r *Reader) attrInt(tag []byte, id int) (v int64, present, ok bool) {
	if !r.x.attrs[id].set {
		return 0, false, false
	}
	v, ok = parseInt(r.attrBytes(tag, id))
	return v, true, ok
}

// parseInt parses a decimal integer with an optional sign, accepting what
// strconv.ParseInt(s, 10, 64) accepts, without allocating.
func parseInt(b []byte) (int64, bool) {
	neg := false
	if len(b) > 0 && (b[0] == '+' || b[0] == '-') {
		neg = b[0] == '-'
		b = b[1:]
	}
	if len(b) == 0 {
		return 0, false
	}
	const lim = 1 << 63
	var u uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		if u > lim/10 {
			return 0, false
		}
		u = u*10 + uint64(c-'0')
		if u > lim {
			return 0, false
		}
	}
	if !neg && u == lim {
		return 0, false
	}
	v := int64(u)
	if neg {
		v = -v
	}
	return v, true
}

// contactName reads SMS Backup's contact_name: "(Unknown)" and "null" are
// no name.
func (r *Reader) contactName(tag []byte) string {
	b := r.attrBytes(tag, atContact)
	if string(b) == "(Unknown)" || string(b) == "null" {
		return ""
	}
	return string(b)
}

// requiredInt reads the required integer attribute id, named name, of an elem
// that starts on line, which must lie in [lo, hi]; the record error otherwise
// says it is missing, or that its value "is not " + what.
func (r *Reader) requiredInt(tag []byte, elem string, line, id int, name string, lo, hi int64, what string) (int64, error) {
	v, present, ok := r.attrInt(tag, id)
	if !present {
		return 0, r.recordError(line, elem, "%s: missing", name)
	}
	if !ok || v < lo || v > hi {
		return 0, r.recordError(line, elem, "%s: %s is not %s", name, quoteValue(r.attrString(tag, id)), what)
	}
	return v, nil
}

// date reads the date attribute: milliseconds since 1970.
func (r *Reader) date(tag []byte, elem string, line int) (time.Time, error) {
	ms, err := r.requiredInt(tag, elem, line, atDate, "date", math.MinInt64, math.MaxInt64, "a time (want milliseconds since 1970)")
	if err != nil {
		return time.Time{}, err
	}
	return time.UnixMilli(ms).UTC(), nil
}

// smsRecord makes the record of an <sms>.
func (r *Reader) smsRecord(tag []byte, line int) (Record, error) {
	at, err := r.date(tag, "sms", line)
	if err != nil {
		return Record{}, err
	}
	typ, err := r.requiredInt(tag, "sms", line, atType, "type", 1, 6, "a message type (want 1 to 6)")
	if err != nil {
		return Record{}, err
	}
	return Record{
		Kind:   SMS,
		In:     typ == 1,
		At:     at,
		Number: r.attrString(tag, atAddress),
		Name:   r.contactName(tag),
		Text:   r.attrString(tag, atBody),
		Line:   line,
	}, nil
}

// mmsRecord makes the record of an <mms>, without its text.
func (r *Reader) mmsRecord(tag []byte, line int) (Record, error) {
	at, err := r.date(tag, "mms", line)
	if err != nil {
		return Record{}, err
	}
	box, err := r.requiredInt(tag, "mms", line, atMsgBox, "msg_box", math.MinInt64, math.MaxInt64, "a number")
	if err != nil {
		return Record{}, err
	}
	return Record{
		Kind:   SMS,
		In:     box == 1,
		At:     at,
		Number: r.attrString(tag, atAddress),
		Name:   r.contactName(tag),
		Line:   line,
	}, nil
}

// callRecord makes the record of a <call>.
func (r *Reader) callRecord(tag []byte, line int) (Record, error) {
	at, err := r.date(tag, "call", line)
	if err != nil {
		return Record{}, err
	}
	typ, err := r.requiredInt(tag, "call", line, atType, "type", 1, 7, "a call type (want 1 to 7)")
	if err != nil {
		return Record{}, err
	}
	secs, present, ok := r.attrInt(tag, atDuration)
	if present && (!ok || secs < 0 || secs > maxSeconds) {
		return Record{}, r.recordError(line, "call", "duration: %s is not a number of seconds", quoteValue(r.attrString(tag, atDuration)))
	}
	rec := Record{
		Kind:     Call,
		In:       typ != 2,
		At:       at,
		Number:   r.attrString(tag, atNumber),
		Name:     r.contactName(tag),
		Duration: time.Duration(secs) * time.Second,
		Line:     line,
	}
	rec.Outcome = callOutcomes[typ]
	if typ == 1 && secs == 0 {
		rec.Outcome = Missed
	}
	return rec, nil
}

// maxSeconds is the longest call a time.Duration holds.
const maxSeconds = int64(1<<63-1) / int64(time.Second)

// callOutcomes maps SMS Backup's call types to outcomes.
var callOutcomes = [8]Outcome{1: Answered, 2: Outgoing, 3: Missed, 4: Voicemail, 5: Rejected, 6: Blocked, 7: Answered}

// allSpace reports whether b is all XML white space.
func allSpace(b []byte) bool {
	for _, c := range b {
		if !isSpace(c) {
			return false
		}
	}
	return true
}
