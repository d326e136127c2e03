// Package export reads what a phone exports of its calls and messages: the
// Android "SMS Backup & Restore" XML files (<smses><sms .../></smses> and
// <calls><call .../></calls>) and a simple CSV (time, number, direction, kind,
// text[, duration]). It streams: a file of any size is read in bounded memory,
// one record at a time. It does no analysis.
package export

import (
	"fmt"
	"time"
)

// Kind is what a record is: a call or a text message.
type Kind uint8

// The kinds.
const (
	Call Kind = iota + 1
	SMS
)

// String returns "call", "sms" or "unknown".
func (k Kind) String() string {
	switch k {
	case Call:
		return "call"
	case SMS:
		return "sms"
	}
	return "unknown"
}

// Outcome is how a call ended, from the phone owner's side.
type Outcome uint8

// The outcomes. A text message has OutcomeNone.
const (
	OutcomeNone Outcome = iota
	Answered            // incoming, picked up (SMS Backup type 1 with a duration, CSV "in" with duration > 0)
	Missed              // incoming, not picked up (type 3, or type 1 with duration 0)
	Voicemail           // incoming, went to voicemail (type 4)
	Rejected            // incoming, declined by the owner (type 5)
	Blocked             // incoming, blocked by the phone (type 6)
	Outgoing            // placed by the owner (type 2)
)

var outcomeNames = [...]string{"", "answered", "missed", "voicemail", "rejected", "blocked", "outgoing"}

// String returns the outcome's name in lower case ("answered", ...), "" for
// OutcomeNone.
func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return "unknown"
}

// Format is the kind of file read.
type Format uint8

// The formats.
const (
	FormatSMSXML  Format = iota + 1 // SMS Backup & Restore messages: <smses>
	FormatCallXML                   // SMS Backup & Restore call log: <calls>
	FormatCSV                       // time,number,direction,kind,text[,duration]
)

// String returns "sms-xml", "calls-xml", "csv" or "unknown".
func (f Format) String() string {
	switch f {
	case FormatSMSXML:
		return "sms-xml"
	case FormatCallXML:
		return "calls-xml"
	case FormatCSV:
		return "csv"
	}
	return "unknown"
}

// Record is one call or message.
type Record struct {
	Kind Kind
	// In is true when the call or message came to the phone's owner.
	In      bool
	Outcome Outcome // calls only
	At      time.Time
	// Number is the other party's number as exported (not normalised).
	Number string
	// Name is the contact name the phone had for the number, if any ("" for
	// none; SMS Backup's "(Unknown)" and "null" are read as "").
	Name     string
	Duration time.Duration // calls only
	Text     string        // messages only: the body ("" for a call)
	// Line is the 1-based line of the file where the record starts, for
	// findings that point back into the evidence.
	Line int
}

// ParseError is a record or a file that could not be read. A record error
// (Fatal false) skips one record and reading goes on; a fatal error (a file
// that is not well formed, or truncated) ends the file, and every record
// before it has been returned.
type ParseError struct {
	File  string // the name given to Open
	Line  int    // 1-based
	Elem  string // the XML element (e.g. "sms", "call") or "row" for CSV
	Msg   string
	Fatal bool
	// Err is the underlying error when there is one (an I/O error from the
	// reader given to Open), for errors.Is and errors.As; nil otherwise.
	Err error
}

// Error returns "file:line: elem: msg".
func (e *ParseError) Error() string {
	return fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, e.Elem, e.Msg)
}

// Unwrap returns the underlying error, if any.
func (e *ParseError) Unwrap() error { return e.Err }
