package web

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"time"

	"github.com/nicksnyder/go-i18n/v2/i18n"

	"github.com/fairdebt/fairdebt/internal/collection"
	"github.com/fairdebt/fairdebt/internal/web/chart"
)

// The pages of those who run the work rather than do it: the dashboards (lender
// staff and regulators see every agency, a manager their own), a manager's team,
// the lender's settings and placements, and everyone's own preferences.

// dashboardPage is what the dashboard and the team page see, beside page.
type dashboardPage struct {
	page
	Stats *collection.Stats
	// AgencyID is the agency shown, "" for every agency; AgencyName its name.
	AgencyID, AgencyName string
	// Agencies are offered to choose from, to those who see every agency.
	Agencies []collection.Agency
	Days     int
	Zone     string
	// The charts, drawn on the server.
	Contacts, Categories, TopAgencies, Promises template.HTML
	DeniedPct, KeptPct                          string
	// The team page: each collector's worklist, and the unassigned cases.
	Groups     []teamGroup
	Collectors []string
	CanAssign  bool
}

type teamGroup struct {
	Collector string // username, "" for cases on nobody's worklist
	Stat      *collection.CollectorStat
	Cases     []caseRow
}

// statsFilter reads the dashboards' query: ?agency=, ?days= (1 to 366) and ?tz=
// (an IANA zone; the server's own when absent). An agency's manager always gets
// their own agency.
func statsFilter(r *http.Request, p collection.Principal) (collection.StatsFilter, error) {
	q := r.URL.Query()
	f := collection.StatsFilter{AgencyID: q.Get("agency"), Zone: serverZone()}
	if !p.Can(collection.ActReadAll) {
		f.AgencyID = p.AgencyID
	}
	if v := q.Get("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return f, &collection.Error{Kind: collection.Invalid, Field: "days", EN: "must be a whole number of days", ZH: "须为整数天数"}
		}
		f.Days = n
	}
	if v := q.Get("tz"); v != "" {
		zone, err := collection.ParseZone("tz", v)
		if err != nil {
			return f, err
		}
		f.Zone = zone
	}
	return f, nil
}

// stats reads the figures a dashboard or team page shows, and fills in what both show.
func (s *Server) stats(r *http.Request, p collection.Principal, session, titleID string) (*dashboardPage, error) {
	f, err := statsFilter(r, p)
	if err != nil {
		return nil, err
	}
	st, err := s.svc.Stats(r.Context(), p, f)
	if err != nil {
		return nil, err
	}
	loc := s.localizer(r, &p)
	d := &dashboardPage{page: page{Title: tr(loc, titleID), User: viewOf(p), CSRF: s.svc.CSRFToken(session)},
		Stats: st, AgencyID: st.AgencyID, Days: len(st.Days), Zone: st.Zone,
		DeniedPct: percent(st.Totals.DenialRate()), KeptPct: percent(st.Totals.KeptRate())}
	if st.AgencyID != "" && len(st.Agencies) == 1 {
		d.AgencyName = st.Agencies[0].Name
	}
	if p.Can(collection.ActReadAll) {
		if d.Agencies, err = s.svc.Agencies(r.Context(), p, collection.Page{Limit: 1000}); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// serverZone is where the dashboards count days unless asked otherwise: the zone
// the TZ environment variable names, else UTC.
func serverZone() *time.Location {
	if tz := os.Getenv("TZ"); tz != "" {
		if zone, err := collection.ParseZone("TZ", tz); err == nil {
			return zone
		}
	}
	return time.UTC
}

// chartWidth is the charts' width in SVG units: small enough that their text
// stays legible when a phone shrinks them to its screen.
const chartWidth = 480

func percent(x float64) string { return strconv.FormatFloat(100*x, 'f', 1, 64) + "%" }

// dashboard shows the figures as charts: contacts per day, denials by category,
// the agencies with the most denials, promises kept.
func (s *Server) dashboard(w http.ResponseWriter, r *http.Request, p collection.Principal, session string) {
	d, err := s.stats(r, p, session, "dash.title")
	if err != nil {
		s.serviceError(w, r, err)
		return
	}
	loc := s.localizer(r, &p)
	st := d.Stats
	days := make([]string, len(st.Days))
	allowed, denied := make([]float64, len(st.Days)), make([]float64, len(st.Days))
	for i, day := range st.Days {
		days[i], allowed[i], denied[i] = day.Date[5:], float64(day.Allowed), float64(day.Denied)
	}
	d.Contacts = chart.Columns(chart.ColumnChart{ID: "chart-contacts", Width: chartWidth, Title: tr(loc, "dash.contacts"),
		Desc: trData(loc, "dash.contacts_desc", map[string]any{"From": st.From, "To": st.To, "Zone": st.Zone}), XLabels: days,
		Series: []chart.Series{{Name: tr(loc, "decision.allowed"), Class: "allowed", Values: allowed},
			{Name: tr(loc, "decision.denied"), Class: "denied", Values: denied}}})
	var cats []chart.Bar
	for _, c := range st.Categories {
		cats = append(cats, chart.Bar{Label: tr(loc, "violation."+c.Category), Value: float64(c.Denials)})
	}
	d.Categories = chart.HBars(chart.HBarChart{ID: "chart-categories", Width: chartWidth, Title: tr(loc, "dash.categories"), Bars: cats, Color: "#cf222e"})
	if st.AgencyID == "" {
		var top []chart.Bar
		for _, a := range st.Agencies[:min(10, len(st.Agencies))] {
			top = append(top, chart.Bar{Label: a.Name, Value: float64(a.Denied)})
		}
		d.TopAgencies = chart.HBars(chart.HBarChart{ID: "chart-agencies", Width: chartWidth, Title: tr(loc, "dash.top_agencies"), Bars: top, Color: "#cf222e"})
	}
	weeks := make([]string, len(st.PromiseWeeks))
	var kept, broken, open []float64
	for i, wk := range st.PromiseWeeks {
		weeks[i] = wk.Week[5:]
		kept, broken, open = append(kept, float64(wk.Kept)), append(broken, float64(wk.Broken)), append(open, float64(wk.Open))
	}
	d.Promises = chart.Columns(chart.ColumnChart{ID: "chart-promises", Width: chartWidth, Title: tr(loc, "dash.promises"),
		Desc: tr(loc, "dash.promises_desc"), XLabels: weeks,
		Series: []chart.Series{{Name: tr(loc, "promise.kept"), Class: "kept", Values: kept},
			{Name: tr(loc, "promise.broken"), Class: "broken", Values: broken},
			{Name: tr(loc, "promise.open"), Class: "open", Values: open}}})
	s.render(w, r, http.StatusOK, "dashboard", d)
}

// team shows an agency's collectors, each with their figures and worklist, and
// the cases on nobody's worklist, with the forms that move cases between them.
// Those who see every agency choose one.
func (s *Server) team(w http.ResponseWriter, r *http.Request, p collection.Principal, session string) {
	if !p.Can(collection.ActReadAll) && !(p.Can(collection.ActAssign) && p.AgencyID != "") {
		s.serviceError(w, r, &collection.Error{Kind: collection.Forbidden, EN: "only an agency's managers, the lender's staff and regulators see teams",
			ZH: "只有催收机构经理、贷款机构人员和监管人员可以查看团队"})
		return
	}
	d, err := s.stats(r, p, session, "team.title")
	if err != nil {
		s.serviceError(w, r, err)
		return
	}
	if d.AgencyID == "" { // lender staff and regulators: choose an agency first
		s.render(w, r, http.StatusOK, "team", d)
		return
	}
	cases, err := s.svc.Worklist(r.Context(), p, d.AgencyID, collection.Page{Limit: 1000})
	if err != nil {
		s.serviceError(w, r, err)
		return
	}
	groups := map[string]*teamGroup{}
	byID := map[string]string{}
	d.Groups = append(d.Groups, teamGroup{}) // the unassigned first
	for i := range d.Stats.Collectors {
		c := &d.Stats.Collectors[i]
		byID[c.UserID] = c.Username
		d.Collectors = append(d.Collectors, c.Username)
		d.Groups = append(d.Groups, teamGroup{Collector: c.Username, Stat: c})
	}
	for i := range d.Groups {
		groups[d.Groups[i].Collector] = &d.Groups[i]
	}
	for _, c := range cases {
		g := groups[byID[c.CollectorID]] // a case of a disabled collector is on nobody's worklist
		g.Cases = append(g.Cases, worklistRow(c))
	}
	d.CanAssign = p.Can(collection.ActAssign)
	s.render(w, r, http.StatusOK, "team", d)
}

// lenderPage is what the lender's page sees, beside page.
type lenderPage struct {
	page
	Lenders []collection.Lender
	Packs   []string
	// Debts no case holds, and the approved agencies they may be placed with.
	Debts     []debtRow
	Agencies  []collection.Agency
	CanManage bool
	Notice    string
}

type debtRow struct {
	ID, BorrowerID, Borrower, Outstanding string
	DaysPastDue                           int
}

// lender shows the lenders with the rule pack each chose and, to administrators,
// the forms to choose another and to place unplaced debts with approved agencies.
func (s *Server) lender(w http.ResponseWriter, r *http.Request, p collection.Principal, session string) {
	if !p.Can(collection.ActReadAll) {
		s.serviceError(w, r, &collection.Error{Kind: collection.Forbidden, EN: "only the lender's staff and regulators see lenders",
			ZH: "只有贷款机构人员和监管人员可以查看贷款机构"})
		return
	}
	ctx := r.Context()
	loc := s.localizer(r, &p)
	d := &lenderPage{page: page{Title: tr(loc, "lender.title"), User: viewOf(p), CSRF: s.svc.CSRFToken(session)},
		Packs: s.svc.Packs().Names(), CanManage: p.Can(collection.ActManage), Notice: notice(loc, r.URL.Query())}
	var err error
	if d.Lenders, err = s.svc.Lenders(ctx, p, collection.Page{Limit: 1000}); err != nil {
		s.serviceError(w, r, err)
		return
	}
	if d.CanManage {
		debts, err := s.svc.UnplacedDebts(ctx, p, collection.Page{Limit: 200})
		if err != nil {
			s.serviceError(w, r, err)
			return
		}
		for _, dt := range debts {
			b, err := s.svc.Borrower(ctx, p, dt.BorrowerID)
			if err != nil {
				s.serviceError(w, r, err)
				return
			}
			d.Debts = append(d.Debts, debtRow{ID: dt.ID, BorrowerID: b.ID, Borrower: b.Name, Outstanding: money(dt.Outstanding, dt.Currency),
				DaysPastDue: dt.DaysPastDue})
		}
		agencies, err := s.svc.Agencies(ctx, p, collection.Page{Limit: 1000})
		if err != nil {
			s.serviceError(w, r, err)
			return
		}
		for _, a := range agencies {
			if a.Approved { // only approved agencies may collect
				d.Agencies = append(d.Agencies, a)
			}
		}
	}
	s.render(w, r, http.StatusOK, "lender", d)
}

// caseIDPattern is what a case id looks like (collection's id rule): a link
// cannot make the page announce anything else.
var caseIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$`)

// notice is the message a form's redirect asks the lender's page to show.
func notice(loc *i18n.Localizer, q url.Values) string {
	switch {
	case q.Has("moved"):
		n, _ := strconv.Atoi(q.Get("moved"))
		return trData(loc, "lender.pack_saved", map[string]any{"Count": n})
	case q.Has("placed") && caseIDPattern.MatchString(q.Get("placed")):
		return trData(loc, "lender.placed", map[string]any{"Case": q.Get("placed")})
	}
	return ""
}

// setPack chooses a lender's rule pack, for its new borrowers or (the box
// ticked) for every borrower it has.
func (s *Server) setPack(w http.ResponseWriter, r *http.Request, p collection.Principal, session string) {
	_, moved, err := s.svc.SetLenderPack(r.Context(), p, r.PathValue("id"), r.PostFormValue("pack"), r.PostFormValue("existing") == "on")
	if err != nil {
		s.serviceError(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/lender?moved=%d", moved), http.StatusSeeOther)
}

// place places a debt with an approved agency: a new case.
func (s *Server) place(w http.ResponseWriter, r *http.Request, p collection.Principal, session string) {
	c, err := s.svc.CreateCase(r.Context(), p, collection.CaseInput{DebtID: r.PathValue("id"), AgencyID: r.PostFormValue("agency")})
	if err != nil {
		s.serviceError(w, r, err)
		return
	}
	http.Redirect(w, r, "/lender?placed="+url.QueryEscape(c.ID), http.StatusSeeOther)
}

// settingsPage is what the preferences page sees, beside page.
type settingsPage struct {
	page
	// Pref is the user's own language choice: "zh", "en" or "" (the browser's).
	Pref  string
	Saved bool
}

func (s *Server) settings(w http.ResponseWriter, r *http.Request, p collection.Principal, session string) {
	loc := s.localizer(r, &p)
	s.render(w, r, http.StatusOK, "settings", &settingsPage{page: page{Title: tr(loc, "settings.title"), User: viewOf(p),
		CSRF: s.svc.CSRFToken(session)}, Pref: p.Lang, Saved: r.URL.Query().Has("saved")})
}

// saveSettings stores the user's language and makes this browser follow it.
func (s *Server) saveSettings(w http.ResponseWriter, r *http.Request, p collection.Principal, session string) {
	lang := r.PostFormValue("lang")
	if err := s.svc.SetLanguage(r.Context(), p, lang); err != nil {
		s.serviceError(w, r, err)
		return
	}
	if lang == "" { // the browser's language: forget this device's choice
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: "", Path: "/", Secure: true, HttpOnly: true, MaxAge: -1})
	} else {
		setLang(w, lang)
	}
	http.Redirect(w, r, "/settings?saved=1", http.StatusSeeOther)
}
