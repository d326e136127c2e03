package collection

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/fairdebt/fairdebt/internal/audit"
)

var errNoSigner = errors.New("collection: the audit log has no signer, so it gives no checkpoints or receipts")

// CheckpointInterval is how often the audit log is checkpointed while leaves
// arrive.
const CheckpointInterval = time.Second

// RunAuditCheckpoints signs a checkpoint of the audit log every
// CheckpointInterval while leaves arrive, and a last one when ctx ends; it
// returns after that one. Run it while the service runs; close the database after.
func (s *Service) RunAuditCheckpoints(ctx context.Context) error {
	if s.signer == nil {
		return errNoSigner
	}
	return s.audit.RunCheckpoints(ctx, s.signer, CheckpointInterval)
}

// AuditCheckpoint returns the latest signed checkpoint of the audit log, signing
// one first if there is none yet. Anyone with an API token may read it.
func (s *Service) AuditCheckpoint(ctx context.Context) (string, error) {
	if s.signer == nil {
		return "", errNoSigner
	}
	signed, _, err := s.audit.Covering(ctx, s.signer, -1)
	return string(signed), err
}

// AuditEntry returns leaf index with its inclusion proof against the latest
// checkpoint. Leaves name every agency's cases, so only administrators read them.
func (s *Service) AuditEntry(ctx context.Context, p Principal, index int64) (audit.Receipt, error) {
	if err := need(p, ActAuditEntries); err != nil {
		return audit.Receipt{}, err
	}
	if s.signer == nil {
		return audit.Receipt{}, errNoSigner
	}
	n, err := s.audit.Size(ctx)
	if err != nil {
		return audit.Receipt{}, err
	}
	if index < 0 || index >= n {
		return audit.Receipt{}, notFound("audit entry", fmt.Sprint(index))
	}
	return s.audit.Receipt(ctx, s.signer, index)
}

// AuditConsistency proves that the log of to leaves extends the log of from.
func (s *Service) AuditConsistency(ctx context.Context, from, to int64) (audit.Consistency, error) {
	n, err := s.audit.Size(ctx)
	if err != nil {
		return audit.Consistency{}, err
	}
	if from < 1 || from > to || to > n {
		return audit.Consistency{}, invalid("from", fmt.Sprintf("want 1 ≤ from ≤ to ≤ %d (the log's size)", n),
			fmt.Sprintf("须满足 1 ≤ from ≤ to ≤ %d（日志大小）", n))
	}
	return s.audit.Consistency(ctx, from, to)
}

// AttemptReceipts returns the receipts of an attempt's audit leaves: its decision,
// then its outcome if recorded.
func (s *Service) AttemptReceipts(ctx context.Context, p Principal, id string) ([]audit.Receipt, error) {
	if _, err := s.Attempt(ctx, p, id); err != nil {
		return nil, err
	}
	if s.signer == nil {
		return nil, errNoSigner
	}
	var decision, outcome sql.NullInt64
	err := s.db.R.QueryRowContext(ctx, "SELECT decision_leaf, outcome_leaf FROM attempts WHERE id = $1", id).Scan(&decision, &outcome)
	if err != nil {
		return nil, err
	}
	out := make([]audit.Receipt, 0, 2)
	for _, i := range []sql.NullInt64{decision, outcome} {
		if !i.Valid {
			continue
		}
		r, err := s.audit.Receipt(ctx, s.signer, i.Int64)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}
