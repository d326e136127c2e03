// Package web is fairdebt's server-rendered web UI: plain HTML forms from
// html/template, in Simplified Chinese and English, with sessions in cookies, a
// CSRF token on every form, and a strict Content-Security-Policy (no inline
// script or style). Everything it does goes through the collection service, as
// the JSON API's operations do.
package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/nicksnyder/go-i18n/v2/i18n"

	"github.com/fairdebt/fairdebt/internal/collection"
	"github.com/fairdebt/fairdebt/internal/dialer"
	"github.com/fairdebt/fairdebt/internal/notify"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Cookies. __Host- names make the browser refuse them unless Secure, host-only and
// for the whole site: another subdomain cannot plant one.
const (
	sessionCookie = "__Host-fd_session"
	loginCookie   = "__Host-fd_login" // the CSRF token of the sign-in form, before there is a session
	langCookie    = "fd_lang"
)

// Server is the web UI.
type Server struct {
	svc    *collection.Service
	log    *slog.Logger
	bundle *i18n.Bundle
	pages  map[string]*template.Template
	jobs   jobs
	// dialer places the calls the gate allows.
	dialer dialer.Dialer
	// demoOutbox, in the demo, holds the messages shown at /outbox.
	demoOutbox *notify.Outbox
}

// Option configures the web UI.
type Option func(*Server)

// WithDialer makes d place the calls the gate allows (an Outbox, which places
// none, by default).
func WithDialer(d dialer.Dialer) Option { return func(s *Server) { s.dialer = d } }

// New returns the web UI's handler; requests for anything it does not serve (the
// JSON API, /healthz, /metrics, /docs) go to next.
func New(svc *collection.Service, log *slog.Logger, next http.Handler, opts ...Option) (http.Handler, error) {
	bundle, err := newBundle()
	if err != nil {
		return nil, err
	}
	s := &Server{svc: svc, log: log, bundle: bundle, pages: map[string]*template.Template{}, dialer: dialer.NewOutbox(0)}
	for _, o := range opts {
		o(s)
	}
	for _, page := range []string{"login", "home", "error", "cases", "case", "import", "unmask", "compose", "dashboard", "team", "lender", "settings",
		"portal_login", "portal_verify", "portal", "outbox", "thirdparty", "reports", "complaint_new", "complaint", "complaints", "letter", "regulator"} {
		t, err := template.New(page).Funcs(template.FuncMap{"t": func(string, ...any) string { return "" }}).
			ParseFS(templateFS, "templates/layout.html", "templates/partials.html", "templates/"+page+".html")
		if err != nil {
			return nil, err
		}
		s.pages[page] = t
	}
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	for _, rt := range s.routes() {
		mux.HandleFunc(rt.pattern, rt.handler)
	}
	mux.Handle("/", next)
	return s.headers(mux), nil
}

// route is one page or form action of the UI. The route table is the one place
// they are listed: a test sends every route as every role.
type route struct {
	pattern string
	handler http.HandlerFunc
}

func (s *Server) routes() []route {
	return []route{
		{"GET /{$}", s.root},
		{"GET /login", s.loginForm},
		{"POST /login", s.login},
		{"GET /lang/{lang}", s.switchLang},
		{"POST /logout", s.anyoneIn(s.logout)},
		{"GET /home", s.signedIn(s.home)},
		{"GET /cases", s.signedIn(s.worklist)},
		{"GET /cases/{id}", s.signedIn(s.casePage)},
		{"POST /cases/{id}/attempts", s.signedIn(s.attempt)},
		{"POST /attempts/{id}/outcome", s.signedIn(s.outcome)},
		{"POST /cases/{id}/promises", s.signedIn(s.promise)},
		{"POST /cases/{id}/assignment", s.signedIn(s.assign)},
		{"POST /cases/{id}/notes", s.signedIn(s.note)},
		{"GET /cases/{id}/compose", s.signedIn(s.compose)},
		{"POST /screen", s.signedIn(s.screenText)},
		{"GET /import", s.signedIn(s.importForm)},
		{"POST /import", s.signedIn(s.importUpload)},
		{"GET /import/{id}", s.signedIn(s.importStatus)},
		{"POST /contact-methods/{id}/unmask", s.signedIn(s.unmask)},
		{"POST /promises/{id}/status", s.signedIn(s.promiseStatus)},
		{"GET /dashboard", s.signedIn(s.dashboard)},
		{"GET /team", s.signedIn(s.team)},
		{"GET /lender", s.signedIn(s.lender)},
		{"POST /lenders/{id}/pack", s.signedIn(s.setPack)},
		{"POST /debts/{id}/case", s.signedIn(s.place)},
		{"GET /settings", s.anyoneIn(s.settings)},
		{"POST /settings", s.anyoneIn(s.saveSettings)},
		{"GET /portal/login", s.portalLoginForm},
		{"POST /portal/login", s.portalSendCode},
		{"POST /portal/verify", s.portalVerify},
		{"GET /portal", s.borrowerIn(s.portal)},
		{"POST /portal/contacts/{id}/revoke", s.borrowerIn(s.portalRevoke)},
		{"POST /portal/optouts", s.borrowerIn(s.portalOptOut)},
		{"POST /portal/dispute", s.borrowerIn(s.portalDispute)},
		{"POST /portal/times", s.borrowerIn(s.portalTimes)},
		{"GET /outbox", s.outbox},
		{"GET /third-party", s.thirdPartyForm},
		{"POST /third-party/code", s.thirdPartyCode},
		{"POST /third-party", s.thirdPartySubmit},
		{"GET /reports", s.signedIn(s.reports)},
		{"GET /portal/complaints/new", s.borrowerIn(s.portalComplaintForm)},
		{"POST /portal/complaints", s.borrowerIn(s.fileComplaint)},
		{"GET /portal/complaints/{id}", s.borrowerIn(s.complaintPage)},
		{"POST /portal/complaints/{id}/rate", s.borrowerIn(s.complaintAction)},
		{"GET /complaints", s.signedIn(s.complaintList)},
		{"GET /complaints/{id}", s.signedIn(s.complaintPage)},
		{"POST /complaints/{id}/actions", s.signedIn(s.complaintAction)},
		{"GET /complaints/{id}/receipt", s.anyoneIn(s.complaintReceipt)},
		{"GET /complaints/{id}/evidence/{sha}", s.anyoneIn(s.evidence)},
		{"GET /complaints/{id}/letter", s.anyoneIn(s.letter)},
		{"POST /borrowers/{id}/dispute-answer", s.signedIn(s.answerDispute)},
		{"GET /disputes/{id}/evidence/{sha}", s.anyoneIn(s.disputeEvidence)},
		{"POST /portal/plans", s.borrowerIn(s.proposePlan)},
		{"POST /portal/plans/{id}", s.borrowerIn(s.portalPlanAction)},
		{"POST /plans/{id}", s.signedIn(s.planAction)},
		{"POST /plans/{id}/paid", s.signedIn(s.planPaid)},
		{"GET /regulator", s.signedIn(s.regulator)},
		{"GET /regulator.csv", s.signedIn(s.regulatorCSV)},
	}
}

// maxUploadBytes is the largest multipart form any page takes: a complaint's
// five evidence files of 10 MB, with room for the form.
const maxUploadBytes = 5*10<<20 + 1<<20

// contentSecurityPolicy allows the page's own styles and scripts only: nothing
// inline, nothing from elsewhere, no framing.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// headers sets the security headers of every web page.
func (s *Server) headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		if !isAPI(r.URL.Path) {
			h.Set("Content-Security-Policy", contentSecurityPolicy)
			if !strings.HasPrefix(r.URL.Path, "/static/") {
				h.Set("Cache-Control", "no-store")
			}
		}
		next.ServeHTTP(w, r)
	})
}

// isAPI reports whether path belongs to the JSON API and its documents.
func isAPI(path string) bool {
	return strings.HasPrefix(path, "/v1/") || path == "/openapi.json" || strings.HasPrefix(path, "/openapi") ||
		path == "/docs" || path == "/healthz" || path == "/metrics"
}

type principalKey struct{}

// Who a page is for: the staff's pages, the borrower's portal, or both (signing
// out, preferences).
type audience int

const (
	staffOnly audience = iota
	borrowersOnly
	anyone
)

type sessionHandler func(http.ResponseWriter, *http.Request, collection.Principal, string)

// signedIn runs h for a member of staff with a valid session, and sends anyone
// else to the sign-in form (a borrower's /home to the portal, other staff pages
// 403). A POST must also carry the session's CSRF token, or is refused with 403.
func (s *Server) signedIn(h sessionHandler) http.HandlerFunc { return s.session(staffOnly, h) }

// borrowerIn runs h for a borrower signed in to the portal.
func (s *Server) borrowerIn(h sessionHandler) http.HandlerFunc { return s.session(borrowersOnly, h) }

// anyoneIn runs h for anyone signed in.
func (s *Server) anyoneIn(h sessionHandler) http.HandlerFunc { return s.session(anyone, h) }

func (s *Server) session(who audience, h sessionHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			// Uploads (the debt import, a complaint's evidence) are limited again,
			// more tightly, by their handlers; the CSRF token is read from the
			// body, so the body must be readable whole here.
			limit := int64(1 << 20)
			if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
				limit = maxUploadBytes
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		c, err := r.Cookie(sessionCookie)
		var p collection.Principal
		if err == nil {
			p, err = s.svc.Session(r.Context(), c.Value)
		}
		if err != nil {
			if !collection.IsKind(err, collection.Unauthenticated) && !errors.Is(err, http.ErrNoCookie) {
				s.fail(w, r, err)
				return
			}
			// Signed out, or the session ended (expired, signed out elsewhere, a
			// password reset): to the sign-in form, and back afterwards to the
			// page, or for a form to the page it was on. The form itself is not
			// replayed: its token belonged to the old session.
			next := r.URL.RequestURI()
			if r.Method != http.MethodGet {
				next = ""
				if ref, err := url.Parse(r.Referer()); err == nil && ref.Host == r.Host {
					next = safeNext(ref.RequestURI())
				}
			}
			if who == borrowersOnly {
				http.Redirect(w, r, "/portal/login", http.StatusSeeOther)
				return
			}
			http.Redirect(w, r, "/login?next="+url.QueryEscape(next), http.StatusSeeOther)
			return
		}
		isBorrower := p.Role == collection.RoleBorrower
		switch {
		case who == staffOnly && isBorrower && r.Method == http.MethodGet && r.URL.Path == "/home":
			http.Redirect(w, r, "/portal", http.StatusSeeOther)
			return
		case who == staffOnly && isBorrower, who == borrowersOnly && !isBorrower:
			r = r.WithContext(context.WithValue(r.Context(), principalKey{}, p))
			s.serviceError(w, r, &collection.Error{Kind: collection.Forbidden, EN: "this page is not for your role", ZH: "此页面不适用于您的角色"})
			return
		}
		if r.Method == http.MethodPost && !sameToken(r.PostFormValue("csrf"), s.svc.CSRFToken(c.Value)) {
			s.forbidden(w, r)
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)), p, c.Value)
	}
}

func sameToken(got, want string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

func (s *Server) root(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/home", http.StatusSeeOther)
}

// page is what every template sees.
type page struct {
	Title, Lang, OtherLang, Path, CSRF string
	User                               *userView
	Error, Next, Username              string
	// Refresh makes the page reload itself every second (a job's progress).
	Refresh bool
}

// userView is the signed-in user as the pages' header shows them, with the
// pages their role opens.
type userView struct {
	Username, Role, AgencyID               string
	Dashboard, Team, Lender, Import, Cases bool
	Portal, Reports                        bool
}

// pager is a page's data: page itself, or a struct that embeds it.
type pager interface{ base() *page }

func (p *page) base() *page { return p }

func viewOf(p collection.Principal) *userView {
	readAll, manager := p.Can(collection.ActReadAll), p.Can(collection.ActAssign) && p.AgencyID != ""
	return &userView{Username: strings.TrimPrefix(p.Name, "user:"), Role: p.Role, AgencyID: p.AgencyID,
		Dashboard: readAll || manager, Team: readAll || manager, Lender: readAll, Import: p.Can(collection.ActManage),
		Cases: readAll || p.Can(collection.ActWork), Portal: p.Role == collection.RoleBorrower, Reports: readAll}
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	s.renderLogin(w, r, http.StatusOK, "", "")
}

// renderLogin shows the sign-in form with a fresh CSRF token, set in a cookie too
// (double submit: a page elsewhere can neither read the cookie nor set it).
func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, status int, msg, username string) {
	token := randomToken()
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: token, Path: "/", Secure: true, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, MaxAge: 3600})
	loc := s.localizer(r, nil)
	s.render(w, r, status, "login", &page{Title: tr(loc, "login.title"), CSRF: token, Error: msg, Username: username,
		Next: safeNext(r.FormValue("next"))})
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if err := r.ParseForm(); err != nil {
		s.forbidden(w, r)
		return
	}
	c, err := r.Cookie(loginCookie)
	if err != nil || !sameToken(r.PostFormValue("csrf"), c.Value) {
		loc := s.localizer(r, nil)
		s.renderLogin(w, r, http.StatusForbidden, tr(loc, "login.expired"), "")
		return
	}
	username := r.PostFormValue("username")
	// Never logged: the password. A failed sign-in logs the username only.
	token, p, err := s.svc.Login(r.Context(), username, r.PostFormValue("password"), clientAddr(r))
	if err != nil {
		loc := s.localizer(r, nil)
		switch {
		case collection.IsKind(err, collection.TooMany):
			s.log.Warn("sign-in refused: too many failures", "username", username, "client", clientAddr(r))
			s.renderLogin(w, r, http.StatusTooManyRequests, tr(loc, "login.limited"), username)
		case collection.IsKind(err, collection.Unauthenticated):
			s.log.Info("sign-in failed", "username", username, "client", clientAddr(r))
			s.renderLogin(w, r, http.StatusUnauthorized, tr(loc, "login.bad"), username)
		default:
			s.fail(w, r, err)
		}
		return
	}
	s.log.Info("signed in", "user", p.Name, "role", p.Role, "client", clientAddr(r))
	// A new session token every time (no session fixation): whatever session
	// cookie the browser sent is replaced, and the sign-in form's token is spent.
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", Secure: true, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, MaxAge: int(collection.SessionLifetime / time.Second)})
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: "", Path: "/", Secure: true, HttpOnly: true, MaxAge: -1})
	if p.Lang != "" {
		setLang(w, p.Lang) // the user's own choice, on this device too
	}
	next := safeNext(r.PostFormValue("next"))
	if next == "" {
		next = "/home"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, p collection.Principal, session string) {
	if err := s.svc.Logout(r.Context(), session); err != nil {
		s.fail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", Secure: true, HttpOnly: true, MaxAge: -1})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// homePage is the home page: the user, the pages their role opens, and for those
// who handle complaints the reminder of those due soon or overdue.
type homePage struct {
	page
	DueSoon, Overdue int
	Handles          bool
}

func (s *Server) home(w http.ResponseWriter, r *http.Request, p collection.Principal, session string) {
	loc := s.localizer(r, &p)
	d := &homePage{page: page{Title: tr(loc, "home.title"), User: viewOf(p), CSRF: s.svc.CSRFToken(session)}, Handles: p.Can(collection.ActComplaints)}
	if d.Handles {
		n, err := s.svc.CountComplaints(r.Context(), p)
		if err != nil {
			s.serviceError(w, r, err)
			return
		}
		d.DueSoon, d.Overdue = n.DueSoon, n.Overdue
	}
	s.render(w, r, http.StatusOK, "home", d)
}

// switchLang remembers the chosen language in a cookie and goes back.
func (s *Server) switchLang(w http.ResponseWriter, r *http.Request) {
	lang := r.PathValue("lang")
	if lang != "zh" && lang != "en" {
		s.notFound(w, r)
		return
	}
	setLang(w, lang)
	next := safeNext(r.URL.Query().Get("next"))
	if next == "" {
		next = "/"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func setLang(w http.ResponseWriter, lang string) {
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: lang, Path: "/", Secure: true, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, MaxAge: 365 * 24 * 3600})
}

// safeNext keeps a redirect target on this site: a path, not a URL elsewhere.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || len(next) > 512 {
		return ""
	}
	if u, err := url.Parse(next); err != nil || u.Host != "" || u.Scheme != "" {
		return ""
	}
	return next
}

func (s *Server) forbidden(w http.ResponseWriter, r *http.Request) {
	loc := s.localizer(r, nil)
	s.render(w, r, http.StatusForbidden, "error", &page{Title: "403", Error: tr(loc, "error.forbidden")})
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	loc := s.localizer(r, nil)
	s.render(w, r, http.StatusNotFound, "error", &page{Title: "404", Error: tr(loc, "error.notfound")})
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Error("web request failed", "path", r.URL.Path, "err", err)
	loc := s.localizer(r, nil)
	s.render(w, r, http.StatusInternalServerError, "error", &page{Title: "500", Error: tr(loc, "error.internal")})
}

// render writes page name in the request's language.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, d pager) {
	data := d.base()
	var p *collection.Principal
	if v, ok := r.Context().Value(principalKey{}).(collection.Principal); ok {
		p = &v
	}
	loc := s.localizer(r, p)
	data.Lang = langOf(r, p)
	data.OtherLang = map[string]string{"zh": "en", "en": "zh"}[data.Lang]
	data.Path = r.URL.RequestURI()
	t, err := s.pages[name].Clone()
	if err == nil {
		t = t.Funcs(template.FuncMap{"t": func(id string, kv ...any) string {
			data := map[string]any{}
			for i := 0; i+1 < len(kv); i += 2 {
				k, _ := kv[i].(string)
				data[k] = kv[i+1]
			}
			return trData(loc, id, data)
		}})
	}
	var b strings.Builder
	if err == nil {
		err = t.ExecuteTemplate(&b, "layout", d)
	}
	if err != nil {
		s.log.Error("rendering a page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(b.String()))
}

// clientAddr is the address sign-in limits count by: the connection's peer (no
// proxy header is trusted).
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("web: no randomness: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
