package collection

import (
	"cmp"
	"context"
	"database/sql"
	"slices"
	"strings"
)

// LeagueRow is one agency's record as the regulator view ranks it.
type LeagueRow struct {
	AgencyID string `json:"agency_id"`
	Name     string `json:"name"`
	Approved bool   `json:"approved"`
	// Cases counts every case the agency was given; OpenCases those open now.
	Cases     int `json:"cases"`
	OpenCases int `json:"open_cases"`
	// Complaints about the agency's cases, and per 10,000 of its cases.
	Complaints       int     `json:"complaints"`
	ComplaintsPer10k float64 `json:"complaints_per_10k"`
	// Escalated complaints, and SLABreaches: those escalated because the
	// deadline passed unanswered.
	Escalated   int `json:"escalated"`
	SLABreaches int `json:"sla_breaches"`
	// Attempts the agency asked for, and how many the gate denied.
	Attempts   int     `json:"attempts"`
	Denied     int     `json:"denied"`
	DenialRate float64 `json:"denial_rate"`
	// OffSystem counts third parties' reports of contacts on no record that name
	// the agency.
	OffSystem int `json:"off_system"`
}

// LeagueTable ranks every agency: most complaints per 10,000 cases first, then
// most suspected off-system contacts, then the highest share of denied attempts.
// Roles that read every agency's cases may ask.
func (s *Service) LeagueTable(ctx context.Context, p Principal) ([]LeagueRow, error) {
	if err := need(p, ActReadAll); err != nil {
		return nil, err
	}
	rows := map[string]*LeagueRow{}
	err := eachRow(ctx, s.db.R, func(r *sql.Rows) error {
		var l LeagueRow
		if err := r.Scan(&l.AgencyID, &l.Name, &l.Approved); err != nil {
			return err
		}
		rows[l.AgencyID] = &l
		return nil
	}, "SELECT id, name, approved FROM agencies")
	if err != nil {
		return nil, err
	}
	count := func(q string, set func(l *LeagueRow, a, b int)) error {
		return eachRow(ctx, s.db.R, func(r *sql.Rows) error {
			var agency string
			var a, b int
			if err := r.Scan(&agency, &a, &b); err != nil {
				return err
			}
			if l := rows[agency]; l != nil {
				set(l, a, b)
			}
			return nil
		}, q)
	}
	for _, c := range []struct {
		q   string
		set func(l *LeagueRow, a, b int)
	}{
		{"SELECT agency_id, COUNT(*), SUM(CASE WHEN status = 'open' THEN 1 ELSE 0 END) FROM cases GROUP BY agency_id",
			func(l *LeagueRow, a, b int) { l.Cases, l.OpenCases = a, b }},
		{"SELECT agency_id, COUNT(*), SUM(CASE WHEN escalated_at IS NOT NULL THEN 1 ELSE 0 END) FROM complaints GROUP BY agency_id",
			func(l *LeagueRow, a, b int) { l.Complaints, l.Escalated = a, b }},
		{`SELECT c.agency_id, COUNT(DISTINCT c.id), 0 FROM complaint_events e JOIN complaints c ON c.id = e.complaint_id
			WHERE e.state = 'escalated' AND e.actor = 'system' GROUP BY c.agency_id`,
			func(l *LeagueRow, a, _ int) { l.SLABreaches = a }},
		{"SELECT agency_id, COUNT(*), SUM(CASE WHEN allowed THEN 0 ELSE 1 END) FROM attempts GROUP BY agency_id",
			func(l *LeagueRow, a, b int) { l.Attempts, l.Denied = a, b }},
	} {
		if err := count(c.q, c.set); err != nil {
			return nil, err
		}
	}
	err = eachRow(ctx, s.db.R, func(r *sql.Rows) error {
		var agencies string
		if err := r.Scan(&agencies); err != nil {
			return err
		}
		for _, a := range strings.Split(agencies, ",") {
			if l := rows[a]; l != nil {
				l.OffSystem++
			}
		}
		return nil
	}, "SELECT agencies FROM third_party_reports WHERE flagged")
	if err != nil {
		return nil, err
	}
	out := make([]LeagueRow, 0, len(rows))
	for _, l := range rows {
		if l.Cases > 0 {
			l.ComplaintsPer10k = 10000 * float64(l.Complaints) / float64(l.Cases)
		}
		l.DenialRate = ratio(l.Denied, l.Attempts)
		out = append(out, *l)
	}
	slices.SortFunc(out, func(a, b LeagueRow) int {
		return cmp.Or(cmp.Compare(b.ComplaintsPer10k, a.ComplaintsPer10k), cmp.Compare(b.OffSystem, a.OffSystem),
			cmp.Compare(b.DenialRate, a.DenialRate), strings.Compare(a.AgencyID, b.AgencyID))
	})
	return out, nil
}
