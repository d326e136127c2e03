package collection

import (
	"context"
	"database/sql"
)

// PortalView is what a borrower sees in the portal: their debts and who holds
// each, the people they named with their consent, and every contact attempt made
// about them, allowed or denied, including those aimed at their contacts.
type PortalView struct {
	Borrower Borrower
	Debts    []PortalDebt
	Parties  []Party
	// Attempts are the newest PortalAttempts, newest first.
	Attempts []Attempt
	OptOuts  []OptOut
}

// PortalDebt is a debt with the case that holds it, if any.
type PortalDebt struct {
	Debt
	CaseID, CaseStatus, AgencyID, AgencyName string
}

// PortalAttempts is how many attempts the portal shows.
const PortalAttempts = 500

// Portal returns what a borrower signed in to the portal sees. Only a borrower may
// ask, and only about themself.
func (s *Service) Portal(ctx context.Context, p Principal) (*PortalView, error) {
	if !p.borrower() || p.BorrowerID == "" {
		return nil, &Error{Kind: Forbidden, EN: "the portal is for borrowers", ZH: "此页面仅供借款人使用"}
	}
	id := p.BorrowerID
	b, err := s.Borrower(ctx, p, id)
	if err != nil {
		return nil, err
	}
	v := &PortalView{Borrower: *b}
	debts, err := s.Debts(ctx, p, id)
	if err != nil {
		return nil, err
	}
	type placed struct{ caseID, status, agencyID, agency string }
	cases := map[string]placed{} // by debt: its live case, else its latest
	err = eachRow(ctx, s.db.R, func(r *sql.Rows) error {
		var debt string
		var c placed
		if err := r.Scan(&debt, &c.caseID, &c.status, &c.agencyID, &c.agency); err != nil {
			return err
		}
		if old, ok := cases[debt]; !ok || old.status == CaseClosed {
			cases[debt] = c
		}
		return nil
	}, `SELECT c.debt_id, c.id, c.status, c.agency_id, a.name FROM cases c JOIN agencies a ON a.id = c.agency_id
		WHERE c.borrower_id = $1 ORDER BY c.created_at, c.id`, id)
	if err != nil {
		return nil, err
	}
	for _, d := range debts {
		c := cases[d.ID]
		v.Debts = append(v.Debts, PortalDebt{Debt: d, CaseID: c.caseID, CaseStatus: c.status, AgencyID: c.agencyID, AgencyName: c.agency})
	}
	if v.Parties, err = s.Parties(ctx, p, id); err != nil {
		return nil, err
	}
	if v.OptOuts, err = s.OptOuts(ctx, p, id); err != nil {
		return nil, err
	}
	if v.Attempts, err = s.borrowerAttempts(ctx, id); err != nil {
		return nil, err
	}
	return v, nil
}

// borrowerAttempts reads the newest PortalAttempts attempts about a borrower,
// newest first, without naming the staff who asked for them.
func (s *Service) borrowerAttempts(ctx context.Context, borrowerID string) ([]Attempt, error) {
	out, err := collect(ctx, s.db.R, func(r *sql.Rows) (Attempt, error) { return scanAttempt(r) },
		"SELECT "+attemptColumns+" FROM attempts WHERE borrower_id = $1 ORDER BY at DESC, id DESC LIMIT $2", borrowerID, PortalAttempts)
	for i := range out {
		out[i].Actor = "" // staff are not named to borrowers; the agency is
	}
	return out, err
}

// NamedAttempt is an attempt with the name of the person it was aimed at.
type NamedAttempt struct {
	Attempt
	PartyName string
}

// BorrowerAttempts lists every attempt about a borrower, newest first (at most
// PortalAttempts), with the people's names: for the borrower themself and for
// roles that read every agency's cases (a complaint letter).
func (s *Service) BorrowerAttempts(ctx context.Context, p Principal, borrowerID string) ([]NamedAttempt, error) {
	if !(p.Can(ActReadAll) || p.borrower() && p.BorrowerID == borrowerID) {
		return nil, notFound("borrower", borrowerID)
	}
	attempts, err := s.borrowerAttempts(ctx, borrowerID)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	err = eachRow(ctx, s.db.R, func(r *sql.Rows) error {
		var id, name string
		if err := r.Scan(&id, &name); err != nil {
			return err
		}
		names[id] = name
		return nil
	}, "SELECT id, name FROM parties WHERE borrower_id = $1", borrowerID)
	out := make([]NamedAttempt, len(attempts))
	for i, a := range attempts {
		out[i] = NamedAttempt{Attempt: a, PartyName: names[a.PartyID]}
	}
	return out, err
}
