// Package audit keeps fairdebt's tamper-evident audit log: every decision, outcome
// and change of consent, objection, opt-out, hold, plan or complaint becomes one
// leaf of an append-only Merkle tree (RFC 6962, as in Certificate Transparency and
// Go's checksum database, through golang.org/x/mod/sumdb/tlog), with signed
// checkpoints of the tree (golang.org/x/mod/sumdb/note, Ed25519). Anyone holding a
// checkpoint can check that a leaf is in the tree (an inclusion proof) and that a
// later tree extends it (a consistency proof), without trusting the operator.
//
// A leaf holds no clear-text personal data: people and contact values appear only
// as keyed hashes, so erasing personal data never breaks the log.
package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Event types. The names are part of the public contract: they appear in every
// leaf and in exports.
const (
	TypeDecision  = "decision"
	TypeOutcome   = "outcome"
	TypeConsent   = "consent"
	TypeObjection = "objection"
	TypeOptOut    = "opt_out"
	TypeHold      = "hold"
	TypePlan      = "plan"
	TypeComplaint = "complaint"
	// TypeUnmask records that someone was shown a contact method in full.
	TypeUnmask = "unmask"
	// TypePack records a lender's choice of the rule pack for its borrowers.
	TypePack = "pack"
)

var eventTypes = []string{TypeDecision, TypeOutcome, TypeConsent, TypeObjection, TypeOptOut, TypeHold, TypePlan, TypeComplaint, TypeUnmask, TypePack}

// Event is one recorded event, before it becomes a leaf.
type Event struct {
	// Type is one of the Type constants.
	Type string
	// At is when the event happened; leaves keep it in UTC to the millisecond.
	At time.Time
	// Actor is who caused the event: an account or token id, "system", or
	// "borrower". Never a name or a phone number.
	Actor string
	// Subject holds the ids of what the event concerns: "case", "attempt",
	// "party", "debt", "complaint"… Ids are opaque, never personal data.
	Subject map[string]string
	// Digests holds keyed hashes of personal data ("contact": the HMAC of a phone
	// number) and plain SHA-256 digests of content ("message", "evidence").
	Digests map[string]string
	// Facts holds what was decided or recorded, without personal data: "allowed",
	// "rules", "channel", "result"… Values are strings, booleans, integers or
	// lists of strings, so that the encoding is canonical.
	Facts map[string]any
}

// leaf is the canonical JSON form of an Event: fixed field order, map keys sorted
// (encoding/json sorts them), no HTML escaping, no insignificant space.
type leaf struct {
	Type    string            `json:"type"`
	Time    string            `json:"time"`
	Actor   string            `json:"actor"`
	Subject map[string]string `json:"subject"`
	Digests map[string]string `json:"digests"`
	Facts   map[string]any    `json:"facts"`
}

// timeLayout is the leaf's time format: RFC 3339, UTC, milliseconds.
const timeLayout = "2006-01-02T15:04:05.000Z"

// validKey reports whether k is a leaf key: a lower-case letter, then up to 39
// lower-case letters, digits and underscores.
func validKey(k string) bool {
	if len(k) == 0 || len(k) > 40 || k[0] < 'a' || k[0] > 'z' {
		return false
	}
	for i := 1; i < len(k); i++ {
		if c := k[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

// Canonical returns the leaf data of e: its canonical JSON. Two equal events give
// the same bytes. It fails for an event that is not well formed.
//
// The bytes are exactly what encoding/json writes for the leaf struct without
// HTML escaping (a test holds the two together), written by hand because this
// runs for every decision.
func (e Event) Canonical() ([]byte, error) {
	if err := e.validate(); err != nil {
		return nil, err
	}
	b := make([]byte, 0, 512)
	b = append(b, `{"type":`...)
	b = appendJSONString(b, e.Type)
	b = append(b, `,"time":"`...)
	b = e.At.UTC().AppendFormat(b, timeLayout)
	b = append(b, `","actor":`...)
	b = appendJSONString(b, e.Actor)
	b = append(b, `,"subject":`...)
	b = appendStringMap(b, e.Subject)
	b = append(b, `,"digests":`...)
	b = appendStringMap(b, e.Digests)
	b = append(b, `,"facts":{`...)
	for i, k := range sortedKeys(e.Facts) {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		switch v := e.Facts[k].(type) {
		case string:
			b = appendJSONString(b, v)
		case bool:
			b = strconv.AppendBool(b, v)
		case int:
			b = strconv.AppendInt(b, int64(v), 10)
		case int64:
			b = strconv.AppendInt(b, v, 10)
		case []string:
			if v == nil {
				b = append(b, "null"...)
				break
			}
			b = append(b, '[')
			for j, x := range v {
				if j > 0 {
					b = append(b, ',')
				}
				b = appendJSONString(b, x)
			}
			b = append(b, ']')
		}
	}
	return append(b, "}}"...), nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func appendStringMap(b []byte, m map[string]string) []byte {
	b = append(b, '{')
	for i, k := range sortedKeys(m) {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = appendJSONString(b, m[k])
	}
	return append(b, '}')
}

// appendJSONString appends s as encoding/json writes it without HTML escaping:
// quotes, backslashes and control characters escaped, U+2028 and U+2029 as
// escapes, everything else as it is (s is valid UTF-8: validate checked).
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
			start = i + size
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func (e Event) validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("audit: "+format, args...)) }
	if !contains(eventTypes, e.Type) {
		bad("unknown event type %q (known: %s)", e.Type, strings.Join(eventTypes, ", "))
	}
	if e.At.IsZero() {
		bad("%s event without a time", e.Type)
	}
	if e.Actor == "" {
		bad("%s event without an actor", e.Type)
	}
	if !utf8.ValidString(e.Actor) {
		bad("%s event: the actor is not valid UTF-8", e.Type)
	}
	// Maps are walked directly, with nothing allocated unless something is wrong:
	// this runs for every decision, on the writer goroutine.
	checkMap := func(what string, m map[string]string) {
		for k, v := range m {
			if !validKey(k) {
				bad("%s key %q: want lower-case letters, digits and _", what, k)
			}
			if !utf8.ValidString(v) {
				bad("%s %q is not valid UTF-8", what, k)
			}
		}
	}
	checkMap("subject", e.Subject)
	checkMap("digest", e.Digests)
	for k, v := range e.Facts {
		if !validKey(k) {
			bad("fact key %q: want lower-case letters, digits and _", k)
		}
		switch v := v.(type) {
		case bool, int, int64:
		case string:
			if !utf8.ValidString(v) {
				bad("fact %q is not valid UTF-8", k)
			}
		case []string:
			for _, s := range v {
				if !utf8.ValidString(s) {
					bad("fact %q holds invalid UTF-8", k)
				}
			}
		default:
			bad("fact %q is a %T: want a string, bool, integer or []string", k, v)
		}
	}
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
	return errors.Join(errs...)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ParseLeaf reads leaf data back into an Event (Facts hold what JSON gives:
// strings, booleans, float64 numbers and []any lists).
func ParseLeaf(data []byte) (Event, error) {
	var l leaf
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		return Event{}, fmt.Errorf("audit: leaf: %w", err)
	}
	at, err := time.Parse(timeLayout, l.Time)
	if err != nil {
		return Event{}, fmt.Errorf("audit: leaf time: %w", err)
	}
	return Event{Type: l.Type, At: at, Actor: l.Actor, Subject: l.Subject, Digests: l.Digests, Facts: l.Facts}, nil
}
