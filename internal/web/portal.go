package web

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/fairdebt/fairdebt/internal/collection"
	"github.com/fairdebt/fairdebt/internal/notify"
	"github.com/fairdebt/fairdebt/internal/secret"
)

// The borrower's portal: sign-in with a one-time code sent to the number or
// address registered for them, then their debts, every contact attempt made
// about them (to their contacts too), the people they named, and their rights:
// withdraw a designation, opt out of a channel, dispute.

// portalPage is what the portal's pages see, beside page.
type portalPage struct {
	page
	// Sign-in: the challenge a code was sent for, and where (masked).
	Challenge, SentTo, Value string
	View                     *collection.PortalView
	Zone                     string
	Debts                    []portalDebt
	Attempts                 []portalAttempt
	Parties                  []portalParty
	OptOuts                  []string
	Holds                    []collection.Hold
	Channels                 []string
	Notice                   string
	Outbox                   []outboxView
	Complaints               []complaintView
	Plans                    []planView
	Answers                  []answerView
}

type answerView struct {
	collection.DisputeAnswer
	At string
}

type portalDebt struct {
	collection.PortalDebt
	Principal, Fees, Outstanding string
	Installments                 []installmentView
}

type installmentView struct{ DueDate, Amount, Paid string }

type portalAttempt struct {
	At, To, Role, Channel, Result string
	Allowed                       bool
	Reasons                       []reasonView
}

type portalParty struct {
	ID, Name, Role, Relation string
	Masked                   []string
	Consented, Withdrawn     bool
}

type outboxView struct{ At, To, Text string }

// optOutChannels are the channels a borrower may opt out of in the portal.
var optOutChannels = []string{"call", "sms", "im", "email", "letter", "visit"}

func (s *Server) portalLoginForm(w http.ResponseWriter, r *http.Request) {
	s.renderPortalLogin(w, r, http.StatusOK, "portal_login", "", "", nil)
}

// renderPortalLogin shows the portal's sign-in form, or the code form, with a
// fresh CSRF token in a cookie (as the staff's sign-in form).
func (s *Server) renderPortalLogin(w http.ResponseWriter, r *http.Request, status int, name, msg, value string, c *collection.Challenge) {
	token := randomToken()
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: token, Path: "/", Secure: true, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, MaxAge: 3600})
	loc := s.localizer(r, nil)
	d := &portalPage{page: page{Title: tr(loc, "portal.title"), CSRF: token, Error: msg}, Value: value}
	if c != nil {
		d.Challenge, d.SentTo = c.ID, c.SentTo
	}
	s.render(w, r, status, name, d)
}

// publicFormOK checks the double-submit token of a form posted without a session
// (the portal's sign-in, the third-party page). When it fails, expired shows the
// form again, with the message, as 403.
func (s *Server) publicFormOK(w http.ResponseWriter, r *http.Request, expired func(msg string)) bool {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if err := r.ParseForm(); err != nil {
		s.forbidden(w, r)
		return false
	}
	c, err := r.Cookie(loginCookie)
	if err != nil || !sameToken(r.PostFormValue("csrf"), c.Value) {
		expired(tr(s.localizer(r, nil), "login.expired"))
		return false
	}
	return true
}

// portalExpired shows the portal's sign-in form again after an expired form.
func (s *Server) portalExpired(w http.ResponseWriter, r *http.Request) func(string) {
	return func(msg string) { s.renderPortalLogin(w, r, http.StatusForbidden, "portal_login", msg, "", nil) }
}

// attemptRow is an attempt as the portal and the complaint letter list it, in
// the borrower's zone, aimed at the person named to.
func attemptRow(a collection.Attempt, to string, zone *time.Location, lang string) portalAttempt {
	return portalAttempt{At: a.At.In(zone).Format("2006-01-02 15:04 MST"), To: to, Role: a.PartyRole, Channel: a.Channel,
		Result: a.Result, Allowed: a.Allowed, Reasons: reasons(a, lang)}
}

// portalSendCode sends a code to the number or address the borrower typed, if it
// is registered for a borrower, and shows the code form whatever the case.
func (s *Server) portalSendCode(w http.ResponseWriter, r *http.Request) {
	if !s.publicFormOK(w, r, s.portalExpired(w, r)) {
		return
	}
	loc := s.localizer(r, nil)
	value := strings.TrimSpace(r.PostFormValue("contact"))
	kind := "phone"
	if strings.Contains(value, "@") {
		kind = "email"
	}
	c, err := s.svc.SendCode(r.Context(), collection.CodeRequest{Purpose: collection.PurposeBorrower, Kind: kind, Value: value,
		Client: clientAddr(r), Lang: langOf(r, nil)})
	switch {
	case collection.IsKind(err, collection.Invalid):
		s.renderPortalLogin(w, r, http.StatusUnprocessableEntity, "portal_login", tr(loc, "portal.bad_contact"), value, nil)
	case collection.IsKind(err, collection.TooMany):
		s.renderPortalLogin(w, r, http.StatusTooManyRequests, "portal_login", tr(loc, "portal.limited"), value, nil)
	case collection.IsKind(err, collection.Unavailable):
		s.renderPortalLogin(w, r, http.StatusServiceUnavailable, "portal_login", tr(loc, "portal.no_gateway"), value, nil)
	case err != nil && !errors.As(err, new(*collection.CodeNotSentError)):
		s.fail(w, r, err)
	default:
		if err != nil { // answered as if sent: the page must not tell who is a borrower
			s.log.Error("the gateway refused a sign-in code", "err", err)
		}
		s.renderPortalLogin(w, r, http.StatusOK, "portal_verify", "", "", c)
	}
}

// portalVerify signs the borrower in with the code.
func (s *Server) portalVerify(w http.ResponseWriter, r *http.Request) {
	if !s.publicFormOK(w, r, s.portalExpired(w, r)) {
		return
	}
	loc := s.localizer(r, nil)
	c := &collection.Challenge{ID: r.PostFormValue("challenge"), SentTo: r.PostFormValue("sent_to")}
	token, p, err := s.svc.BorrowerLogin(r.Context(), c.ID, r.PostFormValue("code"), clientAddr(r))
	switch {
	case collection.IsKind(err, collection.TooMany):
		s.renderPortalLogin(w, r, http.StatusTooManyRequests, "portal_login", tr(loc, "portal.limited"), "", nil)
		return
	case collection.IsKind(err, collection.Unauthenticated):
		s.renderPortalLogin(w, r, http.StatusUnauthorized, "portal_verify", tr(loc, "portal.bad_code"), "", c)
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	s.log.Info("borrower signed in", "user", p.UserID, "client", clientAddr(r))
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", Secure: true, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, MaxAge: int(collection.SessionLifetime / time.Second)})
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: "", Path: "/", Secure: true, HttpOnly: true, MaxAge: -1})
	if p.Lang != "" {
		setLang(w, p.Lang)
	}
	http.Redirect(w, r, "/portal", http.StatusSeeOther)
}

// portal shows the borrower their debts, the attempts, the people they named and
// the forms of their rights.
func (s *Server) portal(w http.ResponseWriter, r *http.Request, p collection.Principal, session string) {
	v, err := s.svc.Portal(r.Context(), p)
	if err != nil {
		s.serviceError(w, r, err)
		return
	}
	loc := s.localizer(r, &p)
	lang := langOf(r, &p)
	zone := zoneOf(v.Borrower.Timezone)
	d := &portalPage{page: page{Title: tr(loc, "portal.title"), User: viewOf(p), CSRF: s.svc.CSRFToken(session)},
		View: v, Zone: v.Borrower.Timezone, Holds: v.Borrower.Holds, Channels: optOutChannels}
	switch r.URL.Query().Get("done") {
	case "revoked", "optout", "dispute", "plan", "times":
		d.Notice = tr(loc, "portal.done_"+r.URL.Query().Get("done"))
	}
	for _, dt := range v.Debts {
		pd := portalDebt{PortalDebt: dt, Principal: money(dt.Principal, dt.Currency), Fees: money(dt.Fees, dt.Currency),
			Outstanding: money(dt.Outstanding, dt.Currency)}
		for _, in := range dt.Installments {
			pd.Installments = append(pd.Installments, installmentView{DueDate: in.DueDate, Amount: money(in.Amount, dt.Currency),
				Paid: money(in.Paid, dt.Currency)})
		}
		d.Debts = append(d.Debts, pd)
	}
	names := map[string]string{}
	for _, pt := range v.Parties {
		names[pt.ID] = pt.Name
		pp := portalParty{ID: pt.ID, Name: pt.Name, Role: pt.Role, Relation: pt.Relation,
			Consented: pt.Consent != nil && pt.Consent.RevokedAt == nil, Withdrawn: pt.Consent != nil && pt.Consent.RevokedAt != nil}
		for _, m := range pt.ContactMethods {
			pp.Masked = append(pp.Masked, m.Masked)
		}
		d.Parties = append(d.Parties, pp)
	}
	for _, a := range v.Attempts {
		d.Attempts = append(d.Attempts, attemptRow(a, names[a.PartyID], zone, lang))
	}
	answers, err := s.svc.DisputeAnswers(r.Context(), p, p.BorrowerID)
	if err != nil {
		s.serviceError(w, r, err)
		return
	}
	for _, a := range answers {
		d.Answers = append(d.Answers, answerView{DisputeAnswer: a, At: a.AnsweredAt.In(zone).Format("2006-01-02 15:04 MST")})
	}
	plans, err := s.svc.Plans(r.Context(), p, p.BorrowerID)
	if err != nil {
		s.serviceError(w, r, err)
		return
	}
	currencies := map[string]string{}
	for _, dt := range v.Debts {
		currencies[dt.ID] = dt.Currency
	}
	d.Plans = planViews(plans, func(id string) string { return currencies[id] })
	complaints, err := s.svc.Complaints(r.Context(), p, collection.ComplaintFilter{})
	if err != nil {
		s.serviceError(w, r, err)
		return
	}
	for i := range complaints {
		d.Complaints = append(d.Complaints, complaintViewOf(&complaints[i]))
	}
	for _, o := range v.OptOuts {
		if o.PartyID == v.Borrower.ID {
			d.OptOuts = append(d.OptOuts, o.Channel)
		}
	}
	s.render(w, r, http.StatusOK, "portal", d)
}

// portalRevoke withdraws the designation of a person the borrower named.
func (s *Server) portalRevoke(w http.ResponseWriter, r *http.Request, p collection.Principal, session string) {
	if _, err := s.svc.UpdateParty(r.Context(), p, r.PathValue("id"), collection.PartyUpdate{RevokeConsent: true}); err != nil {
		s.serviceError(w, r, err)
		return
	}
	http.Redirect(w, r, "/portal?done=revoked#people", http.StatusSeeOther)
}

// portalOptOut opts the borrower out of a channel.
func (s *Server) portalOptOut(w http.ResponseWriter, r *http.Request, p collection.Principal, session string) {
	if _, err := s.svc.CreateOptOut(r.Context(), p, collection.OptOutInput{PartyID: p.BorrowerID, Channel: r.PostFormValue("channel"),
		Source: "portal"}); err != nil {
		s.serviceError(w, r, err)
		return
	}
	http.Redirect(w, r, "/portal?done=optout#channels", http.StatusSeeOther)
}

// portalTimes records the times of day the borrower said are inconvenient: up
// to two spans from the form's from1/to1 and from2/to2 (empty: none).
func (s *Server) portalTimes(w http.ResponseWriter, r *http.Request, p collection.Principal, session string) {
	var windows []string
	for _, n := range []string{"1", "2"} {
		from, to := strings.TrimSpace(r.PostFormValue("from"+n)), strings.TrimSpace(r.PostFormValue("to"+n))
		if from != "" || to != "" {
			windows = append(windows, from+"-"+to)
		}
	}
	if _, err := s.svc.SetInconvenientTimes(r.Context(), p, p.BorrowerID, windows); err != nil {
		s.serviceError(w, r, err)
		return
	}
	http.Redirect(w, r, "/portal?done=times#channels", http.StatusSeeOther)
}

// portalDispute disputes the borrower's debts: a dispute hold, which the rule
// packs honour until the lender answers and lifts it.
func (s *Server) portalDispute(w http.ResponseWriter, r *http.Request, p collection.Principal, session string) {
	if _, err := s.svc.CreateHold(r.Context(), p, p.BorrowerID, collection.HoldInput{Hold: "dispute",
		Note: strings.TrimSpace(r.PostFormValue("note"))}); err != nil {
		s.serviceError(w, r, err)
		return
	}
	http.Redirect(w, r, "/portal?done=dispute#holds", http.StatusSeeOther)
}

// outbox shows the messages the demo would have sent (one-time codes), newest
// first; without an outbox (a real deployment) there is no such page.
func (s *Server) outbox(w http.ResponseWriter, r *http.Request) {
	if s.demoOutbox == nil {
		s.notFound(w, r)
		return
	}
	loc := s.localizer(r, nil)
	d := &portalPage{page: page{Title: tr(loc, "outbox.title")}}
	msgs := s.demoOutbox.Messages()
	for i := len(msgs) - 1; i >= 0; i-- {
		m := msgs[i]
		d.Outbox = append(d.Outbox, outboxView{At: m.At.Format("15:04:05"), To: secret.Mask(m.Kind, m.To), Text: m.Text})
	}
	s.render(w, r, http.StatusOK, "outbox", d)
}

// WithOutbox shows the demo's outbox at /outbox: every message the service
// would have sent, codes included. For the demo only.
func WithOutbox(o *notify.Outbox) Option { return func(s *Server) { s.demoOutbox = o } }
