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
	"regexp"
	"sort"
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
)

var eventTypes = []string{TypeDecision, TypeOutcome, TypeConsent, TypeObjection, TypeOptOut, TypeHold, TypePlan, TypeComplaint}

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

var keyPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// Canonical returns the leaf data of e: its canonical JSON. Two equal events give
// the same bytes. It fails for an event that is not well formed.
func (e Event) Canonical() ([]byte, error) {
	if err := e.validate(); err != nil {
		return nil, err
	}
	l := leaf{Type: e.Type, Time: e.At.UTC().Format(timeLayout), Actor: e.Actor,
		Subject: nonNil(e.Subject), Digests: nonNil(e.Digests), Facts: e.Facts}
	if l.Facts == nil {
		l.Facts = map[string]any{}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(l); err != nil {
		return nil, fmt.Errorf("audit: encode %s event: %w", e.Type, err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
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
	checkKeys := func(what string, keys []string) {
		for _, k := range keys {
			if !keyPattern.MatchString(k) {
				bad("%s key %q: want lower-case letters, digits and _", what, k)
			}
		}
	}
	checkKeys("subject", keysOf(e.Subject))
	checkKeys("digest", keysOf(e.Digests))
	facts := make([]string, 0, len(e.Facts))
	for k, v := range e.Facts {
		facts = append(facts, k)
		switch v := v.(type) {
		case string, bool, int, int64:
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
	checkKeys("fact", facts)
	for _, s := range append(append([]string{e.Actor}, valuesOf(e.Subject)...), valuesOf(e.Digests)...) {
		if !utf8.ValidString(s) {
			bad("%s event holds invalid UTF-8", e.Type)
		}
	}
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

func keysOf(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func valuesOf(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
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
