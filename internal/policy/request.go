package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Request is one decoded `fairdebt check` request: which pack, the snapshot of the
// case, and the proposed attempt.
type Request struct {
	Pack     *Pack
	Now      time.Time
	Snapshot Snapshot
	Attempt  Attempt
}

// InputError says which field of a request is wrong and why.
type InputError struct {
	Field   string
	Problem string
}

func (e *InputError) Error() string { return e.Field + ": " + e.Problem }

// Limits on one request; they keep a decision cheap and bound what a caller can ask.
const (
	MaxRequestBytes = 8 << 20
	maxParties      = 100
	maxHistory      = 20_000
	maxOptOuts      = 1_000
	maxIDLength     = 128
	maxMessageBytes = 16 << 10
	maxCollectors   = 100
)

// DecodeRequest decodes and validates a request in the `fairdebt check` format.
// Unknown fields, repeated fields, bad times, unknown enumeration values and
// references to unknown parties are errors; the first problem found is returned as
// an *InputError.
func DecodeRequest(data []byte, packs *Registry) (*Request, error) {
	if len(data) > MaxRequestBytes {
		return nil, &InputError{"request", fmt.Sprintf("larger than %d bytes", MaxRequestBytes)}
	}
	return decodeRequest(data, packs)
}

// object walks a JSON object, calling field for each key in order. Unknown keys are
// reported by field returning errUnknownField; repeated keys are an error.
func object(raw json.RawMessage, path string, field func(key string, val json.RawMessage) error) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return &InputError{path, "want a JSON object"}
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return &InputError{path, "malformed object"}
		}
		key, _ := tok.(string)
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return &InputError{join(path, key), "malformed value"}
		}
		if seen[key] {
			return &InputError{join(path, key), "appears twice"}
		}
		seen[key] = true
		if err := field(key, val); err != nil {
			if errors.Is(err, errUnknownField) {
				return &InputError{join(path, key), "unknown field"}
			}
			return err
		}
	}
	return nil
}

var errUnknownField = errors.New("unknown field")

var plainKey = regexp.MustCompile(`^[A-Za-z0-9_]{1,64}$`)

// array walks a JSON array of at most max items.
func array(raw json.RawMessage, path string, max int, item func(i int, val json.RawMessage) error) error {
	if raw == nil || isNull(raw) {
		return nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return &InputError{path, "want an array"}
	}
	if len(items) > max {
		return &InputError{path, fmt.Sprintf("more than %d items", max)}
	}
	for i, v := range items {
		if err := item(i, v); err != nil {
			return err
		}
	}
	return nil
}

// join appends a key to a field path, quoting a key that is not a plain name so an
// error message stays on one line whatever the input.
func join(path, key string) string {
	if !plainKey.MatchString(key) {
		key = strconv.Quote(key)
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

func isNull(raw json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(raw), []byte("null")) }

func str(raw json.RawMessage, path string, maxLen int) (string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil || isNull(raw) {
		return "", &InputError{path, "want a string"}
	}
	if len(s) > maxLen {
		return "", &InputError{path, fmt.Sprintf("longer than %d bytes", maxLen)}
	}
	return s, nil
}

func id(raw json.RawMessage, path string) (string, error) {
	s, err := str(raw, path, maxIDLength)
	if err == nil && strings.TrimSpace(s) == "" {
		err = &InputError{path, "must not be empty"}
	}
	return s, err
}

func boolean(raw json.RawMessage, path string) (bool, error) {
	var b bool
	if err := json.Unmarshal(raw, &b); err != nil || isNull(raw) {
		return false, &InputError{path, "want true or false"}
	}
	return b, nil
}

func timestamp(raw json.RawMessage, path string) (time.Time, error) {
	s, err := str(raw, path, 64)
	if err != nil {
		return time.Time{}, err
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, &InputError{path, "not RFC 3339"}
	}
	// Leave a year of room so every time a decision computes can still be written.
	if t.Year() < 1 || t.Year() > 9998 {
		return time.Time{}, &InputError{path, "outside the years 0001 to 9998"}
	}
	return t, nil
}

func enumValue[T any](raw json.RawMessage, path string, parse func(string) (T, error)) (T, error) {
	var zero T
	s, err := str(raw, path, 64)
	if err != nil {
		return zero, err
	}
	v, err := parse(s)
	if err != nil {
		return zero, &InputError{path, err.Error()}
	}
	return v, nil
}

var locations sync.Map // name -> *time.Location

// LoadLocation returns the IANA time zone with the given name, cached. "Local" and
// the empty name are refused: a decision must not depend on the machine it runs on.
func LoadLocation(name string) (*time.Location, error) {
	if v, ok := locations.Load(name); ok {
		return v.(*time.Location), nil
	}
	if name == "" || name == "Local" || strings.ContainsAny(name, "\x00\\") || strings.Contains(name, "..") {
		return nil, fmt.Errorf("%q is not an IANA time zone name", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q", name)
	}
	locations.Store(name, loc)
	return loc, nil
}

func missing(path string) error { return &InputError{path, "required"} }

func decodeRequest(data []byte, packs *Registry) (*Request, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, &InputError{"request", fmt.Sprintf("invalid JSON at byte %d: %s", se.Offset, strings.TrimPrefix(se.Error(), "json: "))}
		}
		if errors.Is(err, io.EOF) {
			return nil, &InputError{"request", "empty input"}
		}
		return nil, &InputError{"request", "invalid JSON: " + strings.TrimPrefix(err.Error(), "json: ")}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, &InputError{"request", "unexpected data after the JSON object"}
	}
	req := &Request{}
	var packName string
	var rawDebtor, rawParties, rawOptOuts, rawHistory, rawAttempt json.RawMessage
	var haveNow bool
	err := object(raw, "", func(key string, val json.RawMessage) error {
		var err error
		switch key {
		case "pack":
			packName, err = id(val, "pack")
		case "now":
			req.Now, err = timestamp(val, "now")
			haveNow = true
		case "debtor":
			rawDebtor = val
		case "parties":
			rawParties = val
		case "optouts":
			rawOptOuts = val
		case "history":
			rawHistory = val
		case "attempt":
			rawAttempt = val
		default:
			return errUnknownField
		}
		return err
	})
	if err != nil {
		if ie, ok := err.(*InputError); ok && ie.Field == "" {
			ie.Field = "request"
		}
		return nil, err
	}
	switch {
	case packName == "":
		return nil, missing("pack")
	case !haveNow:
		return nil, missing("now")
	case rawDebtor == nil:
		return nil, missing("debtor")
	case rawParties == nil:
		return nil, missing("parties")
	case rawAttempt == nil:
		return nil, missing("attempt")
	}
	if req.Pack, err = packs.Get(packName); err != nil {
		return nil, &InputError{"pack", err.Error()}
	}
	s := &req.Snapshot
	if err := decodeDebtor(rawDebtor, &s.Debtor); err != nil {
		return nil, err
	}
	if err := decodeParties(rawParties, s); err != nil {
		return nil, err
	}
	known := func(path, party string) error {
		for i := range s.Parties {
			if s.Parties[i].ID == party {
				return nil
			}
		}
		return &InputError{path, fmt.Sprintf("unknown party %q (not in parties)", party)}
	}
	if err := decodeOptOuts(rawOptOuts, s, known); err != nil {
		return nil, err
	}
	if err := decodeHistory(rawHistory, s, req.Now, known); err != nil {
		return nil, err
	}
	if err := decodeAttempt(rawAttempt, &req.Attempt, req.Now, known); err != nil {
		return nil, err
	}
	return req, nil
}

func decodeDebtor(raw json.RawMessage, out *DebtorInfo) error {
	var haveTZ bool
	err := object(raw, "debtor", func(key string, val json.RawMessage) error {
		var err error
		switch key {
		case "id":
			out.ID, err = id(val, "debtor.id")
		case "timezone":
			var name string
			if name, err = str(val, "debtor.timezone", 64); err == nil {
				if out.Location, err = LoadLocation(name); err != nil {
					err = &InputError{"debtor.timezone", err.Error()}
				}
			}
			haveTZ = true
		case "holds":
			err = array(val, "debtor.holds", 16, func(i int, v json.RawMessage) error {
				h, err := enumValue(v, index("debtor.holds", i), ParseHold)
				if err == nil && out.Holds.Has(h) {
					err = &InputError{index("debtor.holds", i), fmt.Sprintf("%s listed twice", h)}
				}
				out.Holds = out.Holds.With(h)
				return err
			})
		case "inconvenient":
			err = array(val, "debtor.inconvenient", 8, func(i int, v json.RawMessage) error {
				s, err := str(v, index("debtor.inconvenient", i), 16)
				if err != nil {
					return err
				}
				w, err := ParseTimeWindow(s)
				if err != nil {
					return &InputError{index("debtor.inconvenient", i), err.Error()}
				}
				out.Inconvenient = append(out.Inconvenient, w)
				return nil
			})
		default:
			return errUnknownField
		}
		return err
	})
	switch {
	case err != nil:
		return err
	case out.ID == "":
		return missing("debtor.id")
	case !haveTZ:
		return missing("debtor.timezone")
	}
	return nil
}

func decodeParties(raw json.RawMessage, s *Snapshot) error {
	err := array(raw, "parties", maxParties, func(i int, v json.RawMessage) error {
		path := index("parties", i)
		var p Party
		err := object(v, path, func(key string, val json.RawMessage) error {
			var err error
			switch key {
			case "id":
				p.ID, err = id(val, path+".id")
			case "role":
				p.Role, err = enumValue(val, path+".role", ParseRole)
			case "consent":
				p.Consent, err = boolean(val, path+".consent")
			case "objected":
				p.Objected, err = boolean(val, path+".objected")
			case "relation":
				p.Relation, err = str(val, path+".relation", 64)
			default:
				return errUnknownField
			}
			return err
		})
		switch {
		case err != nil:
			return err
		case p.ID == "":
			return missing(path + ".id")
		case p.Role == 0:
			return missing(path + ".role")
		}
		for _, q := range s.Parties {
			if q.ID == p.ID {
				return &InputError{path + ".id", fmt.Sprintf("%q listed twice", p.ID)}
			}
		}
		if p.Role == Debtor && p.ID != s.Debtor.ID {
			return &InputError{path + ".role", fmt.Sprintf("only the debtor (%q) may have role debtor", s.Debtor.ID)}
		}
		s.Parties = append(s.Parties, p)
		return nil
	})
	if err != nil {
		return err
	}
	for _, p := range s.Parties {
		if p.ID == s.Debtor.ID {
			if p.Role != Debtor {
				return &InputError{"parties", fmt.Sprintf("the debtor %q must have role debtor", s.Debtor.ID)}
			}
			return nil
		}
	}
	return &InputError{"parties", fmt.Sprintf("the debtor %q is not listed", s.Debtor.ID)}
}

func decodeOptOuts(raw json.RawMessage, s *Snapshot, known func(path, party string) error) error {
	return array(raw, "optouts", maxOptOuts, func(i int, v json.RawMessage) error {
		path := index("optouts", i)
		var o OptOut
		err := object(v, path, func(key string, val json.RawMessage) error {
			var err error
			switch key {
			case "party":
				if o.Party, err = id(val, path+".party"); err == nil {
					err = known(path+".party", o.Party)
				}
			case "channel":
				o.Channel, err = enumValue(val, path+".channel", ParseChannel)
			default:
				return errUnknownField
			}
			return err
		})
		switch {
		case err != nil:
			return err
		case o.Party == "":
			return missing(path + ".party")
		case o.Channel == 0:
			return missing(path + ".channel")
		}
		s.OptOuts = append(s.OptOuts, o)
		return nil
	})
}

func decodeHistory(raw json.RawMessage, s *Snapshot, now time.Time, known func(path, party string) error) error {
	return array(raw, "history", maxHistory, func(i int, v json.RawMessage) error {
		path := index("history", i)
		var c Contact
		err := object(v, path, func(key string, val json.RawMessage) error {
			var err error
			switch key {
			case "at":
				if c.At, err = timestamp(val, path+".at"); err == nil && c.At.After(now) {
					err = &InputError{path + ".at", "after now"}
				}
			case "party":
				if c.Party, err = id(val, path+".party"); err == nil {
					err = known(path+".party", c.Party)
				}
			case "channel":
				c.Channel, err = enumValue(val, path+".channel", ParseChannel)
			case "result":
				c.Result, err = enumValue(val, path+".result", ParseResult)
			default:
				return errUnknownField
			}
			return err
		})
		switch {
		case err != nil:
			return err
		case c.At.IsZero():
			return missing(path + ".at")
		case c.Party == "":
			return missing(path + ".party")
		case c.Channel == 0:
			return missing(path + ".channel")
		}
		s.History = append(s.History, c)
		return nil
	})
}

func decodeAttempt(raw json.RawMessage, a *Attempt, now time.Time, known func(path, party string) error) error {
	a.At, a.Purpose, a.Collectors, a.CallerIDRegistered = now, Collect, 1, true
	err := object(raw, "attempt", func(key string, val json.RawMessage) error {
		var err error
		switch key {
		case "party":
			if a.Party, err = id(val, "attempt.party"); err == nil {
				err = known("attempt.party", a.Party)
			}
		case "channel":
			a.Channel, err = enumValue(val, "attempt.channel", ParseChannel)
		case "at":
			a.At, err = timestamp(val, "attempt.at")
		case "purpose":
			a.Purpose, err = enumValue(val, "attempt.purpose", ParsePurpose)
		case "message":
			a.Message, err = str(val, "attempt.message", maxMessageBytes)
		case "collectors":
			var n int
			if err = json.Unmarshal(val, &n); err != nil || isNull(val) || n < 0 || n > maxCollectors {
				err = &InputError{"attempt.collectors", fmt.Sprintf("want a whole number from 0 to %d", maxCollectors)}
			}
			a.Collectors = n
		case "caller_id_registered":
			a.CallerIDRegistered, err = boolean(val, "attempt.caller_id_registered")
		default:
			return errUnknownField
		}
		return err
	})
	switch {
	case err != nil:
		return err
	case a.Party == "":
		return missing("attempt.party")
	case a.Channel == 0:
		return missing("attempt.channel")
	}
	return nil
}
