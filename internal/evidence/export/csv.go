package export

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// The CSV columns.
const (
	colTime = iota
	colNumber
	colDirection
	colKind
	colText
	nRequiredCols // the columns before this one are required

	colDuration = iota - 1
	colOutcome
	colName
	nCols
)

var colNames = [nCols]string{"time", "number", "direction", "kind", "text", "duration", "outcome", "name"}

// csvState is the state of a CSV Reader.
type csvState struct {
	cr      *csv.Reader
	in      *csvInput
	col     [nCols]int // the field of each column; -1 if the file has none
	nfields int        // fields in the header
	loc     *time.Location

	lineBase int   // lines before the CSV reader's first line
	offBase  int64 // bytes before the CSV reader's first byte
	nextLine int   // where the next row starts, about: for an error about a row too large
}

// errRowTooLarge ends a CSV file with a row larger than the limit.
var errRowTooLarge = errors.New("row too large")

// csvInput gives the CSV reader what is left in the Reader's buffer, then
// the rest of the input. It refuses to give more than MaxToken bytes for one
// row, so that a file without line breaks does not fill the memory.
type csvInput struct {
	rd *Reader
	n  int64 // bytes given since the row began
}

func (in *csvInput) Read(p []byte) (int, error) {
	// The CSV reader reads ahead up to 4 KiB: a row of MaxToken bytes is
	// always read.
	if in.n > int64(in.rd.max)+4<<10 {
		return 0, errRowTooLarge
	}
	rd := in.rd
	if rd.r < rd.w {
		n := copy(p, rd.buf[rd.r:rd.w])
		rd.r += n
		in.n += int64(n)
		return n, nil
	}
	if rd.eof {
		if rd.rerr != nil {
			return 0, rd.rerr
		}
		return 0, io.EOF
	}
	n, err := rd.src.Read(p)
	if n < 0 || n > len(p) {
		n, err = 0, fmt.Errorf("the reader returned an impossible count %d", n)
	}
	in.n += int64(n)
	if err != nil {
		rd.eof = true
		if errors.Is(err, io.EOF) {
			err = io.EOF
		} else {
			rd.rerr = err
		}
	}
	return n, err
}

// openCSV reads the header.
func (r *Reader) openCSV(opt Options) error {
	r.format = FormatCSV
	c := &csvState{loc: opt.Location, lineBase: r.line - 1, offBase: r.base + int64(r.r)}
	if c.loc == nil {
		c.loc = time.UTC
	}
	c.in = &csvInput{rd: r}
	c.cr = csv.NewReader(c.in)
	c.cr.FieldsPerRecord = -1
	c.cr.ReuseRecord = true
	header, err := c.cr.Read()
	if err != nil {
		pe := r.csvError(c, err)
		pe.Elem, pe.Fatal = "header", true
		if err == io.EOF {
			pe.Line, pe.Msg = r.line, "the file is empty: not a phone export"
		}
		return pe
	}
	line, _ := c.cr.FieldPos(0)
	line += c.lineBase
	for i := range c.col {
		c.col[i] = -1
	}
	var have []string
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		have = append(have, h)
		for k, name := range colNames {
			if h != name {
				continue
			}
			if c.col[k] >= 0 {
				return &ParseError{File: r.name, Line: line, Elem: "header", Msg: fmt.Sprintf("column %q appears twice", name), Fatal: true}
			}
			c.col[k] = i
		}
	}
	var missing []string
	for k := range nRequiredCols {
		if c.col[k] < 0 {
			missing = append(missing, fmt.Sprintf("%q", colNames[k]))
		}
	}
	if len(missing) == nRequiredCols {
		return &ParseError{File: r.name, Line: line, Elem: "header", Fatal: true,
			Msg: "not a phone export: neither XML from SMS Backup & Restore nor CSV whose first row names the columns time, number, direction, kind and text"}
	}
	if len(missing) > 0 {
		s := "s"
		if len(missing) == 1 {
			s = ""
		}
		return &ParseError{File: r.name, Line: line, Elem: "header", Fatal: true,
			Msg: fmt.Sprintf("missing column%s %s (the header has %s; want time, number, direction, kind, text and optionally duration, outcome, name)", s, strings.Join(missing, ", "), quoteValue(strings.Join(have, ",")))}
	}
	c.nfields = len(header)
	c.nextLine = line + 1
	r.c = c
	return nil
}

func (c *csvState) offset() int64 { return c.offBase + c.cr.InputOffset() }

// csvError turns an error from the CSV reader into a ParseError.
func (r *Reader) csvError(c *csvState, err error) *ParseError {
	var cpe *csv.ParseError
	switch {
	case errors.As(err, &cpe):
		return &ParseError{File: r.name, Line: cpe.Line + c.lineBase, Elem: "row", Msg: fmt.Sprintf("column %d: %v", cpe.Column, cpe.Err)}
	case err == errRowTooLarge:
		return &ParseError{File: r.name, Line: c.nextLine, Elem: "row", Msg: "a row is larger than " + sizeString(r.max), Fatal: true}
	case err == io.EOF:
		return &ParseError{File: r.name, Line: c.nextLine, Elem: "row", Msg: "unexpected end of file", Fatal: true}
	}
	return &ParseError{File: r.name, Line: c.nextLine, Elem: "row", Msg: "read error: " + err.Error(), Fatal: true, Err: err}
}

// nextCSV returns the next record of a CSV file.
func (r *Reader) nextCSV() (Record, error) {
	c := r.c
	for {
		c.in.n = 0
		row, err := c.cr.Read()
		if err == io.EOF {
			return Record{}, io.EOF
		}
		if err != nil {
			return Record{}, r.csvError(c, err)
		}
		last := len(row) - 1
		l, _ := c.cr.FieldPos(last)
		c.nextLine = l + c.lineBase + strings.Count(row[last], "\n") + 1
		empty := true
		for _, f := range row {
			if strings.TrimSpace(f) != "" {
				empty = false
				break
			}
		}
		if empty {
			continue // a row of empty cells, as spreadsheets write
		}
		return r.csvRecord(c, row)
	}
}

// csvRecord makes the record of a row.
func (r *Reader) csvRecord(c *csvState, row []string) (Record, error) {
	line, _ := c.cr.FieldPos(0)
	rec := Record{Line: line + c.lineBase}
	if len(row) != c.nfields {
		return Record{}, r.recordError(rec.Line, "row", "the row has %d fields, the header %d", len(row), c.nfields)
	}
	bad := func(col int, format string, args ...any) error {
		l, _ := c.cr.FieldPos(c.col[col])
		return r.recordError(l+c.lineBase, "row", "%s: %s", colNames[col], fmt.Sprintf(format, args...))
	}
	field := func(col int) string {
		if c.col[col] < 0 {
			return ""
		}
		return strings.TrimSpace(row[c.col[col]])
	}

	s := field(colTime)
	at, ok := parseCSVTime(s, c.loc)
	if !ok {
		return Record{}, bad(colTime, "%s is not a time (want RFC 3339 or YYYY-MM-DD HH:MM[:SS])", quoteValue(s))
	}
	rec.At = at
	rec.Number = field(colNumber)
	rec.Name = field(colName)
	switch s := field(colDirection); strings.ToLower(s) {
	case "in", "incoming":
		rec.In = true
	case "out", "outgoing":
	default:
		return Record{}, bad(colDirection, "%s is not in or out", quoteValue(s))
	}
	switch s := field(colKind); strings.ToLower(s) {
	case "call":
		rec.Kind = Call
	case "sms":
		rec.Kind = SMS
	default:
		return Record{}, bad(colKind, "%s is not call or sms", quoteValue(s))
	}
	if rec.Kind == SMS {
		rec.Text = row[c.col[colText]]
		return rec, nil
	}
	if s := field(colDuration); s != "" {
		secs, ok := parseInt([]byte(s))
		if !ok || secs < 0 || secs > maxSeconds {
			return Record{}, bad(colDuration, "%s is not a whole number of seconds", quoteValue(s))
		}
		rec.Duration = time.Duration(secs) * time.Second
	}
	s = field(colOutcome)
	o := OutcomeNone
	switch strings.ToLower(s) {
	case "":
	case "answered":
		o = Answered
	case "missed":
		o = Missed
	case "voicemail":
		o = Voicemail
	case "rejected":
		o = Rejected
	case "blocked":
		o = Blocked
	case "outgoing":
		o = Outgoing
	default:
		return Record{}, bad(colOutcome, "%s is not answered, missed, voicemail, rejected or blocked", quoteValue(s))
	}
	switch {
	case !rec.In:
		rec.Outcome = Outgoing
	case o == Outgoing:
		return Record{}, bad(colOutcome, "%s is not the outcome of an incoming call", quoteValue(s))
	case o != OutcomeNone:
		rec.Outcome = o
	case rec.Duration > 0:
		rec.Outcome = Answered
	default:
		rec.Outcome = Missed
	}
	return rec, nil
}

// The layouts of CSV times without a UTC offset.
const (
	layoutSeconds = "2006-01-02 15:04:05"
	layoutMinutes = "2006-01-02 15:04"
)

// parseCSVTime reads an RFC 3339 time, or a time in loc without an offset.
func parseCSVTime(s string, loc *time.Location) (time.Time, bool) {
	if len(s) > 10 && s[10] == ' ' {
		layout := layoutSeconds
		if len(s) == len(layoutMinutes) {
			layout = layoutMinutes
		}
		t, err := time.ParseInLocation(layout, s, loc)
		return t, err == nil
	}
	t, err := time.Parse(time.RFC3339, s)
	return t, err == nil
}
