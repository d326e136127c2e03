package collection

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/fairdebt/fairdebt/internal/audit"
	"github.com/fairdebt/fairdebt/internal/policy"
)

// Complaints: a borrower files one in the portal, with evidence, and gets a
// receipt (the audit leaf of the filing, with its inclusion proof); the lender's
// staff acknowledge, investigate and respond within the deadline of the
// borrower's rule pack; the borrower rates the response. An overdue complaint,
// or one whose response the borrower rated unsatisfied, is escalated to the
// regulator view. Every state is an audit leaf.

// Complaint states.
const (
	ComplaintReceived      = "received"
	ComplaintAcknowledged  = "acknowledged"
	ComplaintInvestigating = "investigating"
	ComplaintResponded     = "responded"
	ComplaintClosed        = "closed"
	ComplaintEscalated     = "escalated"
)

// ComplaintCategories are what a complaint may be about.
var ComplaintCategories = []string{"harassment", "third_party", "disclosure", "threats", "false_authority", "amount", "other"}

// Complaint actions: the staff's acknowledge, investigate, respond and extend;
// the borrower's satisfied and unsatisfied; the system's overdue.
const (
	ActionAcknowledge = "acknowledge"
	ActionInvestigate = "investigate"
	ActionRespond     = "respond"
	ActionExtend      = "extend"
	ActionSatisfied   = "satisfied"
	ActionUnsatisfied = "unsatisfied"
	ActionOverdue     = "overdue"
)

// ErrBadTransition refuses an action the complaint's state does not allow.
var ErrBadTransition = &Error{Kind: Conflict, EN: "the complaint's state does not allow this", ZH: "投诉当前状态不允许此操作"}

// NextComplaintState is the state action leads to from state, or an error. It is
// the whole state machine: received → acknowledged → investigating → responded →
// closed, any open state may respond at once, an open complaint past its
// deadline is escalated, and a response rated unsatisfied is escalated. Extending
// the deadline keeps the state.
func NextComplaintState(state, action string) (string, error) {
	open := state == ComplaintReceived || state == ComplaintAcknowledged || state == ComplaintInvestigating
	switch {
	case action == ActionAcknowledge && state == ComplaintReceived:
		return ComplaintAcknowledged, nil
	case action == ActionInvestigate && (state == ComplaintReceived || state == ComplaintAcknowledged):
		return ComplaintInvestigating, nil
	case action == ActionRespond && open:
		return ComplaintResponded, nil
	case action == ActionExtend && open:
		return state, nil
	case action == ActionOverdue && open:
		return ComplaintEscalated, nil
	case action == ActionSatisfied && state == ComplaintResponded:
		return ComplaintClosed, nil
	case action == ActionUnsatisfied && state == ComplaintResponded:
		return ComplaintEscalated, nil
	}
	return "", ErrBadTransition
}

// ComplaintDue is the end of a complaint's deadline: the end of the day that is
// days calendar days after the day it was filed, in the complainant's zone.
func ComplaintDue(filed time.Time, zone *time.Location, days int) time.Time {
	l := filed.In(zone)
	return time.Date(l.Year(), l.Month(), l.Day()+days+1, 0, 0, 0, 0, zone)
}

// Evidence limits.
const (
	MaxEvidenceFiles = 5
	MaxEvidenceSize  = 10 << 20
)

// evidenceTypes are the kinds of file accepted as evidence, by the type sniffed
// from their content (never the name or the browser's word), with the file-name
// extensions each may have.
var evidenceTypes = map[string][]string{
	"image/jpeg":                {".jpg", ".jpeg"},
	"image/png":                 {".png"},
	"image/webp":                {".webp"},
	"audio/mpeg":                {".mp3"},
	"audio/wave":                {".wav"},
	"audio/amr":                 {".amr"},
	"audio/mp4":                 {".m4a", ".mp4"},
	"text/plain; charset=utf-8": {".txt"},
}

// sniffEvidence returns the type of an evidence file, or "".
func sniffEvidence(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte("#!AMR\n")):
		return "audio/amr"
	case len(data) >= 12 && string(data[4:8]) == "ftyp":
		return "audio/mp4" // M4A and MP4 recordings
	}
	t := http.DetectContentType(data)
	if t == "text/plain; charset=utf-8" && !utf8.Valid(data) {
		return ""
	}
	if _, ok := evidenceTypes[t]; ok {
		return t
	}
	return ""
}

// EvidenceFile is a file uploaded with a complaint.
type EvidenceFile struct {
	Name string
	Data []byte
}

// Evidence is a stored evidence file, addressed by its SHA-256.
type Evidence struct {
	SHA256 string `json:"sha256"`
	Name   string `json:"name"`
	Type   string `json:"type"`
	Size   int64  `json:"size"`
}

// ComplaintInput files a complaint.
type ComplaintInput struct {
	// CaseID is the case concerned, optional.
	CaseID   string
	Category string
	Text     string
	Evidence []EvidenceFile
}

// ComplaintEvent is one step of a complaint's timeline.
type ComplaintEvent struct {
	At    time.Time `json:"at"`
	State string    `json:"state"`
	Actor string    `json:"actor"`
	Note  string    `json:"note,omitempty"`
	Leaf  int64     `json:"leaf"`
}

// Complaint is a complaint with its timeline and evidence.
type Complaint struct {
	ID          string           `json:"id"`
	BorrowerID  string           `json:"borrower_id"`
	CaseID      string           `json:"case_id,omitempty"`
	AgencyID    string           `json:"agency_id,omitempty"`
	Pack        string           `json:"pack"`
	Timezone    string           `json:"timezone"`
	Category    string           `json:"category"`
	Text        string           `json:"text"`
	State       string           `json:"state"`
	FiledAt     time.Time        `json:"filed_at"`
	DueAt       time.Time        `json:"due_at"`
	Extended    bool             `json:"extended"`
	Response    string           `json:"response,omitempty"`
	Rating      string           `json:"rating,omitempty"`
	EscalatedAt *time.Time       `json:"escalated_at,omitempty"`
	ReceiptLeaf int64            `json:"receipt_leaf"`
	Evidence    []Evidence       `json:"evidence"`
	Events      []ComplaintEvent `json:"events"`
	// Overdue is set for an open complaint past its deadline (until the sweep
	// escalates it).
	Overdue bool `json:"overdue"`
}

// Open reports whether the complaint still awaits the lender's response.
func (c *Complaint) Open() bool {
	return c.State == ComplaintReceived || c.State == ComplaintAcknowledged || c.State == ComplaintInvestigating
}

// FileComplaint files a borrower's complaint, stores its evidence and records the
// filing in the audit log: the leaf names the complaint, the SHA-256 of its text
// and of every evidence file, so the receipt proves what was filed, and when.
func (s *Service) FileComplaint(ctx context.Context, p Principal, in ComplaintInput) (*Complaint, error) {
	if !p.borrower() {
		return nil, &Error{Kind: Forbidden, EN: "complaints are filed by the borrower, in the portal", ZH: "投诉须由借款人在门户中提交"}
	}
	if err := oneOf("category", in.Category, ComplaintCategories...); err != nil {
		return nil, err
	}
	text := strings.TrimSpace(in.Text)
	if err := checkText("text", text, true, 5000); err != nil {
		return nil, err
	}
	files, err := checkEvidence(in.Evidence)
	if err != nil {
		return nil, err
	}
	b, err := s.Borrower(ctx, p, p.BorrowerID)
	if err != nil {
		return nil, err
	}
	var agency string
	if in.CaseID != "" {
		err := s.db.R.QueryRowContext(ctx, "SELECT agency_id FROM cases WHERE id = $1 AND borrower_id = $2", in.CaseID, b.ID).Scan(&agency)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, notFound("case", in.CaseID)
		}
		if err != nil {
			return nil, err
		}
	}
	pack, err := s.packs.Get(b.Pack)
	if err != nil {
		return nil, err
	}
	zone, err := policy.LoadLocation(b.Timezone)
	if err != nil {
		return nil, err
	}
	now := fromMS(ms(s.now()))
	c := &Complaint{ID: newID("cmp"), BorrowerID: b.ID, CaseID: in.CaseID, AgencyID: agency, Pack: b.Pack, Timezone: b.Timezone,
		Category: in.Category, Text: text, State: ComplaintReceived, FiledAt: now,
		DueAt: ComplaintDue(now, zone, pack.Complaints.RespondDays), Evidence: []Evidence{}}
	textSum := sha256.Sum256([]byte(text))
	hashes := make([]string, 0, len(files))
	for _, f := range files {
		hashes = append(hashes, f.SHA256)
		c.Evidence = append(c.Evidence, f.Evidence)
	}
	err = s.db.Update(ctx, func(tx *sql.Tx) error {
		leaf, err := s.audit.Append(ctx, tx, audit.Event{Type: audit.TypeComplaint, At: now, Actor: actor(p),
			Subject: map[string]string{"complaint": c.ID, "borrower": b.ID, "case": c.CaseID, "agency": agency},
			Digests: map[string]string{"text": hex.EncodeToString(textSum[:])},
			Facts: map[string]any{"state": ComplaintReceived, "category": c.Category, "evidence": hashes,
				"due": c.DueAt.UTC().Format(time.RFC3339), "pack": c.Pack}})
		if err != nil {
			return err
		}
		c.ReceiptLeaf = leaf
		if _, err := tx.ExecContext(ctx, `INSERT INTO complaints (id, borrower_id, case_id, agency_id, pack, timezone, category, text_enc, state,
			filed_at, due_at, receipt_leaf, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $10)`,
			c.ID, c.BorrowerID, c.CaseID, agency, c.Pack, c.Timezone, c.Category, s.keys.Seal("complaint", text), c.State,
			ms(now), ms(c.DueAt), leaf); err != nil {
			return err
		}
		if err := s.storeEvidence(ctx, tx, files, now); err != nil {
			return err
		}
		for _, f := range files {
			if _, err := tx.ExecContext(ctx, `INSERT INTO complaint_evidence (complaint_id, sha256, name) VALUES ($1, $2, $3)
				ON CONFLICT (complaint_id, sha256) DO NOTHING`, c.ID, f.SHA256, f.Name); err != nil {
				return err
			}
		}
		return s.complaintEvent(ctx, tx, c.ID, now, ComplaintReceived, actor(p), "", leaf)
	})
	if err != nil {
		return nil, err
	}
	return s.Complaint(ctx, p, c.ID)
}

func (s *Service) complaintEvent(ctx context.Context, tx *sql.Tx, id string, at time.Time, state, who, note string, leaf int64) error {
	if note != "" {
		note = s.keys.Seal("complaint", note)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO complaint_events (complaint_id, seq, at, state, actor, note_enc, leaf)
		VALUES ($1, (SELECT COUNT(*) FROM complaint_events WHERE complaint_id = $1), $2, $3, $4, $5, $6)`, id, ms(at), state, who, note, leaf)
	return err
}

// ComplaintAction takes a step on a complaint: the staff's acknowledge,
// investigate, respond (note: the response) and extend (note: why; once, to the
// pack's extended deadline, before the deadline passes); the borrower's
// satisfied or unsatisfied with a response.
func (s *Service) ComplaintAction(ctx context.Context, p Principal, id, action, note string) (*Complaint, error) {
	note = strings.TrimSpace(note)
	switch action {
	case ActionAcknowledge, ActionInvestigate, ActionRespond, ActionExtend:
		if err := need(p, ActComplaints); err != nil {
			return nil, err
		}
	case ActionSatisfied, ActionUnsatisfied:
		if !p.borrower() {
			return nil, &Error{Kind: Forbidden, EN: "only the complainant rates the response", ZH: "只有投诉人可以评价答复"}
		}
	default:
		return nil, invalid("action", "unknown action", "未知操作")
	}
	if (action == ActionRespond || action == ActionExtend) && note == "" {
		return nil, invalid("note", "required: the response, or why the deadline is extended", "必填：答复内容，或延期理由")
	}
	if err := checkText("note", note, false, 5000); err != nil {
		return nil, err
	}
	c, err := s.Complaint(ctx, p, id)
	if err != nil {
		return nil, err
	}
	next, err := NextComplaintState(c.State, action)
	if err != nil {
		return nil, err
	}
	now := fromMS(ms(s.now()))
	if action == ActionExtend && (c.Extended || !now.Before(c.DueAt)) {
		return nil, &Error{Kind: Conflict, EN: "the deadline can be extended once, before it passes", ZH: "期限只能在到期前延长一次"}
	}
	err = s.db.Update(ctx, func(tx *sql.Tx) error {
		var state string
		if err := tx.QueryRowContext(ctx, "SELECT state FROM complaints WHERE id = $1", id).Scan(&state); err != nil {
			return err
		}
		if state != c.State {
			return ErrBadTransition // changed meanwhile
		}
		return s.moveComplaint(ctx, tx, c, action, next, actor(p), note, now)
	})
	if err != nil {
		return nil, err
	}
	return s.Complaint(ctx, p, id)
}

// moveComplaint records a step in tx: the state, the response or rating, the
// deadline of an extension, the timeline and the audit leaf.
func (s *Service) moveComplaint(ctx context.Context, tx *sql.Tx, c *Complaint, action, next, who, note string, now time.Time) error {
	facts := map[string]any{"state": next, "from": c.State, "action": action}
	digests := map[string]string{}
	if note != "" {
		sum := sha256.Sum256([]byte(note))
		digests["note"] = hex.EncodeToString(sum[:])
	}
	q := "UPDATE complaints SET state = $1, updated_at = $2"
	args := []any{next, ms(now)}
	switch action {
	case ActionRespond:
		q += ", response_enc = $3"
		args = append(args, s.keys.Seal("complaint", note))
	case ActionExtend:
		pack, err := s.packs.Get(c.Pack)
		if err != nil {
			return err
		}
		zone, err := policy.LoadLocation(c.Timezone)
		if err != nil {
			return err
		}
		due := ComplaintDue(c.FiledAt, zone, pack.Complaints.ExtendedDays)
		q += ", extended = TRUE, due_at = $3"
		args = append(args, ms(due))
		facts["due"] = due.UTC().Format(time.RFC3339)
	case ActionSatisfied, ActionUnsatisfied:
		q += ", rating = $3"
		args = append(args, action)
	}
	if next == ComplaintEscalated {
		q += fmt.Sprintf(", escalated_at = $%d", len(args)+1)
		args = append(args, ms(now))
	}
	q += fmt.Sprintf(" WHERE id = $%d", len(args)+1)
	args = append(args, c.ID)
	if _, err := tx.ExecContext(ctx, q, args...); err != nil {
		return err
	}
	leaf, err := s.audit.Append(ctx, tx, audit.Event{Type: audit.TypeComplaint, At: now, Actor: who,
		Subject: map[string]string{"complaint": c.ID, "borrower": c.BorrowerID}, Digests: digests, Facts: facts})
	if err != nil {
		return err
	}
	return s.complaintEvent(ctx, tx, c.ID, now, next, who, note, leaf)
}

// EscalateOverdue escalates every open complaint past its deadline, as the
// system; it returns how many. serve runs it every minute (RunSweeps).
func (s *Service) EscalateOverdue(ctx context.Context) (int, error) {
	now := fromMS(ms(s.now()))
	ids, err := collect(ctx, s.db.R, func(r *sql.Rows) (string, error) {
		var id string
		return id, r.Scan(&id)
	}, "SELECT id FROM complaints WHERE state IN ('received', 'acknowledged', 'investigating') AND due_at <= $1 ORDER BY due_at, id", ms(now))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		c, err := s.complaint(ctx, id)
		if err != nil {
			return n, err
		}
		err = s.db.Update(ctx, func(tx *sql.Tx) error {
			var state string
			if err := tx.QueryRowContext(ctx, "SELECT state FROM complaints WHERE id = $1", id).Scan(&state); err != nil {
				return err
			}
			if state != c.State {
				return nil // answered meanwhile
			}
			return s.moveComplaint(ctx, tx, c, ActionOverdue, ComplaintEscalated, "system", "", now)
		})
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// RunSweeps, every interval until ctx ends, escalates overdue complaints, ends
// repayment plans whose instalment was missed and deletes spent one-time codes.
func (s *Service) RunSweeps(ctx context.Context, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := s.EscalateOverdue(ctx); err != nil && ctx.Err() == nil {
			return err
		}
		if _, err := s.BreakMissedPlans(ctx); err != nil && ctx.Err() == nil {
			return err
		}
		if _, err := s.PurgeCodes(ctx); err != nil && ctx.Err() == nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Complaint returns a complaint to the complainant, or to roles that read every
// agency's cases.
func (s *Service) Complaint(ctx context.Context, p Principal, id string) (*Complaint, error) {
	c, err := s.complaint(ctx, id)
	if err != nil {
		return nil, err
	}
	if !(p.Can(ActReadAll) || p.borrower() && p.BorrowerID == c.BorrowerID) {
		return nil, notFound("complaint", id)
	}
	return c, nil
}

const complaintColumns = `id, borrower_id, case_id, agency_id, pack, timezone, category, text_enc, state, filed_at, due_at, extended,
	response_enc, rating, escalated_at, receipt_leaf`

func (s *Service) scanComplaint(r interface{ Scan(...any) error }) (*Complaint, error) {
	var c Complaint
	var text, response string
	var filed, due int64
	var escalated sql.NullInt64
	if err := r.Scan(&c.ID, &c.BorrowerID, &c.CaseID, &c.AgencyID, &c.Pack, &c.Timezone, &c.Category, &text, &c.State, &filed, &due,
		&c.Extended, &response, &c.Rating, &escalated, &c.ReceiptLeaf); err != nil {
		return nil, err
	}
	c.FiledAt, c.DueAt, c.EscalatedAt = fromMS(filed), fromMS(due), fromNullMS(escalated)
	var err error
	if c.Text, err = s.keys.Open("complaint", text); err != nil {
		return nil, err
	}
	if response != "" {
		if c.Response, err = s.keys.Open("complaint", response); err != nil {
			return nil, err
		}
	}
	c.Overdue = c.Open() && !s.now().Before(c.DueAt)
	return &c, nil
}

func (s *Service) complaint(ctx context.Context, id string) (*Complaint, error) {
	c, err := s.scanComplaint(s.db.R.QueryRowContext(ctx, "SELECT "+complaintColumns+" FROM complaints WHERE id = $1", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("complaint", id)
	}
	if err != nil {
		return nil, err
	}
	c.Evidence, err = collect(ctx, s.db.R, func(r *sql.Rows) (Evidence, error) {
		var e Evidence
		return e, r.Scan(&e.SHA256, &e.Name, &e.Type, &e.Size)
	}, `SELECT e.sha256, ce.name, e.type, e.size FROM complaint_evidence ce JOIN evidence e ON e.sha256 = ce.sha256
		WHERE ce.complaint_id = $1 ORDER BY ce.name, e.sha256`, id)
	if err != nil {
		return nil, err
	}
	c.Events, err = collect(ctx, s.db.R, func(r *sql.Rows) (ComplaintEvent, error) {
		var e ComplaintEvent
		var at int64
		var note string
		if err := r.Scan(&at, &e.State, &e.Actor, &note, &e.Leaf); err != nil {
			return e, err
		}
		e.At = fromMS(at)
		if note != "" {
			var err error
			if e.Note, err = s.keys.Open("complaint", note); err != nil {
				return e, err
			}
		}
		return e, nil
	}, "SELECT at, state, actor, note_enc, leaf FROM complaint_events WHERE complaint_id = $1 ORDER BY seq", id)
	return c, err
}

// ComplaintFilter chooses complaints.
type ComplaintFilter struct {
	State string
	// Escalated lists the escalated only; Overdue the open ones past their
	// deadline; DueSoon the open ones due within ReminderWindow (the staff's
	// reminder list).
	Escalated, Overdue, DueSoon bool
}

// ReminderWindow is how close to its deadline an open complaint is listed as due
// soon.
const ReminderWindow = 72 * time.Hour

// Complaints lists complaints, newest first (at most 500): a borrower's own, or
// every complaint for roles that read every agency's cases.
func (s *Service) Complaints(ctx context.Context, p Principal, f ComplaintFilter) ([]Complaint, error) {
	borrower := ""
	switch {
	case p.borrower():
		borrower = p.BorrowerID
	case !p.Can(ActReadAll):
		return nil, forbidden(p, ActReadAll)
	}
	if f.Escalated {
		f.State = ComplaintEscalated
	}
	list, err := collect(ctx, s.db.R, func(r *sql.Rows) (Complaint, error) {
		c, err := s.scanComplaint(r)
		if err != nil {
			return Complaint{}, err
		}
		return *c, nil
	}, "SELECT "+complaintColumns+` FROM complaints WHERE ($1 = '' OR borrower_id = $1) AND ($2 = '' OR state = $2)
		ORDER BY filed_at DESC, id DESC LIMIT 500`, borrower, f.State)
	switch {
	case err != nil:
		return nil, err
	case f.Overdue:
		list = slices.DeleteFunc(list, func(c Complaint) bool { return !c.Overdue })
	case f.DueSoon:
		soon := s.now().Add(ReminderWindow)
		list = slices.DeleteFunc(list, func(c Complaint) bool { return !c.Open() || c.Overdue || c.DueAt.After(soon) })
	}
	return list, nil
}

// ComplaintCounts counts the complaints the reminder and the regulator view
// name: escalated, open past their deadline (Overdue) and open within
// ReminderWindow of it (DueSoon), as the filters of Complaints choose them.
type ComplaintCounts struct {
	Escalated, Overdue, DueSoon int
	// FlaggedReports counts third parties' reports of contacts on no record.
	FlaggedReports int
}

// CountComplaints counts, in the database and without reading the complaints,
// what the reminder and the regulator view show. Roles that read every agency's
// cases may ask.
func (s *Service) CountComplaints(ctx context.Context, p Principal) (ComplaintCounts, error) {
	var c ComplaintCounts
	if err := need(p, ActReadAll); err != nil {
		return c, err
	}
	now := s.now()
	err := s.db.R.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM complaints WHERE state = 'escalated'),
		(SELECT COUNT(*) FROM complaints WHERE state IN ('received', 'acknowledged', 'investigating') AND due_at <= $1),
		(SELECT COUNT(*) FROM complaints WHERE state IN ('received', 'acknowledged', 'investigating') AND due_at > $1 AND due_at <= $2),
		(SELECT COUNT(*) FROM third_party_reports WHERE flagged)`, ms(now), ms(now.Add(ReminderWindow))).
		Scan(&c.Escalated, &c.Overdue, &c.DueSoon, &c.FlaggedReports)
	return c, err
}

// ComplaintReceipt is the receipt of a complaint's filing: its audit leaf with
// an inclusion proof against a signed checkpoint, which `fairdebt audit
// verify-receipt` checks offline.
func (s *Service) ComplaintReceipt(ctx context.Context, p Principal, id string) (audit.Receipt, error) {
	c, err := s.Complaint(ctx, p, id)
	if err != nil {
		return audit.Receipt{}, err
	}
	if s.signer == nil {
		return audit.Receipt{}, errNoSigner
	}
	return s.audit.Receipt(ctx, s.signer, c.ReceiptLeaf)
}

// EvidenceData returns an evidence file of a complaint, to those who see it.
func (s *Service) EvidenceData(ctx context.Context, p Principal, complaintID, sha string) (*Evidence, []byte, error) {
	c, err := s.Complaint(ctx, p, complaintID)
	if err != nil {
		return nil, nil, err
	}
	i := slices.IndexFunc(c.Evidence, func(e Evidence) bool { return e.SHA256 == sha })
	if i < 0 {
		return nil, nil, notFound("evidence", sha)
	}
	data, err := s.evidenceData(ctx, sha)
	return &c.Evidence[i], data, err
}

// storedEvidence is a checked evidence file, ready to store.
type storedEvidence struct {
	Evidence
	data []byte
}

// checkEvidence checks uploaded evidence: at most MaxEvidenceFiles, each
// non-empty, at most MaxEvidenceSize, of an accepted type (sniffed from the
// content) named with a matching extension.
func checkEvidence(in []EvidenceFile) ([]storedEvidence, error) {
	if len(in) > MaxEvidenceFiles {
		return nil, invalid("evidence", fmt.Sprintf("at most %d files", MaxEvidenceFiles), fmt.Sprintf("最多 %d 个文件", MaxEvidenceFiles))
	}
	var files []storedEvidence
	for i, f := range in {
		field := fmt.Sprintf("evidence[%d]", i)
		if len(f.Data) == 0 {
			return nil, invalid(field, "the file is empty", "文件为空")
		}
		if len(f.Data) > MaxEvidenceSize {
			return nil, invalid(field, fmt.Sprintf("larger than %d MB", MaxEvidenceSize>>20), fmt.Sprintf("超过 %d MB", MaxEvidenceSize>>20))
		}
		typ := sniffEvidence(f.Data)
		name := filepath.Base(strings.ReplaceAll(f.Name, "\\", "/"))
		if typ == "" || !slices.Contains(evidenceTypes[typ], strings.ToLower(filepath.Ext(name))) {
			return nil, invalid(field, "not an accepted file: images (JPEG, PNG, WebP), audio (MP3, WAV, AMR, M4A) or text, named as what they are",
				"不接受的文件：仅限图片（JPEG、PNG、WebP）、音频（MP3、WAV、AMR、M4A）或文本，且扩展名与内容一致")
		}
		if err := checkText(field+".name", name, true, 200); err != nil {
			return nil, err
		}
		sum := sha256.Sum256(f.Data)
		files = append(files, storedEvidence{Evidence{SHA256: hex.EncodeToString(sum[:]), Name: name, Type: typ, Size: int64(len(f.Data))}, f.Data})
	}
	return files, nil
}

// storeEvidence stores the files in tx, once per content, sealed.
func (s *Service) storeEvidence(ctx context.Context, tx *sql.Tx, files []storedEvidence, now time.Time) error {
	for _, f := range files {
		if _, err := tx.ExecContext(ctx, `INSERT INTO evidence (sha256, size, type, data_enc, created_at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (sha256) DO NOTHING`, f.SHA256, f.Size, f.Type, s.keys.Seal("evidence", base64.StdEncoding.EncodeToString(f.data)), ms(now)); err != nil {
			return err
		}
	}
	return nil
}

// evidenceData reads a stored evidence file and checks it against its hash.
func (s *Service) evidenceData(ctx context.Context, sha string) ([]byte, error) {
	var sealed string
	if err := s.db.R.QueryRowContext(ctx, "SELECT data_enc FROM evidence WHERE sha256 = $1", sha).Scan(&sealed); err != nil {
		return nil, err
	}
	b64, err := s.keys.Open("evidence", sealed)
	if err != nil {
		return nil, err
	}
	data, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, err
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != sha {
		return nil, fmt.Errorf("collection: evidence %s does not match its hash", sha)
	}
	return data, nil
}
