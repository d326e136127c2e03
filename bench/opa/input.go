package main

import (
	"time"

	"github.com/fairdebt/fairdebt/internal/policy"
	"github.com/open-policy-agent/opa/v1/ast"
)

// Input builds OPA's input for one attempt, as an ast.Value so that OPA does not
// convert Go values itself. It precomputes what is not a rule, so that the Rego
// holds only the rules:
//
//   - the attempt's local day (days since 1970-01-01) and minute of the day, and
//     each history entry's local day, in the debtor's zone, DST-correct;
//   - the content categories of the message, by fairdebt's own screener through
//     Pack.ContentFor, for the role of the person contacted (the categories the
//     pack's rules can weigh for that role, which is what Evaluate screens for);
//   - times as Unix seconds, enumerations as their names, the parties keyed by id.
//
// The shape:
//
//	{"debtor": {"id", "holds": [name], "inconvenient": [{"start", "end"}]},
//	 "parties": {id: {"role", "consent", "objected"}},
//	 "optouts": [{"party", "channel"}],
//	 "history": [{"unix", "day", "party", "channel", "result"}],
//	 "attempt": {"party", "channel", "purpose", "unix", "day", "minute",
//	             "collectors", "caller_id_registered", "content": [name]}}
//
// The benchmark counts the time Input takes in OPA's.
func Input(p *policy.Pack, s *policy.Snapshot, a *policy.Attempt) ast.Value {
	loc := s.Debtor.Location
	if loc == nil {
		loc = time.UTC
	}
	z := newLocalDays(loc, a.At)
	local := a.At.In(loc)
	hour, minute, _ := local.Clock()

	// The role decides which content categories the screener looks for; the
	// rules themselves find the role again from the parties.
	role := policy.ThirdParty
	parties := ast.NewObjectWithCapacity(len(s.Parties))
	found := false
	for i := range s.Parties {
		pa := &s.Parties[i]
		if !found && pa.ID == a.Party {
			role, found = pa.Role, true
		}
		key := ast.InternedTerm(pa.ID)
		if parties.Get(key) != nil {
			continue // the first of two parties with one id wins, as in Evaluate
		}
		parties.Insert(key, ast.NewTerm(ast.NewObject(
			ast.Item(termRole, ast.InternedTerm(pa.Role.String())),
			ast.Item(termConsent, ast.InternedTerm(pa.Consent)),
			ast.Item(termObjected, ast.InternedTerm(pa.Objected)),
		)))
	}
	if role == 0 || role > policy.ThirdParty {
		role = policy.ThirdParty
	}
	content := p.ContentFor(role, a.Message)
	contentTerms := make([]*ast.Term, len(content))
	for i, c := range content {
		contentTerms[i] = ast.InternedTerm(c)
	}

	holdNames := s.Debtor.Holds.Names()
	holds := make([]*ast.Term, len(holdNames))
	for i, h := range holdNames {
		holds[i] = ast.InternedTerm(h)
	}
	inconvenient := make([]*ast.Term, len(s.Debtor.Inconvenient))
	for i, w := range s.Debtor.Inconvenient {
		inconvenient[i] = ast.ObjectTerm(
			ast.Item(termStart, ast.InternedTerm(w.Start)),
			ast.Item(termEnd, ast.InternedTerm(w.End)),
		)
	}
	optouts := make([]*ast.Term, len(s.OptOuts))
	for i, o := range s.OptOuts {
		optouts[i] = ast.ObjectTerm(
			ast.Item(termParty, ast.InternedTerm(o.Party)),
			ast.Item(termChannel, ast.InternedTerm(o.Channel.String())),
		)
	}
	history := make([]*ast.Term, len(s.History))
	for i := range s.History {
		h := &s.History[i]
		history[i] = ast.ObjectTerm(
			ast.Item(termUnix, ast.InternedTerm(h.At.Unix())),
			ast.Item(termDay, ast.InternedTerm(z.day(h.At))),
			ast.Item(termParty, ast.InternedTerm(h.Party)),
			ast.Item(termChannel, ast.InternedTerm(h.Channel.String())),
			ast.Item(termResult, ast.InternedTerm(h.Result.String())),
		)
	}
	return ast.NewObject(
		ast.Item(termDebtor, ast.ObjectTerm(
			ast.Item(termID, ast.InternedTerm(s.Debtor.ID)),
			ast.Item(termHolds, ast.ArrayTerm(holds...)),
			ast.Item(termInconvenient, ast.ArrayTerm(inconvenient...)),
		)),
		ast.Item(termParties, ast.NewTerm(parties)),
		ast.Item(termOptOuts, ast.ArrayTerm(optouts...)),
		ast.Item(termHistory, ast.ArrayTerm(history...)),
		ast.Item(termAttempt, ast.ObjectTerm(
			ast.Item(termParty, ast.InternedTerm(a.Party)),
			ast.Item(termChannel, ast.InternedTerm(a.Channel.String())),
			ast.Item(termPurpose, ast.InternedTerm(a.Purpose.String())),
			ast.Item(termUnix, ast.InternedTerm(a.At.Unix())),
			ast.Item(termDay, ast.InternedTerm(z.day(a.At))),
			ast.Item(termMinute, ast.InternedTerm(hour*60+minute)),
			ast.Item(termCollectors, ast.InternedTerm(a.Collectors)),
			ast.Item(termCallerID, ast.InternedTerm(a.CallerIDRegistered)),
			ast.Item(termContent, ast.ArrayTerm(contentTerms...)),
		)),
	)
}

// The keys of the input, built once.
var (
	termDebtor       = ast.StringTerm("debtor")
	termID           = ast.StringTerm("id")
	termHolds        = ast.StringTerm("holds")
	termInconvenient = ast.StringTerm("inconvenient")
	termStart        = ast.StringTerm("start")
	termEnd          = ast.StringTerm("end")
	termParties      = ast.StringTerm("parties")
	termRole         = ast.StringTerm("role")
	termConsent      = ast.StringTerm("consent")
	termObjected     = ast.StringTerm("objected")
	termOptOuts      = ast.StringTerm("optouts")
	termParty        = ast.StringTerm("party")
	termChannel      = ast.StringTerm("channel")
	termHistory      = ast.StringTerm("history")
	termUnix         = ast.StringTerm("unix")
	termDay          = ast.StringTerm("day")
	termResult       = ast.StringTerm("result")
	termAttempt      = ast.StringTerm("attempt")
	termPurpose      = ast.StringTerm("purpose")
	termMinute       = ast.StringTerm("minute")
	termCollectors   = ast.StringTerm("collectors")
	termCallerID     = ast.StringTerm("caller_id_registered")
	termContent      = ast.StringTerm("content")
)

const secondsPerDay = 86400

// localDays converts instants to local calendar days in one zone, remembering
// the zone period (offset and bounds) of the last instant looked up.
type localDays struct {
	loc        *time.Location
	start, end int64
	offset     int64
}

func newLocalDays(loc *time.Location, t time.Time) *localDays {
	z := &localDays{loc: loc}
	z.period(t)
	return z
}

func (z *localDays) period(t time.Time) {
	lt := t.In(z.loc)
	_, off := lt.Zone()
	z.offset = int64(off)
	start, end := lt.ZoneBounds()
	z.start, z.end = -1<<62, 1<<62
	if !start.IsZero() {
		z.start = start.Unix()
	}
	if !end.IsZero() {
		z.end = end.Unix()
	}
}

// day returns the local calendar day of t, as days since 1970-01-01.
func (z *localDays) day(t time.Time) int64 {
	u := t.Unix()
	if u < z.start || u >= z.end {
		z.period(t)
	}
	q := (u + z.offset) / secondsPerDay
	if (u+z.offset)%secondsPerDay < 0 {
		q--
	}
	return q
}
