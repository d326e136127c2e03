package collection

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/fairdebt/fairdebt/internal/policy"
)

// The figures behind the dashboards: what was attempted and denied, day by day,
// why, by which agency and which collector, and what became of promises to pay.
// Stats reads; it changes nothing.

// StatsFilter chooses what Stats counts.
type StatsFilter struct {
	// AgencyID limits the figures to one agency. Empty: every agency, which only
	// roles that read every agency's cases may ask for.
	AgencyID string
	// Days is the length of the window, in whole days ending with today;
	// 1 to MaxStatsDays, DefaultStatsDays when 0.
	Days int
	// Zone is where days begin and end; UTC when nil.
	Zone *time.Location
}

// The window of Stats.
const (
	DefaultStatsDays = 30
	MaxStatsDays     = 366
)

// Stats is what the dashboards show.
type Stats struct {
	AgencyID string `json:"agency_id,omitempty"`
	Zone     string `json:"zone"`
	// From and To are the first and last day of the window (YYYY-MM-DD).
	From   string     `json:"from"`
	To     string     `json:"to"`
	Totals StatTotals `json:"totals"`
	// Days has one entry per day of the window, oldest first.
	Days []DayStat `json:"days"`
	// Categories counts denials by violation category, most first. A denial that
	// broke rules of two categories counts in both.
	Categories []CategoryStat `json:"categories"`
	// Agencies are the agencies in scope, most denials first.
	Agencies []AgencyStat `json:"agencies"`
	// Collectors are the agency's collectors, for one agency's figures only.
	Collectors []CollectorStat `json:"collectors"`
	// PromiseWeeks counts promises by the week (Monday) their date falls in,
	// oldest first, for promises due in the window.
	PromiseWeeks []PromiseWeek `json:"promise_weeks"`
}

// StatTotals sums the window.
type StatTotals struct {
	OpenCases      int `json:"open_cases"`
	Attempts       int `json:"attempts"`
	Allowed        int `json:"allowed"`
	Denied         int `json:"denied"`
	Connected      int `json:"connected"`
	PromisesKept   int `json:"promises_kept"`
	PromisesBroken int `json:"promises_broken"`
	PromisesOpen   int `json:"promises_open"`
}

// DenialRate is the share of attempts the gate denied, 0 to 1.
func (t StatTotals) DenialRate() float64 { return ratio(t.Denied, t.Attempts) }

// KeptRate is the share of resolved promises that were kept, 0 to 1.
func (t StatTotals) KeptRate() float64 { return ratio(t.PromisesKept, t.PromisesKept+t.PromisesBroken) }

func ratio(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}

// DayStat counts one day's attempts.
type DayStat struct {
	Date    string `json:"date"`
	Allowed int    `json:"allowed"`
	Denied  int    `json:"denied"`
}

// CategoryStat counts denials of one violation category.
type CategoryStat struct {
	Category string `json:"category"`
	Denials  int    `json:"denials"`
}

// AgencyStat counts one agency's work.
type AgencyStat struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	OpenCases      int    `json:"open_cases"`
	Attempts       int    `json:"attempts"`
	Denied         int    `json:"denied"`
	PromisesKept   int    `json:"promises_kept"`
	PromisesBroken int    `json:"promises_broken"`
}

// CollectorStat is one collector's work: the open cases on their worklist, the
// attempts they asked for in the window, and the promises on their cases.
type CollectorStat struct {
	UserID         string `json:"user_id"`
	Username       string `json:"username"`
	OpenCases      int    `json:"open_cases"`
	Attempts       int    `json:"attempts"`
	Denied         int    `json:"denied"`
	Connected      int    `json:"connected"`
	PromisesKept   int    `json:"promises_kept"`
	PromisesBroken int    `json:"promises_broken"`
}

// PromiseWeek counts the promises due in one week.
type PromiseWeek struct {
	Week   string `json:"week"` // the Monday, YYYY-MM-DD
	Kept   int    `json:"kept"`
	Broken int    `json:"broken"`
	Open   int    `json:"open"`
}

// Stats counts what the dashboards show. Administrators, compliance staff and
// regulators may ask for every agency's figures or one agency's; an agency's
// manager for their own agency's. Anyone else is refused; an agency one may not
// see is not found.
func (s *Service) Stats(ctx context.Context, p Principal, f StatsFilter) (*Stats, error) {
	switch {
	case f.AgencyID == "":
		if err := need(p, ActReadAll); err != nil {
			return nil, err
		}
	case !p.Can(ActReadAll) && !p.Can(ActAssign):
		return nil, forbidden(p, ActAssign)
	case !p.sees(f.AgencyID):
		return nil, notFound("agency", f.AgencyID)
	}
	if f.Days == 0 {
		f.Days = DefaultStatsDays
	}
	if f.Days < 1 || f.Days > MaxStatsDays {
		return nil, invalid("days", "must be between 1 and 366", "须在 1 到 366 之间")
	}
	zone := f.Zone
	if zone == nil {
		zone = time.UTC
	}
	var agencyName string
	if f.AgencyID != "" {
		err := s.db.R.QueryRowContext(ctx, "SELECT name FROM agencies WHERE id = $1", f.AgencyID).Scan(&agencyName)
		if err == sql.ErrNoRows {
			return nil, notFound("agency", f.AgencyID)
		}
		if err != nil {
			return nil, err
		}
	}
	now := s.now().In(zone)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, zone)
	first := today.AddDate(0, 0, -(f.Days - 1))
	end := today.AddDate(0, 0, 1)
	st := &Stats{AgencyID: f.AgencyID, Zone: zone.String(), From: first.Format(time.DateOnly), To: today.Format(time.DateOnly)}
	dayIndex := map[string]int{}
	for d := first; d.Before(end); d = d.AddDate(0, 0, 1) {
		dayIndex[d.Format(time.DateOnly)] = len(st.Days)
		st.Days = append(st.Days, DayStat{Date: d.Format(time.DateOnly)})
	}
	// Agencies: every agency in scope, so that one with no attempts still shows.
	agencies := map[string]*AgencyStat{}
	q := "SELECT id, name FROM agencies"
	args := []any{}
	if f.AgencyID != "" {
		q += " WHERE id = $1"
		args = append(args, f.AgencyID)
	}
	if err := eachRow(ctx, s.db.R, func(r *sql.Rows) error {
		var a AgencyStat
		if err := r.Scan(&a.ID, &a.Name); err != nil {
			return err
		}
		agencies[a.ID] = &a
		return nil
	}, q, args...); err != nil {
		return nil, err
	}
	// Collectors of one agency.
	collectors := map[string]*CollectorStat{} // by user id
	byName := map[string]*CollectorStat{}     // by actor ("user:<username>")
	if f.AgencyID != "" {
		if err := eachRow(ctx, s.db.R, func(r *sql.Rows) error {
			var c CollectorStat
			if err := r.Scan(&c.UserID, &c.Username); err != nil {
				return err
			}
			collectors[c.UserID], byName["user:"+c.Username] = &c, &c
			return nil
		}, "SELECT id, username FROM users WHERE agency_id = $1 AND role = $2 AND disabled_at IS NULL", f.AgencyID, RoleCollector); err != nil {
			return nil, err
		}
	}
	// Open cases, by agency and by collector.
	q, args = "SELECT agency_id, COALESCE(collector_id, '') FROM cases WHERE status = 'open'", nil
	if f.AgencyID != "" {
		q += " AND agency_id = $1"
		args = append(args, f.AgencyID)
	}
	if err := eachRow(ctx, s.db.R, func(r *sql.Rows) error {
		var agency, collector string
		if err := r.Scan(&agency, &collector); err != nil {
			return err
		}
		st.Totals.OpenCases++
		if a := agencies[agency]; a != nil {
			a.OpenCases++
		}
		if c := collectors[collector]; c != nil {
			c.OpenCases++
		}
		return nil
	}, q, args...); err != nil {
		return nil, err
	}
	// Attempts in the window. The decision document is read for denials only.
	q = `SELECT at, allowed, agency_id, COALESCE(result, ''), actor, CASE WHEN allowed THEN '' ELSE decision END
		FROM attempts WHERE at >= $1 AND at < $2`
	args = []any{ms(first), ms(end)}
	if f.AgencyID != "" {
		q += " AND agency_id = $3"
		args = append(args, f.AgencyID)
	}
	categories := map[string]int{}
	if err := eachRow(ctx, s.db.R, func(r *sql.Rows) error {
		var at int64
		var allowed bool
		var agency, result, who, doc string
		if err := r.Scan(&at, &allowed, &agency, &result, &who, &doc); err != nil {
			return err
		}
		day := &st.Days[dayIndex[fromMS(at).In(zone).Format(time.DateOnly)]]
		a := agencies[agency]
		c := byName[who]
		st.Totals.Attempts++
		if a != nil {
			a.Attempts++
		}
		if c != nil {
			c.Attempts++
		}
		if allowed {
			st.Totals.Allowed++
			day.Allowed++
			if result == "connected" {
				st.Totals.Connected++
				if c != nil {
					c.Connected++
				}
			}
			return nil
		}
		st.Totals.Denied++
		day.Denied++
		if a != nil {
			a.Denied++
		}
		if c != nil {
			c.Denied++
		}
		var d struct {
			Violations []struct {
				Category string `json:"category"`
			} `json:"violations"`
		}
		if err := json.Unmarshal([]byte(doc), &d); err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, v := range d.Violations {
			if !seen[v.Category] {
				seen[v.Category] = true
				categories[v.Category]++
			}
		}
		return nil
	}, q, args...); err != nil {
		return nil, err
	}
	// Promises due in the window, with the agency and collector of their case.
	// An open promise whose date has passed is broken, as Promises shows it
	// (counted in the case's borrower's time zone).
	q = `SELECT p.due_date, p.status, c.agency_id, COALESCE(c.collector_id, ''), b.timezone
		FROM promises p JOIN cases c ON c.id = p.case_id JOIN borrowers b ON b.id = c.borrower_id
		WHERE p.due_date >= $1 AND p.due_date <= $2`
	args = []any{st.From, st.To}
	if f.AgencyID != "" {
		q += " AND c.agency_id = $3"
		args = append(args, f.AgencyID)
	}
	weeks := map[string]*PromiseWeek{}
	todayIn := map[string]string{}
	if err := eachRow(ctx, s.db.R, func(r *sql.Rows) error {
		var due, status, agency, collector, tz string
		if err := r.Scan(&due, &status, &agency, &collector, &tz); err != nil {
			return err
		}
		if _, ok := todayIn[tz]; !ok {
			todayIn[tz] = st.To
			if z, err := time.LoadLocation(tz); err == nil {
				todayIn[tz] = s.now().In(z).Format(time.DateOnly)
			}
		}
		if status == "open" && due < todayIn[tz] {
			status = PromiseBroken
		}
		d, err := time.Parse(time.DateOnly, due)
		if err != nil {
			return err
		}
		monday := d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7)).Format(time.DateOnly)
		w := weeks[monday]
		if w == nil {
			w = &PromiseWeek{Week: monday}
			weeks[monday] = w
		}
		a, c := agencies[agency], collectors[collector]
		switch status {
		case PromiseKept:
			w.Kept++
			st.Totals.PromisesKept++
			if a != nil {
				a.PromisesKept++
			}
			if c != nil {
				c.PromisesKept++
			}
		case PromiseBroken:
			w.Broken++
			st.Totals.PromisesBroken++
			if a != nil {
				a.PromisesBroken++
			}
			if c != nil {
				c.PromisesBroken++
			}
		default:
			w.Open++
			st.Totals.PromisesOpen++
		}
		return nil
	}, q, args...); err != nil {
		return nil, err
	}
	for c, n := range categories {
		st.Categories = append(st.Categories, CategoryStat{Category: c, Denials: n})
	}
	slices.SortFunc(st.Categories, func(a, b CategoryStat) int {
		return cmp.Or(cmp.Compare(b.Denials, a.Denials), strings.Compare(a.Category, b.Category))
	})
	for _, a := range agencies {
		st.Agencies = append(st.Agencies, *a)
	}
	slices.SortFunc(st.Agencies, func(a, b AgencyStat) int {
		return cmp.Or(cmp.Compare(b.Denied, a.Denied), cmp.Compare(b.Attempts, a.Attempts), strings.Compare(a.ID, b.ID))
	})
	for _, c := range collectors {
		st.Collectors = append(st.Collectors, *c)
	}
	slices.SortFunc(st.Collectors, func(a, b CollectorStat) int { return strings.Compare(a.Username, b.Username) })
	for _, w := range weeks {
		st.PromiseWeeks = append(st.PromiseWeeks, *w)
	}
	slices.SortFunc(st.PromiseWeeks, func(a, b PromiseWeek) int { return strings.Compare(a.Week, b.Week) })
	return st, nil
}

// ParseZone reads an IANA time zone name given in field.
func ParseZone(field, name string) (*time.Location, error) {
	zone, err := policy.LoadLocation(name)
	if err != nil || name == "" {
		return nil, invalid(field, "unknown IANA time zone (such as Asia/Shanghai)", "未知的 IANA 时区（如 Asia/Shanghai）")
	}
	return zone, nil
}
