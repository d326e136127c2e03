package collection

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/fairdebt/fairdebt/internal/audit"
	"github.com/fairdebt/fairdebt/internal/notify"
	"github.com/fairdebt/fairdebt/internal/policy"
	"github.com/fairdebt/fairdebt/internal/secret"
	"github.com/fairdebt/fairdebt/internal/store"
)

// Service is the collection domain over one database. It is safe for concurrent use.
type Service struct {
	db          *store.DB
	keys        *secret.Keys
	packs       *policy.Registry
	defaultPack string
	now         func() time.Time
	tokens      tokenCache
	logins      limiter // failed sign-ins
	codes       limiter // one-time codes sent and wrong codes
	notifier    notify.Notifier
	audit       *audit.Log
	signer      note.Signer // signs the audit log's checkpoints
	inFlight    inFlight    // the cases of the decisions being made

	// Touched only by functions running on the store's writer goroutine.
	debtors     map[string]*debtorState
	cases       map[string]caseInfo
	attemptSeq  uint16
	debtorLoads int // debtor states loaded one at a time, for tests
}

// Config configures a Service.
type Config struct {
	DB    *store.DB
	Keys  *secret.Keys
	Packs *policy.Registry
	// DefaultPack governs borrowers created without a pack of their own.
	DefaultPack string
	// Now is the clock; time.Now when nil. Tests pass their own.
	Now func() time.Time
	// AuditSigner signs the audit log's checkpoints (see audit.LoadSigner). Without
	// one, events are still logged, but no checkpoint, receipt or proof is given.
	AuditSigner note.Signer
	// Notifier sends one-time codes; an Outbox (which sends nothing) when nil.
	Notifier notify.Notifier
}

// New makes a Service.
func New(c Config) (*Service, error) {
	if _, err := c.Packs.Get(c.DefaultPack); err != nil {
		return nil, err
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	s := &Service{db: c.DB, keys: c.Keys, packs: c.Packs, defaultPack: c.DefaultPack, now: c.Now, signer: c.AuditSigner,
		debtors: map[string]*debtorState{}, cases: map[string]caseInfo{}}
	s.tokens.entries = map[string]tokenEntry{}
	s.logins = limiter{window: loginWindow, keyLimit: loginFailures, clientLimit: loginClientFailures}
	s.codes = limiter{window: time.Hour, keyLimit: codesPerHour, clientLimit: codesPerHourClient}
	s.notifier = c.Notifier
	if s.notifier == nil {
		s.notifier = notify.NewOutbox(0)
	}
	if err := c.DB.Prepare(context.Background(), attemptInsert.SQL(), updateOutcome, selectAttempt); err != nil {
		return nil, err
	}
	var err error
	if s.audit, err = audit.New(context.Background(), c.DB); err != nil {
		return nil, err
	}
	c.DB.OnAbort(func() {
		clear(s.debtors)
		clear(s.cases)
	})
	c.DB.OnForeignWrites(s.forgetForeign)
	return s, nil
}

// The keys the service's writes touch (store.DB.Touch) so that other processes
// writing the same database forget what their caches hold of it.
const (
	keyDebtor  = "b:" // + borrower id: the gate's debtorState
	keyCase    = "c:" // + case id: caseInfo
	keyDebtors = "b*" // every debtorState (a lender's pack changed)
	keyTokens  = "t*" // the token cache (an agency approved or not)
)

// forgetDebtor drops the gate's state of a debtor whose data a write function
// changed; it runs on the writer goroutine.
func (s *Service) forgetDebtor(borrowerID string) {
	delete(s.debtors, borrowerID)
	s.db.Touch(keyDebtor + borrowerID)
}

// forgetDebtors drops the gate's state of every debtor.
func (s *Service) forgetDebtors() {
	clear(s.debtors)
	s.db.Touch(keyDebtors)
}

// forgetCase drops the cached facts of a case a write function changed.
func (s *Service) forgetCase(id string) {
	delete(s.cases, id)
	s.db.Touch(keyCase + id)
}

// forgetForeign drops what the caches hold of what another process wrote;
// keys nil means it is not known.
func (s *Service) forgetForeign(keys []string) {
	if keys == nil {
		clear(s.debtors)
		clear(s.cases)
		s.tokens.clear()
		return
	}
	for _, k := range keys {
		switch {
		case strings.HasPrefix(k, keyDebtor):
			delete(s.debtors, k[len(keyDebtor):])
		case strings.HasPrefix(k, keyCase):
			delete(s.cases, k[len(keyCase):])
		case k == keyDebtors:
			clear(s.debtors)
		case k == keyTokens:
			s.tokens.clear()
		}
	}
}

// Packs returns the rule packs the service decides with.
func (s *Service) Packs() *policy.Registry { return s.packs }

// DefaultPack returns the pack of borrowers created without one.
func (s *Service) DefaultPack() string { return s.defaultPack }

var idEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// newID returns prefix_ and 16 random base32 characters (80 bits).
func newID(prefix string) string {
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		panic("collection: no randomness: " + err.Error())
	}
	return prefix + "_" + idEncoding.EncodeToString(b)
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

func fromNullMS(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMS(v.Int64)
	return &t
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// exists reports whether table has a row with the given id. table is a constant.
func exists(ctx context.Context, q querier, table, id string) (bool, error) {
	var one int
	err := q.QueryRowContext(ctx, "SELECT 1 FROM "+table+" WHERE id = $1", id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

func idTaken(field, id string) *Error {
	return &Error{Kind: Conflict, Field: field, EN: fmt.Sprintf("%q is already used", id), ZH: fmt.Sprintf("%q 已被使用", id)}
}

// Page selects part of a list: at most Limit items with ids after After.
type Page struct {
	Limit int
	After string
}

func (p Page) limit() int {
	if p.Limit <= 0 || p.Limit > 1000 {
		return 100
	}
	return p.Limit
}

// collect runs a query and scans every row with scan.
func collect[T any](ctx context.Context, q querier, scan func(*sql.Rows) (T, error), query string, args ...any) ([]T, error) {
	out := []T{}
	err := eachRow(ctx, q, func(r *sql.Rows) error {
		v, err := scan(r)
		out = append(out, v)
		return err
	}, query, args...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// eachRow runs query and calls f for every row, stopping at its first error.
func eachRow(ctx context.Context, q querier, f func(*sql.Rows) error, query string, args ...any) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := f(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// ---- lenders

// LenderInput creates a lender.
type LenderInput struct {
	ID   string `json:"id,omitempty" doc:"optional; generated when empty"`
	Name string `json:"name" minLength:"1" maxLength:"200"`
	Pack string `json:"pack,omitempty" doc:"rule pack for the lender's borrowers; the server's default when empty"`
}

// CreateLender adds a lender.
func (s *Service) CreateLender(ctx context.Context, p Principal, in LenderInput) (*Lender, error) {
	if err := need(p, ActManage); err != nil {
		return nil, err
	}
	id, err := checkID("id", in.ID, "lnd")
	if err != nil {
		return nil, err
	}
	if err := checkText("name", strings.TrimSpace(in.Name), true, 200); err != nil {
		return nil, err
	}
	if err := s.checkPack(in.Pack, true); err != nil {
		return nil, err
	}
	l := &Lender{ID: id, Name: strings.TrimSpace(in.Name), Pack: in.Pack, CreatedAt: fromMS(ms(s.now()))}
	err = s.db.Update(ctx, func(tx *sql.Tx) error {
		if ok, err := exists(ctx, tx, "lenders", id); err != nil || ok {
			return errors.Join(err, idTakenIf(ok, "id", id))
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO lenders (id, name, pack, created_at) VALUES ($1, $2, $3, $4)", l.ID, l.Name, l.Pack, ms(l.CreatedAt))
		return err
	})
	return l, err
}

// checkPack refuses a pack the service does not have; "" (the server's default)
// only where empty is allowed.
func (s *Service) checkPack(pack string, emptyOK bool) error {
	if pack == "" && emptyOK {
		return nil
	}
	if _, err := s.packs.Get(pack); err != nil {
		return invalid("pack", fmt.Sprintf("unknown pack (have %s)", strings.Join(s.packs.Names(), ", ")), "未知的规则包（可选："+strings.Join(s.packs.Names(), "、")+"）")
	}
	return nil
}

// SetLenderPack chooses the rule pack of a lender's borrowers: those created from
// now on without a pack of their own and, if existing is set, every borrower the
// lender has now. It is the lender's administrators' decision, and an audit event
// naming the pack before and after. It returns the lender and how many borrowers
// changed pack.
func (s *Service) SetLenderPack(ctx context.Context, p Principal, id, pack string, existing bool) (*Lender, int64, error) {
	if err := need(p, ActManage); err != nil {
		return nil, 0, err
	}
	if err := s.checkPack(pack, !existing); err != nil {
		return nil, 0, err
	}
	var moved int64
	err := s.db.Update(ctx, func(tx *sql.Tx) error {
		var before string
		err := tx.QueryRowContext(ctx, "SELECT pack FROM lenders WHERE id = $1", id).Scan(&before)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("lender", id)
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE lenders SET pack = $1 WHERE id = $2", pack, id); err != nil {
			return err
		}
		if existing {
			res, err := tx.ExecContext(ctx, "UPDATE borrowers SET pack = $1 WHERE lender_id = $2 AND pack <> $1", pack, id)
			if err != nil {
				return err
			}
			if moved, err = res.RowsAffected(); err != nil {
				return err
			}
		}
		if err := s.record(ctx, tx, audit.Event{Type: audit.TypePack, At: fromMS(ms(s.now())), Actor: actor(p),
			Subject: map[string]string{"lender": id},
			Facts:   map[string]any{"pack": pack, "previous": before, "borrowers": moved}}); err != nil {
			return err
		}
		if moved > 0 {
			s.forgetDebtors() // the gate reads each borrower's pack afresh
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	l, err := s.Lender(ctx, Principal{Admin: true}, id)
	return l, moved, err
}

func idTakenIf(taken bool, field, id string) error {
	if taken {
		return idTaken(field, id)
	}
	return nil
}

// Lender returns one lender.
func (s *Service) Lender(ctx context.Context, p Principal, id string) (*Lender, error) {
	if !p.Can(ActReadAll) {
		return nil, notFound("lender", id)
	}
	var l Lender
	var at int64
	err := s.db.R.QueryRowContext(ctx, "SELECT id, name, pack, created_at FROM lenders WHERE id = $1", id).Scan(&l.ID, &l.Name, &l.Pack, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("lender", id)
	}
	l.CreatedAt = fromMS(at)
	return &l, err
}

// Lenders lists lenders.
func (s *Service) Lenders(ctx context.Context, p Principal, page Page) ([]Lender, error) {
	if !p.Can(ActReadAll) {
		return []Lender{}, nil
	}
	return collect(ctx, s.db.R, func(r *sql.Rows) (Lender, error) {
		var l Lender
		var at int64
		err := r.Scan(&l.ID, &l.Name, &l.Pack, &at)
		l.CreatedAt = fromMS(at)
		return l, err
	}, "SELECT id, name, pack, created_at FROM lenders WHERE id > $1 ORDER BY id LIMIT $2", page.After, page.limit())
}

// ---- agencies

// AgencyInput creates an agency.
type AgencyInput struct {
	ID       string `json:"id,omitempty" doc:"optional; generated when empty"`
	Name     string `json:"name" minLength:"1" maxLength:"200"`
	Approved bool   `json:"approved" doc:"on the lender's white list of agencies that may collect"`
}

// CreateAgency adds an agency.
func (s *Service) CreateAgency(ctx context.Context, p Principal, in AgencyInput) (*Agency, error) {
	if err := need(p, ActManage); err != nil {
		return nil, err
	}
	id, err := checkID("id", in.ID, "agc")
	if err != nil {
		return nil, err
	}
	if err := checkText("name", strings.TrimSpace(in.Name), true, 200); err != nil {
		return nil, err
	}
	a := &Agency{ID: id, Name: strings.TrimSpace(in.Name), Approved: in.Approved, CreatedAt: fromMS(ms(s.now()))}
	err = s.db.Update(ctx, func(tx *sql.Tx) error {
		if ok, err := exists(ctx, tx, "agencies", id); err != nil || ok {
			return errors.Join(err, idTakenIf(ok, "id", id))
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO agencies (id, name, approved, created_at) VALUES ($1, $2, $3, $4)",
			a.ID, a.Name, a.Approved, ms(a.CreatedAt))
		return err
	})
	return a, err
}

const agencyColumns = "id, name, approved, created_at"

func scanAgency(r interface{ Scan(...any) error }) (Agency, error) {
	var a Agency
	var at int64
	err := r.Scan(&a.ID, &a.Name, &a.Approved, &at)
	a.CreatedAt = fromMS(at)
	return a, err
}

// Agency returns one agency; an agency sees only itself.
func (s *Service) Agency(ctx context.Context, p Principal, id string) (*Agency, error) {
	if !p.sees(id) {
		return nil, notFound("agency", id)
	}
	a, err := scanAgency(s.db.R.QueryRowContext(ctx, "SELECT "+agencyColumns+" FROM agencies WHERE id = $1", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("agency", id)
	}
	return &a, err
}

// Agencies lists agencies; an agency sees only itself.
func (s *Service) Agencies(ctx context.Context, p Principal, page Page) ([]Agency, error) {
	scan := func(r *sql.Rows) (Agency, error) { return scanAgency(r) }
	if !p.Can(ActReadAll) {
		return collect(ctx, s.db.R, scan, "SELECT "+agencyColumns+" FROM agencies WHERE id = $1 AND id > $2", p.AgencyID, page.After)
	}
	return collect(ctx, s.db.R, scan, "SELECT "+agencyColumns+" FROM agencies WHERE id > $1 ORDER BY id LIMIT $2", page.After, page.limit())
}

// SetAgencyApproved puts an agency on the white list or takes it off. An agency
// taken off can no longer use the API or be assigned cases.
func (s *Service) SetAgencyApproved(ctx context.Context, p Principal, id string, approved bool) (*Agency, error) {
	if err := need(p, ActManage); err != nil {
		return nil, err
	}
	err := s.db.Update(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE agencies SET approved = $1 WHERE id = $2", approved, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("agency", id)
		}
		s.db.Touch(keyTokens)
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.tokens.clear()
	return s.Agency(ctx, p, id)
}

// ---- borrowers

// BorrowerInput creates a borrower, and with it the debtor party (whose id is the
// borrower's id) and the debtor's contact methods.
type BorrowerInput struct {
	ID             string               `json:"id,omitempty" doc:"optional; generated when empty"`
	LenderID       string               `json:"lender_id"`
	Name           string               `json:"name" minLength:"1" maxLength:"200"`
	Timezone       string               `json:"timezone" doc:"IANA time zone, e.g. Asia/Shanghai"`
	Pack           string               `json:"pack,omitempty" doc:"rule pack; the lender's pack, or the server's default, when empty"`
	IDNumber       string               `json:"id_number,omitempty" doc:"national ID number; stored sealed, shown masked"`
	ContactMethods []ContactMethodInput `json:"contact_methods,omitempty" maxItems:"10"`
}

// CreateBorrower adds a borrower and the debtor party.
func (s *Service) CreateBorrower(ctx context.Context, p Principal, in BorrowerInput) (*Borrower, error) {
	if err := need(p, ActManage); err != nil {
		return nil, err
	}
	id, err := checkID("id", in.ID, "bor")
	if err != nil {
		return nil, err
	}
	name := strings.TrimSpace(in.Name)
	if err := checkText("name", name, true, 200); err != nil {
		return nil, err
	}
	if in.Timezone == "" {
		return nil, invalid("timezone", "required", "必填")
	}
	if _, err := policy.LoadLocation(in.Timezone); err != nil {
		return nil, invalid("timezone", "unknown IANA time zone", "未知的 IANA 时区")
	}
	if err := s.checkPack(in.Pack, true); err != nil {
		return nil, err
	}
	idEnc, idMasked := "", ""
	if in.IDNumber != "" {
		n := strings.ToUpper(strings.TrimSpace(in.IDNumber))
		if !idNumberPattern.MatchString(n) {
			return nil, invalid("id_number", "must be 6-32 letters or digits", "须为 6-32 位字母或数字")
		}
		idEnc, idMasked = s.keys.Seal("id_number", n), secret.Mask("id_number", n)
	}
	methods, err := s.prepareMethods("contact_methods", in.ContactMethods)
	if err != nil {
		return nil, err
	}
	now := fromMS(ms(s.now()))
	b := &Borrower{ID: id, LenderID: in.LenderID, Name: name, Timezone: in.Timezone, Pack: in.Pack, IDNumber: idMasked,
		Holds: []Hold{}, CreatedAt: now}
	err = s.db.Update(ctx, func(tx *sql.Tx) error {
		// The pack: the borrower's own, else the lender's choice, else the server's default.
		var lenderPack string
		err := tx.QueryRowContext(ctx, "SELECT pack FROM lenders WHERE id = $1", in.LenderID).Scan(&lenderPack)
		if errors.Is(err, sql.ErrNoRows) {
			return notFoundIf(true, "lender_id", "lender", in.LenderID)
		}
		if err != nil {
			return err
		}
		b.Pack = cmp.Or(in.Pack, lenderPack, s.defaultPack)
		pack := b.Pack
		for _, t := range []string{"borrowers", "parties"} {
			if ok, err := exists(ctx, tx, t, id); err != nil || ok {
				return errors.Join(err, idTakenIf(ok, "id", id))
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO borrowers (id, lender_id, name, timezone, pack, id_number_enc, id_number_masked, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, id, in.LenderID, name, in.Timezone, pack, idEnc, idMasked, ms(now)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO parties (id, borrower_id, role, name, relation, created_at)
			VALUES ($1, $1, 'debtor', $2, 'self', $3)`, id, name, ms(now)); err != nil {
			return err
		}
		return s.insertMethods(ctx, tx, id, methods, now)
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

func notFoundIf(missing bool, field, what, id string) error {
	if !missing {
		return nil
	}
	e := notFound(what, id)
	e.Field = field
	return e
}

const borrowerColumns = "id, lender_id, name, timezone, pack, id_number_masked, created_at, inconvenient"

// Borrower returns one borrower with the holds on it.
func (s *Service) Borrower(ctx context.Context, p Principal, id string) (*Borrower, error) {
	if err := s.borrowerVisible(ctx, s.db.R, p, id); err != nil {
		return nil, err
	}
	b, err := scanBorrower(s.db.R.QueryRowContext(ctx, "SELECT "+borrowerColumns+" FROM borrowers WHERE id = $1", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("borrower", id)
	}
	if err != nil {
		return nil, err
	}
	b.Holds, err = s.holds(ctx, s.db.R, id)
	return &b, err
}

func scanBorrower(r interface{ Scan(...any) error }) (Borrower, error) {
	var b Borrower
	var at int64
	var inconvenient string
	err := r.Scan(&b.ID, &b.LenderID, &b.Name, &b.Timezone, &b.Pack, &b.IDNumber, &at, &inconvenient)
	b.CreatedAt = fromMS(at)
	b.Holds = []Hold{}
	b.Inconvenient = []string{}
	if inconvenient != "" {
		b.Inconvenient = strings.Split(inconvenient, ",")
	}
	return b, err
}

// Borrowers lists borrowers; an agency sees those with a case assigned to it.
func (s *Service) Borrowers(ctx context.Context, p Principal, page Page) ([]Borrower, error) {
	scan := func(r *sql.Rows) (Borrower, error) { return scanBorrower(r) }
	if p.Can(ActReadAll) {
		return collect(ctx, s.db.R, scan, "SELECT "+borrowerColumns+" FROM borrowers WHERE id > $1 ORDER BY id LIMIT $2",
			page.After, page.limit())
	}
	return collect(ctx, s.db.R, scan, "SELECT "+borrowerColumns+` FROM borrowers b WHERE id > $1
		AND EXISTS (SELECT 1 FROM cases c WHERE c.borrower_id = b.id AND c.agency_id = $2 AND ($4 = '' OR c.collector_id = $4))
		ORDER BY id LIMIT $3`, page.After, p.AgencyID, page.limit(), p.collectorScope())
}

// borrowerVisible returns NotFound unless p may see the borrower: the lender's
// administrators see every borrower, an agency those with a case assigned to it.
func (s *Service) borrowerVisible(ctx context.Context, q querier, p Principal, id string) error {
	var one int
	var err error
	if p.borrower() {
		if p.BorrowerID != id {
			return notFound("borrower", id)
		}
		return nil
	}
	if p.Can(ActReadAll) {
		err = q.QueryRowContext(ctx, "SELECT 1 FROM borrowers WHERE id = $1", id).Scan(&one)
	} else {
		err = q.QueryRowContext(ctx, "SELECT 1 FROM cases WHERE borrower_id = $1 AND agency_id = $2 AND ($3 = '' OR collector_id = $3) LIMIT 1",
			id, p.AgencyID, p.collectorScope()).Scan(&one)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return notFound("borrower", id)
	}
	return err
}

// ---- debts

// DebtInput creates a debt with its repayment schedule.
type DebtInput struct {
	ID           string             `json:"id,omitempty" doc:"optional; generated when empty"`
	BorrowerID   string             `json:"borrower_id"`
	Currency     string             `json:"currency" pattern:"^[A-Z]{3}$" doc:"ISO 4217 code"`
	Principal    int64              `json:"principal" minimum:"0" doc:"minor units"`
	Fees         int64              `json:"fees,omitempty" minimum:"0" doc:"minor units"`
	Installments []InstallmentInput `json:"installments" minItems:"1" maxItems:"360"`
}

// InstallmentInput is one scheduled repayment.
type InstallmentInput struct {
	DueDate string `json:"due_date" format:"date"`
	Amount  int64  `json:"amount" minimum:"1"`
	Paid    int64  `json:"paid,omitempty" minimum:"0"`
}

// CreateDebt adds a debt to a borrower.
func (s *Service) CreateDebt(ctx context.Context, p Principal, in DebtInput) (*Debt, error) {
	if err := need(p, ActManage); err != nil {
		return nil, err
	}
	id, err := checkID("id", in.ID, "dbt")
	if err != nil {
		return nil, err
	}
	if len(in.Currency) != 3 || strings.ToUpper(in.Currency) != in.Currency {
		return nil, invalid("currency", "must be an ISO 4217 code such as CNY or USD", "须为 ISO 4217 货币代码，如 CNY、USD")
	}
	if in.Principal < 0 || in.Fees < 0 {
		return nil, invalid("principal", "amounts must not be negative", "金额不能为负")
	}
	if len(in.Installments) == 0 || len(in.Installments) > 360 {
		return nil, invalid("installments", "need 1 to 360 installments", "需要 1 至 360 期")
	}
	var last time.Time
	for i, it := range in.Installments {
		f := fmt.Sprintf("installments[%d]", i)
		d, err := checkDate(f+".due_date", it.DueDate)
		if err != nil {
			return nil, err
		}
		if !d.After(last) {
			return nil, invalid(f+".due_date", "due dates must increase", "到期日须递增")
		}
		last = d
		if it.Amount <= 0 || it.Paid < 0 || it.Paid > it.Amount {
			return nil, invalid(f, "amount must be positive and paid between 0 and amount", "金额须为正，已还金额须在 0 与金额之间")
		}
	}
	now := fromMS(ms(s.now()))
	var lender string
	err = s.db.Update(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, "SELECT lender_id FROM borrowers WHERE id = $1", in.BorrowerID).Scan(&lender)
		if errors.Is(err, sql.ErrNoRows) {
			return notFoundIf(true, "borrower_id", "borrower", in.BorrowerID)
		}
		if err != nil {
			return err
		}
		if ok, err := exists(ctx, tx, "debts", id); err != nil || ok {
			return errors.Join(err, idTakenIf(ok, "id", id))
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO debts (id, borrower_id, lender_id, currency, principal, fees, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, id, in.BorrowerID, lender, in.Currency, in.Principal, in.Fees, ms(now)); err != nil {
			return err
		}
		for i, it := range in.Installments {
			if _, err := tx.ExecContext(ctx, "INSERT INTO installments (debt_id, seq, due_date, amount, paid) VALUES ($1, $2, $3, $4, $5)",
				id, i+1, it.DueDate, it.Amount, it.Paid); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Debt(ctx, p, id)
}

// Debt returns one debt with its schedule and days past due.
func (s *Service) Debt(ctx context.Context, p Principal, id string) (*Debt, error) {
	d, err := s.debt(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.borrowerVisible(ctx, s.db.R, p, d.BorrowerID); err != nil {
		return nil, notFound("debt", id)
	}
	return d, nil
}

// debt loads a debt, whoever may see it.
func (s *Service) debt(ctx context.Context, id string) (*Debt, error) {
	debts, err := s.debtsOf(ctx, "SELECT id FROM debts WHERE id = $1", id)
	if err != nil {
		return nil, err
	}
	if len(debts) == 0 {
		return nil, notFound("debt", id)
	}
	return &debts[0], nil
}

// Arrears returns what remains unpaid of a schedule and how many days the earliest
// unpaid installment is past due on the calendar day of now (in now's location).
func Arrears(schedule []Installment, now time.Time) (outstanding int64, daysPastDue int) {
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	for _, it := range schedule {
		if it.Paid >= it.Amount {
			continue
		}
		outstanding += it.Amount - it.Paid
		due, err := time.Parse(time.DateOnly, it.DueDate)
		if err != nil || daysPastDue > 0 {
			continue
		}
		if d := int(today.Sub(due).Hours() / 24); d > 0 {
			daysPastDue = d
		}
	}
	return outstanding, daysPastDue
}

// Debts lists a borrower's debts.
func (s *Service) Debts(ctx context.Context, p Principal, borrowerID string) ([]Debt, error) {
	if err := s.borrowerVisible(ctx, s.db.R, p, borrowerID); err != nil {
		return nil, err
	}
	return s.debtsOf(ctx, "SELECT id FROM debts WHERE borrower_id = $1 ORDER BY id", borrowerID)
}

// debtsOf reads the debts whose ids query returns, in its order.
func (s *Service) debtsOf(ctx context.Context, query string, args ...any) ([]Debt, error) {
	ids, err := collect(ctx, s.db.R, func(r *sql.Rows) (string, error) {
		var id string
		return id, r.Scan(&id)
	}, query, args...)
	if err != nil {
		return nil, err
	}
	// Two queries for all of them (per inListMax), not two a debt.
	byID := make(map[string]*Debt, len(ids))
	zones := map[string]string{}
	err = inBatches(ids, func(batch []any) error {
		err := eachRow(ctx, s.db.R, func(r *sql.Rows) error {
			var d Debt
			var at int64
			var tz string
			if err := r.Scan(&d.ID, &d.BorrowerID, &d.LenderID, &d.Currency, &d.Principal, &d.Fees, &at, &tz); err != nil {
				return err
			}
			d.CreatedAt, d.Installments = fromMS(at), []Installment{}
			byID[d.ID], zones[d.ID] = &d, tz
			return nil
		}, `SELECT d.id, d.borrower_id, d.lender_id, d.currency, d.principal, d.fees, d.created_at, b.timezone
			FROM debts d JOIN borrowers b ON b.id = d.borrower_id WHERE d.id IN (`+store.Placeholders(1, len(batch))+")", batch...)
		if err != nil {
			return err
		}
		return eachRow(ctx, s.db.R, func(r *sql.Rows) error {
			var id string
			var it Installment
			if err := r.Scan(&id, &it.DueDate, &it.Amount, &it.Paid); err != nil {
				return err
			}
			if d := byID[id]; d != nil {
				d.Installments = append(d.Installments, it)
			}
			return nil
		}, "SELECT debt_id, due_date, amount, paid FROM installments WHERE debt_id IN ("+store.Placeholders(1, len(batch))+") ORDER BY debt_id, seq", batch...)
	})
	if err != nil {
		return nil, err
	}
	out := make([]Debt, 0, len(ids))
	now := s.now()
	for _, id := range ids {
		d := byID[id]
		if d == nil {
			continue // deleted since the ids were read
		}
		loc, err := policy.LoadLocation(zones[id])
		if err != nil {
			return nil, err
		}
		d.Outstanding, d.DaysPastDue = Arrears(d.Installments, now.In(loc))
		out = append(out, *d)
	}
	return out, nil
}

// UnplacedDebts lists the debts no open or paused case holds: what the lender
// has yet to place with an agency, oldest id first. Administrators only.
func (s *Service) UnplacedDebts(ctx context.Context, p Principal, page Page) ([]Debt, error) {
	if err := need(p, ActManage); err != nil {
		return nil, err
	}
	return s.debtsOf(ctx, `SELECT d.id FROM debts d WHERE d.id > $1
		AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.debt_id = d.id AND c.status <> 'closed') ORDER BY d.id LIMIT $2`,
		page.After, page.limit())
}

// ---- cases

// CaseInput assigns a debt to an agency.
type CaseInput struct {
	ID       string `json:"id,omitempty" doc:"optional; generated when empty"`
	DebtID   string `json:"debt_id"`
	AgencyID string `json:"agency_id" doc:"must be an approved agency"`
}

// CreateCase assigns a debt to an approved agency.
func (s *Service) CreateCase(ctx context.Context, p Principal, in CaseInput) (*Case, error) {
	if err := need(p, ActManage); err != nil {
		return nil, err
	}
	id, err := checkID("id", in.ID, "case")
	if err != nil {
		return nil, err
	}
	now := fromMS(ms(s.now()))
	c := &Case{ID: id, DebtID: in.DebtID, AgencyID: in.AgencyID, Status: CaseOpen, CreatedAt: now, UpdatedAt: now}
	err = s.db.Update(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, "SELECT borrower_id FROM debts WHERE id = $1", in.DebtID).Scan(&c.BorrowerID)
		if errors.Is(err, sql.ErrNoRows) {
			return notFoundIf(true, "debt_id", "debt", in.DebtID)
		}
		if err != nil {
			return err
		}
		var approved bool
		err = tx.QueryRowContext(ctx, "SELECT approved FROM agencies WHERE id = $1", in.AgencyID).Scan(&approved)
		if errors.Is(err, sql.ErrNoRows) {
			return notFoundIf(true, "agency_id", "agency", in.AgencyID)
		}
		if err != nil {
			return err
		}
		if !approved {
			return &Error{Kind: Conflict, Field: "agency_id", EN: "the agency is not on the approved list; only approved agencies may collect",
				ZH: "该机构不在准入名单上，只有准入的催收机构可以催收"}
		}
		if ok, err := exists(ctx, tx, "cases", id); err != nil || ok {
			return errors.Join(err, idTakenIf(ok, "id", id))
		}
		// One debt, one agency at a time: a debt placed twice would be collected twice.
		var held string
		err = tx.QueryRowContext(ctx, "SELECT id FROM cases WHERE debt_id = $1 AND status <> 'closed' LIMIT 1", in.DebtID).Scan(&held)
		if err == nil {
			return &Error{Kind: Conflict, Field: "debt_id", EN: fmt.Sprintf("the debt is already placed (case %s); close that case first", held),
				ZH: fmt.Sprintf("该债务已在委外中（案件 %s），请先结案", held)}
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO cases (id, debt_id, borrower_id, agency_id, status, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $6)`, id, in.DebtID, c.BorrowerID, in.AgencyID, CaseOpen, ms(now))
		return err
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

const caseColumns = "id, debt_id, borrower_id, agency_id, COALESCE(collector_id, ''), status, created_at, updated_at"

func scanCase(r interface{ Scan(...any) error }) (Case, error) {
	var c Case
	var at, up int64
	err := r.Scan(&c.ID, &c.DebtID, &c.BorrowerID, &c.AgencyID, &c.CollectorID, &c.Status, &at, &up)
	c.CreatedAt, c.UpdatedAt = fromMS(at), fromMS(up)
	return c, err
}

// Case returns one case; an agency sees only its own.
func (s *Service) Case(ctx context.Context, p Principal, id string) (*Case, error) {
	c, err := scanCase(s.db.R.QueryRowContext(ctx, "SELECT "+caseColumns+" FROM cases WHERE id = $1", id))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !p.seesCase(c.AgencyID, c.CollectorID)) {
		return nil, notFound("case", id)
	}
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// CaseFilter narrows a case list.
type CaseFilter struct {
	Status     string
	BorrowerID string
	// AgencyID limits the list to one agency's cases; an agency's principal sees
	// only its own agency's whatever it asks.
	AgencyID string
}

// Cases lists cases; an agency sees only its own.
func (s *Service) Cases(ctx context.Context, p Principal, f CaseFilter, page Page) ([]Case, error) {
	if f.Status != "" {
		if err := oneOf("status", f.Status, CaseOpen, CasePaused, CaseClosed); err != nil {
			return nil, err
		}
	}
	agency, ok := caseScope(p, f.AgencyID)
	if !ok {
		return []Case{}, nil
	}
	where, args := casesWhere(agency, p.collectorScope(), f.Status, f.BorrowerID, page.After)
	args = append(args, page.limit())
	return collect(ctx, s.db.R, func(r *sql.Rows) (Case, error) { return scanCase(r) },
		"SELECT "+caseColumns+" FROM cases WHERE "+where+" ORDER BY id LIMIT $"+strconv.Itoa(len(args)), args...)
}

// AssignCase puts a case on the worklist of a collector of its agency, named by
// username, or takes it off any worklist when username is empty. The lender's
// administrators and the agency's managers may.
func (s *Service) AssignCase(ctx context.Context, p Principal, id, username string) (*Case, error) {
	if err := need(p, ActAssign); err != nil {
		return nil, err
	}
	c, err := s.Case(ctx, p, id)
	if err != nil {
		return nil, err
	}
	var collector any
	if username != "" {
		var userID, role string
		var agency sql.NullString
		err := s.db.R.QueryRowContext(ctx, "SELECT id, role, agency_id FROM users WHERE username = $1 AND disabled_at IS NULL",
			strings.ToLower(username)).Scan(&userID, &role, &agency)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && (role != RoleCollector || agency.String != c.AgencyID)) {
			return nil, invalid("collector", "not an active collector of the case's agency", "不是该案件所属机构的在职催收员")
		}
		if err != nil {
			return nil, err
		}
		collector = userID
	}
	err = s.db.Update(ctx, func(tx *sql.Tx) error {
		s.forgetCase(id)
		_, err := tx.ExecContext(ctx, "UPDATE cases SET collector_id = $1, updated_at = $2 WHERE id = $3", collector, ms(s.now()), id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Case(ctx, p, id)
}

// CaseLenderName returns the name of the lender a case collects for, to whoever
// sees the case: the messages sent about it name the lender.
func (s *Service) CaseLenderName(ctx context.Context, p Principal, caseID string) (string, error) {
	c, err := s.Case(ctx, p, caseID)
	if err != nil {
		return "", err
	}
	var name string
	err = s.db.R.QueryRowContext(ctx, "SELECT l.name FROM borrowers b JOIN lenders l ON l.id = b.lender_id WHERE b.id = $1", c.BorrowerID).Scan(&name)
	return name, err
}

// SetCaseStatus opens, pauses or closes a case. Only open cases may be worked.
func (s *Service) SetCaseStatus(ctx context.Context, p Principal, id, status string) (*Case, error) {
	if err := oneOf("status", status, CaseOpen, CasePaused, CaseClosed); err != nil {
		return nil, err
	}
	if _, err := s.Case(ctx, p, id); err != nil {
		return nil, err
	}
	switch {
	case status == CaseOpen && !p.Can(ActReopen):
		return nil, &Error{Kind: Forbidden, Field: "status", EN: "only the lender may reopen a case", ZH: "只有贷款机构可以重新开启案件"}
	case !p.Can(ActWork) && !p.Can(ActLift):
		return nil, forbidden(p, ActWork)
	}
	err := s.db.Update(ctx, func(tx *sql.Tx) error {
		s.forgetCase(id)
		_, err := tx.ExecContext(ctx, "UPDATE cases SET status = $1, updated_at = $2 WHERE id = $3", status, ms(s.now()), id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Case(ctx, p, id)
}
