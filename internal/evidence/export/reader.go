package export

import (
	"errors"
	"fmt"
	"io"
	"time"
)

// Limits on what one file may hold. They bound the memory a Reader uses
// whatever the size of the file.
const (
	bufSize = 64 << 10 // the input buffer's starting size

	// MaxToken is the largest single piece of markup (a tag with its
	// attributes, a comment, a DOCTYPE), CSV row or MMS text a Reader
	// accepts; a larger one is a fatal error.
	MaxToken = 16 << 20

	// MaxDepth is how deeply XML elements may nest.
	MaxDepth = 10000
)

// Options says how to read a file.
type Options struct {
	// Location is where CSV times without a UTC offset are read; nil means UTC.
	Location *time.Location
}

// Reader reads the records of one export, one at a time, in bounded memory.
// It is not safe for concurrent use.
type Reader struct {
	name   string
	format Format
	done   bool // a fatal error or the end was returned: Next returns io.EOF
	max    int  // the largest piece of markup, CSV row or MMS text: MaxToken

	// The input: buf[r:w] is read but not consumed; buf[0] is byte base of
	// the input, and buf[r] is on line line.
	src  io.Reader
	buf  []byte
	r, w int
	base int64
	line int
	eof  bool  // src has no more bytes
	rerr error // the error that ended src, if not io.EOF

	x xmlState
	c *csvState
}

// Open sniffs the format of an export from its first bytes and returns a
// Reader for it. An XML file (its first byte other than a byte order mark or
// white space is '<') must have the root element <smses> (SMS Backup &
// Restore messages) or <calls> (its call log); anything else is read as CSV
// and must start with a header row naming the columns time, number,
// direction, kind and text (and optionally duration, outcome and name, in any
// order and any case; other columns are ignored). name is the file's name for
// error messages. An unrecognisable file, a malformed XML prolog or a CSV
// header without a required column is an error naming the file.
func Open(r io.Reader, name string, opt Options) (*Reader, error) {
	return open(r, name, opt, bufSize, MaxToken)
}

// open is Open with a buffer of the given starting size and a limit other
// than MaxToken; tests make them small, to read across the buffer's end
// often and to reach the limit quickly.
func open(r io.Reader, name string, opt Options, size, limit int) (*Reader, error) {
	rd := &Reader{name: name, src: r, buf: make([]byte, max(min(size, limit), 4)), max: max(limit, 4), line: 1}
	// Skip a UTF-8 byte order mark and white space, and look at the first
	// byte after them.
	for rd.w < 3 && rd.fill() {
	}
	if rd.w >= 3 && rd.buf[0] == 0xEF && rd.buf[1] == 0xBB && rd.buf[2] == 0xBF {
		rd.r = 3
	}
	for {
		for rd.r < rd.w && isSpace(rd.buf[rd.r]) {
			if rd.buf[rd.r] == '\n' {
				rd.line++
			}
			rd.r++
		}
		if rd.r < rd.w || !rd.fill() {
			break
		}
	}
	if rd.r == rd.w {
		if rd.rerr != nil {
			return nil, &ParseError{File: name, Line: rd.line, Elem: "file", Msg: "read error: " + rd.rerr.Error(), Fatal: true, Err: rd.rerr}
		}
		return nil, &ParseError{File: name, Line: rd.line, Elem: "file", Msg: "the file is empty: not a phone export", Fatal: true}
	}
	first := rd.buf[rd.r]
	if first == '<' {
		if err := rd.openXML(); err != nil {
			return nil, err
		}
		return rd, nil
	}
	if err := rd.openCSV(opt); err != nil {
		return nil, err
	}
	return rd, nil
}

// Format is the format Open found.
func (r *Reader) Format() Format { return r.format }

// Next returns the next record, or io.EOF after the last. A *ParseError with
// Fatal false means that one record was skipped (it says which and why);
// call Next again to go on. A *ParseError with Fatal true means the file
// ended there (malformed or truncated XML, a row or element too large, or an
// I/O error); after it Next returns io.EOF.
func (r *Reader) Next() (Record, error) {
	if r.done {
		return Record{}, io.EOF
	}
	var rec Record
	var err error
	if r.c != nil {
		rec, err = r.nextCSV()
	} else {
		rec, err = r.nextXML()
	}
	if err != nil {
		var pe *ParseError
		if err == io.EOF || errors.As(err, &pe) && pe.Fatal {
			r.done = true
		}
	}
	return rec, err
}

// Offset is how many bytes of the input have been consumed, for a progress
// bar. It does not count bytes read ahead into the Reader's buffer.
func (r *Reader) Offset() int64 {
	if r.c != nil {
		return r.c.offset()
	}
	return r.base + int64(r.r)
}

// fill reads more input after buf[r:w], moving the unread bytes to the front
// of the buffer, and doubling the buffer (up to MaxToken) when they fill more
// than half of it. It reads until the buffer is full or the input ends, so
// that a piece of markup that did not fit is parsed again at most a
// logarithmic number of times. It reports whether any byte was added.
func (r *Reader) fill() bool {
	if r.eof {
		return false
	}
	if r.r > 0 {
		n := copy(r.buf, r.buf[r.r:r.w])
		r.base += int64(r.r)
		r.r, r.w = 0, n
	}
	if r.w > len(r.buf)/2 && len(r.buf) < r.max {
		nb := make([]byte, min(2*len(r.buf), r.max))
		copy(nb, r.buf[:r.w])
		r.buf = nb
	}
	w0 := r.w
	empty := 0
	for r.w < len(r.buf) {
		n, err := r.src.Read(r.buf[r.w:])
		if n < 0 || n > len(r.buf)-r.w {
			r.eof, r.rerr = true, fmt.Errorf("the reader returned an impossible count %d", n)
			break
		}
		r.w += n
		if err != nil {
			r.eof = true
			if !errors.Is(err, io.EOF) {
				r.rerr = err
			}
			break
		}
		if n == 0 {
			if empty++; empty >= 100 {
				r.eof, r.rerr = true, io.ErrNoProgress
				break
			}
		}
	}
	return r.w > w0
}

// full reports whether buf[r:w] is as large as a piece of markup may be.
func (r *Reader) full() bool { return r.w-r.r >= r.max }

// fatal returns a fatal error at the given line.
func (r *Reader) fatal(line int, elem, format string, args ...any) *ParseError {
	return &ParseError{File: r.name, Line: line, Elem: elem, Msg: fmt.Sprintf(format, args...), Fatal: true}
}

// recordError returns a non-fatal error about the record at the given line.
func (r *Reader) recordError(line int, elem, format string, args ...any) *ParseError {
	return &ParseError{File: r.name, Line: line, Elem: elem, Msg: fmt.Sprintf(format, args...)}
}

// quoteValue quotes a value for an error message, shortening a long one.
func quoteValue(s string) string {
	const max = 40
	if len(s) > max {
		cut := max
		for cut > 0 && s[cut]&0xC0 == 0x80 { // do not split a UTF-8 sequence
			cut--
		}
		return fmt.Sprintf("%q...", s[:cut])
	}
	return fmt.Sprintf("%q", s)
}

// sizeString writes a size in bytes for a message.
func sizeString(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }
