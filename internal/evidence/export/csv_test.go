package export

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

var cst = time.FixedZone("CST", 8*3600)

const csvSample = `time,number,direction,kind,text,duration,outcome,name
2026-01-01T10:00:00+08:00,+8613800000001,in,sms,"Hello, world",,,Synthetic Friend 1
2026-01-01 10:05:00,+8613800000001,out,sms,"line 1
line 2 ""quoted""",,, 
2026-01-01 10:06,+8613800000002,IN,Call,,35,,
2026-01-01 10:07,+8613800000002,incoming,call,,0,,
2026-01-01 10:08,+8613800000002,in,call,, 0 ,voicemail,
2026-01-01 10:09,+8613800000002,outgoing,call,,12,,
2026-01-01 10:10,+8613800000002,in,call,,,rejected,

2026-01-01 10:11,+8613800000002,in,call,,,Blocked,
2026-01-01 10:12,+8613800000002,in,call,,3,missed,
2026-01-01 10:13, +8613800000002 ,in,call,ignored text,60,answered,
2026-01-01T02:14:00Z,+8613800000002,out,call,,0,answered,
,,,,,,,
2026-01-01T02:15:00.5-05:00,+12025550101,in,SMS,  spaces kept  ,,,
`

func TestCSV(t *testing.T) {
	_, got, fatal, err := readAll(t, strings.NewReader(csvSample), "t.csv", len(csvSample), Options{Location: cst})
	if err != nil {
		t.Fatal(err)
	}
	at := func(min int) time.Time { return time.Date(2026, 1, 1, 10, min, 0, 0, cst) }
	call := func(line, min int, in bool, o Outcome, secs int) item {
		return rec(Record{Kind: Call, In: in, Outcome: o, At: at(min), Number: "+8613800000002", Duration: time.Duration(secs) * time.Second, Line: line})
	}
	expect(t, got, fatal, []item{
		rec(Record{Kind: SMS, In: true, At: at(0), Number: "+8613800000001", Name: "Synthetic Friend 1", Text: "Hello, world", Line: 2}),
		rec(Record{Kind: SMS, At: at(5), Number: "+8613800000001", Text: "line 1\nline 2 \"quoted\"", Line: 3}),
		call(5, 6, true, Answered, 35),
		call(6, 7, true, Missed, 0),
		call(7, 8, true, Voicemail, 0),
		call(8, 9, false, Outgoing, 12),
		call(9, 10, true, Rejected, 0),
		call(11, 11, true, Blocked, 0),
		call(12, 12, true, Missed, 3),
		call(13, 13, true, Answered, 60),
		call(14, 14, false, Outgoing, 0),
		rec(Record{Kind: SMS, In: true, At: time.Date(2026, 1, 1, 7, 15, 0, 5e8, time.UTC), Number: "+12025550101", Text: "  spaces kept  ", Line: 16}),
	}, "")
}

// TestCSVLayout checks a byte order mark, CRLF line ends, columns in another
// order and case, unknown columns, and no optional columns; and that times
// without an offset are read in UTC by default.
func TestCSVLayout(t *testing.T) {
	in := "\xEF\xBB\xBF Kind ,TEXT,extra,Number,time,Direction\r\n" +
		"sms,\"a,b\r\nc\",x,1,2026-01-01 10:00,in\r\n" +
		"call,,x,2,2026-01-01 10:01:30,out\r\n" +
		"call,,x,3,2026-01-01 10:02:00,in\r\n"
	_, got, fatal, err := readAll(t, strings.NewReader(in), "t.csv", len(in), Options{})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, got, fatal, []item{
		rec(Record{Kind: SMS, In: true, At: time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC), Number: "1", Text: "a,b\nc", Line: 2}),
		rec(Record{Kind: Call, Outcome: Outgoing, At: time.Date(2026, 1, 1, 10, 1, 30, 0, time.UTC), Number: "2", Line: 4}),
		rec(Record{Kind: Call, In: true, Outcome: Missed, At: time.Date(2026, 1, 1, 10, 2, 0, 0, time.UTC), Number: "3", Line: 5}),
	}, "")
}

const csvErrors = `time,number,direction,kind,text,duration,outcome
yesterday,1,in,sms,x,,
2026-01-01 10:00,1,sideways,sms,x,,
2026-01-01 10:00,1,in,fax,x,,
"2026-01-01 10:00","multi
line",in,call,,abc,
2026-01-01 10:00,1,in,call,,1.5,
2026-01-01 10:00,1,in,call,,-3,
2026-01-01 10:00,1,in,call,,3,maybe
2026-01-01 10:00,1,in,call,,3,outgoing
2026-01-01 10:00,1,in,sms,x
2026-01-01 10:00,1,in,sms,x,,,extra
2026-01-01 10:00,1,in,sms,a "b" c,,
2026-02-30 10:00,1,in,sms,x,,
2026-01-01T10:00:00,1,in,sms,x,,
2026-01-01 10:00:00 +0800,1,in,sms,x,,
,,,,,,
2026-01-01 10:00,1,in,sms,"ok ""fine""",,maybe
2026-01-01 10:00,1,in,sms,"x"y,,
2026-01-01 10:00,1,out,call,,,rejected
2026-01-01 10:00,1,in,sms,"unclosed,,
`

func TestCSVErrors(t *testing.T) {
	_, got, fatal, err := readAll(t, strings.NewReader(csvErrors), "calls.csv", len(csvErrors), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := "(want RFC 3339 or YYYY-MM-DD HH:MM[:SS])"
	expect(t, got, fatal, []item{
		errItem(`calls.csv:2: row: time: "yesterday" is not a time ` + want),
		errItem(`calls.csv:3: row: direction: "sideways" is not in or out`),
		errItem(`calls.csv:4: row: kind: "fax" is not call or sms`),
		errItem(`calls.csv:6: row: duration: "abc" is not a whole number of seconds`),
		errItem(`calls.csv:7: row: duration: "1.5" is not a whole number of seconds`),
		errItem(`calls.csv:8: row: duration: "-3" is not a whole number of seconds`),
		errItem(`calls.csv:9: row: outcome: "maybe" is not answered, missed, voicemail, rejected or blocked`),
		errItem(`calls.csv:10: row: outcome: "outgoing" is not the outcome of an incoming call`),
		errItem(`calls.csv:11: row: the row has 5 fields, the header 7`),
		errItem(`calls.csv:12: row: the row has 8 fields, the header 7`),
		errItem(`calls.csv:13: row: column 29: bare " in non-quoted-field`),
		errItem(`calls.csv:14: row: time: "2026-02-30 10:00" is not a time ` + want),
		errItem(`calls.csv:15: row: time: "2026-01-01T10:00:00" is not a time ` + want),
		errItem(`calls.csv:16: row: time: "2026-01-01 10:00:00 +0800" is not a time ` + want),
		rec(Record{Kind: SMS, In: true, At: time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC), Number: "1", Text: `ok "fine"`, Line: 18}),
		errItem(`calls.csv:19: row: column 29: extraneous or missing " in quoted-field`),
		rec(Record{Kind: Call, Outcome: Outgoing, At: time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC), Number: "1", Line: 20}),
		errItem(`calls.csv:21: row: column 39: extraneous or missing " in quoted-field`),
	}, "")
}

// TestCSVLargeRow checks the bound on a row, with a limit of 64 KiB to keep
// the test fast: a row of the limit's size is read, and one a little larger
// (the bound is checked on reads of up to 4 KiB) is a fatal error.
func TestCSVLargeRow(t *testing.T) {
	const limit = 64 << 10
	head := "time,number,direction,kind,text\n2026-01-01 10:00,1,in,sms,ok\n"
	row := "2026-01-01 10:00,1,in,sms,"
	ok := rec(Record{Kind: SMS, In: true, At: time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC), Number: "1", Text: "ok", Line: 2})
	text := strings.Repeat("x", limit-len(row)-1)
	in := head + row + text + "\n" + row + "ok\n"
	_, got, fatal, err := readAllBuf(t, strings.NewReader(in), "t.csv", len(in), Options{}, bufSize, limit)
	if err != nil {
		t.Fatal(err)
	}
	big := ok
	big.Rec.Text, big.Rec.Line = text, 3
	last := ok
	last.Rec.Line = 4
	expect(t, got, fatal, []item{ok, big, last}, "")

	in = head + row + strings.Repeat("x", limit+8<<10) + "\n" + row + "ok\n"
	_, got, fatal, err = readAllBuf(t, strings.NewReader(in), "t.csv", len(in), Options{}, bufSize, limit)
	if err != nil {
		t.Fatal(err)
	}
	expect(t, got, fatal, []item{ok}, "t.csv:3: row: a row is larger than 64 KiB")

	// The default limit.
	rd, err := Open(strings.NewReader(head), "t.csv", Options{})
	if err != nil || rd.max != MaxToken {
		t.Fatalf("Open: %v, limit %d", err, rd.max)
	}
}

func strconvParseInt(s string) (int64, error) {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, err
	}
	return v, nil
}

// csvSeeds are the unit tests' CSV inputs, for the fuzz targets.
func csvSeeds() []string {
	return []string{csvSample, csvErrors,
		"\xEF\xBB\xBF Kind ,TEXT,extra,Number,time,Direction\r\nsms,\"a,b\r\nc\",x,1,2026-01-01 10:00,in\r\n",
		"time,number,direction,kind,text\n\"2026-01-01 10:00\",1,in,sms,\"unclosed",
	}
}
