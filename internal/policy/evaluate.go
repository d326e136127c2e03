package policy

import (
	"time"

	"github.com/fairdebt/fairdebt/internal/screen"
)

const secondsPerDay = 86400

// maxNextSteps bounds the search for next_allowed_at: each step moves past one
// time-based violation, so a handful suffice; the bound only guards against a pack
// whose rules keep pushing each other forward.
const maxNextSteps = 64

// Evaluate decides whether attempt a is lawful under pack p given snapshot s. It
// evaluates every rule and reports every violation. It does no I/O and reads no
// clock; the same arguments always give the same decision.
//
// A party the snapshot does not list is treated as an unrelated third party with no
// consent, so a mistake in the snapshot fails closed.
func Evaluate(p *Pack, s *Snapshot, a *Attempt) Decision {
	return evaluate(p, s, a, nil)
}

// Evaluator evaluates attempts one after another and keeps the memory a long
// history needs from one to the next: for a caller that evaluates many attempts
// against histories of thousands of contacts (the evidence analyser's replay).
// Its decisions are Evaluate's. The zero value is ready; it is not safe for
// concurrent use.
type Evaluator struct{ heap []entry }

// Evaluate is Evaluate, reusing ev's memory.
func (ev *Evaluator) Evaluate(p *Pack, s *Snapshot, a *Attempt) Decision {
	return evaluate(p, s, a, &ev.heap)
}

// evaluate is Evaluate; a history too long for the evaluation's own buffer goes
// into *heap when it has room, and a new one is kept there (heap may be nil).
func evaluate(p *Pack, s *Snapshot, a *Attempt, heap *[]entry) Decision {
	var e evaluation
	e.init(p, s, a, heap)
	d := Decision{Violations: []Violation{}}
	curable := true
	day, minute := e.local(a.At)
	for i := range p.rules {
		r := &p.rules[i]
		if !e.applies(r, day) || !e.violated(r, a.At, day, minute) {
			continue
		}
		d.Violations = append(d.Violations, Violation{Rule: r.ID, Category: r.Category, Citation: r.Citation, Reason: r.Reason})
		curable = curable && r.kind.timeBased()
	}
	d.Allowed = len(d.Violations) == 0
	d.Obligations = p.obligationTable[a.Channel%(SocialPost+1)][e.role][a.Purpose%(Remind+1)]
	if !d.Allowed && curable {
		d.NextAllowedAt = e.nextAllowed(a.At)
	}
	return d
}

// evaluation holds what one Evaluate call derives from its arguments, once.
type evaluation struct {
	p     *Pack
	s     *Snapshot
	a     *Attempt
	party *Party
	role  Role

	loc                *time.Location
	zoneStart, zoneEnd int64 // the zone period of the attempt's time, in Unix seconds
	zoneOffset         int64

	content     screen.Set
	contentDone bool

	// The history entries live in histBuf when they fit, else in histHeap; an
	// evaluation that points into itself would have to live on the heap.
	histLen  int
	histBuf  [64]entry
	histHeap []entry
}

// history returns the precomputed history entries.
func (e *evaluation) history() []entry {
	if e.histHeap != nil {
		return e.histHeap
	}
	return e.histBuf[:e.histLen]
}

// entry is one history contact with its local day precomputed.
type entry struct {
	unix      int64
	day       int64
	channel   Channel
	result    Result
	sameParty bool // to the person the attempt is for
	toDebtor  bool
}

func (e *evaluation) init(p *Pack, s *Snapshot, a *Attempt, heap *[]entry) {
	e.p, e.s, e.a = p, s, a
	e.role = ThirdParty
	for i := range s.Parties {
		if s.Parties[i].ID == a.Party {
			e.party = &s.Parties[i]
			e.role = s.Parties[i].Role
			break
		}
	}
	if e.role == 0 || int(e.role) >= len(roleNames) {
		e.role = ThirdParty
	}
	e.loc = s.Debtor.Location
	if e.loc == nil {
		e.loc = time.UTC
	}
	t := a.At.In(e.loc)
	_, off := t.Zone()
	e.zoneOffset = int64(off)
	start, end := t.ZoneBounds()
	e.zoneStart, e.zoneEnd = -1<<62, 1<<62
	if !start.IsZero() {
		e.zoneStart = start.Unix()
	}
	if !end.IsZero() {
		e.zoneEnd = end.Unix()
	}
	var hist []entry
	if n := len(s.History); n > len(e.histBuf) {
		if heap != nil && cap(*heap) >= n {
			e.histHeap = (*heap)[:n]
		} else {
			e.histHeap = make([]entry, n)
			if heap != nil {
				*heap = e.histHeap
			}
		}
		hist = e.histHeap
	} else {
		hist = e.histBuf[:n]
	}
	e.histLen = len(s.History)
	zoneStart, zoneEnd, zoneOffset := e.zoneStart, e.zoneEnd, e.zoneOffset
	party, debtor := a.Party, s.Debtor.ID
	forDebtor := party == debtor // then one comparison decides both flags
	hist = hist[:len(s.History)]
	for i := range s.History {
		// Field by field: a composite literal is built on the stack and copied in
		// 16-byte moves that stall on its byte-sized stores. dayOf is inlined by
		// hand for the common case, a contact in the attempt's zone period.
		h, x := &s.History[i], &hist[i]
		u := h.At.Unix()
		x.unix = u
		if u >= zoneStart && u < zoneEnd {
			x.day = floorDiv(u+zoneOffset, secondsPerDay)
		} else {
			x.day = e.dayOf(h.At)
		}
		x.channel = h.Channel
		x.result = h.Result
		x.sameParty = h.Party == party
		if forDebtor {
			x.toDebtor = x.sameParty
		} else {
			x.toDebtor = h.Party == debtor
		}
	}
}

// dayOf returns the debtor-local calendar day of t, as days since 1970-01-01.
func (e *evaluation) dayOf(t time.Time) int64 {
	u := t.Unix()
	off := e.zoneOffset
	if u < e.zoneStart || u >= e.zoneEnd {
		_, o := t.In(e.loc).Zone()
		off = int64(o)
	}
	return floorDiv(u+off, secondsPerDay)
}

// local returns the local day and the minute of that day for t.
func (e *evaluation) local(t time.Time) (day int64, minute int) {
	h, m, _ := t.In(e.loc).Clock()
	return e.dayOf(t), h*60 + m
}

// startOfDay returns local midnight (or the first instant) of day.
func (e *evaluation) startOfDay(day int64) time.Time {
	y, m, d := time.Unix(day*secondsPerDay, 0).UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, e.loc)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// applies reports whether r governs this attempt on this local day.
func (e *evaluation) applies(r *rule, day int64) bool {
	return r.channels.matches(uint8(e.a.Channel)) && r.roles.matches(uint8(e.role)) &&
		r.forPurposes.matches(uint8(e.a.Purpose)) && day >= r.from && day <= r.until
}

// violated reports whether the attempt, made at t (local day and minute given),
// breaks r.
func (e *evaluation) violated(r *rule, t time.Time, day int64, minute int) bool {
	a := e.a
	switch r.kind {
	case kindQuietHours:
		return inQuietHours(r, minute)
	case kindInconvenient:
		return e.inconvenient(minute) >= 0
	case kindCap:
		return e.capCount(r, day) >= r.max
	case kindPostConversation:
		return e.lastConversationBlock(r, day) >= 0
	case kindHold:
		return e.s.Debtor.Holds&r.holds != 0
	case kindDeny:
		return true
	case kindConsentRequired:
		return e.party == nil || !e.party.Consent
	case kindObjected:
		return e.party != nil && e.party.Objected
	case kindPurpose:
		return !r.purposes.has(uint8(a.Purpose))
	case kindDebtorUnreachable:
		return !e.debtorUnreachable(r, t)
	case kindOnce:
		for _, h := range e.history() {
			if h.sameParty && h.unix <= t.Unix() && r.results.matches(uint8(h.result)) {
				return true
			}
		}
		return false
	case kindOptOut:
		for _, o := range e.s.OptOuts {
			if o.Party == a.Party && o.Channel == a.Channel {
				return true
			}
		}
		return false
	case kindContent:
		return e.contentSet()&r.content != 0
	case kindMinCollectors:
		return a.Collectors < r.min
	case kindCallerID:
		return !a.CallerIDRegistered
	case kindContactLimit:
		n := 0
		for i := range e.s.Parties {
			if e.s.Parties[i].Role == EmergencyContact {
				n++
			}
		}
		return n > r.max
	case kindCEL:
		return r.cel.eval(e.celVars(t, day, minute))
	}
	return true
}

// inconvenient returns the index of the debtor's inconvenient window holding
// minute, or -1.
func (e *evaluation) inconvenient(minute int) int {
	for i, w := range e.s.Debtor.Inconvenient {
		if w.Contains(minute) {
			return i
		}
	}
	return -1
}

func (e *evaluation) minute(t time.Time) int {
	_, minute := e.local(t)
	return minute
}

func inQuietHours(r *rule, minute int) bool {
	if r.start < r.end {
		return minute >= r.start && minute < r.end
	}
	return minute >= r.start || minute < r.end
}

func (e *evaluation) contentSet() screen.Set {
	if !e.contentDone {
		e.content = e.p.screener.CategoriesIn(e.a.Message, e.p.contentWant[e.role])
		e.contentDone = true
	}
	return e.content
}

// capCount counts the contacts that r counts in its window of days ending on day.
func (e *evaluation) capCount(r *rule, day int64) int {
	first := day - int64(r.days) + 1
	n := 0
	hist := e.history()
	for i := range hist {
		h := &hist[i]
		if h.day < first || h.day > day || !h.sameParty || !r.channels.matches(uint8(h.channel)) ||
			!r.results.matches(uint8(h.result)) {
			continue
		}
		if r.scope == scopeContactMethod && h.channel != e.a.Channel {
			continue
		}
		n++
	}
	return n
}

// lastConversationBlock returns the latest day of a conversation with the person
// whose blocking period covers day, or -1 if none does. A call with no outcome yet
// counts as a conversation (fail closed).
func (e *evaluation) lastConversationBlock(r *rule, day int64) int64 {
	last := int64(-1)
	hist := e.history()
	for i := range hist {
		h := &hist[i]
		if h.sameParty && (h.result == Connected || h.result == Pending) && r.channels.matches(uint8(h.channel)) &&
			h.day <= day && day < h.day+int64(r.days) && h.day > last {
			last = h.day
		}
	}
	return last
}

// debtorUnreachable reports whether, before t, the debtor's number was found
// invalid or the last r.attempts attempts to the debtor all failed.
func (e *evaluation) debtorUnreachable(r *rule, t time.Time) bool {
	cut := t.Unix()
	hist := e.history()
	// recent holds the indexes of the debtor's latest attempts before t, newest first.
	var recent [maxUnreachableAttempts]int
	n := 0
	for i := range hist {
		h := &hist[i]
		if !h.toDebtor || h.unix > cut {
			continue
		}
		pos := n
		for pos > 0 && hist[recent[pos-1]].unix < h.unix {
			pos--
		}
		if pos >= r.attempts {
			continue
		}
		if n < r.attempts {
			n++
		}
		copy(recent[pos+1:n], recent[pos:n-1])
		recent[pos] = i
	}
	if n == 0 {
		return false
	}
	if r.immediate.has(uint8(hist[recent[0]].result)) {
		return true
	}
	if n < r.attempts {
		return false
	}
	for _, i := range recent[:n] {
		if !r.failures.has(uint8(hist[i].result)) {
			return false
		}
	}
	return true
}

// nextAllowed finds the earliest time from t at which no time-based rule that
// applies is violated. It returns the zero time if there is none within reach.
func (e *evaluation) nextAllowed(t time.Time) time.Time {
	for step := 0; step < maxNextSteps; step++ {
		day, minute := e.local(t)
		moved := false
		for i := range e.p.rules {
			r := &e.p.rules[i]
			if !r.kind.timeBased() || !e.applies(r, day) || !e.violated(r, t, day, minute) {
				continue
			}
			next := e.ruleNext(r, t, day)
			if next.IsZero() {
				return time.Time{}
			}
			if !next.After(t) {
				next = t.Add(time.Minute)
			}
			t, moved = next, true
			break
		}
		if !moved {
			return t.In(e.loc)
		}
	}
	return time.Time{}
}

// ruleNext is the earliest time after t at which r, violated at t, could pass.
func (e *evaluation) ruleNext(r *rule, t time.Time, day int64) time.Time {
	var next time.Time
	switch r.kind {
	case kindQuietHours:
		y, m, d := t.In(e.loc).Date()
		_, minute := e.local(t)
		if r.start > r.end && minute >= r.start {
			d++
		}
		next = time.Date(y, m, d, r.end/60, r.end%60, 0, 0, e.loc)
	case kindInconvenient:
		w := e.s.Debtor.Inconvenient[e.inconvenient(e.minute(t))]
		y, m, d := t.In(e.loc).Date()
		if w.Start >= w.End && e.minute(t) >= w.Start {
			d++
		}
		next = time.Date(y, m, d, w.End/60, w.End%60, 0, 0, e.loc)
	case kindCap:
		// The window slides one day at a time; past r.days days ahead it holds only
		// contacts recorded after t, which a longer wait does not remove.
		for ahead := int64(1); ahead <= int64(r.days); ahead++ {
			if e.capCount(r, day+ahead) < r.max {
				next = e.startOfDay(day + ahead)
				break
			}
		}
	case kindPostConversation:
		next = e.startOfDay(e.lastConversationBlock(r, day) + int64(r.days))
	}
	if r.until != -noDay && !next.IsZero() {
		if end := e.startOfDay(r.until + 1); end.Before(next) {
			next = end
		}
	}
	return next
}

func (e *evaluation) celVars(t time.Time, day int64, minute int) map[string]any {
	a := e.a
	vars := map[string]any{
		"channel": a.Channel.String(), "purpose": a.Purpose.String(), "role": e.role.String(),
		"relation": "", "message": a.Message, "collectors": int64(a.Collectors),
		"caller_id_registered": a.CallerIDRegistered, "consent": false, "objected": false,
		"hour": int64(minute / 60), "minute": int64(minute % 60), "weekday": int64(t.In(e.loc).Weekday()),
		"holds": e.s.Debtor.Holds.Names(), "content": e.contentSet().Names(),
	}
	if vars["content"].([]string) == nil {
		vars["content"] = []string{}
	}
	if e.party != nil {
		vars["relation"], vars["consent"], vars["objected"] = e.party.Relation, e.party.Consent, e.party.Objected
	}
	var today, week int64
	for _, h := range e.history() {
		if h.sameParty {
			if h.day == day {
				today++
			}
			if h.day > day-7 && h.day <= day {
				week++
			}
		}
	}
	vars["attempts_today"], vars["attempts_7d"] = today, week
	return vars
}
