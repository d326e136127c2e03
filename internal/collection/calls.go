package collection

import (
	"context"
	"database/sql"
	"errors"

	"github.com/fairdebt/fairdebt/internal/policy"
)

// CallTarget is what a dialer needs to place a call the gate allowed.
type CallTarget struct {
	Attempt *Attempt
	// To is the number in full. It goes to the dialer, never to a person's screen.
	To string
}

// CallTarget returns the number to ring for an allowed call attempt that has no
// outcome yet, to a principal who works the case: the attempt's contact method,
// or, when the attempt named none, the party's first phone number. A denied
// attempt has no target: nothing the gate refused is ever dialled.
func (s *Service) CallTarget(ctx context.Context, p Principal, attemptID string) (*CallTarget, error) {
	if err := need(p, ActWork); err != nil {
		return nil, err
	}
	a, err := s.Attempt(ctx, p, attemptID)
	if err != nil {
		return nil, err
	}
	switch {
	case !a.Allowed:
		return nil, conflict("the gate denied this call; it is never dialled", "合规闸门已拒绝此次呼叫，不会拨出")
	case a.Channel != policy.Call.String():
		return nil, conflict("this attempt is not a call", "此次联系不是电话")
	case a.Result != policy.Pending.String():
		return nil, conflict("this call already has an outcome", "此次呼叫已有结果")
	}
	q := "SELECT value_enc FROM contact_methods WHERE id = $1 AND party_id = $2 AND kind = 'phone'"
	args := []any{a.ContactMethodID, a.PartyID}
	if a.ContactMethodID == "" {
		q = "SELECT value_enc FROM contact_methods WHERE party_id = $1 AND kind = 'phone' ORDER BY created_at, id LIMIT 1"
		args = args[1:]
	}
	var sealed string
	err = s.db.R.QueryRowContext(ctx, q, args...).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, conflict("no phone number is on record for this person", "此人没有登记电话号码")
	}
	if err != nil {
		return nil, err
	}
	to, err := s.keys.Open("phone", sealed)
	if err != nil {
		return nil, err
	}
	return &CallTarget{Attempt: a, To: to}, nil
}
