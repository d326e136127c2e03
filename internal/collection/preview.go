package collection

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fairdebt/fairdebt/internal/policy"
	"github.com/fairdebt/fairdebt/internal/store"
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
// gate decides on, all in one turn; what the gate has not cached is read for all
// the cases at once (previewStates).
func (s *Service) PreviewCalls(ctx context.Context, p Principal, caseIDs []string) (map[string]CallPreview, error) {
	out := make(map[string]CallPreview, len(caseIDs))
	if len(caseIDs) == 0 {
		return out, nil
	}
	// Nothing is written, so no savepoint is needed.
	err := s.db.UpdateSingle(ctx, func(tx *sql.Tx) error {
		ctx := context.WithoutCancel(ctx) // see store.DB.Exec
		now := s.now()
		cases, err := s.previewCases(ctx, tx, caseIDs)
		if err != nil {
			return err
		}
		var borrowers []string
		for _, id := range caseIDs {
			if c, ok := cases[id]; ok && p.seesCase(c.agencyID, c.collectorID) && c.status == CaseOpen {
				borrowers = append(borrowers, c.borrowerID)
			}
		}
		states, err := s.previewStates(ctx, tx, borrowers, now)
		if err != nil {
			return err
		}
		for _, id := range caseIDs {
			c, ok := cases[id]
			if !ok || !p.seesCase(c.agencyID, c.collectorID) || c.status != CaseOpen {
				continue
			}
			st := states[c.borrowerID]
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

// inListMax bounds the ids of one IN list, well within both databases'
// limits on a statement's parameters (SQLite 32766, PostgreSQL 65535).
const inListMax = 500

// inBatches calls f with ids, inListMax at a time, as query arguments.
func inBatches(ids []string, f func(batch []any) error) error {
	for len(ids) > 0 {
		n := min(len(ids), inListMax)
		batch := make([]any, n)
		for i, id := range ids[:n] {
			batch[i] = id
		}
		if err := f(batch); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

// previewCases returns what caseInfo would of each case that exists: the
// cached facts, and the others read in one query.
func (s *Service) previewCases(ctx context.Context, tx *sql.Tx, ids []string) (map[string]caseInfo, error) {
	out := make(map[string]caseInfo, len(ids))
	var missing []string
	for _, id := range ids {
		if c, ok := s.cases[id]; ok {
			out[id] = c
		} else {
			missing = append(missing, id)
		}
	}
	err := inBatches(missing, func(batch []any) error {
		return eachRow(ctx, tx, func(r *sql.Rows) error {
			var id string
			var c caseInfo
			if err := r.Scan(&id, &c.borrowerID, &c.agencyID, &c.collectorID, &c.status); err != nil {
				return err
			}
			out[id] = c
			return nil
		}, "SELECT id, borrower_id, agency_id, COALESCE(collector_id, ''), status FROM cases WHERE id IN ("+
			store.Placeholders(1, len(batch))+")", batch...)
	})
	return out, err
}

// previewStates returns the gate's state of each debtor in ids: the cached one,
// or else the one debtorState would load, read for all of them together in a
// handful of queries where debtorState takes seven a debtor. What it reads is not
// cached: only the gate's own loading feeds the gate's decisions.
func (s *Service) previewStates(ctx context.Context, tx *sql.Tx, ids []string, now time.Time) (map[string]*debtorState, error) {
	out := make(map[string]*debtorState, len(ids))
	var missing []string
	for _, id := range ids {
		if _, ok := out[id]; ok {
			continue
		}
		if st, ok := s.debtors[id]; ok {
			out[id] = st
			continue
		}
		out[id] = nil
		missing = append(missing, id)
	}
	if len(missing) == 0 {
		return out, nil
	}
	in := func(batch []any) string { return "IN (" + store.Placeholders(1, len(batch)) + ")" }
	after := func(batch []any, k int) string { return "$" + strconv.Itoa(len(batch)+k) }
	err := inBatches(missing, func(batch []any) error {
		err := eachRow(ctx, tx, func(r *sql.Rows) error {
			var id, tz, packName, inconvenient string
			if err := r.Scan(&id, &tz, &packName, &inconvenient); err != nil {
				return err
			}
			st, err := s.newDebtorState(id, tz, packName, inconvenient)
			if err != nil {
				return err
			}
			st.parties, st.optouts = []policy.Party{}, []policy.OptOut{} // as debtorState's lists, when empty
			out[id] = st
			return nil
		}, "SELECT id, timezone, pack, inconvenient FROM borrowers WHERE id "+in(batch), batch...)
		if err != nil {
			return err
		}
		for _, id := range batch {
			if out[id.(string)] == nil {
				return fmt.Errorf("borrower %s: %w", id, sql.ErrNoRows)
			}
		}
		err = eachRow(ctx, tx, func(r *sql.Rows) error {
			var id, name string
			if err := r.Scan(&id, &name); err != nil {
				return err
			}
			if h, err := policy.ParseHold(name); err == nil {
				out[id].debtor.Holds = out[id].debtor.Holds.With(h)
			}
			return nil
		}, "SELECT borrower_id, hold FROM holds WHERE borrower_id "+in(batch), batch...)
		if err != nil {
			return err
		}
		err = eachRow(ctx, tx, func(r *sql.Rows) error {
			var id, role string
			var pt policy.Party
			if err := r.Scan(&id, &pt.ID, &role, &pt.Relation, &pt.Consent, &pt.Objected); err != nil {
				return err
			}
			var err error
			pt.Role, err = policy.ParseRole(role)
			out[id].parties = append(out[id].parties, pt)
			return err
		}, `SELECT p.borrower_id, p.id, p.role, p.relation, p.consent_at IS NOT NULL AND p.consent_revoked_at IS NULL,
			p.objected_at IS NOT NULL OR (p.role <> 'debtor' AND `+suppressedParty+`)
			FROM parties p WHERE p.borrower_id `+in(batch)+` ORDER BY p.borrower_id, p.id`, batch...)
		if err != nil {
			return err
		}
		err = eachRow(ctx, tx, func(r *sql.Rows) error {
			var id, ch string
			var o policy.OptOut
			if err := r.Scan(&id, &o.Party, &ch); err != nil {
				return err
			}
			var err error
			o.Channel, err = policy.ParseChannel(ch)
			out[id].optouts = append(out[id].optouts, o)
			return err
		}, "SELECT p.borrower_id, o.party_id, o.channel FROM optouts o JOIN parties p ON p.id = o.party_id WHERE p.borrower_id "+in(batch),
			batch...)
		if err != nil {
			return err
		}
		// The history, as loadHistory reads it: each pack sees its own window.
		type needs struct {
			window   time.Duration
			keepLast int
			keepAll  bool
		}
		groups := map[needs][]any{}
		for _, id := range batch {
			st := out[id.(string)]
			n := needs{st.window, st.keepLast, st.keepAll}
			groups[n] = append(groups[n], id)
		}
		for n, ids := range groups {
			recent, older := map[string][]historyRow{}, map[string][]historyRow{}
			const cols = "borrower_id, id, at, party_id, party_role, channel, result"
			since := ms(now.Add(-n.window))
			err := eachRow(ctx, tx, scanHistoryInto(recent), "SELECT "+cols+" FROM attempts WHERE borrower_id "+in(ids)+
				" AND allowed AND (at >= "+after(ids, 1)+" OR ("+after(ids, 2)+" AND party_role <> 'debtor')) ORDER BY borrower_id, at, id",
				append(slices.Clip(ids), since, n.keepAll)...)
			if err != nil {
				return err
			}
			err = eachRow(ctx, tx, scanHistoryInto(older), "SELECT "+cols+" FROM (SELECT "+cols+
				", ROW_NUMBER() OVER (PARTITION BY borrower_id ORDER BY at DESC, id DESC) AS n FROM attempts WHERE borrower_id "+in(ids)+
				" AND allowed AND at < "+after(ids, 1)+" AND party_role = 'debtor') o WHERE n <= "+after(ids, 2)+
				" ORDER BY borrower_id, at DESC, id DESC", append(slices.Clip(ids), since, n.keepLast)...)
			if err != nil {
				return err
			}
			for _, id := range ids {
				out[id.(string)].setHistory(older[id.(string)], recent[id.(string)])
			}
		}
		return nil
	})
	return out, err
}

// newDebtorState is a debtor's state before its holds, parties, opt-outs and
// history are added: what the borrower's row says.
func (s *Service) newDebtorState(borrowerID, tz, packName, inconvenient string) (*debtorState, error) {
	st := &debtorState{}
	if inconvenient != "" {
		for _, w := range strings.Split(inconvenient, ",") {
			tw, err := policy.ParseTimeWindow(w)
			if err != nil {
				return nil, fmt.Errorf("borrower %s: %w", borrowerID, err)
			}
			st.debtor.Inconvenient = append(st.debtor.Inconvenient, tw)
		}
	}
	var err error
	if st.pack, err = s.packs.Get(packName); err != nil {
		return nil, err
	}
	if st.debtor.Location, err = policy.LoadLocation(tz); err != nil {
		return nil, err
	}
	st.debtor.ID = borrowerID
	st.window, st.keepLast, st.keepAll = st.pack.HistoryNeeds()
	return st, nil
}

// scanHistoryInto reads rows of borrower_id and a history row into rows, by
// borrower.
func scanHistoryInto(rows map[string][]historyRow) func(*sql.Rows) error {
	return func(r *sql.Rows) error {
		var id string
		var h historyRow
		var role, ch string
		var result sql.NullString
		var at int64
		if err := r.Scan(&id, &h.id, &at, &h.contact.Party, &role, &ch, &result); err != nil {
			return err
		}
		h.contact.At = time.UnixMilli(at)
		var err error
		if h.role, err = policy.ParseRole(role); err != nil {
			return err
		}
		if h.contact.Channel, err = policy.ParseChannel(ch); err != nil {
			return err
		}
		if result.Valid {
			if h.contact.Result, err = policy.ParseResult(result.String); err != nil {
				return err
			}
		}
		rows[id] = append(rows[id], h)
		return nil
	}
}

// setHistory sets the history from the debtor's last attempts before the window
// (newest first) and those the window holds (oldest first), as loadHistory does.
func (st *debtorState) setHistory(older, recent []historyRow) {
	slices.Reverse(older)
	rows := append(older, recent...)
	slices.SortStableFunc(rows, func(a, b historyRow) int { return a.contact.At.Compare(b.contact.At) })
	for _, h := range rows {
		st.history = append(st.history, h.contact)
		st.ids = append(st.ids, h.id)
		st.roles = append(st.roles, h.role)
	}
}
