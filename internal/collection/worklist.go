package collection

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/fairdebt/fairdebt/internal/policy"
	"github.com/fairdebt/fairdebt/internal/store"
)

// WorklistRow is an open case as a worklist shows it: the case, its borrower's
// name, its debt's arrears and its latest promise to pay.
type WorklistRow struct {
	Case
	// Borrower is the borrower's name, as Borrower gives it.
	Borrower string
	// Currency, Outstanding and DaysPastDue are the debt's, as Debt gives them.
	Currency    string
	Outstanding int64
	DaysPastDue int
	// Promise is the status of the case's latest promise to pay as Promises
	// gives it (an open promise past its due date is broken); "" when there is
	// none.
	Promise string
}

// Worklist returns the open cases the principal sees, in id order, with what a
// worklist shows of each: the cases Cases lists for CaseFilter{Status: open,
// AgencyID: agencyID}, and for each what Borrower, Debt and Promises would say.
// It reads them in five queries however many cases there are (the cases, then
// their borrowers, debts, installments and promises side by side), where asking
// those methods case by case takes nine a case.
func (s *Service) Worklist(ctx context.Context, p Principal, agencyID string, page Page) ([]WorklistRow, error) {
	return s.worklist(ctx, p, agencyID, page, nil)
}

// WorklistPreviews is Worklist with what PreviewCalls says of its cases, which
// it asks side by side with the reads of the rows' other tables.
func (s *Service) WorklistPreviews(ctx context.Context, p Principal, agencyID string, page Page) ([]WorklistRow, map[string]CallPreview, error) {
	previews := map[string]CallPreview{}
	rows, err := s.worklist(ctx, p, agencyID, page, func(ids []string) (err error) {
		previews, err = s.PreviewCalls(ctx, p, ids)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return rows, previews, nil
}

// worklist is Worklist; with also, it runs also with the cases' ids beside the
// reads of the other tables.
func (s *Service) worklist(ctx context.Context, p Principal, agencyID string, page Page, also func(caseIDs []string) error) ([]WorklistRow, error) {
	agency, ok := caseScope(p, agencyID)
	if !ok {
		return []WorklistRow{}, nil
	}
	where, args := casesWhere(agency, p.collectorScope(), CaseOpen, "", page.After)
	args = append(args, page.limit())
	rows, err := collect(ctx, s.db.R, func(r *sql.Rows) (WorklistRow, error) {
		c, err := scanCase(r)
		return WorklistRow{Case: c}, err
	}, "SELECT "+caseColumns+" FROM cases WHERE "+where+" ORDER BY id LIMIT $"+strconv.Itoa(len(args)), args...)
	if err != nil || len(rows) == 0 {
		return rows, err
	}

	// What a case's row shows is spread over four more tables: read them side by
	// side, so that a database larger than memory waits for their pages' disk
	// reads together rather than one after another.
	byBorrower, byDebt, byCase := map[string][]int{}, make(map[string]int, len(rows)), make(map[string]int, len(rows))
	var borrowerIDs, debtIDs, caseIDs []string
	for i, w := range rows {
		if _, ok := byBorrower[w.BorrowerID]; !ok {
			borrowerIDs = append(borrowerIDs, w.BorrowerID)
		}
		byBorrower[w.BorrowerID] = append(byBorrower[w.BorrowerID], i)
		byDebt[w.DebtID], byCase[w.ID] = i, i
		debtIDs, caseIDs = append(debtIDs, w.DebtID), append(caseIDs, w.ID)
	}
	zones := make([]string, len(rows))
	schedules := make([][]Installment, len(rows))
	type promise struct{ due, status string }
	latest := make([]promise, len(rows))
	// each runs query for ids, a batch at a time: its %s is the batch's
	// parameters, $1, $2...
	each := func(ids []string, f func(*sql.Rows) error, query string) func() error {
		return func() error {
			return inBatches(ids, func(batch []any) error {
				return eachRow(ctx, s.db.R, f, fmt.Sprintf(query, store.Placeholders(1, len(batch))), batch...)
			})
		}
	}
	var g errgroup.Group
	if also != nil {
		g.Go(func() error { return also(caseIDs) })
	}
	g.Go(each(borrowerIDs, func(r *sql.Rows) error {
		var id, name, zone string
		if err := r.Scan(&id, &name, &zone); err != nil {
			return err
		}
		for _, i := range byBorrower[id] {
			rows[i].Borrower, zones[i] = name, zone
		}
		return nil
	}, "SELECT id, name, timezone FROM borrowers WHERE id IN (%s)"))
	g.Go(each(debtIDs, func(r *sql.Rows) error {
		var id, currency string
		err := r.Scan(&id, &currency)
		rows[byDebt[id]].Currency = currency
		return err
	}, "SELECT id, currency FROM debts WHERE id IN (%s)"))
	g.Go(each(debtIDs, func(r *sql.Rows) error {
		var debt string
		var it Installment
		if err := r.Scan(&debt, &it.DueDate, &it.Amount, &it.Paid); err != nil {
			return err
		}
		i := byDebt[debt]
		schedules[i] = append(schedules[i], it)
		return nil
	}, "SELECT debt_id, due_date, amount, paid FROM installments WHERE debt_id IN (%s) ORDER BY debt_id, seq"))
	g.Go(each(caseIDs, func(r *sql.Rows) error {
		var id string
		var pr promise
		if err := r.Scan(&id, &pr.due, &pr.status); err != nil {
			return err
		}
		latest[byCase[id]] = pr // in creation order: the last one stays
		return nil
	}, "SELECT case_id, due_date, status FROM promises WHERE case_id IN (%s) ORDER BY case_id, created_at, id"))
	if err := g.Wait(); err != nil {
		return nil, err
	}

	now := s.now()
	for i := range rows {
		loc, err := policy.LoadLocation(zones[i])
		if err != nil {
			return nil, err
		}
		local := now.In(loc)
		rows[i].Outstanding, rows[i].DaysPastDue = Arrears(schedules[i], local)
		if pr := latest[i]; pr.status != "" {
			rows[i].Promise = promiseStatus(pr.status, pr.due, local)
		}
	}
	return rows, nil
}

// caseScope says whose cases a principal sees when it asks for agencyID's ("" for
// every agency it sees): the agency ("" for all of them), or false for none. These
// are the rules Cases applies; a collector sees, besides, only their own cases
// (collectorScope).
func caseScope(p Principal, agencyID string) (agency string, ok bool) {
	agency = p.AgencyID
	switch {
	case p.Can(ActReadAll):
		agency = "" // every agency's
	case agency == "":
		return "", false // sees no agency's cases
	}
	if agencyID != "" {
		if agency != "" && agency != agencyID {
			return "", false
		}
		agency = agencyID
	}
	return agency, true
}

// casesWhere returns the WHERE clause, and its arguments, of the cases after
// the id after, of agency ("" for every agency's), on collector's worklist (""
// for anyone's or nobody's), with status and borrower unless "". Only the
// conditions that apply are written, so that each scope can use its index: a
// collector's few cases (cases_collector; their agency then checked in a way
// no index serves, as without statistics SQLite's planner would take the
// agency's index and read every case of the agency), an agency's cases of a
// status in id order (cases_agency_open), a borrower's (cases_borrower).
func casesWhere(agency, collector, status, borrower, after string) (string, []any) {
	conds, args := []string{"id > $1"}, []any{after}
	add := func(cond string, v any) {
		args = append(args, v)
		conds = append(conds, strings.ReplaceAll(cond, "$n", "$"+strconv.Itoa(len(args))))
	}
	if status != "" {
		add("status = $n", status)
	}
	if borrower != "" {
		add("borrower_id = $n", borrower)
	}
	switch {
	case collector != "":
		add("collector_id = $n", collector)
		if agency != "" {
			add("($n = '' OR agency_id = $n)", agency)
		}
	case agency != "":
		add("agency_id = $n", agency)
	}
	return strings.Join(conds, " AND "), args
}

// promiseStatus is how a promise with status and due date shows on the calendar
// day of now (in the borrower's zone): an open promise whose date has passed is
// broken.
func promiseStatus(status, dueDate string, now time.Time) string {
	if status == "open" && dueDate < now.Format(time.DateOnly) {
		return PromiseBroken
	}
	return status
}
