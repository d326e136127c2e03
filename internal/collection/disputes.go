package collection

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/fairdebt/fairdebt/internal/audit"
)

// A borrower's dispute (the portal, or recorded by an agency) holds collection
// until the lender answers it with evidence: the answer's text and at least one
// file, which the borrower sees in the portal. Answering lifts the hold.

// DisputeAnswer is the lender's answer to a dispute.
type DisputeAnswer struct {
	ID         string     `json:"id"`
	BorrowerID string     `json:"borrower_id"`
	Text       string     `json:"text"`
	Actor      string     `json:"actor"`
	AnsweredAt time.Time  `json:"answered_at"`
	Leaf       int64      `json:"leaf"`
	Evidence   []Evidence `json:"evidence"`
}

// ErrNoDispute refuses an answer to a borrower who has no dispute open.
var ErrNoDispute = &Error{Kind: Conflict, EN: "the borrower has no open dispute", ZH: "该借款人没有未答复的异议"}

// AnswerDispute answers a borrower's open dispute with text and evidence (one
// to MaxEvidenceFiles files) and lifts the dispute hold: the lender's decision,
// as lifting any hold is.
func (s *Service) AnswerDispute(ctx context.Context, p Principal, borrowerID, text string, files []EvidenceFile) (*DisputeAnswer, error) {
	if err := need(p, ActLift); err != nil {
		return nil, err
	}
	text = strings.TrimSpace(text)
	if err := checkText("text", text, true, 5000); err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, invalid("evidence", "a dispute is answered with evidence: attach at least one file", "须附上至少一份证据来答复异议")
	}
	ev, err := checkEvidence(files)
	if err != nil {
		return nil, err
	}
	if err := s.borrowerVisible(ctx, s.db.R, p, borrowerID); err != nil {
		return nil, err
	}
	now := fromMS(ms(s.now()))
	sum := sha256.Sum256([]byte(text))
	a := &DisputeAnswer{ID: newID("dan"), BorrowerID: borrowerID, Text: text, Actor: actor(p), AnsweredAt: now}
	var hashes []string
	for _, f := range ev {
		hashes = append(hashes, f.SHA256)
		a.Evidence = append(a.Evidence, f.Evidence)
	}
	err = s.db.Update(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM holds WHERE borrower_id = $1 AND hold = 'dispute'", borrowerID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNoDispute
		}
		a.Leaf, err = s.audit.Append(ctx, tx, audit.Event{Type: audit.TypeHold, At: now, Actor: a.Actor,
			Subject: map[string]string{"borrower": borrowerID, "dispute_answer": a.ID},
			Digests: map[string]string{"text": hex.EncodeToString(sum[:])},
			Facts:   map[string]any{"change": "lifted", "hold": "dispute", "answered": true, "evidence": hashes}})
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO dispute_answers (id, borrower_id, text_enc, actor, answered_at, leaf)
			VALUES ($1, $2, $3, $4, $5, $6)`, a.ID, borrowerID, s.keys.Seal("dispute", text), a.Actor, ms(now), a.Leaf); err != nil {
			return err
		}
		if err := s.storeEvidence(ctx, tx, ev, now); err != nil {
			return err
		}
		for _, f := range ev {
			if _, err := tx.ExecContext(ctx, `INSERT INTO dispute_evidence (answer_id, sha256, name) VALUES ($1, $2, $3)
				ON CONFLICT (answer_id, sha256) DO NOTHING`, a.ID, f.SHA256, f.Name); err != nil {
				return err
			}
		}
		s.forgetDebtor(borrowerID)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// DisputeAnswers lists the answers to a borrower's disputes, newest first, to
// the borrower and to those who see them.
func (s *Service) DisputeAnswers(ctx context.Context, p Principal, borrowerID string) ([]DisputeAnswer, error) {
	if err := s.borrowerVisible(ctx, s.db.R, p, borrowerID); err != nil {
		return nil, err
	}
	out, err := collect(ctx, s.db.R, func(r *sql.Rows) (DisputeAnswer, error) {
		var a DisputeAnswer
		var text string
		var at int64
		if err := r.Scan(&a.ID, &a.BorrowerID, &text, &a.Actor, &at, &a.Leaf); err != nil {
			return a, err
		}
		a.AnsweredAt = fromMS(at)
		var err error
		a.Text, err = s.keys.Open("dispute", text)
		return a, err
	}, "SELECT id, borrower_id, text_enc, actor, answered_at, leaf FROM dispute_answers WHERE borrower_id = $1 ORDER BY answered_at DESC, id DESC", borrowerID)
	if err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Evidence, err = collect(ctx, s.db.R, func(r *sql.Rows) (Evidence, error) {
			var e Evidence
			return e, r.Scan(&e.SHA256, &e.Name, &e.Type, &e.Size)
		}, `SELECT e.sha256, de.name, e.type, e.size FROM dispute_evidence de JOIN evidence e ON e.sha256 = de.sha256
			WHERE de.answer_id = $1 ORDER BY de.name, e.sha256`, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// DisputeEvidence returns an evidence file of a dispute answer, to those who see
// the answer.
func (s *Service) DisputeEvidence(ctx context.Context, p Principal, answerID, sha string) (*Evidence, []byte, error) {
	var borrowerID string
	err := s.db.R.QueryRowContext(ctx, "SELECT borrower_id FROM dispute_answers WHERE id = $1", answerID).Scan(&borrowerID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, notFound("evidence", sha)
	}
	if err != nil {
		return nil, nil, err
	}
	answers, err := s.DisputeAnswers(ctx, p, borrowerID)
	if err != nil {
		return nil, nil, notFound("evidence", sha)
	}
	i := slices.IndexFunc(answers, func(a DisputeAnswer) bool { return a.ID == answerID })
	if i < 0 {
		return nil, nil, notFound("evidence", sha)
	}
	j := slices.IndexFunc(answers[i].Evidence, func(e Evidence) bool { return e.SHA256 == sha })
	if j < 0 {
		return nil, nil, notFound("evidence", sha)
	}
	data, err := s.evidenceData(ctx, sha)
	return &answers[i].Evidence[j], data, err
}
