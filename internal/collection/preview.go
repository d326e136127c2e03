package collection

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
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
// are left out. A debtor whose state the gate has cached is decided on the
// writer, against that state; the others are read from the readers' snapshots
// (readStates: a handful of queries for all of them), in as many parts at once
// as there are CPUs, so that a worklist of hundreds of cases neither holds the
// gate's writes up while it reads nor waits for them. A preview is advice: the
// gate decides each call when it is made.
func (s *Service) PreviewCalls(ctx context.Context, p Principal, caseIDs []string) (map[string]CallPreview, error) {
	out := make(map[string]CallPreview, len(caseIDs))
	if len(caseIDs) == 0 {
		return out, nil
	}
	now := s.now()
	visible := func(c caseInfo) bool { return p.seesCase(c.agencyID, c.collectorID) && c.status == CaseOpen }
	var uncached []string            // cases the gate has not cached
	pending := map[string]caseInfo{} // cases whose debtor's state it has not cached
	// Nothing is written, so no savepoint is needed.
	err := s.db.UpdateSingle(ctx, func(*sql.Tx) error {
		clear(out) // a function may run twice (see store.DB.UpdateSingle)
		clear(pending)
		uncached = uncached[:0]
		for _, id := range caseIDs {
			c, ok := s.cases[id]
			switch {
			case !ok:
				uncached = append(uncached, id)
			case !visible(c):
			case s.debtors[c.borrowerID] != nil:
				if pv, ok := previewCall(s.debtors[c.borrowerID], now); ok {
					out[id] = pv
				}
			default:
				pending[id] = c
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(uncached) > 0 {
		infos := map[string]caseInfo{}
		if err := s.readSnapshot(ctx, func(tx *sql.Tx) error { return readCases(ctx, tx, uncached, infos) }); err != nil {
			return nil, err
		}
		for id, c := range infos {
			if visible(c) {
				pending[id] = c
			}
		}
	}
	var borrowers []string
	for _, c := range pending {
		borrowers = append(borrowers, c.borrowerID)
	}
	slices.Sort(borrowers)
	borrowers = slices.Compact(borrowers)
	states := make(map[string]*debtorState, len(borrowers))
	parts := min(runtime.GOMAXPROCS(0), (len(borrowers)+previewPart-1)/previewPart)
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make([]error, parts)
	for k := range parts {
		part := borrowers[k*len(borrowers)/parts : (k+1)*len(borrowers)/parts]
		wg.Add(1)
		go func() {
			defer wg.Done()
			read := make(map[string]*debtorState, len(part))
			errs[k] = s.readSnapshot(ctx, func(tx *sql.Tx) error { return s.readStates(ctx, tx, part, now, read) })
			mu.Lock()
			maps.Copy(states, read)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for id, c := range pending {
		if st := states[c.borrowerID]; st != nil {
			if pv, ok := previewCall(st, now); ok {
				out[id] = pv
			}
		}
	}
	return out, nil
}

// previewPart is the fewest debtors worth reading in a part of their own.
const previewPart = 100

// previewCall is what the gate, with the debtor's state st, says now to a
// collection call to the debtor; false if the debtor has no debtor party.
func previewCall(st *debtorState, now time.Time) (CallPreview, bool) {
	debtor := ""
	for _, pt := range st.parties {
		if pt.Role == policy.Debtor {
			debtor = pt.ID
		}
	}
	if debtor == "" {
		return CallPreview{}, false
	}
	a := policy.Attempt{Party: debtor, Channel: policy.Call, At: now, Purpose: policy.Collect, Collectors: 1, CallerIDRegistered: true}
	d := st.evaluate(&a)
	return CallPreview{Allowed: d.Allowed, NextAllowedAt: d.NextAllowedAt, Decision: d}, true
}

// readSnapshot runs f in a read-only transaction on the readers: what f reads
// is one snapshot of the database (on PostgreSQL, one per statement).
func (s *Service) readSnapshot(ctx context.Context, f func(*sql.Tx) error) error {
	tx, err := s.db.R.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	return f(tx)
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
	return out, readCases(ctx, tx, missing, out)
}

// readCases reads into out what caseInfo would of each case in ids that
// exists, in one query (per inListMax), caches aside.
func readCases(ctx context.Context, tx *sql.Tx, ids []string, out map[string]caseInfo) error {
	return inBatches(ids, func(batch []any) error {
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
}

// previewStates returns the gate's state of each debtor in ids: the cached one,
// or else the one debtorState would load, read for all of them together in a
// handful of queries where debtorState takes seven a debtor. It caches nothing
// (prefetch does).
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
	return out, s.readStates(ctx, tx, missing, now, out)
}

// readStates reads into out the state debtorState would load of each debtor in
// ids (no id twice), caches aside.
func (s *Service) readStates(ctx context.Context, tx *sql.Tx, ids []string, now time.Time, out map[string]*debtorState) error {
	in := func(batch []any) string { return "IN (" + store.Placeholders(1, len(batch)) + ")" }
	after := func(batch []any, k int) string { return "$" + strconv.Itoa(len(batch)+k) }
	return inBatches(ids, func(batch []any) error {
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
