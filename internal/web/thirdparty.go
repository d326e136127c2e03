package web

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/fairdebt/fairdebt/internal/collection"
)

// The third-party page: public, no account. Someone who received a collection
// call or message about somebody else proves their number with a code, then
// asks never to be contacted again (binding on every case) and may report what
// happened.

// thirdPartyPage is what the third-party and reports pages see, beside page.
type thirdPartyPage struct {
	page
	Challenge, SentTo, Value string
	Result                   *collection.ThirdPartyResult
	Reports                  []reportView
	FlaggedOnly              bool
	// Form values kept when a submission is refused.
	At, From, Said string
	Object         bool
}

type reportView struct {
	ID, CalledAt, From, Said, Matched, Agencies string
	Flagged                                     bool
}

func (s *Server) thirdPartyForm(w http.ResponseWriter, r *http.Request) {
	s.renderThirdParty(w, r, http.StatusOK, &thirdPartyPage{})
}

// renderThirdParty shows the page with a fresh double-submit token.
func (s *Server) renderThirdParty(w http.ResponseWriter, r *http.Request, status int, d *thirdPartyPage) {
	token := randomToken()
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: token, Path: "/", Secure: true, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, MaxAge: 3600})
	loc := s.localizer(r, nil)
	d.Title, d.CSRF = tr(loc, "tp.title"), token
	s.render(w, r, status, "thirdparty", d)
}

// thirdPartyExpired shows the third-party page again after an expired form.
func (s *Server) thirdPartyExpired(w http.ResponseWriter, r *http.Request) func(string) {
	return func(msg string) {
		s.renderThirdParty(w, r, http.StatusForbidden, &thirdPartyPage{page: page{Error: msg}})
	}
}

// thirdPartyCode sends a code to the number the person typed.
func (s *Server) thirdPartyCode(w http.ResponseWriter, r *http.Request) {
	if !s.publicFormOK(w, r, s.thirdPartyExpired(w, r)) {
		return
	}
	loc := s.localizer(r, nil)
	value := strings.TrimSpace(r.PostFormValue("phone"))
	c, err := s.svc.SendCode(r.Context(), collection.CodeRequest{Purpose: collection.PurposeThirdParty, Kind: "phone", Value: value,
		Client: clientAddr(r), Lang: langOf(r, nil)})
	d := &thirdPartyPage{Value: value, Object: true}
	switch {
	case collection.IsKind(err, collection.Invalid):
		d.Error = tr(loc, "tp.bad_phone")
		s.renderThirdParty(w, r, http.StatusUnprocessableEntity, d)
	case collection.IsKind(err, collection.TooMany):
		d.Error = tr(loc, "portal.limited")
		s.renderThirdParty(w, r, http.StatusTooManyRequests, d)
	case collection.IsKind(err, collection.Unavailable):
		d.Error = tr(loc, "portal.no_gateway")
		s.renderThirdParty(w, r, http.StatusServiceUnavailable, d)
	case err != nil:
		s.log.Error("sending a third party's code", "err", err)
		d.Error = tr(loc, "portal.not_sent")
		s.renderThirdParty(w, r, http.StatusServiceUnavailable, d)
	default:
		d.Challenge, d.SentTo = c.ID, c.SentTo
		s.renderThirdParty(w, r, http.StatusOK, d)
	}
}

// thirdPartySubmit carries out the objection and the report.
func (s *Server) thirdPartySubmit(w http.ResponseWriter, r *http.Request) {
	if !s.publicFormOK(w, r, s.thirdPartyExpired(w, r)) {
		return
	}
	loc := s.localizer(r, nil)
	d := &thirdPartyPage{Challenge: r.PostFormValue("challenge"), SentTo: r.PostFormValue("sent_to"), Object: r.PostFormValue("object") == "on",
		At: r.PostFormValue("at"), From: r.PostFormValue("from"), Said: r.PostFormValue("said")}
	in := collection.ThirdPartyInput{Challenge: d.Challenge, Code: r.PostFormValue("code"), Client: clientAddr(r), Object: d.Object}
	if d.At != "" || d.From != "" || strings.TrimSpace(d.Said) != "" {
		// The time the person saw, on their phone: the time zone their browser
		// reported (a hidden field set by the page's script), else Beijing time.
		zone := time.FixedZone("CST", 8*3600)
		if z, err := collection.ParseZone("tz", r.PostFormValue("tz")); err == nil {
			zone = z
		}
		at, err := time.ParseInLocation("2006-01-02T15:04", d.At, zone)
		if err != nil {
			d.Error = tr(loc, "tp.bad_time")
			s.renderThirdParty(w, r, http.StatusUnprocessableEntity, d)
			return
		}
		in.Report = &collection.ReportInput{At: at, From: d.From, Said: d.Said}
	}
	res, err := s.svc.ThirdParty(r.Context(), in)
	var e *collection.Error
	switch {
	case err == nil:
		s.renderThirdParty(w, r, http.StatusOK, &thirdPartyPage{Result: res})
		return
	case collection.IsKind(err, collection.TooMany):
		d.Error = tr(loc, "portal.limited")
		s.renderThirdParty(w, r, http.StatusTooManyRequests, d)
	case collection.IsKind(err, collection.Unauthenticated):
		d.Error = tr(loc, "portal.bad_code")
		s.renderThirdParty(w, r, http.StatusUnauthorized, d)
	case errors.As(err, &e) && e.Kind == collection.Invalid:
		d.Error = e.ZH
		if langOf(r, nil) == "en" {
			d.Error = e.EN
		}
		s.renderThirdParty(w, r, http.StatusUnprocessableEntity, d)
	default:
		s.fail(w, r, err)
	}
}

// reports lists third parties' reports for compliance staff and regulators,
// flagged ones (no recorded attempt matches) first in mind: ?all=1 shows all.
func (s *Server) reports(w http.ResponseWriter, r *http.Request, p collection.Principal, session string) {
	flagged := r.URL.Query().Get("all") == ""
	list, err := s.svc.Reports(r.Context(), p, flagged)
	if err != nil {
		s.serviceError(w, r, err)
		return
	}
	loc := s.localizer(r, &p)
	d := &thirdPartyPage{page: page{Title: tr(loc, "reports.title"), User: viewOf(p), CSRF: s.svc.CSRFToken(session)}, FlaggedOnly: flagged}
	zone := serverZone()
	for _, rp := range list {
		d.Reports = append(d.Reports, reportView{ID: rp.ID, CalledAt: rp.CalledAt.In(zone).Format("2006-01-02 15:04 MST"), From: rp.From,
			Said: rp.Said, Matched: rp.MatchedAttempt, Agencies: strings.Join(rp.Agencies, ", "), Flagged: rp.Flagged})
	}
	s.render(w, r, http.StatusOK, "reports", d)
}
