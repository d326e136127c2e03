package export

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// This file is a reference decoder for SMS Backup & Restore XML built on
// encoding/xml, and the differential check of the Reader against it.

// item is what Next returned: a record, or a non-fatal error.
type item struct {
	Rec Record
	Err string // ParseError.Error() of a non-fatal error
}

func (it item) String() string {
	if it.Err != "" {
		return "error " + it.Err
	}
	r := it.Rec
	return fmt.Sprintf("line %d: %v in=%v %v %s %q %q %v %q", r.Line, r.Kind, r.In, r.Outcome, r.At.UTC().Format(time.RFC3339Nano), r.Number, r.Name, r.Duration, r.Text)
}

// refDecode reads an SMS Backup & Restore XML export with encoding/xml. ok
// is false when the file is not a well-formed XML document (by
// encoding/xml, in strict mode, and by XML's rule of one root element with
// only white space outside it) with the root <smses> or <calls>, or nests
// more than MaxDepth deep.
//
// It reads the same records, by the same rules, as the Reader, written
// again from the rules rather than shared: records are the <sms> and <mms>
// children of <smses> and the <call> children of <calls>; an MMS's text is
// that of the <part ct="text/plain"> elements inside it.
//
// Two things encoding/xml does differently are evened out first: a leading
// UTF-8 byte order mark is dropped (encoding/xml reads it as text), and a
// pair of references to UTF-16 surrogates (&#55357;&#56832;, as SMS Backup
// writes an emoji) is written as one reference to the character they make
// (encoding/xml reads each as U+FFFD).
func refDecode(data []byte, name string) (format Format, items []item, ok bool) {
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	data = joinSurrogateRefs(data)
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true

	var (
		stack      []string
		rootSeen   bool
		rootClosed bool
		// The MMS being read.
		mmsDepth int
		mmsSkip  bool
		mms      Record
		mmsText  []string
	)
	recErr := func(line int, elem, format string, args ...any) {
		items = append(items, item{Err: (&ParseError{File: name, Line: line, Elem: elem, Msg: fmt.Sprintf(format, args...)}).Error()})
	}
	for {
		line, _ := d.InputPos()
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, nil, false
		}
		switch t := tok.(type) {
		case xml.StartElement:
			el := fullName(t.Name)
			attr := func(name string) (string, bool) {
				for _, a := range t.Attr { // the first of two with one name
					if fullName(a.Name) == name {
						return a.Value, true
					}
				}
				return "", false
			}
			if len(stack) == 0 {
				if rootClosed {
					return 0, nil, false
				}
				rootSeen = true
				switch el {
				case "smses":
					format = FormatSMSXML
				case "calls":
					format = FormatCallXML
				default:
					return 0, nil, false
				}
			}
			if len(stack) >= MaxDepth {
				return 0, nil, false
			}
			stack = append(stack, el)
			depth := len(stack) // the element's depth; the root's is 1
			switch {
			case depth == 2 && format == FormatSMSXML && el == "sms":
				rec, err := refSMS(attr, line)
				if err != nil {
					recErr(line, "sms", "%s", err)
				} else {
					items = append(items, item{Rec: rec})
				}
			case depth == 2 && format == FormatSMSXML && el == "mms":
				rec, err := refMMS(attr, line)
				mmsDepth, mmsSkip, mms, mmsText = depth, err != nil, rec, nil
				if err != nil {
					recErr(line, "mms", "%s", err)
				}
			case depth == 2 && format == FormatCallXML && el == "call":
				rec, err := refCall(attr, line)
				if err != nil {
					recErr(line, "call", "%s", err)
				} else {
					items = append(items, item{Rec: rec})
				}
			case depth > 2 && mmsDepth > 0 && !mmsSkip && el == "part":
				ct, okCT := attr("ct")
				text, okText := attr("text")
				mediaType, _, _ := strings.Cut(ct, ";")
				if okCT && okText && strings.EqualFold(strings.TrimSpace(mediaType), "text/plain") && text != "" && text != "null" {
					mmsText = append(mmsText, text)
				}
			}
		case xml.EndElement:
			el := fullName(t.Name)
			if len(stack) == 0 || stack[len(stack)-1] != el {
				return 0, nil, false
			}
			if len(stack) == mmsDepth {
				if !mmsSkip {
					mms.Text = strings.Join(mmsText, "\n")
					items = append(items, item{Rec: mms})
				}
				mmsDepth = 0
			}
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				rootClosed = true
			}
		case xml.CharData:
			if len(stack) == 0 && strings.Trim(string(t), " \t\r\n") != "" {
				return 0, nil, false
			}
		}
	}
	if !rootSeen || len(stack) > 0 {
		return 0, nil, false
	}
	return format, items, true
}

// fullName is a name as written, prefix and all.
func fullName(n xml.Name) string {
	if n.Space != "" {
		return n.Space + ":" + n.Local
	}
	return n.Local
}

var charRef = regexp.MustCompile(`&#(x[0-9a-fA-F]+|[0-9]+);`)

// joinSurrogateRefs rewrites each pair of adjacent character references to
// a high and a low UTF-16 surrogate as one reference to the character they
// encode.
func joinSurrogateRefs(data []byte) []byte {
	refs := charRef.FindAllSubmatchIndex(data, -1)
	if refs == nil {
		return data
	}
	value := func(m []int) int64 {
		s := string(data[m[2]:m[3]])
		base := 10
		if s[0] == 'x' {
			s, base = s[1:], 16
		}
		v, err := strconv.ParseInt(s, base, 64)
		if err != nil {
			return -1
		}
		return v
	}
	var out []byte
	last := 0
	for i := 0; i+1 < len(refs); i++ {
		hi, lo := refs[i], refs[i+1]
		if hi[1] != lo[0] {
			continue
		}
		h, l := value(hi), value(lo)
		if h < 0xD800 || h > 0xDBFF || l < 0xDC00 || l > 0xDFFF {
			continue
		}
		c := 0x10000 + (h-0xD800)<<10 + (l - 0xDC00)
		out = append(out, data[last:hi[0]]...)
		out = fmt.Appendf(out, "&#x%X;", c)
		last = lo[1]
		i++
	}
	if out == nil {
		return data
	}
	return append(out, data[last:]...)
}

type attrFunc func(name string) (string, bool)

func refDate(attr attrFunc) (time.Time, error) {
	v, ok := attr("date")
	if !ok {
		return time.Time{}, errors.New("date: missing")
	}
	ms, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("date: %s is not a time (want milliseconds since 1970)", quoteValue(v))
	}
	return time.UnixMilli(ms).UTC(), nil
}

func refName(attr attrFunc) string {
	n, _ := attr("contact_name")
	if n == "(Unknown)" || n == "null" {
		return ""
	}
	return n
}

func refSMS(attr attrFunc, line int) (Record, error) {
	at, err := refDate(attr)
	if err != nil {
		return Record{}, err
	}
	v, ok := attr("type")
	if !ok {
		return Record{}, errors.New("type: missing")
	}
	typ, err := strconv.ParseInt(v, 10, 64)
	if err != nil || typ < 1 || typ > 6 {
		return Record{}, fmt.Errorf("type: %s is not a message type (want 1 to 6)", quoteValue(v))
	}
	number, _ := attr("address")
	body, _ := attr("body")
	return Record{Kind: SMS, In: typ == 1, At: at, Number: number, Name: refName(attr), Text: body, Line: line}, nil
}

func refMMS(attr attrFunc, line int) (Record, error) {
	at, err := refDate(attr)
	if err != nil {
		return Record{}, err
	}
	v, ok := attr("msg_box")
	if !ok {
		return Record{}, errors.New("msg_box: missing")
	}
	box, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return Record{}, fmt.Errorf("msg_box: %s is not a number", quoteValue(v))
	}
	number, _ := attr("address")
	return Record{Kind: SMS, In: box == 1, At: at, Number: number, Name: refName(attr), Line: line}, nil
}

func refCall(attr attrFunc, line int) (Record, error) {
	at, err := refDate(attr)
	if err != nil {
		return Record{}, err
	}
	v, ok := attr("type")
	if !ok {
		return Record{}, errors.New("type: missing")
	}
	typ, err := strconv.ParseInt(v, 10, 64)
	if err != nil || typ < 1 || typ > 7 {
		return Record{}, fmt.Errorf("type: %s is not a call type (want 1 to 7)", quoteValue(v))
	}
	var secs int64
	if v, ok := attr("duration"); ok {
		secs, err = strconv.ParseInt(v, 10, 64)
		if err != nil || secs < 0 || secs > (1<<63-1)/int64(time.Second) {
			return Record{}, fmt.Errorf("duration: %s is not a number of seconds", quoteValue(v))
		}
	}
	number, _ := attr("number")
	rec := Record{Kind: Call, In: typ != 2, At: at, Number: number, Name: refName(attr), Duration: time.Duration(secs) * time.Second, Line: line}
	switch typ {
	case 1:
		rec.Outcome = Answered
		if secs == 0 {
			rec.Outcome = Missed
		}
	case 2:
		rec.Outcome = Outgoing
	case 3:
		rec.Outcome = Missed
	case 4:
		rec.Outcome = Voicemail
	case 5:
		rec.Outcome = Rejected
	case 6:
		rec.Outcome = Blocked
	case 7:
		rec.Outcome = Answered
	}
	return rec, nil
}

// readAll reads a file with a Reader: what Next returned up to the end, and
// the fatal error if there was one. It fails the test if Next does not keep
// returning io.EOF after the end, returns more items than the input has
// bytes, or moves Offset backwards or past the end.
func readAll(t testing.TB, r io.Reader, name string, size int, opt Options) (Format, []item, *ParseError, error) {
	t.Helper()
	return readAllBuf(t, r, name, size, opt, bufSize, MaxToken)
}

// readAllBuf is readAll with a Reader whose buffer starts with buf bytes and
// whose limit on a tag or row is limit.
func readAllBuf(t testing.TB, r io.Reader, name string, size int, opt Options, buf, limit int) (Format, []item, *ParseError, error) {
	t.Helper()
	rd, err := open(r, name, opt, buf, limit)
	if err != nil {
		return 0, nil, nil, err
	}
	var items []item
	var fatal *ParseError
	off := rd.Offset()
	for {
		rec, err := rd.Next()
		if o := rd.Offset(); o < off || o > int64(size) {
			t.Fatalf("Offset went from %d to %d (size %d)", off, o, size)
		} else {
			off = o
		}
		if err == io.EOF {
			break
		}
		var pe *ParseError
		if err != nil && !errors.As(err, &pe) {
			t.Fatalf("Next returned %T %v, not a *ParseError", err, err)
		}
		if pe != nil && pe.Fatal {
			fatal = pe
			break
		}
		if pe != nil {
			if rec != (Record{}) {
				t.Fatalf("Next returned a record with the error %v", pe)
			}
			items = append(items, item{Err: pe.Error()})
		} else {
			items = append(items, item{Rec: rec})
		}
		if len(items) > size+1 {
			t.Fatalf("more records than bytes: Next does not end")
		}
	}
	for range 3 {
		if rec, err := rd.Next(); err != io.EOF || rec != (Record{}) {
			t.Fatalf("after the end Next returned %v, %v; want io.EOF", rec, err)
		}
	}
	return rd.Format(), items, fatal, nil
}

// checkDifferential checks that the Reader reads data as refDecode does
// when refDecode accepts it, and reports whether it did.
func checkDifferential(t testing.TB, data []byte) bool {
	t.Helper()
	wantFormat, want, ok := refDecode(data, "in.xml")
	if !ok {
		return false
	}
	format, got, fatal, err := readAll(t, bytes.NewReader(data), "in.xml", len(data), Options{})
	if err != nil {
		t.Fatalf("encoding/xml reads the file, Open fails: %v\ninput: %q", err, data)
	}
	if fatal != nil {
		t.Fatalf("encoding/xml reads the file, the Reader fails: %v\ninput: %q", fatal, data)
	}
	if format != wantFormat {
		t.Fatalf("format %v, encoding/xml %v\ninput: %q", format, wantFormat, data)
	}
	if !sameItems(got, want) {
		t.Fatalf("the Reader and encoding/xml differ\ninput: %q\n%s", data, diffItems(got, want))
	}
	return true
}

// sameItems compares what two readers returned; times are compared as
// instants.
func sameItems(a, b []item) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Err != y.Err || !x.Rec.At.Equal(y.Rec.At) {
			return false
		}
		x.Rec.At, y.Rec.At = time.Time{}, time.Time{}
		if x.Rec != y.Rec {
			return false
		}
	}
	return true
}

func diffItems(got, want []item) string {
	var b strings.Builder
	for i := 0; i < max(len(got), len(want)); i++ {
		var g, w string
		if i < len(got) {
			g = got[i].String()
		}
		if i < len(want) {
			w = want[i].String()
		}
		mark := "  "
		if g != w {
			mark = "! "
		}
		g, w = shorten(g), shorten(w)
		fmt.Fprintf(&b, "%sgot  %s\n%swant %s\n", mark, g, mark, w)
	}
	return b.String()
}

func TestJoinSurrogateRefs(t *testing.T) {
	for in, want := range map[string]string{
		"a&#55357;&#56832;b":               "a&#x1F600;b",
		"&#xD83D;&#xDE00;":                 "&#x1F600;",
		"&#55357;&#55357;&#56832;":         "&#55357;&#x1F600;",
		"&#55357; &#56832;":                "&#55357; &#56832;",
		"&#56832;&#55357;":                 "&#56832;&#55357;",
		"&#65;&#66;":                       "&#65;&#66;",
		"&amp;#55357;&#56832;":             "&amp;#55357;&#56832;",
		"&#55357;&#56832;&#55357;&#56832;": "&#x1F600;&#x1F600;",
	} {
		if got := string(joinSurrogateRefs([]byte(in))); got != want {
			t.Errorf("joinSurrogateRefs(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestDifferential checks the Reader against encoding/xml on the unit tests'
// well-formed inputs and on generated files.
func TestDifferential(t *testing.T) {
	n := 0
	for _, in := range xmlSeeds() {
		if checkDifferential(t, []byte(in)) {
			n++
		}
	}
	if n < 20 {
		t.Errorf("only %d of the seeds are well formed", n)
	}
	for _, f := range []Format{FormatSMSXML, FormatCallXML} {
		var b bytes.Buffer
		if _, err := Generate(&b, GenOptions{Format: f, Bytes: 256 << 10, Seed: 7}); err != nil {
			t.Fatal(err)
		}
		if !checkDifferential(t, b.Bytes()) {
			t.Errorf("encoding/xml does not read the generated %v file", f)
		}
	}
}

// shorten cuts a long line for a test message.
func shorten(s string) string {
	if len(s) > 300 {
		return s[:300] + "..."
	}
	return s
}
