package collection

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/fairdebt/fairdebt/internal/audit"
	"github.com/fairdebt/fairdebt/internal/policy"
	"github.com/fairdebt/fairdebt/internal/secret"
	"github.com/fairdebt/fairdebt/internal/store"
)

// AttemptInput asks the gate for one contact. The time of the attempt is the
// server's clock: a caller cannot back-date a call.
type AttemptInput struct {
	CaseID          string `json:"case_id"`
	PartyID         string `json:"party_id"`
	ContactMethodID string `json:"contact_method_id,omitempty" doc:"the number or address to be used; must belong to the party"`
	Channel         string `json:"channel" enum:"call,sms,im,email,letter,visit,social_post"`
	Purpose         string `json:"purpose,omitempty" enum:"collect,locate,remind" doc:"collect when omitted; remind (the debtor only) while an instalment of an active repayment plan is due"`
	Message         string `json:"message,omitempty" maxLength:"16384" doc:"the text to be sent or the call script"`
	Collectors      int    `json:"collectors,omitempty" minimum:"0" maximum:"20" doc:"collectors present (visits); 1 when omitted"`
	// CallerIDRegistered is true when omitted.
	CallerIDRegistered *bool  `json:"caller_id_registered,omitempty"`
	IdempotencyKey     string `json:"idempotency_key,omitempty" maxLength:"128" doc:"a retry with the same key returns the first decision"`
}

// caseInfo is what the gate needs of a case, cached on the writer goroutine.
type caseInfo struct {
	borrowerID, agencyID, collectorID, status string
}

// debtorState is a debtor's snapshot as the gate keeps it between decisions. It is
// loaded from the database on first use and then kept current by the writes that
// change it; any other write to the debtor's data drops it. When other processes
// write the same database (PostgreSQL replicas), their writes to a debtor's data
// drop it too, before the next batch of this process's writes (forgetForeign).
type debtorState struct {
	pack     *policy.Pack
	debtor   policy.DebtorInfo
	parties  []policy.Party
	optouts  []policy.OptOut
	history  []policy.Contact // allowed attempts, oldest first
	ids      []string         // attempt id of each history entry
	roles    []policy.Role    // role of each history entry's party
	window   time.Duration
	keepLast int
	keepAll  bool
}

// maxCachedDebtors bounds the gate's memory; past it the cache starts afresh.
const maxCachedDebtors = 50_000

// Decide asks the gate whether a contact is lawful and records the attempt with its
// decision in the same transaction, whether allowed or denied. Attempts for one
// debtor are decided one at a time against everything recorded before them.
func (s *Service) Decide(ctx context.Context, p Principal, in AttemptInput) (*Attempt, error) {
	if err := need(p, ActWork); err != nil {
		return nil, err
	}
	channel, err := policy.ParseChannel(in.Channel)
	if err != nil {
		return nil, invalid("channel", err.Error(), "未知的渠道")
	}
	if in.Purpose == "" {
		in.Purpose = "collect"
	}
	purpose, err := policy.ParsePurpose(in.Purpose)
	if err != nil {
		return nil, invalid("purpose", err.Error(), "未知的目的")
	}
	if in.Collectors == 0 {
		in.Collectors = 1
	}
	if in.Collectors < 0 || in.Collectors > 20 {
		return nil, invalid("collectors", "must be between 1 and 20", "须在 1 至 20 之间")
	}
	if err := checkText("message", in.Message, false, 16<<10); err != nil {
		return nil, err
	}
	if err := checkText("idempotency_key", in.IdempotencyKey, false, 128); err != nil {
		return nil, err
	}
	if in.CaseID == "" {
		return nil, invalid("case_id", "required", "必填")
	}
	if in.PartyID == "" {
		return nil, invalid("party_id", "required", "必填")
	}
	registered := in.CallerIDRegistered == nil || *in.CallerIDRegistered
	s.inFlight.add(in.CaseID)
	defer s.inFlight.remove(in.CaseID)
	var out *Attempt
	// Everything before the audit leaf's INSERT only reads, so no savepoint is
	// needed; a failure after it takes the batch down.
	// The attempt's row and its leaf may wait for the end of the batch
	// (store.InsertLater): what reads attempts or leaves flushes them first.
	err = s.db.UpdateSingleDeferred(ctx, func(tx *sql.Tx) error {
		// Once begun, the function runs to its end: see store.DB.Exec.
		ctx := context.WithoutCancel(ctx)
		c, err := s.caseInfo(ctx, tx, in.CaseID)
		if err != nil {
			return err
		}
		if !p.seesCase(c.agencyID, c.collectorID) {
			return notFoundIf(true, "case_id", "case", in.CaseID)
		}
		if in.IdempotencyKey != "" {
			if err := s.db.Flush(ctx, tx); err != nil {
				return err
			}
			// Keys are unique per agency: a retry gets the first decision back.
			var id string
			err := tx.QueryRowContext(ctx, "SELECT id FROM attempts WHERE agency_id = $1 AND idempotency_key = $2", c.agencyID, in.IdempotencyKey).Scan(&id)
			if err == nil {
				out, err = s.attempt(ctx, tx, id)
				return err
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		if c.status != CaseOpen {
			return &Error{Kind: Conflict, Field: "case_id", EN: "the case is " + c.status + "; only open cases may be worked",
				ZH: "案件状态为 " + c.status + "，只有进行中的案件可以催收"}
		}
		now := s.now()
		st, err := s.debtorState(ctx, tx, c.borrowerID, now)
		if err != nil {
			return err
		}
		role := st.role(in.PartyID)
		if role == 0 {
			return notFoundIf(true, "party_id", "party", in.PartyID)
		}
		if purpose == policy.Remind {
			if err := s.checkReminder(ctx, tx, in.CaseID, role, now.In(st.debtor.Location)); err != nil {
				return err
			}
		}
		var method any
		if in.ContactMethodID != "" {
			if err := s.checkMethod(ctx, tx, in.ContactMethodID, in.PartyID, channel); err != nil {
				return err
			}
			method = in.ContactMethodID
		}
		a := policy.Attempt{Party: in.PartyID, Channel: channel, At: now, Purpose: purpose, Message: in.Message,
			Collectors: in.Collectors, CallerIDRegistered: registered}
		d := st.evaluate(&a)
		doc, err := json.Marshal(d)
		if err != nil {
			return err
		}
		var key any
		if in.IdempotencyKey != "" {
			key = in.IdempotencyKey
		}
		id := s.attemptID(now)
		// The decision's leaf first, so that the attempt's row can name it.
		leaf, err := s.audit.Append(ctx, tx, decisionEvent(p, in, id, c, role, now, st.pack.Name, d, s.keys))
		if err != nil {
			return err
		}
		// The leaf is written: from here a failure must take the whole batch down.
		if err := s.db.InsertLater(ctx, tx, attemptInsert, id, in.CaseID, c.borrowerID, c.agencyID, in.PartyID, role.String(), method, in.Channel,
			in.Purpose, ms(now), st.pack.Name, d.Allowed, string(doc), in.Message, in.Collectors, registered, key, leaf, actor(p)); err != nil {
			return store.AbortBatch(err)
		}
		if d.Allowed {
			st.add(id, role, policy.Contact{At: now, Party: in.PartyID, Channel: channel}, now)
			s.db.Touch(keyDebtor + c.borrowerID) // other processes' gates must count it
		}
		out = &Attempt{ID: id, CaseID: in.CaseID, BorrowerID: c.borrowerID, AgencyID: c.agencyID, PartyID: in.PartyID,
			PartyRole: role.String(), ContactMethodID: in.ContactMethodID, Channel: in.Channel, Purpose: in.Purpose,
			At: fromMS(ms(now)), Pack: st.pack.Name, Allowed: d.Allowed, Decision: d, Result: policy.Pending.String(),
			IdempotencyKey: in.IdempotencyKey, Actor: actor(p)}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// attemptID returns a new attempt id that sorts after every earlier one made by this
// service: the time in milliseconds, a counter, then randomness. It runs on the
// writer goroutine only.
func (s *Service) attemptID(now time.Time) string {
	s.attemptSeq++
	var b [12]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now.UnixMilli())<<16|uint64(s.attemptSeq))
	if _, err := rand.Read(b[8:]); err != nil {
		panic("collection: no randomness: " + err.Error())
	}
	return "att_" + idEncoding.EncodeToString(b[:])
}

var methodChannels = map[string][]policy.Channel{
	"phone": {policy.Call, policy.SMS, policy.IM},
	"email": {policy.Email},
	"im":    {policy.IM},
}

func (s *Service) checkMethod(ctx context.Context, tx *sql.Tx, id, partyID string, ch policy.Channel) error {
	var owner, kind string
	err := tx.QueryRowContext(ctx, "SELECT party_id, kind FROM contact_methods WHERE id = $1", id).Scan(&owner, &kind)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && owner != partyID) {
		return notFoundIf(true, "contact_method_id", "contact method", id)
	}
	if err != nil {
		return err
	}
	if !slices.Contains(methodChannels[kind], ch) {
		return invalid("contact_method_id", fmt.Sprintf("a %s contact method cannot be used for channel %s", kind, ch),
			fmt.Sprintf("%s 类联系方式不能用于 %s 渠道", kind, ch))
	}
	return nil
}

// Outcome records what happened on an allowed attempt. Later decisions count it:
// a connected call starts the post-conversation wait, an invalid number makes the
// debtor unreachable.
func (s *Service) Outcome(ctx context.Context, p Principal, attemptID, result string) (*Attempt, error) {
	if err := need(p, ActWork); err != nil {
		return nil, err
	}
	r, err := policy.ParseResult(result)
	if err != nil || r == policy.Pending {
		return nil, invalid("result", fmt.Sprintf("%q is not an outcome (want connected, no_answer, busy, voicemail, invalid_number, failed, delivered or replied)", result),
			"不是有效的结果")
	}
	var out *Attempt
	// Reads, then the audit leaf's INSERT and one UPDATE: no savepoint needed, as
	// a failure after the INSERT takes the batch down. The leaf may wait for the
	// end of the batch.
	err = s.db.UpdateSingleDeferred(ctx, func(tx *sql.Tx) error {
		ctx := context.WithoutCancel(ctx) // see store.DB.Exec
		// The attempt may be a row left for the end of the batch.
		if err := s.db.Flush(ctx, tx); err != nil {
			return err
		}
		a, err := s.attemptTx(ctx, tx, attemptID)
		if err != nil {
			return err
		}
		if !p.sees(a.AgencyID) {
			return notFound("attempt", attemptID)
		}
		if p.collectorScope() != "" {
			c, err := s.caseInfo(ctx, tx, a.CaseID)
			if err != nil || !p.seesCase(c.agencyID, c.collectorID) {
				return notFound("attempt", attemptID)
			}
		}
		if !a.Allowed {
			return conflict("the attempt was denied, so it was not made and has no outcome", "该联系已被拒绝，未实际发生，不能记录结果")
		}
		if a.Result != policy.Pending.String() {
			if a.Result == result {
				out = a
				return nil
			}
			return conflict(fmt.Sprintf("the outcome is already recorded as %s", a.Result), fmt.Sprintf("结果已记录为 %s", a.Result))
		}
		now := fromMS(ms(s.now()))
		leaf, err := s.audit.Append(ctx, tx, audit.Event{Type: audit.TypeOutcome, At: now, Actor: actor(p),
			Subject: map[string]string{"attempt": attemptID, "case": a.CaseID, "borrower": a.BorrowerID, "agency": a.AgencyID},
			Facts:   map[string]any{"result": result}})
		if err != nil {
			return err
		}
		// The leaf is written: from here a failure must take the whole batch down.
		if _, err := s.db.Exec(ctx, tx, updateOutcome, result, ms(now), leaf, attemptID); err != nil {
			return store.AbortBatch(err)
		}
		if st := s.debtors[a.BorrowerID]; st != nil {
			st.setResult(attemptID, r)
		}
		s.db.Touch(keyDebtor + a.BorrowerID)
		a.Result, a.ResultAt = result, &now
		out = a
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

const attemptColumns = `id, case_id, borrower_id, agency_id, party_id, party_role, contact_method_id, channel, purpose, at,
	pack, allowed, decision, result, result_at, idempotency_key, actor`

func scanAttempt(r interface{ Scan(...any) error }) (Attempt, error) {
	var a Attempt
	var method, result, key sql.NullString
	var resultAt sql.NullInt64
	var at int64
	var doc string
	if err := r.Scan(&a.ID, &a.CaseID, &a.BorrowerID, &a.AgencyID, &a.PartyID, &a.PartyRole, &method, &a.Channel, &a.Purpose, &at,
		&a.Pack, &a.Allowed, &doc, &result, &resultAt, &key, &a.Actor); err != nil {
		return a, err
	}
	a.ContactMethodID, a.IdempotencyKey = method.String, key.String
	a.At, a.ResultAt = fromMS(at), fromNullMS(resultAt)
	a.Result = policy.Pending.String()
	if result.Valid {
		a.Result = result.String
	}
	return a, json.Unmarshal([]byte(doc), &a.Decision)
}

// attemptInsert records an attempt; on PostgreSQL a batch's attempts are
// written together when it commits (store.InsertLater).
var attemptInsert = store.NewInsert("attempts", "id text", "case_id text", "borrower_id text", "agency_id text", "party_id text",
	"party_role text", "contact_method_id text", "channel text", "purpose text", "at bigint", "pack text", "allowed boolean",
	"decision text", "message text", "collectors integer", "caller_id_registered boolean", "idempotency_key text",
	"decision_leaf bigint", "actor text")

// The gate's hot statements, prepared once on the writer connection.
const (
	updateOutcome = "UPDATE attempts SET result = $1, result_at = $2, outcome_leaf = $3 WHERE id = $4"
	selectAttempt = "SELECT " + attemptColumns + " FROM attempts WHERE id = $1"
)

func (s *Service) attempt(ctx context.Context, q querier, id string) (*Attempt, error) {
	return attemptRow(id, q.QueryRowContext(ctx, selectAttempt, id))
}

// attemptTx reads an attempt inside a write, with the prepared statement.
func (s *Service) attemptTx(ctx context.Context, tx *sql.Tx, id string) (*Attempt, error) {
	return attemptRow(id, s.db.QueryRow(ctx, tx, selectAttempt, id))
}

func attemptRow(id string, row *sql.Row) (*Attempt, error) {
	a, err := scanAttempt(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("attempt", id)
	}
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// Attempt returns one attempt; an agency sees only its own.
func (s *Service) Attempt(ctx context.Context, p Principal, id string) (*Attempt, error) {
	a, err := s.attempt(ctx, s.db.R, id)
	if err != nil {
		return nil, err
	}
	if !p.sees(a.AgencyID) {
		return nil, notFound("attempt", id)
	}
	if p.collectorScope() != "" {
		if _, err := s.Case(ctx, p, a.CaseID); err != nil {
			return nil, notFound("attempt", id)
		}
	}
	return a, nil
}

// CaseAttempts lists a case's attempts, newest first, allowed and denied.
func (s *Service) CaseAttempts(ctx context.Context, p Principal, caseID string, limit int) ([]Attempt, error) {
	c, err := s.Case(ctx, p, caseID)
	if err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	return collect(ctx, s.db.R, func(r *sql.Rows) (Attempt, error) { return scanAttempt(r) },
		"SELECT "+attemptColumns+" FROM attempts WHERE borrower_id = $1 AND case_id = $2 ORDER BY at DESC, id DESC LIMIT $3",
		c.BorrowerID, caseID, limit)
}

// caseInfo returns the case's borrower, agency and status, cached.
func (s *Service) caseInfo(ctx context.Context, tx *sql.Tx, id string) (caseInfo, error) {
	if c, ok := s.cases[id]; ok {
		return c, nil
	}
	if err := s.prefetch(ctx, tx, s.now()); err != nil {
		return caseInfo{}, err
	}
	if c, ok := s.cases[id]; ok {
		return c, nil
	}
	var c caseInfo
	err := tx.QueryRowContext(ctx, "SELECT borrower_id, agency_id, COALESCE(collector_id, ''), status FROM cases WHERE id = $1", id).
		Scan(&c.borrowerID, &c.agencyID, &c.collectorID, &c.status)
	if errors.Is(err, sql.ErrNoRows) {
		return c, notFoundIf(true, "case_id", "case", id)
	}
	if err != nil {
		return c, err
	}
	if len(s.cases) >= maxCachedDebtors {
		clear(s.cases)
	}
	s.cases[id] = c
	return c, nil
}

// debtorState returns the debtor's cached state, loading it inside tx when absent.
func (s *Service) debtorState(ctx context.Context, tx *sql.Tx, borrowerID string, now time.Time) (*debtorState, error) {
	if st, ok := s.debtors[borrowerID]; ok {
		return st, nil
	}
	if err := s.prefetch(ctx, tx, now); err != nil {
		return nil, err
	}
	if st, ok := s.debtors[borrowerID]; ok {
		return st, nil
	}
	s.debtorLoads++
	// The debtor's attempts may be rows left for the end of the batch.
	if err := s.db.Flush(ctx, tx); err != nil {
		return nil, err
	}
	var tz, packName, inconvenient string
	if err := tx.QueryRowContext(ctx, "SELECT timezone, pack, inconvenient FROM borrowers WHERE id = $1", borrowerID).
		Scan(&tz, &packName, &inconvenient); err != nil {
		return nil, fmt.Errorf("borrower %s: %w", borrowerID, err)
	}
	st, err := s.newDebtorState(borrowerID, tz, packName, inconvenient)
	if err != nil {
		return nil, err
	}

	holds, err := collect(ctx, tx, func(r *sql.Rows) (string, error) {
		var h string
		return h, r.Scan(&h)
	}, "SELECT hold FROM holds WHERE borrower_id = $1", borrowerID)
	if err != nil {
		return nil, err
	}
	for _, name := range holds {
		if h, err := policy.ParseHold(name); err == nil {
			st.debtor.Holds = st.debtor.Holds.With(h)
		}
	}
	st.parties, err = collect(ctx, tx, func(r *sql.Rows) (policy.Party, error) {
		var pt policy.Party
		var role string
		err := r.Scan(&pt.ID, &role, &pt.Relation, &pt.Consent, &pt.Objected)
		if err == nil {
			pt.Role, err = policy.ParseRole(role)
		}
		return pt, err
	}, `SELECT p.id, p.role, p.relation, p.consent_at IS NOT NULL AND p.consent_revoked_at IS NULL,
		p.objected_at IS NOT NULL OR (p.role <> 'debtor' AND `+suppressedParty+`)
		FROM parties p WHERE p.borrower_id = $1 ORDER BY p.id`, borrowerID)
	if err != nil {
		return nil, err
	}
	st.optouts, err = collect(ctx, tx, func(r *sql.Rows) (policy.OptOut, error) {
		var o policy.OptOut
		var ch string
		err := r.Scan(&o.Party, &ch)
		if err == nil {
			o.Channel, err = policy.ParseChannel(ch)
		}
		return o, err
	}, "SELECT o.party_id, o.channel FROM optouts o JOIN parties p ON p.id = o.party_id WHERE p.borrower_id = $1", borrowerID)
	if err != nil {
		return nil, err
	}
	if err := st.loadHistory(ctx, tx, borrowerID, now); err != nil {
		return nil, err
	}
	if len(s.debtors) >= maxCachedDebtors {
		clear(s.debtors)
	}
	s.debtors[borrowerID] = st
	return st, nil
}

// inFlight counts the decisions being made (Decide) by case.
type inFlight struct {
	mu    sync.Mutex
	cases map[string]int
}

func (f *inFlight) add(caseID string) {
	f.mu.Lock()
	if f.cases == nil {
		f.cases = map[string]int{}
	}
	f.cases[caseID]++
	f.mu.Unlock()
}

func (f *inFlight) remove(caseID string) {
	f.mu.Lock()
	if f.cases[caseID]--; f.cases[caseID] <= 0 {
		delete(f.cases, caseID)
	}
	f.mu.Unlock()
}

// ids returns the cases of the decisions being made, up to max.
func (f *inFlight) ids(max int) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]string, 0, min(len(f.cases), max))
	for id := range f.cases {
		if len(out) == max {
			break
		}
		out = append(out, id)
	}
	return out
}

// prefetchMax bounds the cases prefetch loads at once.
const prefetchMax = inListMax

// prefetch loads into the gate's caches, in tx, the facts of the cases of the
// decisions being made that are not cached, and the states of their debtors
// (of the open ones), with the handful of queries the worklist's preview reads
// them with (previewCases, previewStates: the same facts and states, checked by
// TestPreviewStatesMatchDebtorState) instead of seven queries a decision. It
// runs when a decision finds what it needs not cached: after a start, or when
// other processes wrote, many decisions queued together usually need loading,
// and on PostgreSQL every query is a round trip made while all writers wait.
// The caches stay true as for any load: this process's writes keep them
// current, other processes' writes and failed batches drop what they touch.
func (s *Service) prefetch(ctx context.Context, tx *sql.Tx, now time.Time) error {
	ids := s.inFlight.ids(prefetchMax)
	if len(ids) < 2 {
		return nil // the decision's own loads do
	}
	// The debtors' attempts may be rows left for the end of the batch.
	if err := s.db.Flush(ctx, tx); err != nil {
		return err
	}
	infos, err := s.previewCases(ctx, tx, ids)
	if err != nil {
		return err
	}
	var borrowers []string
	for id, c := range infos {
		if _, ok := s.cases[id]; !ok {
			if len(s.cases) >= maxCachedDebtors {
				clear(s.cases)
			}
			s.cases[id] = c
		}
		if _, ok := s.debtors[c.borrowerID]; !ok && c.status == CaseOpen {
			borrowers = append(borrowers, c.borrowerID)
		}
	}
	if len(borrowers) == 0 {
		return nil
	}
	states, err := s.previewStates(ctx, tx, borrowers, now)
	if err != nil {
		return err
	}
	for id, st := range states {
		if _, ok := s.debtors[id]; !ok {
			if len(s.debtors) >= maxCachedDebtors {
				clear(s.debtors)
			}
			s.debtors[id] = st
		}
	}
	return nil
}

type historyRow struct {
	id      string
	role    policy.Role
	contact policy.Contact
}

// loadHistory loads the allowed attempts the pack's rules can see.
func (st *debtorState) loadHistory(ctx context.Context, tx *sql.Tx, borrowerID string, now time.Time) error {
	scan := func(r *sql.Rows) (historyRow, error) {
		var h historyRow
		var role, ch string
		var result sql.NullString
		var at int64
		err := r.Scan(&h.id, &at, &h.contact.Party, &role, &ch, &result)
		if err != nil {
			return h, err
		}
		h.contact.At = time.UnixMilli(at)
		if h.role, err = policy.ParseRole(role); err != nil {
			return h, err
		}
		if h.contact.Channel, err = policy.ParseChannel(ch); err != nil {
			return h, err
		}
		if result.Valid {
			h.contact.Result, err = policy.ParseResult(result.String)
		}
		return h, err
	}
	const cols = "SELECT id, at, party_id, party_role, channel, result FROM attempts WHERE borrower_id = $1 AND allowed"
	since := ms(now.Add(-st.window))
	recent, err := collect(ctx, tx, scan, cols+" AND (at >= $2 OR ($3 AND party_role <> 'debtor')) ORDER BY at, id", borrowerID, since, st.keepAll)
	if err != nil {
		return err
	}
	older, err := collect(ctx, tx, scan, cols+" AND at < $2 AND party_role = 'debtor' ORDER BY at DESC, id DESC LIMIT $3",
		borrowerID, since, st.keepLast)
	if err != nil {
		return err
	}
	st.setHistory(older, recent)
	return nil
}

// evaluate asks the debtor's pack about attempt a against the state.
func (st *debtorState) evaluate(a *policy.Attempt) policy.Decision {
	return policy.Evaluate(st.pack, &policy.Snapshot{Debtor: st.debtor, Parties: st.parties, OptOuts: st.optouts, History: st.history}, a)
}

func (st *debtorState) role(partyID string) policy.Role {
	for i := range st.parties {
		if st.parties[i].ID == partyID {
			return st.parties[i].Role
		}
	}
	return 0
}

// add appends an allowed attempt and, once the history has grown, forgets what the
// rules can no longer see.
func (st *debtorState) add(id string, role policy.Role, c policy.Contact, now time.Time) {
	st.history = append(st.history, c)
	st.ids = append(st.ids, id)
	st.roles = append(st.roles, role)
	if len(st.history) > 256 {
		st.trim(now)
	}
}

func (st *debtorState) trim(now time.Time) {
	since := now.Add(-st.window)
	debtorSeen := 0
	keep := make([]bool, len(st.history))
	for i := len(st.history) - 1; i >= 0; i-- {
		isDebtor := st.roles[i] == policy.Debtor
		switch {
		case !st.history[i].At.Before(since):
			keep[i] = true
		case isDebtor && debtorSeen < st.keepLast:
			keep[i] = true
		case !isDebtor && st.keepAll:
			keep[i] = true
		}
		if isDebtor {
			debtorSeen++
		}
	}
	n := 0
	for i := range st.history {
		if keep[i] {
			st.history[n], st.ids[n], st.roles[n] = st.history[i], st.ids[i], st.roles[i]
			n++
		}
	}
	st.history, st.ids, st.roles = st.history[:n], st.ids[:n], st.roles[:n]
}

func (st *debtorState) setResult(id string, r policy.Result) {
	for i := len(st.ids) - 1; i >= 0; i-- {
		if st.ids[i] == id {
			st.history[i].Result = r
			return
		}
	}
}

// decisionEvent is the audit record of a decision: ids, the decision and its
// reasons, and a keyed hash of the message, never its text.
func decisionEvent(p Principal, in AttemptInput, id string, c caseInfo, role policy.Role, now time.Time, pack string,
	d policy.Decision, keys *secret.Keys) audit.Event {
	rules := make([]string, len(d.Violations))
	for i, v := range d.Violations {
		rules[i] = v.Rule
	}
	e := audit.Event{Type: audit.TypeDecision, At: now, Actor: actor(p),
		Subject: map[string]string{"attempt": id, "case": in.CaseID, "borrower": c.borrowerID, "agency": c.agencyID, "party": in.PartyID},
		Digests: map[string]string{},
		Facts: map[string]any{"allowed": d.Allowed, "channel": in.Channel, "purpose": in.Purpose, "role": role.String(),
			"pack": pack, "rules": rules}}
	if in.ContactMethodID != "" {
		e.Subject["contact_method"] = in.ContactMethodID
	}
	if in.Message != "" {
		e.Digests["message"] = keys.Hash("audit.message", in.Message)
	}
	if !d.NextAllowedAt.IsZero() {
		e.Facts["next_allowed_at"] = d.NextAllowedAt.UTC().Format(time.RFC3339)
	}
	return e
}

// actor names who caused an event in the audit log: the credential's name.
func actor(p Principal) string {
	if p.Name == "" {
		return "system"
	}
	return p.Name
}

// record appends e to the audit log in tx. A caller that has already written
// without a savepoint must pass a failure on as store.AbortBatch.
func (s *Service) record(ctx context.Context, tx *sql.Tx, e audit.Event) error {
	_, err := s.audit.Append(ctx, tx, e)
	return err
}
