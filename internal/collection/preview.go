package collection

import (
	"context"
	"database/sql"
	"time"

	"github.com/fairdebt/fairdebt/internal/policy"
)

// CallPreview is what the gate would say, now, to a collection call to a case's
// debtor: whether it is allowed and, if not, when it would be, if time alone
// would help. Nothing is recorded.
type CallPreview struct {
	Allowed bool
	// NextAllowedAt is zero when the call is allowed, or when no time would help
	// (a hold, an opt-out, an unreachable number).
	NextAllowedAt time.Time
	Decision      policy.Decision
}

// PreviewCalls asks the gate about a call to the debtor of each case, now,
// without recording anything: the worklist uses it so that nobody queues a call
// the gate would deny. Cases the principal does not see, or that are not open,
// are left out. The decisions are made on the writer, against the same state the
// gate decides on, all in one turn.
func (s *Service) PreviewCalls(ctx context.Context, p Principal, caseIDs []string) (map[string]CallPreview, error) {
	out := make(map[string]CallPreview, len(caseIDs))
	if len(caseIDs) == 0 {
		return out, nil
	}
	// Nothing is written, so no savepoint is needed.
	err := s.db.UpdateSingle(ctx, func(tx *sql.Tx) error {
		ctx := context.WithoutCancel(ctx) // see store.DB.Exec
		now := s.now()
		for _, id := range caseIDs {
			c, err := s.caseInfo(ctx, tx, id)
			if IsKind(err, NotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if !p.seesCase(c.agencyID, c.collectorID) || c.status != CaseOpen {
				continue
			}
			st, err := s.debtorState(ctx, tx, c.borrowerID, now)
			if err != nil {
				return err
			}
			debtor := ""
			for _, pt := range st.parties {
				if pt.Role == policy.Debtor {
					debtor = pt.ID
				}
			}
			if debtor == "" {
				continue
			}
			a := policy.Attempt{Party: debtor, Channel: policy.Call, At: now, Purpose: policy.Collect, Collectors: 1, CallerIDRegistered: true}
			d := st.evaluate(&a)
			out[id] = CallPreview{Allowed: d.Allowed, NextAllowedAt: d.NextAllowedAt, Decision: d}
		}
		return nil
	})
	return out, err
}
