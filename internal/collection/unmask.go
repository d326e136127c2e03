package collection

import (
	"context"
	"database/sql"
	"errors"

	"github.com/fairdebt/fairdebt/internal/audit"
)

// UnmaskContact returns a contact method's value in full, to those whose role
// needs it (the lender's administrators and compliance staff; collectors never
// do: the system dials). Each unmasking is an audit event, recorded before the
// value is returned: if it cannot be recorded, the value is not shown. reason
// says why it is needed; the log keeps it as a keyed hash only.
func (s *Service) UnmaskContact(ctx context.Context, p Principal, methodID, reason string) (string, error) {
	if err := need(p, ActUnmask); err != nil {
		return "", err
	}
	if err := checkText("reason", reason, true, 500); err != nil {
		return "", err
	}
	var partyID, kind, sealed, borrowerID string
	err := s.db.R.QueryRowContext(ctx, `SELECT m.party_id, m.kind, m.value_enc, pt.borrower_id FROM contact_methods m
		JOIN parties pt ON pt.id = m.party_id WHERE m.id = $1`, methodID).Scan(&partyID, &kind, &sealed, &borrowerID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", notFound("contact method", methodID)
	}
	if err != nil {
		return "", err
	}
	if err := s.borrowerVisible(ctx, s.db.R, p, borrowerID); err != nil {
		return "", notFound("contact method", methodID)
	}
	value, err := s.keys.Open(kind, sealed)
	if err != nil {
		return "", err
	}
	err = s.db.UpdateSingle(ctx, func(tx *sql.Tx) error {
		_, err := s.audit.Append(ctx, tx, audit.Event{Type: audit.TypeUnmask, At: fromMS(ms(s.now())), Actor: actor(p),
			Subject: map[string]string{"contact_method": methodID, "party": partyID, "borrower": borrowerID},
			Digests: map[string]string{"reason": s.keys.Hash("audit.reason", reason)},
			Facts:   map[string]any{"kind": kind, "role": p.role()}})
		return err
	})
	if err != nil {
		return "", err
	}
	return value, nil
}
