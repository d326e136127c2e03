package export

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

func ms(n int64) time.Time { return time.UnixMilli(n).UTC() }

// readString reads a file given as a string.
func readString(t *testing.T, name, in string) ([]item, *ParseError) {
	t.Helper()
	_, items, fatal, err := readAll(t, strings.NewReader(in), name, len(in), Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return items, fatal
}

// expect checks what a Reader returned.
func expect(t *testing.T, got []item, fatal *ParseError, want []item, wantFatal string) {
	t.Helper()
	if !sameItems(got, want) {
		t.Errorf("records differ:\n%s", diffItems(got, want))
	}
	switch {
	case fatal == nil && wantFatal != "":
		t.Errorf("no fatal error, want %q", wantFatal)
	case fatal != nil && fatal.Error() != wantFatal:
		t.Errorf("fatal error %q,\n                want %q", fatal.Error(), wantFatal)
	}
}

func rec(r Record) item     { return item{Rec: r} }
func errItem(s string) item { return item{Err: s} }
func smsIn(line int, at int64, number, name, text string) item {
	return rec(Record{Kind: SMS, In: true, At: ms(at), Number: number, Name: name, Text: text, Line: line})
}

const smsSample = `<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>
<!--File Created By SMS Backup & Restore v10.20.002 on 01/11/2026 10:00:00-->
<?xml-stylesheet type="text/xsl" href="sms.xsl"?>
<smses count="2" backup_set="5d1a" backup_date="1767225600000" type="full">
  <sms protocol="0" address="+8613800000001" date="1767229200000" type="1" subject="null" body="您好&#10;第二行 &amp; more" toa="null" sc_toa="null" service_center="null" read="1" status="-1" locked="0" date_sent="1767229199000" sub_id="1" readable_date="Jan 1, 2026 9:00:00 AM" contact_name="(Unknown)" />
  <mms date="1767229300000" msg_box="1" address="+8613800000002" ct_t="application/vnd.wap.multipart.related" contact_name="null"><parts><part seq="0" ct="application/smil" text="null" cid="&lt;smil&gt;"/><part seq="0" ct="text/plain" text="MMS body" /></parts><addrs><addr address="+8613800000002" type="137" charset="106" /></addrs></mms>
  <sms protocol="0" address="+12025550101" date="1767229400000" type="2" body="&lt;b&gt; &quot;hi&quot; &apos;there&apos; 😀 &#x1F600; &#128512; &#55357;&#56832; &#xd83d;&#xDE00;" contact_name="Synthetic Friend 1" />
  <mms date="1767229500000" msg_box="2" address="+8613800000003~+8613800000004" contact_name="Synthetic Friend 2">
    <parts>
      <part seq="-1" ct="application/smil" text="&lt;smil/&gt;" />
      <part seq="0" ct="image/jpeg" text="null" data="/9j/4AAQ" />
      <part seq="0" ct="text/plain" chset="106" text="first line" />
      <part seq="1" ct="Text/Plain; charset=utf-8" text="second&#10;part" />
      <part seq="2" ct="text/plain" text="null" />
      <part seq="3" ct="text/plain" text="" />
    </parts>
  </mms>
  <mms date="1767229600000" msg_box="4" address="+8613800000005"><parts><part ct="image/png" text="null"/></parts></mms>
  <mms date="1767229700000" msg_box="1" address="+8613800000006" contact_name="Synthetic Friend 3"/>
</smses>
`

func TestSMSXML(t *testing.T) {
	got, fatal := readString(t, "sms.xml", smsSample)
	expect(t, got, fatal, []item{
		smsIn(5, 1767229200000, "+8613800000001", "", "您好\n第二行 & more"),
		smsIn(6, 1767229300000, "+8613800000002", "", "MMS body"),
		rec(Record{Kind: SMS, At: ms(1767229400000), Number: "+12025550101", Name: "Synthetic Friend 1", Text: `<b> "hi" 'there' 😀 😀 😀 😀 😀`, Line: 7}),
		rec(Record{Kind: SMS, At: ms(1767229500000), Number: "+8613800000003~+8613800000004", Name: "Synthetic Friend 2", Text: "first line\nsecond\npart", Line: 8}),
		rec(Record{Kind: SMS, At: ms(1767229600000), Number: "+8613800000005", Line: 18}),
		smsIn(19, 1767229700000, "+8613800000006", "Synthetic Friend 3", ""),
	}, "")
}

var smsTypesInput = "<smses>\n" +
	`<sms type="1" date="1" address="a"/>` + "\n" +
	`<sms type="2" date="2" address="b"/>` + "\n" +
	`<sms type="3" date="3"/>` + "\n" +
	`<sms type="4" date="4"/>` + "\n" +
	`<sms type="5" date="5"/>` + "\n" +
	`<sms type="6" date="6"/>` + "\n" +
	`<sms type="7" date="7"/>` + "\n" +
	`<sms type="x" date="8"/>` + "\n" +
	`<sms date="9"/>` + "\n" +
	`<sms type="1"/>` + "\n" +
	`<sms type="1" date="yesterday"/>` + "\n" +
	`<sms type="1" date=""/>` + "\n" +
	`<sms type="1" date="-1000"/>` + "\n" +
	`<sms type="1" date="99999999999999999999"/>` + "\n" +
	`<sms type="&#49;" date="&#x31;0"/>` + "\n" +
	`<mms msg_box="x" date="1"/>` + "\n" +
	`<mms date="1"><parts><part ct="text/plain" text="skipped"/></parts></mms>` + "\n" +
	`<mms msg_box="1" date="z"><parts><part ct="text/plain" text="skipped"/></parts></mms>` + "\n" +
	`<sms type="1" date="1" body="after"/>` + "\n" +
	"</smses>"

func TestSMSTypes(t *testing.T) {
	in := smsTypesInput
	got, fatal := readString(t, "t.xml", in)
	out := func(line int, at int64) item { return rec(Record{Kind: SMS, At: ms(at), Line: line}) }
	expect(t, got, fatal, []item{
		smsIn(2, 1, "a", "", ""),
		rec(Record{Kind: SMS, At: ms(2), Number: "b", Line: 3}),
		out(4, 3), out(5, 4), out(6, 5), out(7, 6),
		errItem(`t.xml:8: sms: type: "7" is not a message type (want 1 to 6)`),
		errItem(`t.xml:9: sms: type: "x" is not a message type (want 1 to 6)`),
		errItem(`t.xml:10: sms: type: missing`),
		errItem(`t.xml:11: sms: date: missing`),
		errItem(`t.xml:12: sms: date: "yesterday" is not a time (want milliseconds since 1970)`),
		errItem(`t.xml:13: sms: date: "" is not a time (want milliseconds since 1970)`),
		smsIn(14, -1000, "", "", ""),
		errItem(`t.xml:15: sms: date: "99999999999999999999" is not a time (want milliseconds since 1970)`),
		smsIn(16, 10, "", "", ""),
		errItem(`t.xml:17: mms: msg_box: "x" is not a number`),
		errItem(`t.xml:18: mms: msg_box: missing`),
		errItem(`t.xml:19: mms: date: "z" is not a time (want milliseconds since 1970)`),
		smsIn(20, 1, "", "", "after"),
	}, "")
}

const callTypesInput = `<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>
<!--File Created By SMS Backup & Restore v10.20.002 on 01/11/2026 10:00:00-->
<calls count="12" backup_set="x" backup_date="1767225600000" type="full">
  <call number="+8613800000001" duration="35" date="1767229200000" type="1" presentation="1" subscription_id="1" post_dial_digits="" readable_date="Jan 1, 2026 9:00:00 AM" contact_name="null" />
  <call number="+8613800000001" duration="0" date="1767229200001" type="1" contact_name="(Unknown)" />
  <call number="+8613800000002" duration="61" date="1767229200002" type="2" contact_name="Synthetic Friend 1" />
  <call number="+8613800000003" duration="0" date="1767229200003" type="3" />
  <call number="+8613800000004" duration="0" date="1767229200004" type="4" />
  <call number="+8613800000005" duration="0" date="1767229200005" type="5" />
  <call number="+8613800000006" duration="0" date="1767229200006" type="6" />
  <call number="+8613800000007" duration="12" date="1767229200007" type="7" />
  <call number="" date="1767229200008" type="3" presentation="2" />
  <call number="+8613800000009" duration="x" date="1767229200009" type="1" />
  <call number="+8613800000010" duration="-1" date="1767229200010" type="1" />
  <call number="+8613800000011" duration="10" date="1767229200011" type="8" />
  <call number="+8613800000012" duration="10" date="1767229200012" />
  <call number="+8613800000013" duration="10" type="1" />
  <call number="+8613800000014" duration="10000000000" date="1767229200014" type="1" />
  <call number="+8613800000015"
        duration="5"
        date="1767229200015" type="1" />
</calls>
`

func TestCallXML(t *testing.T) {
	in := callTypesInput
	got, fatal := readString(t, "calls.xml", in)
	call := func(line int, at int64, in bool, o Outcome, number, name string, secs int) item {
		return rec(Record{Kind: Call, In: in, Outcome: o, At: ms(at), Number: number, Name: name, Duration: time.Duration(secs) * time.Second, Line: line})
	}
	expect(t, got, fatal, []item{
		call(4, 1767229200000, true, Answered, "+8613800000001", "", 35),
		call(5, 1767229200001, true, Missed, "+8613800000001", "", 0),
		call(6, 1767229200002, false, Outgoing, "+8613800000002", "Synthetic Friend 1", 61),
		call(7, 1767229200003, true, Missed, "+8613800000003", "", 0),
		call(8, 1767229200004, true, Voicemail, "+8613800000004", "", 0),
		call(9, 1767229200005, true, Rejected, "+8613800000005", "", 0),
		call(10, 1767229200006, true, Blocked, "+8613800000006", "", 0),
		call(11, 1767229200007, true, Answered, "+8613800000007", "", 12),
		call(12, 1767229200008, true, Missed, "", "", 0),
		errItem(`calls.xml:13: call: duration: "x" is not a number of seconds`),
		errItem(`calls.xml:14: call: duration: "-1" is not a number of seconds`),
		errItem(`calls.xml:15: call: type: "8" is not a call type (want 1 to 7)`),
		errItem(`calls.xml:16: call: type: missing`),
		errItem(`calls.xml:17: call: date: missing`),
		errItem(`calls.xml:18: call: duration: "10000000000" is not a number of seconds`),
		call(19, 1767229200015, true, Answered, "+8613800000015", "", 5),
	}, "")
}

// textCases are bodies of messages and how they are read; "" is an error.
var textCases = []struct{ body, want string }{
	{`a&amp;b&lt;c&gt;d&quot;e&apos;f`, `a&b<c>d"e'f`},
	{`line 1&#10;line 2&#xA;line 3&#13;&#x0d;`, "line 1\nline 2\nline 3\r\r"},
	{`&#0065;&#x00041;&#x4e2d;&#X4e2d;`, ""}, // &#X is not a reference: fatal
	{`emoji &#x1F600;&#128512;&#55357;&#56832;😀`, "emoji 😀😀😀😀"},
	{`lone &#55357; and &#56832; and &#xD83D;&#xD83D;&#xDE00;`, "lone \uFFFD and \uFFFD and \uFFFD😀"},
	{`not allowed &#0;&#1;&#x1F;&#xFFFE;&#xFFFF; kept &#9;&#x10FFFF;`, "not allowed \uFFFD\uFFFD\uFFFD\uFFFD\uFFFD kept \t\U0010FFFF"},
	{"bad utf-8 \xff\xfe and \xe4\xb8 end", "bad utf-8 \uFFFD\uFFFD and \uFFFD\uFFFD end"},
	{"control \x01\x1b chars, \uFFFE", "control \uFFFD\uFFFD chars, \uFFFD"},
	{"literal\r\nCRLF\rCR\nLF\ttab", "literal\nCRLF\nCR\nLF\ttab"},
	{"\r&#10;", "\n\n"},
	{`]]> is fine here, so is >`, `]]> is fine here, so is >`},
	{`'single' in double`, `'single' in double`},
}

func textInput(body string) string {
	return "<smses>\n<sms date=\"1\" type=\"1\" body=\"" + body + "\"/>\n</smses>"
}

// TestXMLText checks how attribute values are read: references, line
// breaks, invalid UTF-8 and characters XML does not allow.
func TestXMLText(t *testing.T) {
	for _, tc := range textCases {
		in := textInput(tc.body)
		got, fatal := readString(t, "t.xml", in)
		if tc.want == "" {
			if fatal == nil {
				t.Errorf("body %q: no error", tc.body)
			}
			continue
		}
		expect(t, got, fatal, []item{smsIn(2, 1, "", "", tc.want)}, "")
	}
	// Single quotes.
	got, fatal := readString(t, "t.xml", `<smses><sms date='1' type = '1' body='say "hi" &apos;x&apos;' contact_name  =  "(Unknown)"/></smses>`)
	expect(t, got, fatal, []item{smsIn(1, 1, "", "", `say "hi" 'x'`)}, "")
}

// structureInput has all that the scanner skips.
const structureInput = "\xEF\xBB\xBF" + `<?xml version="1.0"?>
<!DOCTYPE smses [
  <!ELEMENT smses (sms)*>
  <!-- a comment with > and <sms date="1" type="1"/> in it -->
  <!ATTLIST sms body CDATA "x>y">
]>
<!-- comment -->
<smses>
  text in the root &amp; more
  <![CDATA[ <sms date="2" type="1"/> ]]>
  <unknown date="3" type="1"><sms date="4" type="1"/><mms date="5" msg_box="1"/></unknown>
  <sms date="6" type="1">text <b>inside</b> <sms date="7" type="1"/> <!-- c --> <?pi x?></sms>
  <part ct="text/plain" text="not in an mms"/>
  <call date="8" type="1"/>
  <x:sms date="9" type="1"/>
  <sms x:date="10" date="11" type="1" date="12"/>
  <mms date="13" msg_box="1"><sms date="14" type="1"/><p><part ct="text/plain" text="deep"/></p></mms>
  <sms
     date="15"
     type="1"/>
</smses>
<!-- after -->
<?pi after?>

`

// TestXMLStructure checks what is skipped: the prolog, comments, processing
// instructions, DOCTYPE, CDATA, text, unknown elements and their content,
// and records where records are not.
func TestXMLStructure(t *testing.T) {
	in := structureInput
	got, fatal := readString(t, "t.xml", in)
	expect(t, got, fatal, []item{
		smsIn(12, 6, "", "", ""),
		smsIn(16, 11, "", "", ""),
		smsIn(17, 13, "", "", "deep"),
		smsIn(18, 15, "", "", ""),
	}, "")
}

func TestXMLEmptyRoot(t *testing.T) {
	for _, in := range []string{"<smses/>", "<calls></calls>", "  \n<smses count='0'>\n</smses>\n\n"} {
		got, fatal := readString(t, "t.xml", in)
		expect(t, got, fatal, nil, "")
	}
}

// xmlFatalCases are malformed files: the records before the problem, then
// the fatal error.
var xmlFatalCases = []struct {
	name, in string
	n        int // records before the error
	err      string
}{
	{"eof in tag", "<smses>\n<sms date=\"1\" type=\"1\"/>\n<sms date=\"2\" ty", 1, `t.xml:3: sms: unexpected end of file inside the tag <sms> (the file is truncated)`},
	{"eof in value", "<smses>\n<sms date=\"1\" type=\"1\" body=\"abc\ndef", 0, `t.xml:3: sms: unexpected end of file inside the tag <sms> (the file is truncated)`},
	{"eof in element", "<smses>\n<sms date=\"1\" type=\"1\"/>\n", 1, `t.xml:3: smses: unexpected end of file: the element from line 1 is not closed (the file is truncated)`},
	{"eof in mms", "<smses>\n<mms date=\"1\" msg_box=\"1\"><parts>\n<part ct=\"text/plain\" text=\"x\"/>", 0, `t.xml:3: parts: unexpected end of file: the element from line 2 is not closed (the file is truncated)`},
	{"eof in end tag", "<smses>\n<sms date=\"1\" type=\"1\"/></sm", 1, `t.xml:2: smses: unexpected end of file inside the end tag </sm> (the file is truncated)`},
	{"eof in comment", "<smses><!-- x\n", 0, `t.xml:2: smses: unexpected end of file inside a comment (the file is truncated)`},
	{"eof after <", "<smses><", 0, `t.xml:1: smses: unexpected end of file inside a tag (the file is truncated)`},
	{"mismatched end", "<smses>\n<sms date=\"1\" type=\"1\">\n</mms>\n</smses>", 1, `t.xml:3: sms: the element from line 2 is closed by </mms>`},
	{"end without start", "<smses></smses>\n</smses>", 0, `t.xml:2: smses: end tag </smses> without a start tag`},
	{"bad entity in attribute", "<smses>\n<sms date=\"1\" type=\"1\"/>\n<sms date=\"1\" type=\"1\" body=\"a &nbsp; b\"/>\n</smses>", 1, `t.xml:3: sms: invalid entity reference "&nbsp;" in the value of body (want &amp; &lt; &gt; &quot; &apos; or &#N;)`},
	{"entity without semicolon", "<smses>\n<sms date=\"1\" type=\"1\" body=\"AT&T\"/>\n</smses>", 0, `t.xml:2: sms: invalid entity reference "&T" in the value of body (want &amp; &lt; &gt; &quot; &apos; or &#N;)`},
	{"entity too big", "<smses>\n<sms date=\"1\" type=\"1\" body=\"&#x110000;\"/>\n</smses>", 0, `t.xml:2: sms: invalid entity reference "&#x110000;" in the value of body (want &amp; &lt; &gt; &quot; &apos; or &#N;)`},
	{"empty reference", "<smses>\n<sms date=\"1\" type=\"1\" body=\"&#;\"/>\n</smses>", 0, `t.xml:2: sms: invalid entity reference "&#;" in the value of body (want &amp; &lt; &gt; &quot; &apos; or &#N;)`},
	{"bad entity in text", "<smses>\n<sms date=\"1\" type=\"1\"/>\nfish & chips\n</smses>", 1, `t.xml:3: smses: invalid entity reference "&" (want &amp; &lt; &gt; &quot; &apos; or &#N;)`},
	{"< in value", "<smses>\n<sms date=\"1\" type=\"1\" body=\"a\nb < c\"/>\n</smses>", 0, `t.xml:3: sms: "<" in the value of attribute body`},
	{"unquoted value", "<smses>\n<sms date=1 type=\"1\"/>\n</smses>", 0, `t.xml:2: sms: the value of attribute date is not in quotes`},
	{"no value", "<smses>\n<sms date type=\"1\"/>\n</smses>", 0, `t.xml:2: sms: attribute date has no value`},
	{"bad /", "<smses>\n<sms date=\"1\" type=\"1\" / >\n</smses>", 0, `t.xml:2: sms: "/" not followed by ">"`},
	{"junk in tag", "<smses>\n<sms date=\"1\" type=\"1\" \"x\"/>\n</smses>", 0, `t.xml:2: sms: unexpected "\"" in the tag (want an attribute name, ">" or "/>")`},
	{"no name", "<smses>\n< sms/>\n</smses>", 0, `t.xml:2: smses: " " after "<" (want an element name)`},
	{"junk in end tag", "<smses>\n<sms date=\"1\" type=\"1\"></sms x>\n</smses>", 1, `t.xml:2: sms: unexpected "x" in the end tag </sms> (want ">")`},
	{"-- in comment", "<smses>\n<!-- a -- b -->\n</smses>", 0, `t.xml:2: smses: "--" inside a comment`},
	{"second root", "<smses></smses>\n<smses><sms date=\"1\" type=\"1\"/></smses>", 0, `t.xml:2: smses: a second root element (an XML file has one)`},
	{"text after root", "<smses><sms date=\"1\" type=\"1\"/></smses>\ntrailing", 1, `t.xml:2: document: text outside the root element`},
	{"CDATA after root", "<smses></smses><![CDATA[x]]>", 0, `t.xml:1: document: text outside the root element`},
	{"bad CDATA", "<smses><![CDAT[x]]></smses>", 0, `t.xml:1: smses: "<![" not followed by "CDATA["`},
}

func TestXMLFatal(t *testing.T) {
	for _, tc := range xmlFatalCases {
		t.Run(tc.name, func(t *testing.T) {
			got, fatal := readString(t, "t.xml", tc.in)
			if len(got) != tc.n {
				t.Errorf("%d records before the error, want %d: %v", len(got), tc.n, got)
			}
			for _, it := range got {
				if it.Err != "" {
					t.Errorf("unexpected record error %s", it.Err)
				}
			}
			if fatal == nil {
				t.Fatalf("no fatal error, want %s", tc.err)
			}
			if fatal.Error() != tc.err {
				t.Errorf("error %s\n      want %s", fatal, tc.err)
			}
		})
	}
}

// openErrorCases are files that Open refuses.
var openErrorCases = []struct{ name, in, err string }{
	{"empty", "", `t:1: file: the file is empty: not a phone export`},
	{"white space", " \n\t\r\n ", `t:3: file: the file is empty: not a phone export`},
	{"other root", "<?xml version='1.0'?>\n<html><body/></html>", `t:2: html: the root element is <html>, not <smses> (SMS Backup & Restore messages) or <calls> (its call log)`},
	{"no root", "<?xml version='1.0'?>\n<!-- nothing -->\n", `t:3: document: no root element: not an SMS Backup & Restore export`},
	{"bad prolog", "<?xml version='1.0'?>\n<!- x -->\n<smses/>", `t:2: document: "<!-" not followed by "-"`},
	{"text before root", "<!-- x -->text<smses/>", `t:1: document: text outside the root element`},
	{"truncated prolog", "<?xml version='1.0'", `t:1: document: unexpected end of file inside a processing instruction (the file is truncated)`},
	{"not csv", "hello world\nthis is text\n", `t:1: header: not a phone export: neither XML from SMS Backup & Restore nor CSV whose first row names the columns time, number, direction, kind and text`},
	{"csv missing column", "Time,Number,Direction,Kind\n", `t:1: header: missing column "text" (the header has "time,number,direction,kind"; want time, number, direction, kind, text and optionally duration, outcome, name)`},
	{"csv missing columns", "\n\ntime,text,kind\n", `t:3: header: missing columns "number", "direction" (the header has "time,text,kind"; want time, number, direction, kind, text and optionally duration, outcome, name)`},
	{"csv duplicate column", "time,number,direction,kind,text,TIME\n", `t:1: header: column "time" appears twice`},
}

func TestOpenErrors(t *testing.T) {
	for _, tc := range openErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			rd, err := Open(strings.NewReader(tc.in), "t", Options{})
			if err == nil {
				t.Fatalf("no error (format %v)", rd.Format())
			}
			if err.Error() != tc.err {
				t.Errorf("error %s\n      want %s", err, tc.err)
			}
			var pe *ParseError
			if !errors.As(err, &pe) || !pe.Fatal {
				t.Errorf("error %#v is not a fatal *ParseError", err)
			}
		})
	}
}

// TestTruncated cuts a file at every byte: the Reader returns the records
// that end before the cut, then a fatal error, then io.EOF.
func TestTruncated(t *testing.T) {
	for _, in := range []string{smsSample, xmlCallSample} {
		_, all, fatal, err := readAll(t, strings.NewReader(in), "t.xml", len(in), Options{})
		if err != nil || fatal != nil {
			t.Fatal(err, fatal)
		}
		lastEnd := strings.LastIndex(in, "</")
		for cut := strings.Index(in, ">\n  <") + 1; cut < lastEnd; cut++ {
			part := in[:cut]
			_, got, fatal, err := readAll(t, strings.NewReader(part), "t.xml", len(part), Options{})
			if err != nil {
				t.Fatalf("cut at %d: Open: %v", cut, err)
			}
			if fatal == nil {
				t.Fatalf("cut at %d: no fatal error", cut)
			}
			if !sameItems(got, all[:len(got)]) {
				t.Fatalf("cut at %d: the records are not the first ones:\n%s", cut, diffItems(got, all[:len(got)]))
			}
			// Every record whose element ends before the cut is there.
			ended := 0
			for _, it := range all {
				start := lineStart(in, it.Rec.Line)
				end := start + strings.Index(in[start:], "/>") + 2
				if strings.HasPrefix(in[start:], "  <mms") && strings.Index(in[start:], ">") < strings.Index(in[start:], "/>") {
					end = start + strings.Index(in[start:], "</mms>") + 6
				}
				if end <= cut {
					ended++
				}
			}
			if len(got) < ended {
				t.Fatalf("cut at %d: %d records, want at least %d", cut, len(got), ended)
			}
		}
	}
}

// lineStart is the offset of a 1-based line.
func lineStart(s string, line int) int {
	off := 0
	for ; line > 1; line-- {
		off += strings.IndexByte(s[off:], '\n') + 1
	}
	return off
}

const xmlCallSample = `<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>
<calls count="3">
  <call number="+8613800000001" duration="35" date="1767229200000" type="1" contact_name="null" />
  <call number="+8613800000002" duration="0" date="1767229300000" type="3" contact_name="Synthetic Friend 1" />
  <call number="+8613800000003" duration="9" date="1767229400000" type="2" />
</calls>
`

// TestReaders reads files through readers that return a byte at a time,
// half of what is asked, and the last bytes with io.EOF: the records must
// not change.
func TestReaders(t *testing.T) {
	var gen bytes.Buffer
	if _, err := Generate(&gen, GenOptions{Format: FormatSMSXML, Bytes: 200 << 10, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{smsSample, xmlCallSample, gen.String(), csvSample} {
		_, want, wantFatal, err := readAll(t, strings.NewReader(in), "t", len(in), Options{})
		if err != nil || wantFatal != nil {
			t.Fatal(err, wantFatal)
		}
		for name, r := range map[string]io.Reader{
			"one byte": iotest.OneByteReader(strings.NewReader(in)),
			"half":     iotest.HalfReader(strings.NewReader(in)),
			"data+EOF": iotest.DataErrReader(strings.NewReader(in)),
		} {
			_, got, fatal, err := readAll(t, r, "t", len(in), Options{})
			if err != nil || fatal != nil {
				t.Fatalf("%s: %v %v", name, err, fatal)
			}
			if !sameItems(got, want) {
				t.Fatalf("%s: records differ:\n%s", name, diffItems(got, want))
			}
		}
	}
}

// errReader returns its data, then an error.
type errReader struct {
	data []byte
	err  error
}

func (r *errReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

// TestReadError checks that an I/O error ends the file with a fatal error
// that wraps it, after the records read before it.
func TestReadError(t *testing.T) {
	boom := errors.New("boom")
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{smsSample[:strings.Index(smsSample, "<mms")], 1, "t:6: smses: read error: boom"},
		{smsSample[:strings.Index(smsSample, "<mms")+10], 1, "t:6: smses: read error: boom"},
		{"time,number,direction,kind,text\n2026-01-01 10:00,1,in,sms,hi\n2026-01-01 10:01,1,in,sms,h", 1, "t:3: row: read error: boom"},
	} {
		_, got, fatal, err := readAll(t, &errReader{[]byte(tc.in), boom}, "t", len(tc.in), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != tc.n {
			t.Errorf("%d records, want %d", len(got), tc.n)
		}
		if fatal == nil || fatal.Error() != tc.want || !errors.Is(fatal, boom) {
			t.Errorf("error %v, want %s wrapping boom", fatal, tc.want)
		}
	}
	if _, err := Open(&errReader{nil, boom}, "t", Options{}); err == nil || !errors.Is(err, boom) {
		t.Errorf("Open on a failing reader: %v, want an error wrapping boom", err)
	}
}

// TestLargeTag checks the bound on a single piece of markup: with the
// default limit, and, to keep the test fast, with a limit of 64 KiB on each
// thing it bounds.
func TestLargeTag(t *testing.T) {
	in := "<smses>\n<sms date=\"1\" type=\"1\" body=\"" + strings.Repeat("x", MaxToken) + "\"/>\n</smses>\n"
	got, fatal := readString(t, "t.xml", in)
	expect(t, got, fatal, nil, "t.xml:2: sms: the tag <sms> is larger than 16 MiB")

	const limit = 64 << 10
	big := strings.Repeat("x", limit)
	for _, tc := range []struct {
		in   string
		want []item
		err  string
	}{
		{"<smses>\n<sms date=\"1\" type=\"1\" body=\"" + big + "\"/>\n</smses>\n", nil, "t.xml:2: sms: the tag <sms> is larger than 64 KiB"},
		{"<smses>\n<sms date=\"1\" type=\"1\" body=\"" + big[:limit-100] + "\"/>\n<sms date=\"2\" type=\"1\" body=\"small\"/></smses>\n",
			[]item{smsIn(2, 1, "", "", big[:limit-100]), smsIn(3, 2, "", "", "small")}, ""},
		{"<smses>\n<sms date=\"1\" type=\"1\"/><!--" + big + "-->\n</smses>\n", []item{smsIn(2, 1, "", "", "")}, "t.xml:2: smses: a comment is larger than 64 KiB"},
		{"<smses>\n<mms date=\"1\" msg_box=\"1\">\n<part ct=\"text/plain\" text=\"" + big[:limit/2] + "\"/>\n<part ct=\"text/plain\" text=\"" + big[:limit/2] + "\"/>\n</mms></smses>",
			nil, "t.xml:4: mms: the text of the message is larger than 64 KiB"},
		{"<smses>\n<mms date=\"1\" msg_box=\"1\">\n<part ct=\"text/plain\" text=\"" + big[:limit/2] + "\"/>\n<part ct=\"text/plain\" text=\"" + big[:limit/2-100] + "\"/>\n</mms></smses>",
			[]item{smsIn(2, 1, "", "", big[:limit/2]+"\n"+big[:limit/2-100])}, ""},
		{"<smses>\n&#" + strings.Repeat("0", limit) + "65;</smses>", nil, "t.xml:2: smses: an entity reference is larger than 64 KiB"},
		{"<smses>\n&#" + strings.Repeat("0", limit-100) + "65;</smses>", nil, ""},
		{"<!---->\n&#" + strings.Repeat("0", limit-100) + "32;<smses/>", nil, ""},
		{"<smses/>\n&#" + strings.Repeat("0", limit-100) + "65;", nil, "t.xml:2: document: text outside the root element"},
		{"<smses>\n<sms date=\"1\" type=\"1\">&#" + strings.Repeat("0", limit-100) + "65;</sms></smses>", []item{smsIn(2, 1, "", "", "")}, ""},
		{"<smses>" + strings.Repeat("<"+big[:limit/4]+">", 4) + "</smses>", nil, "t.xml:1: " + big[:limit/4] + ": the names of the open elements are longer than 64 KiB"},
	} {
		_, got, fatal, err := readAllBuf(t, strings.NewReader(tc.in), "t.xml", len(tc.in), Options{}, 4<<10, limit)
		if err != nil {
			t.Fatal(err)
		}
		expect(t, got, fatal, tc.want, tc.err)
	}
}

// TestDeepNesting checks the bound on nesting.
func TestDeepNesting(t *testing.T) {
	in := "<smses>" + strings.Repeat("<a>", MaxDepth) + strings.Repeat("</a>", MaxDepth) + "</smses>"
	got, fatal := readString(t, "t.xml", in)
	expect(t, got, fatal, nil, "t.xml:1: a: elements nested more than 10000 deep")
	in = "<smses>" + strings.Repeat("<a>", MaxDepth-1) + strings.Repeat("</a>", MaxDepth-1) + "<sms date='1' type='2'/></smses>"
	got, fatal = readString(t, "t.xml", in)
	expect(t, got, fatal, []item{rec(Record{Kind: SMS, At: ms(1), Line: 1})}, "")
}

// TestOffset checks that Offset counts the bytes consumed.
func TestOffset(t *testing.T) {
	for _, in := range []string{smsSample, csvSample} {
		rd, err := Open(strings.NewReader(in), "t", Options{})
		if err != nil {
			t.Fatal(err)
		}
		prev := rd.Offset()
		for {
			_, err := rd.Next()
			if err == io.EOF {
				break
			}
			if rd.Offset() < prev {
				t.Fatalf("Offset went back from %d to %d", prev, rd.Offset())
			}
			prev = rd.Offset()
		}
		if rd.Offset() != int64(len(in)) {
			t.Errorf("Offset at the end is %d, want %d", rd.Offset(), len(in))
		}
	}
	rd, err := Open(strings.NewReader(smsSample), "t", Options{})
	if err != nil {
		t.Fatal(err)
	}
	rd.Next()
	if want := int64(strings.Index(smsSample, "/>\n  <mms") + 2); rd.Offset() != want {
		t.Errorf("Offset after the first record is %d, want %d", rd.Offset(), want)
	}
}

func TestEntity(t *testing.T) {
	for _, tc := range []struct {
		in string
		ch rune
		n  int
		ok bool
	}{
		{"&amp;x", '&', 5, true},
		{"&lt;", '<', 4, true},
		{"&gt;", '>', 4, true},
		{"&quot;", '"', 6, true},
		{"&apos;", '\'', 6, true},
		{"&#10;", '\n', 5, true},
		{"&#x1f600;", 0x1F600, 9, true},
		{"&#x10FFFF;", 0x10FFFF, 10, true},
		{"&#1114111;", 0x10FFFF, 10, true},
		{"&#0000000000000000000000065;", 'A', 28, true},
		{"&#1114112;", 0, 0, false},
		{"&#99999999999999999999999;", 0, 0, false},
		{"&#X41;", 0, 0, false},
		{"&#x;", 0, 0, false},
		{"&#;", 0, 0, false},
		{"&#65", 0, 0, false},
		{"&amp", 0, 0, false},
		{"&;", 0, 0, false},
		{"&nbsp;", 0, 0, false},
		{"&AMP;", 0, 0, false},
		{"&", 0, 0, false},
	} {
		ch, n, ok := entity([]byte(tc.in))
		if ch != tc.ch && tc.ok || n != tc.n || ok != tc.ok {
			t.Errorf("entity(%q) = %q, %d, %v; want %q, %d, %v", tc.in, ch, n, ok, tc.ch, tc.n, tc.ok)
		}
	}
}

func TestParseInt(t *testing.T) {
	for _, s := range []string{"0", "-0", "+5", "123", "-9223372036854775808", "9223372036854775807",
		"9223372036854775808", "-9223372036854775809", "", "-", "+", "1.5", " 1", "1 ", "0x10", "1_000", "00000000000000000000000042", "18446744073709551616"} {
		want, err := strconvParseInt(s)
		got, ok := parseInt([]byte(s))
		if ok != (err == nil) || got != want {
			t.Errorf("parseInt(%q) = %d, %v; strconv says %d, %v", s, got, ok, want, err)
		}
	}
}

// xmlSeeds are the unit tests' XML inputs, for the fuzz targets and the
// differential test.
func xmlSeeds() []string {
	s := []string{smsSample, xmlCallSample, smsTypesInput, callTypesInput, structureInput,
		"<smses/>", "<calls></calls>",
		"<smses><sms date='1' type='1' body='&#55357;&#56832;'/></smses>",
		"<smses>\r\n<sms date='1' type='1' body='a\r\nb\rc'/>\r\n</smses>",
		"<!DOCTYPE x [<!ENTITY a 'b'> <!-- > --> <x y='>'>]><smses><sms date='1' type='1'/></smses>",
		"<smses><sms date='1' type='1' a:b='1' x:date='2'/></smses>",
		"<smses><sms date='1'type='1'/></smses>",
	}
	for _, tc := range textCases {
		s = append(s, textInput(tc.body))
	}
	for _, tc := range xmlFatalCases {
		s = append(s, tc.in)
	}
	for _, tc := range openErrorCases {
		s = append(s, tc.in)
	}
	return s
}
