package web

import (
	"encoding/csv"
	"html/template"
	"net/http"
	"strconv"

	"github.com/fairdebt/fairdebt/internal/collection"
	"github.com/fairdebt/fairdebt/internal/web/chart"
)

// The regulator view: every agency ranked by complaints per 10,000 cases,
// complaints that went unanswered past their deadline, denied attempts and
// suspected off-system contacts; the denials by category; the audit log's
// signed state. Read-only, for regulators and the lender's staff.

// regulatorPage is what the regulator view sees, beside page.
type regulatorPage struct {
	page
	League                        []leagueView
	Escalated, Overdue, OffSystem int
	Categories                    template.HTML
	Checkpoint                    string
}

type leagueView struct {
	collection.LeagueRow
	Per10k, DeniedPct string
}

func (s *Server) regulator(w http.ResponseWriter, r *http.Request, p collection.Principal, session string) {
	ctx := r.Context()
	league, err := s.svc.LeagueTable(ctx, p)
	if err != nil {
		s.serviceError(w, r, err)
		return
	}
	loc := s.localizer(r, &p)
	d := &regulatorPage{page: page{Title: tr(loc, "regulator.title"), User: viewOf(p), CSRF: s.svc.CSRFToken(session)}}
	for _, l := range league {
		d.League = append(d.League, leagueView{LeagueRow: l, Per10k: strconv.FormatFloat(l.ComplaintsPer10k, 'f', 1, 64), DeniedPct: percent(l.DenialRate)})
	}
	n, err := s.svc.CountComplaints(ctx, p)
	if err != nil {
		s.serviceError(w, r, err)
		return
	}
	d.Escalated, d.Overdue, d.OffSystem = n.Escalated, n.Overdue, n.FlaggedReports
	st, err := s.svc.Stats(ctx, p, collection.StatsFilter{Zone: serverZone()})
	if err != nil {
		s.serviceError(w, r, err)
		return
	}
	var cats []chart.Bar
	for _, c := range st.Categories {
		cats = append(cats, chart.Bar{Label: tr(loc, "violation."+c.Category), Value: float64(c.Denials)})
	}
	d.Categories = chart.HBars(chart.HBarChart{ID: "chart-reg-categories", Width: chartWidth, Title: tr(loc, "dash.categories"), Bars: cats, Color: "#cf222e"})
	if cp, err := s.svc.AuditCheckpoint(ctx); err == nil {
		d.Checkpoint = cp
	} else {
		s.log.Warn("the regulator view has no audit checkpoint", "err", err)
	}
	s.render(w, r, http.StatusOK, "regulator", d)
}

// regulatorCSV exports the league table as CSV (UTF-8 with a byte-order mark,
// which spreadsheet programs need to read Chinese names).
func (s *Server) regulatorCSV(w http.ResponseWriter, r *http.Request, p collection.Principal, session string) {
	league, err := s.svc.LeagueTable(r.Context(), p)
	if err != nil {
		s.serviceError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="fairdebt-agencies.csv"`)
	_, _ = w.Write([]byte("\ufeff"))
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"agency_id", "name", "approved", "cases", "open_cases", "complaints", "complaints_per_10k", "escalated",
		"sla_breaches", "attempts", "denied", "denial_rate", "off_system_reports"})
	for _, l := range league {
		_ = cw.Write([]string{l.AgencyID, csvSafe(l.Name), strconv.FormatBool(l.Approved), strconv.Itoa(l.Cases), strconv.Itoa(l.OpenCases),
			strconv.Itoa(l.Complaints), strconv.FormatFloat(l.ComplaintsPer10k, 'f', 2, 64), strconv.Itoa(l.Escalated),
			strconv.Itoa(l.SLABreaches), strconv.Itoa(l.Attempts), strconv.Itoa(l.Denied), strconv.FormatFloat(l.DenialRate, 'f', 4, 64),
			strconv.Itoa(l.OffSystem)})
	}
	cw.Flush()
}

// csvSafe keeps a spreadsheet from reading a cell as a formula.
func csvSafe(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r') {
		return "'" + s
	}
	return s
}
