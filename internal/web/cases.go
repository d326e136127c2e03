package web

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/fairdebt/fairdebt/internal/collection"
	"github.com/fairdebt/fairdebt/internal/dialer"
)

// caseRow is a case as the worklist and the case page show it.
type caseRow struct {
	ID, Borrower, Status, Outstanding string
	DaysPastDue                       int
	outstanding                       int64
	// What the gate says, now, to a call to the debtor: CallNow, or the time it
	// would be allowed (NextCall), or why it is not (Blocked).
	CallNow  bool
	NextCall string
	Blocked  string
	next     time.Time
	// Promise is the state of the latest promise to pay: "", open, kept, broken.
	Promise string
	// What the worklist's row shows, translated once here rather than by the
	// template for each of hundreds of rows: the promise's label if it is open
	// or broken, and CallNow's or NextCall's.
	PromiseLabel, CallLabel string
}

type promiseView struct{ ID, Amount, DueDate, Status string }

type noteView struct{ At, Author, Text string }

type partyView struct {
	ID, Name, Role string
	Methods        []methodView
	// Phone is the contact method a call goes to: the first phone number.
	Phone string
}

type methodView struct{ ID, Masked string }

type reasonView struct{ Text, Citation string }

type attemptView struct {
	ID, At, Channel, Role, Result string
	Allowed, Pending              bool
	Reasons                       []reasonView
}

type decisionView struct {
	Allowed bool
	Reasons []reasonView
	Next    string
	// Dial says what became of an allowed call: handed to the dialer, or not.
	Dial string
}

// casePage is what the worklist and the case page see, beside page.
type casePage struct {
	page
	Cases    []caseRow
	Case     caseRow
	Parties  []partyView
	Attempts []attemptView
	Promises []promiseView
	Notes    []noteView
	Decision *decisionView
	CanWork  bool
	// CanUnmask offers to show a contact method in full (an audit event).
	CanUnmask bool
	Results   []string
	// Unmasked is a value shown in full after an unmasking.
	Unmasked string
	// Collectors of the case's agency, for those who assign cases; Collector is
	// the username of the one the case is assigned to.
	Collectors []string
	Collector  string
	// Plans of the case's borrower for its debt.
	Plans []planView
	// Inconvenient are the times of day the borrower said are inconvenient.
	Inconvenient []string
	// Dispute is the borrower's open dispute, if any; CanAnswer offers the
	// answer form (the lender's staff).
	Dispute    *collection.Hold
	CanAnswer  bool
	BorrowerID string
}

// outcomes a person may record on the case page.
var outcomes = []string{"connected", "no_answer", "busy", "voicemail", "invalid_number", "failed", "delivered", "replied"}

// money formats minor units (fen, cents) with the currency.
func money(minor int64, currency string) string {
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	return fmt.Sprintf("%s%s %d.%02d", sign, currency, minor/100, minor%100)
}

// row reads what a case's row shows, and returns the borrower and debt it read
// for callers that need more of them.
func (s *Server) row(r *http.Request, p collection.Principal, c collection.Case) (caseRow, *collection.Borrower, *collection.Debt, error) {
	b, err := s.svc.Borrower(r.Context(), p, c.BorrowerID)
	if err != nil {
		return caseRow{}, nil, nil, err
	}
	d, err := s.svc.Debt(r.Context(), p, c.DebtID)
	if err != nil {
		return caseRow{}, nil, nil, err
	}
	return newRow(c, b.Name, d.DaysPastDue, d.Outstanding, d.Currency), b, d, nil
}

// newRow is a case's row, with its borrower's name and its debt's arrears.
func newRow(c collection.Case, borrower string, daysPastDue int, outstanding int64, currency string) caseRow {
	return caseRow{ID: c.ID, Status: c.Status, Borrower: borrower, DaysPastDue: daysPastDue, outstanding: outstanding,
		Outstanding: money(outstanding, currency)}
}

// worklistRow is a worklist's row, its promise included.
func worklistRow(w collection.WorklistRow) caseRow {
	row := newRow(w.Case, w.Borrower, w.DaysPastDue, w.Outstanding, w.Currency)
	row.Promise = w.Promise
	return row
}

// worklist shows the open cases the principal sees, most overdue first, then the
// largest.
func (s *Server) worklist(w http.ResponseWriter, r *http.Request, p collection.Principal, session string) {
	cases, previews, err := s.svc.WorklistPreviews(r.Context(), p, "", collection.Page{Limit: 500})
	if err != nil {
		s.serviceError(w, r, err)
		return
	}
	rows := make([]caseRow, len(cases))
	for i, c := range cases {
		rows[i] = worklistRow(c)
	}
	lang := langOf(r, &p)
	loc := s.localizer(r, &p)
	callNow, broken, open := tr(loc, "cases.call_now"), tr(loc, "promise.broken"), tr(loc, "promise.open")
	for i := range rows {
		switch rows[i].Promise {
		case "broken":
			rows[i].PromiseLabel = broken
		case "open":
			rows[i].PromiseLabel = open
		}
		pv, ok := previews[rows[i].ID]
		switch {
		case !ok:
		case pv.Allowed:
			rows[i].CallNow, rows[i].CallLabel = true, callNow
		case !pv.NextAllowedAt.IsZero():
			rows[i].next = pv.NextAllowedAt
			rows[i].NextCall = pv.NextAllowedAt.Format("01-02 15:04 MST")
			rows[i].CallLabel = trData(loc, "cases.call_from", map[string]any{"Time": rows[i].NextCall})
		case len(pv.Decision.Violations) > 0:
			v := pv.Decision.Violations[0]
			rows[i].Blocked = v.Reason.ZH
			if lang == "en" {
				rows[i].Blocked = v.Reason.EN
			}
		}
	}
	// Calls the gate allows now first, then those it will allow soonest, then the
	// blocked; within each, broken promises first and open ones (the borrower
	// said when they would pay) last, then the most days past due, then the
	// largest amount.
	promise := func(c caseRow) int {
		switch c.Promise {
		case "broken":
			return 0
		case "open":
			return 2
		}
		return 1
	}
	group := func(c caseRow) int {
		switch {
		case c.CallNow:
			return 0
		case !c.next.IsZero():
			return 1
		}
		return 2
	}
	slices.SortStableFunc(rows, func(a, b caseRow) int {
		return cmp.Or(cmp.Compare(group(a), group(b)), a.next.Compare(b.next), cmp.Compare(promise(a), promise(b)), cmp.Compare(b.DaysPastDue, a.DaysPastDue),
			cmp.Compare(b.outstanding, a.outstanding), cmp.Compare(a.ID, b.ID))
	})
	s.render(w, r, http.StatusOK, "cases", &casePage{page: page{Title: tr(loc, "cases.title"), User: viewOf(p), CSRF: s.svc.CSRFToken(session)},
		Cases: rows})
}

// casePage shows one case: the debt, the people with their contact methods
// masked, every attempt with its decision, and (for those who work cases) the
// actions, each through the gate. ?attempt=ID shows that attempt's decision on top.
func (s *Server) casePage(w http.ResponseWriter, r *http.Request, p collection.Principal, session string) {
	ctx := r.Context()
	c, err := s.svc.Case(ctx, p, r.PathValue("id"))
	if err != nil {
		s.serviceError(w, r, err)
		return
	}
	row, b, d, err := s.row(r, p, *c)
	if err != nil {
		s.serviceError(w, r, err)
		return
	}
	zone := zoneOf(b.Timezone)
	parties, err := s.svc.Parties(ctx, p, c.BorrowerID)
	if err != nil {
		s.serviceError(w, r, err)
		return
	}
	attempts, err := s.svc.CaseAttempts(ctx, p, c.ID, 100)
	if err != nil {
		s.serviceError(w, r, err)
		return
	}
	promises, err := s.svc.Promises(ctx, p, c.ID)
	if err != nil {
		s.serviceError(w, r, err)
		return
	}
	notes, err := s.svc.Notes(ctx, p, c.ID)
	if err != nil {
		s.serviceError(w, r, err)
		return
	}
	loc := s.localizer(r, &p)
	lang := langOf(r, &p)
	data := &casePage{page: page{Title: tr(loc, "case.title") + " " + c.ID, User: viewOf(p), CSRF: s.svc.CSRFToken(session)},
		Case: row, CanWork: p.Can(collection.ActWork) && c.Status == collection.CaseOpen, CanUnmask: p.Can(collection.ActUnmask),
		Results: outcomes}
	if p.Can(collection.ActAssign) {
		users, err := s.svc.Collectors(ctx, p, c.AgencyID)
		if err != nil {
			s.serviceError(w, r, err)
			return
		}
		for _, u := range users {
			data.Collectors = append(data.Collectors, u.Username)
			if u.ID == c.CollectorID {
				data.Collector = u.Username
			}
		}
	}
	for _, n := range notes {
		data.Notes = append(data.Notes, noteView{At: n.CreatedAt.In(zone).Format("2006-01-02 15:04 MST"),
			Author: strings.TrimPrefix(n.Author, "user:"), Text: n.Text})
	}
	plans, err := s.svc.Plans(ctx, p, c.BorrowerID)
	if err != nil {
		s.serviceError(w, r, err)
		return
	}
	plans = slices.DeleteFunc(plans, func(pl collection.Plan) bool { return pl.DebtID != c.DebtID })
	data.Plans = planViews(plans, func(string) string { return d.Currency })
	data.Inconvenient, data.BorrowerID = b.Inconvenient, b.ID
	for i := range b.Holds {
		if b.Holds[i].Hold == "dispute" {
			data.Dispute = &b.Holds[i]
		}
	}
	data.CanAnswer = data.Dispute != nil && p.Can(collection.ActLift)
	for _, pr := range promises {
		data.Promises = append(data.Promises, promiseView{ID: pr.ID, Amount: money(pr.Amount, d.Currency), DueDate: pr.DueDate, Status: pr.Status})
	}
	for _, pt := range parties {
		v := partyView{ID: pt.ID, Name: pt.Name, Role: pt.Role}
		for _, m := range pt.ContactMethods {
			v.Methods = append(v.Methods, methodView{ID: m.ID, Masked: m.Masked})
			if m.Kind == "phone" && v.Phone == "" {
				v.Phone = m.ID // the number the call button asks the gate about and dials
			}
		}
		data.Parties = append(data.Parties, v)
	}
	shown := r.URL.Query().Get("attempt")
	for _, a := range attempts {
		v := attemptView{ID: a.ID, At: a.At.In(zone).Format("2006-01-02 15:04 MST"), Channel: a.Channel, Role: a.PartyRole, Result: a.Result,
			Allowed: a.Allowed, Pending: a.Result == "pending", Reasons: reasons(a, lang)}
		data.Attempts = append(data.Attempts, v)
		if a.ID == shown {
			d := &decisionView{Allowed: a.Allowed, Reasons: v.Reasons}
			if !a.Decision.NextAllowedAt.IsZero() {
				d.Next = a.Decision.NextAllowedAt.In(zone).Format("2006-01-02 15:04 MST")
			}
			if a.Allowed && a.Channel == "call" {
				switch r.URL.Query().Get("dial") {
				case "placed":
					d.Dial = trData(loc, "dial.placed", map[string]any{"Dialer": s.dialer.Name()})
					if _, demo := s.dialer.(*dialer.Outbox); demo {
						d.Dial = tr(loc, "dial.outbox")
					}
				case "nonumber":
					d.Dial = tr(loc, "dial.nonumber")
				case "failed":
					d.Dial = tr(loc, "dial.failed")
				}
			}
			data.Decision = d
		}
	}
	s.render(w, r, http.StatusOK, "case", data)
}

func reasons(a collection.Attempt, lang string) []reasonView {
	var out []reasonView
	for _, v := range a.Decision.Violations {
		text := v.Reason.ZH
		if lang == "en" {
			text = v.Reason.EN
		}
		out = append(out, reasonView{Text: text, Citation: v.Citation})
	}
	return out
}

// attempt asks the gate for a contact from the case page; the decision, allowed
// or denied, is recorded and shown.
func (s *Server) attempt(w http.ResponseWriter, r *http.Request, p collection.Principal, session string) {
	id := r.PathValue("id")
	a, err := s.svc.Decide(r.Context(), p, collection.AttemptInput{CaseID: id, PartyID: r.PostFormValue("party_id"),
		ContactMethodID: r.PostFormValue("contact_method_id"), Channel: r.PostFormValue("channel"), Purpose: r.PostFormValue("purpose"),
		Message: r.PostFormValue("message")})
	if err != nil {
		s.serviceError(w, r, err)
		return
	}
	dial := ""
	if a.Allowed && a.Channel == "call" {
		dial = "&dial=" + s.dial(r, p, a)
	}
	http.Redirect(w, r, "/cases/"+id+"?attempt="+a.ID+dial+"#decision", http.StatusSeeOther)
}

// dial hands an allowed call to the dialer, and says how that went: "placed",
// "nonumber" or "failed" (the attempt stays recorded; its outcome is then
// recorded by hand as failed).
func (s *Server) dial(r *http.Request, p collection.Principal, a *collection.Attempt) string {
	target, err := s.svc.CallTarget(r.Context(), p, a.ID)
	if err != nil {
		if collection.IsKind(err, collection.Conflict) {
			return "nonumber"
		}
		s.log.Error("reading a call's number", "attempt", a.ID, "err", err)
		return "failed"
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 15*time.Second)
	defer cancel()
	err = s.dialer.Dial(ctx, dialer.Call{AttemptID: a.ID, CaseID: a.CaseID, AgencyID: a.AgencyID, PartyID: a.PartyID, To: target.To,
		Agent: p.Name, At: a.At})
	if err != nil {
		s.log.Error("the dialer refused a call", "attempt", a.ID, "dialer", s.dialer.Name(), "err", err)
		return "failed"
	}
	s.log.Info("call handed to the dialer", "attempt", a.ID, "dialer", s.dialer.Name(), "user", p.Name)
	return "placed"
}

// outcome records what happened on an allowed attempt.
func (s *Server) outcome(w http.ResponseWriter, r *http.Request, p collection.Principal, session string) {
	a, err := s.svc.Outcome(r.Context(), p, r.PathValue("id"), r.PostFormValue("result"))
	if err != nil {
		s.serviceError(w, r, err)
		return
	}
	http.Redirect(w, r, "/cases/"+a.CaseID+"#attempt-"+a.ID, http.StatusSeeOther)
}

// serviceError shows the service's refusal in the request's language: 404 as for
// anything that does not exist, 403, 409 or 422 with the reason.
func (s *Server) serviceError(w http.ResponseWriter, r *http.Request, err error) {
	var p *collection.Principal
	if v, ok := r.Context().Value(principalKey{}).(collection.Principal); ok {
		p = &v
	}
	loc := s.localizer(r, p)
	var e *collection.Error
	if !errors.As(err, &e) {
		s.fail(w, r, err)
		return
	}
	if e.Kind == collection.NotFound {
		s.notFound(w, r)
		return
	}
	status := e.Kind.HTTPStatus()
	reason := e.ZH
	if langOf(r, p) == "en" {
		reason = e.EN
	}
	if e.Field != "" {
		reason = e.Field + ": " + reason
	}
	s.render(w, r, status, "error", &page{Title: fmt.Sprint(status), Error: trData(loc, "error.refused", map[string]any{"Reason": reason})})
}

// unmask shows one contact method in full to a role that may see it, after
// recording the unmasking in the audit log. The page is not cached.
func (s *Server) unmask(w http.ResponseWriter, r *http.Request, p collection.Principal, session string) {
	value, err := s.svc.UnmaskContact(r.Context(), p, r.PathValue("id"), r.PostFormValue("reason"))
	if err != nil {
		s.serviceError(w, r, err)
		return
	}
	s.log.Info("contact method unmasked", "user", p.Name, "contact_method", r.PathValue("id"))
	loc := s.localizer(r, &p)
	s.render(w, r, http.StatusOK, "unmask", &casePage{page: page{Title: tr(loc, "unmask.title"), User: viewOf(p),
		CSRF: s.svc.CSRFToken(session), Next: safeNext(r.PostFormValue("back"))}, Unmasked: value})
}

// promise records a promise to pay from the case page; the amount is in the
// currency's units ("1234.56").
func (s *Server) promise(w http.ResponseWriter, r *http.Request, p collection.Principal, session string) {
	id := r.PathValue("id")
	amount, ok := minorUnits(strings.TrimSpace(r.PostFormValue("amount")))
	if !ok {
		s.serviceError(w, r, &collection.Error{Kind: collection.Invalid, Field: "amount",
			EN: "must be a positive amount with at most two decimals, such as 1234.56", ZH: "须为正数金额，最多两位小数，如 1234.56"})
		return
	}
	if _, err := s.svc.CreatePromise(r.Context(), p, id, collection.PromiseInput{Amount: amount, DueDate: r.PostFormValue("due_date")}); err != nil {
		s.serviceError(w, r, err)
		return
	}
	http.Redirect(w, r, "/cases/"+id+"#promises", http.StatusSeeOther)
}

// assign puts the case on a collector's worklist, or takes it off (an empty name).
func (s *Server) assign(w http.ResponseWriter, r *http.Request, p collection.Principal, session string) {
	id := r.PathValue("id")
	if _, err := s.svc.AssignCase(r.Context(), p, id, r.PostFormValue("collector")); err != nil {
		s.serviceError(w, r, err)
		return
	}
	back := safeNext(r.PostFormValue("back")) // the team page
	if back == "" {
		back = "/cases/" + id
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// promiseStatus records that a promise was kept or broken.
func (s *Server) promiseStatus(w http.ResponseWriter, r *http.Request, p collection.Principal, session string) {
	pr, err := s.svc.SetPromiseStatus(r.Context(), p, r.PathValue("id"), r.PostFormValue("status"))
	if err != nil {
		s.serviceError(w, r, err)
		return
	}
	http.Redirect(w, r, "/cases/"+pr.CaseID+"#promises", http.StatusSeeOther)
}

// note adds a note to the case.
func (s *Server) note(w http.ResponseWriter, r *http.Request, p collection.Principal, session string) {
	id := r.PathValue("id")
	if _, err := s.svc.AddNote(r.Context(), p, id, r.PostFormValue("text")); err != nil {
		s.serviceError(w, r, err)
		return
	}
	http.Redirect(w, r, "/cases/"+id+"#notes", http.StatusSeeOther)
}
