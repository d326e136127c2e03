package export

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// checkChunking reads data with small buffers and small reads, and checks
// that the result is what reading it whole gives, fatal error included.
func checkChunking(t *testing.T, data []byte, opt Options) {
	t.Helper()
	format, want, wantFatal, wantErr := readAll(t, bytes.NewReader(data), "in", len(data), opt)
	// The Reader fills its buffer whatever the size of the reads; they matter
	// only to the CSV reader, which reads through it.
	for _, c := range []struct {
		bufSize int
		r       io.Reader
	}{{4, bytes.NewReader(data)}, {7, iotest.HalfReader(bytes.NewReader(data))}, {64, bytes.NewReader(data)}} {
		f, got, fatal, err := readAllBuf(t, c.r, "in", len(data), opt, c.bufSize, MaxToken)
		if (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
			t.Fatalf("buffer %d: Open: %v; with a large buffer: %v\ninput: %q", c.bufSize, err, wantErr, data)
		}
		if f != format || !sameItems(got, want) {
			t.Fatalf("buffer %d: records differ:\n%s\ninput: %q", c.bufSize, diffItems(got, want), data)
		}
		if (fatal == nil) != (wantFatal == nil) || fatal != nil && *fatal != *wantFatal {
			t.Fatalf("buffer %d: fatal error %v; with a large buffer: %v\ninput: %q", c.bufSize, fatal, wantFatal, data)
		}
	}
}

// FuzzXML reads arbitrary bytes: the Reader must not panic, must end, must
// read the same whatever the size of its buffer and of the reads, and must
// read what encoding/xml reads when encoding/xml reads the file. As few
// mutations of a whole file are well formed, the bytes are also read as the
// content of <smses> and of <calls>, and the seeds include the contents of
// the unit tests' files.
func FuzzXML(f *testing.F) {
	for _, s := range xmlSeeds() {
		f.Add([]byte(s))
		if c := rootContent(s); c != "" {
			f.Add([]byte(c))
		}
	}
	var b bytes.Buffer
	Generate(&b, GenOptions{Format: FormatSMSXML, Bytes: 1 << 10, Seed: 1})
	f.Add(b.Bytes())
	b.Reset()
	Generate(&b, GenOptions{Format: FormatCallXML, Bytes: 1 << 10, Seed: 1})
	f.Add(b.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		checkChunking(t, data, Options{})
		checkDifferential(t, data)
		for _, root := range []string{"smses", "calls"} {
			in := append(append([]byte("<"+root+">"), data...), "</"+root+">"...)
			readAll(t, bytes.NewReader(in), "in", len(in), Options{})
			checkDifferential(t, in)
		}
	})
}

// FuzzCSV reads arbitrary bytes as CSV: the Reader must not panic, must end,
// must read the same whatever the size of its buffer and of the reads, and
// what it returns must be consistent: one record or error per row, records
// that make sense, and errors that name a row.
func FuzzCSV(f *testing.F) {
	for _, s := range csvSeeds() {
		f.Add([]byte(s))
	}
	var b bytes.Buffer
	Generate(&b, GenOptions{Format: FormatCSV, Bytes: 1 << 10, Seed: 1})
	f.Add(b.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		opt := Options{Location: cst}
		checkChunking(t, data, opt)
		format, items, fatal, err := readAll(t, bytes.NewReader(data), "in.csv", len(data), opt)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || !pe.Fatal || pe.Line < 1 {
				t.Fatalf("Open: %#v", err)
			}
			return
		}
		if format != FormatCSV {
			return
		}
		line := 0
		for _, it := range items {
			if it.Err != "" {
				continue
			}
			r := it.Rec
			if r.Line <= line {
				t.Fatalf("record on line %d after line %d", r.Line, line)
			}
			line = r.Line
			switch {
			case r.Kind == SMS && (r.Outcome != OutcomeNone || r.Duration != 0):
				t.Fatalf("a message with an outcome or a duration: %v", it)
			case r.Kind == Call && r.Text != "":
				t.Fatalf("a call with a text: %v", it)
			case r.Kind == Call && !r.In && r.Outcome != Outgoing:
				t.Fatalf("an outgoing call with outcome %v", r.Outcome)
			case r.Kind == Call && r.In && (r.Outcome < Answered || r.Outcome > Blocked):
				t.Fatalf("an incoming call with outcome %v", r.Outcome)
			case r.Kind != Call && r.Kind != SMS, r.Duration < 0, r.At.IsZero():
				t.Fatalf("a record that makes no sense: %v", it)
			}
		}
		if fatal != nil {
			return
		}
		// Every row but the header and rows of empty cells is a record or an
		// error: count them with encoding/csv.
		data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
		data = bytes.TrimLeft(data, " \t\r\n")
		cr := csv.NewReader(bytes.NewReader(data))
		cr.FieldsPerRecord = -1
		rows := -1 // the header
		for {
			row, err := cr.Read()
			if err == io.EOF {
				break
			}
			if err == nil && len(bytes.TrimSpace([]byte(joinFields(row)))) == 0 {
				continue
			}
			rows++
		}
		if rows != len(items) {
			t.Fatalf("%d rows, %d records and errors", rows, len(items))
		}
	})
}

func joinFields(row []string) string {
	var b bytes.Buffer
	for _, f := range row {
		b.WriteString(f)
	}
	return b.String()
}

// rootContent is what is between the root's tags in a file, or "".
func rootContent(s string) string {
	i := strings.Index(s, "<smses")
	if i < 0 {
		i = strings.Index(s, "<calls")
	}
	if i < 0 {
		return ""
	}
	k := strings.IndexByte(s[i:], '>')
	j := strings.LastIndex(s, "</")
	if k < 0 || j < i+k {
		return ""
	}
	return s[i+k+1 : j]
}
