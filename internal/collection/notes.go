package collection

import (
	"context"
	"database/sql"
	"strings"
	"time"
)

// Note is a note on a case.
type Note struct {
	ID        string    `json:"id"`
	CaseID    string    `json:"case_id"`
	Author    string    `json:"author"`
	Text      string    `json:"text"`
	CreatedAt time.Time `json:"created_at"`
}

// maxNoteLen bounds a note, in bytes.
const maxNoteLen = 4000

// AddNote adds a note to a case the principal works. The text is stored sealed.
func (s *Service) AddNote(ctx context.Context, p Principal, caseID, text string) (*Note, error) {
	if err := need(p, ActWork); err != nil {
		return nil, err
	}
	text = strings.TrimSpace(text)
	if err := checkText("text", text, true, maxNoteLen); err != nil {
		return nil, err
	}
	if _, err := s.Case(ctx, p, caseID); err != nil {
		return nil, err
	}
	n := &Note{ID: newID("note"), CaseID: caseID, Author: actor(p), Text: text, CreatedAt: fromMS(ms(s.now()))}
	err := s.db.Update(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO case_notes (id, case_id, author, text_enc, created_at) VALUES ($1, $2, $3, $4, $5)",
			n.ID, n.CaseID, n.Author, s.keys.Seal("note", n.Text), ms(n.CreatedAt))
		return err
	})
	if err != nil {
		return nil, err
	}
	return n, nil
}

// Notes lists a case's notes, oldest first, to those who see the case.
func (s *Service) Notes(ctx context.Context, p Principal, caseID string) ([]Note, error) {
	if _, err := s.Case(ctx, p, caseID); err != nil {
		return nil, err
	}
	return collect(ctx, s.db.R, func(r *sql.Rows) (Note, error) {
		var n Note
		var sealed string
		var at int64
		if err := r.Scan(&n.ID, &n.CaseID, &n.Author, &sealed, &at); err != nil {
			return n, err
		}
		n.CreatedAt = fromMS(at)
		var err error
		n.Text, err = s.keys.Open("note", sealed)
		return n, err
	}, "SELECT id, case_id, author, text_enc, created_at FROM case_notes WHERE case_id = $1 ORDER BY created_at, id", caseID)
}
