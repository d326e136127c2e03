package collection

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/fairdebt/fairdebt/internal/audit"
	"github.com/fairdebt/fairdebt/internal/policy"
	"github.com/fairdebt/fairdebt/internal/secret"
)

var (
	idNumberPattern = regexp.MustCompile(`^[0-9A-Z]{6,32}$`)
	phonePattern    = regexp.MustCompile(`^\+?[0-9]{6,15}$`)
	imPattern       = regexp.MustCompile(`^[^\s]{2,64}$`)
)

// ContactMethodInput is a phone number, e-mail address or IM id to add.
type ContactMethodInput struct {
	Kind  string `json:"kind" enum:"phone,email,im"`
	Value string `json:"value" minLength:"1" maxLength:"254"`
}

type preparedMethod struct {
	kind, sealed, hash, masked string
}

// NormalizeContact validates a contact value and returns the form that is hashed:
// phone numbers without spaces, dashes or brackets, e-mail addresses lower-cased.
func NormalizeContact(kind, value string) (string, error) {
	v := strings.TrimSpace(value)
	switch kind {
	case "phone":
		v = strings.Map(func(r rune) rune {
			if r == ' ' || r == '-' || r == '(' || r == ')' || r == '.' {
				return -1
			}
			return r
		}, v)
		if !phonePattern.MatchString(v) {
			return "", errors.New("not a phone number (6-15 digits, optional leading +)")
		}
	case "email":
		v = strings.ToLower(v)
		a, err := mail.ParseAddress(v)
		if err != nil || a.Address != v {
			return "", errors.New("not an e-mail address")
		}
	case "im":
		if !imPattern.MatchString(v) {
			return "", errors.New("not an IM id (2-64 characters, no spaces)")
		}
	default:
		return "", fmt.Errorf("unknown kind %q (want phone, email or im)", kind)
	}
	return v, nil
}

func (s *Service) prepareMethods(field string, in []ContactMethodInput) ([]preparedMethod, error) {
	if len(in) > 10 {
		return nil, invalid(field, "at most 10 contact methods", "最多 10 个联系方式")
	}
	out := make([]preparedMethod, 0, len(in))
	for i, m := range in {
		v, err := NormalizeContact(m.Kind, m.Value)
		if err != nil {
			return nil, invalid(fmt.Sprintf("%s[%d]", field, i), err.Error(), "联系方式格式不正确")
		}
		out = append(out, preparedMethod{kind: m.Kind, sealed: s.keys.Seal(m.Kind, v), hash: s.keys.Hash(m.Kind, v),
			masked: secret.Mask(m.Kind, v)})
	}
	return out, nil
}

func (s *Service) insertMethods(ctx context.Context, tx *sql.Tx, partyID string, methods []preparedMethod, now time.Time) error {
	for _, m := range methods {
		var one int
		err := tx.QueryRowContext(ctx, "SELECT 1 FROM contact_methods WHERE party_id = $1 AND value_hash = $2", partyID, m.hash).Scan(&one)
		if err == nil {
			continue // the same value twice is one method
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO contact_methods (id, party_id, kind, value_enc, value_hash, masked, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, newID("cm"), partyID, m.kind, m.sealed, m.hash, m.masked, ms(now)); err != nil {
			return err
		}
	}
	return nil
}

// ---- parties

// ConsentInput is the record of consent a non-debtor party must come with.
type ConsentInput struct {
	By       string     `json:"by" enum:"party,debtor" doc:"who consented: the person themself, or the debtor naming them"`
	Method   string     `json:"method" enum:"written,recorded_call,in_app,in_person"`
	Evidence string     `json:"evidence" minLength:"1" maxLength:"500" doc:"where the proof is kept (document or recording id)"`
	At       *time.Time `json:"at,omitempty" doc:"when consent was given; now when omitted"`
}

// PartyInput adds a person to a borrower. There is no bulk import: each person
// comes with a consent record, one at a time.
type PartyInput struct {
	ID             string               `json:"id,omitempty" doc:"optional; generated when empty"`
	BorrowerID     string               `json:"borrower_id"`
	Role           string               `json:"role" enum:"attorney,emergency_contact,third_party"`
	Name           string               `json:"name" minLength:"1" maxLength:"200"`
	Relation       string               `json:"relation,omitempty" maxLength:"50" doc:"parent, spouse, friend, colleague..."`
	Consent        *ConsentInput        `json:"consent,omitempty" doc:"required"`
	ContactMethods []ContactMethodInput `json:"contact_methods,omitempty" maxItems:"10"`
}

// CreateParty adds a non-debtor party. It refuses a party without a consent record
// and more emergency contacts than the borrower's rule pack allows.
func (s *Service) CreateParty(ctx context.Context, p Principal, in PartyInput) (*Party, error) {
	if err := need(p, ActManage); err != nil {
		return nil, err
	}
	id, err := checkID("id", in.ID, "pty")
	if err != nil {
		return nil, err
	}
	if in.Role == "debtor" {
		return nil, invalid("role", "the debtor party is created with the borrower", "债务人在创建借款人时已自动建立")
	}
	if err := oneOf("role", in.Role, "attorney", "emergency_contact", "third_party"); err != nil {
		return nil, err
	}
	name := strings.TrimSpace(in.Name)
	if err := checkText("name", name, true, 200); err != nil {
		return nil, err
	}
	if err := checkText("relation", in.Relation, false, 50); err != nil {
		return nil, err
	}
	now := fromMS(ms(s.now()))
	c := in.Consent
	if c == nil {
		return nil, invalid("consent", "a consent record is required for anyone but the debtor; fairdebt does not import address books",
			"债务人以外的联系人必须附有同意记录；fairdebt 不导入通讯录")
	}
	if err := oneOf("consent.by", c.By, "party", "debtor"); err != nil {
		return nil, err
	}
	if err := oneOf("consent.method", c.Method, "written", "recorded_call", "in_app", "in_person"); err != nil {
		return nil, err
	}
	if err := checkText("consent.evidence", strings.TrimSpace(c.Evidence), true, 500); err != nil {
		return nil, err
	}
	consentAt := now
	if c.At != nil {
		if c.At.After(now.Add(time.Minute)) {
			return nil, invalid("consent.at", "is in the future", "时间在未来")
		}
		consentAt = fromMS(ms(*c.At))
	}
	methods, err := s.prepareMethods("contact_methods", in.ContactMethods)
	if err != nil {
		return nil, err
	}
	err = s.db.Update(ctx, func(tx *sql.Tx) error {
		var packName string
		err := tx.QueryRowContext(ctx, "SELECT pack FROM borrowers WHERE id = $1", in.BorrowerID).Scan(&packName)
		if errors.Is(err, sql.ErrNoRows) {
			return notFoundIf(true, "borrower_id", "borrower", in.BorrowerID)
		}
		if err != nil {
			return err
		}
		if in.Role == "emergency_contact" {
			if err := s.checkContactLimit(ctx, tx, in.BorrowerID, packName); err != nil {
				return err
			}
		}
		if ok, err := exists(ctx, tx, "parties", id); err != nil || ok {
			return errors.Join(err, idTakenIf(ok, "id", id))
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO parties (id, borrower_id, role, name, relation, consent_by, consent_method,
			consent_evidence, consent_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			id, in.BorrowerID, in.Role, name, in.Relation, c.By, c.Method, strings.TrimSpace(c.Evidence), ms(consentAt), ms(now)); err != nil {
			return err
		}
		if err := s.insertMethods(ctx, tx, id, methods, now); err != nil {
			return err
		}
		if err := s.record(ctx, tx, audit.Event{Type: audit.TypeConsent, At: now, Actor: actor(p),
			Subject: map[string]string{"party": id, "borrower": in.BorrowerID},
			Digests: map[string]string{"evidence": s.keys.Hash("audit.evidence", strings.TrimSpace(c.Evidence))},
			Facts: map[string]any{"change": "given", "role": in.Role, "by": c.By, "method": c.Method,
				"consent_at": consentAt.UTC().Format(time.RFC3339)}}); err != nil {
			return err
		}
		s.forgetDebtor(in.BorrowerID)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Party(ctx, p, id)
}

func (s *Service) checkContactLimit(ctx context.Context, tx *sql.Tx, borrowerID, packName string) error {
	pack, err := s.packs.Get(packName)
	if err != nil {
		return err
	}
	limit, v, hasRule := pack.ContactLimit()
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM parties WHERE borrower_id = $1 AND role = 'emergency_contact'",
		borrowerID).Scan(&n); err != nil {
		return err
	}
	if n < limit {
		return nil
	}
	e := &Error{Kind: Conflict, Field: "role",
		EN: fmt.Sprintf("the borrower already has %d emergency contacts, the most pack %s allows (category data_minimization)", n, packName),
		ZH: fmt.Sprintf("该借款人已有 %d 名紧急联系人，已达规则包 %s 允许的上限（数据最小化）", n, packName)}
	if !hasRule {
		v = policy.Violation{Category: policy.CatDataMinimization, Reason: policy.Reason{ZH: e.ZH, EN: e.EN}}
	}
	e.Violation = &v
	return e
}

const partyColumns = `id, borrower_id, role, name, relation, consent_by, consent_method, consent_evidence, consent_at,
	consent_revoked_at, objected_at, created_at`

func scanParty(r interface{ Scan(...any) error }) (Party, error) {
	var p Party
	var by, method, evidence string
	var consentAt, revokedAt, objectedAt sql.NullInt64
	var at int64
	err := r.Scan(&p.ID, &p.BorrowerID, &p.Role, &p.Name, &p.Relation, &by, &method, &evidence, &consentAt, &revokedAt, &objectedAt, &at)
	if consentAt.Valid {
		p.Consent = &Consent{By: by, Method: method, Evidence: evidence, At: fromMS(consentAt.Int64), RevokedAt: fromNullMS(revokedAt)}
	}
	p.ObjectedAt = fromNullMS(objectedAt)
	p.CreatedAt = fromMS(at)
	p.ContactMethods = []ContactMethod{}
	return p, err
}

// Party returns one party with its contact methods, masked.
func (s *Service) Party(ctx context.Context, p Principal, id string) (*Party, error) {
	pt, err := scanParty(s.db.R.QueryRowContext(ctx, "SELECT "+partyColumns+" FROM parties WHERE id = $1", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("party", id)
	}
	if err != nil {
		return nil, err
	}
	if err := s.borrowerVisible(ctx, s.db.R, p, pt.BorrowerID); err != nil {
		return nil, notFound("party", id)
	}
	pt.ContactMethods, err = s.methods(ctx, id)
	return &pt, err
}

func (s *Service) methods(ctx context.Context, partyID string) ([]ContactMethod, error) {
	return collect(ctx, s.db.R, func(r *sql.Rows) (ContactMethod, error) {
		var m ContactMethod
		return m, r.Scan(&m.ID, &m.Kind, &m.Masked)
	}, "SELECT id, kind, masked FROM contact_methods WHERE party_id = $1 ORDER BY created_at, id", partyID)
}

// Parties lists a borrower's parties, the debtor first.
func (s *Service) Parties(ctx context.Context, p Principal, borrowerID string) ([]Party, error) {
	if err := s.borrowerVisible(ctx, s.db.R, p, borrowerID); err != nil {
		return nil, err
	}
	out, err := collect(ctx, s.db.R, func(r *sql.Rows) (Party, error) { return scanParty(r) },
		"SELECT "+partyColumns+" FROM parties WHERE borrower_id = $1 ORDER BY role = 'debtor' DESC, created_at, id", borrowerID)
	if err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].ContactMethods, err = s.methods(ctx, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// PartyUpdate records what a person said: that they object to any further contact,
// or that they withdraw their consent. Neither can be undone through the API.
type PartyUpdate struct {
	Objected      bool `json:"objected,omitempty" doc:"the person asked never to be contacted again"`
	RevokeConsent bool `json:"revoke_consent,omitempty" doc:"the person (or the debtor) withdrew consent"`
}

// UpdateParty records an objection or a withdrawal of consent. Agencies may record
// them too: a person who says "stop" on a call must be heard at once.
func (s *Service) UpdateParty(ctx context.Context, p Principal, id string, in PartyUpdate) (*Party, error) {
	if err := need(p, ActProtect); err != nil {
		return nil, err
	}
	pt, err := s.Party(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if p.borrower() && (in.Objected || pt.Role == "debtor") {
		// A contact's objection is theirs to make (the third-party page); the
		// borrower withdraws the consent they gave for someone.
		return nil, &Error{Kind: Forbidden, EN: "a borrower may only withdraw a contact's designation", ZH: "借款人只能撤回对联系人的指定"}
	}
	if !in.Objected && !in.RevokeConsent {
		return nil, invalid("", "nothing to change: set objected or revoke_consent", "没有要修改的内容：请设置 objected 或 revoke_consent")
	}
	now := ms(s.now())
	subject := map[string]string{"party": id, "borrower": pt.BorrowerID}
	err = s.db.Update(ctx, func(tx *sql.Tx) error {
		if in.Objected {
			res, err := tx.ExecContext(ctx, "UPDATE parties SET objected_at = $1 WHERE id = $2 AND objected_at IS NULL", now, id)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n > 0 {
				if err := s.record(ctx, tx, audit.Event{Type: audit.TypeObjection, At: fromMS(now), Actor: actor(p),
					Subject: subject, Facts: map[string]any{"role": pt.Role}}); err != nil {
					return err
				}
			}
		}
		if in.RevokeConsent {
			res, err := tx.ExecContext(ctx, `UPDATE parties SET consent_revoked_at = $1
				WHERE id = $2 AND consent_at IS NOT NULL AND consent_revoked_at IS NULL`, now, id)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n > 0 {
				if err := s.record(ctx, tx, audit.Event{Type: audit.TypeConsent, At: fromMS(now), Actor: actor(p),
					Subject: subject, Facts: map[string]any{"change": "revoked", "role": pt.Role}}); err != nil {
					return err
				}
			}
		}
		s.forgetDebtor(pt.BorrowerID)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Party(ctx, p, id)
}

// AddContactMethod adds a phone number, e-mail address or IM id to a party.
func (s *Service) AddContactMethod(ctx context.Context, p Principal, partyID string, in ContactMethodInput) (*Party, error) {
	if err := need(p, ActManage); err != nil {
		return nil, err
	}
	methods, err := s.prepareMethods("", []ContactMethodInput{in})
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.Field = "value"
		}
		return nil, err
	}
	err = s.db.Update(ctx, func(tx *sql.Tx) error {
		if ok, err := exists(ctx, tx, "parties", partyID); err != nil || !ok {
			return errors.Join(err, notFoundIf(!ok, "", "party", partyID))
		}
		return s.insertMethods(ctx, tx, partyID, methods, fromMS(ms(s.now())))
	})
	if err != nil {
		return nil, err
	}
	return s.Party(ctx, p, partyID)
}

// FindParties returns the parties with a contact value, found by its keyed hash:
// the way to honour "this is my number, never call me again" from someone who does
// not know which case they were called about.
func (s *Service) FindParties(ctx context.Context, p Principal, in ContactMethodInput) ([]Party, error) {
	v, err := NormalizeContact(in.Kind, in.Value)
	if err != nil {
		return nil, invalid("value", err.Error(), "联系方式格式不正确")
	}
	ids, err := collect(ctx, s.db.R, func(r *sql.Rows) (string, error) {
		var id string
		return id, r.Scan(&id)
	}, "SELECT DISTINCT party_id FROM contact_methods WHERE value_hash = $1 ORDER BY party_id", s.keys.Hash(in.Kind, v))
	if err != nil {
		return nil, err
	}
	out := []Party{}
	for _, id := range ids {
		pt, err := s.Party(ctx, p, id)
		if IsKind(err, NotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, *pt)
	}
	return out, nil
}

// ---- opt-outs

// OptOutInput records a person's request not to be contacted on a channel.
type OptOutInput struct {
	PartyID string `json:"party_id"`
	Channel string `json:"channel" enum:"call,sms,im,email,letter,visit,social_post"`
	Source  string `json:"source,omitempty" maxLength:"100" doc:"how the request arrived: call, sms_reply, letter, portal..."`
}

// CreateOptOut records an opt-out. Agencies may record them for their cases.
func (s *Service) CreateOptOut(ctx context.Context, p Principal, in OptOutInput) (*OptOut, error) {
	if err := need(p, ActProtect); err != nil {
		return nil, err
	}
	if _, err := policy.ParseChannel(in.Channel); err != nil {
		return nil, invalid("channel", err.Error(), "未知的渠道")
	}
	if err := checkText("source", in.Source, false, 100); err != nil {
		return nil, err
	}
	pt, err := s.Party(ctx, p, in.PartyID)
	if err != nil {
		return nil, err
	}
	if p.borrower() && pt.Role != "debtor" {
		return nil, &Error{Kind: Forbidden, EN: "a borrower opts out of their own channels; the person opts out of theirs",
			ZH: "借款人只能退订自己的联系渠道；他人须自行退订"}
	}
	o := &OptOut{PartyID: in.PartyID, Channel: in.Channel, Source: in.Source, CreatedAt: fromMS(ms(s.now()))}
	if o.Source == "" {
		o.Source = "api"
	}
	err = s.db.Update(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, "SELECT 1 FROM optouts WHERE party_id = $1 AND channel = $2", o.PartyID, o.Channel).Scan(&one)
		if err == nil {
			return nil // already opted out: nothing to change
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO optouts (party_id, channel, source, created_at) VALUES ($1, $2, $3, $4)",
			o.PartyID, o.Channel, o.Source, ms(o.CreatedAt)); err != nil {
			return err
		}
		if err := s.record(ctx, tx, audit.Event{Type: audit.TypeOptOut, At: o.CreatedAt, Actor: actor(p),
			Subject: map[string]string{"party": o.PartyID, "borrower": pt.BorrowerID},
			Facts:   map[string]any{"change": "opted_out", "channel": o.Channel, "source": o.Source}}); err != nil {
			return err
		}
		s.forgetDebtor(pt.BorrowerID)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return o, nil
}

// OptOuts lists the opt-outs of a borrower's parties.
func (s *Service) OptOuts(ctx context.Context, p Principal, borrowerID string) ([]OptOut, error) {
	if err := s.borrowerVisible(ctx, s.db.R, p, borrowerID); err != nil {
		return nil, err
	}
	return collect(ctx, s.db.R, func(r *sql.Rows) (OptOut, error) {
		var o OptOut
		var at int64
		err := r.Scan(&o.PartyID, &o.Channel, &o.Source, &at)
		o.CreatedAt = fromMS(at)
		return o, err
	}, `SELECT o.party_id, o.channel, o.source, o.created_at FROM optouts o JOIN parties p ON p.id = o.party_id
		WHERE p.borrower_id = $1 ORDER BY o.created_at, o.party_id, o.channel`, borrowerID)
}

// DeleteOptOut lifts an opt-out; only the lender's administrators may, when the
// person asks to be contacted on that channel again.
func (s *Service) DeleteOptOut(ctx context.Context, p Principal, partyID, channel string) error {
	if err := need(p, ActLift); err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx *sql.Tx) error {
		var borrower string
		err := tx.QueryRowContext(ctx, "SELECT borrower_id FROM parties WHERE id = $1", partyID).Scan(&borrower)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("party", partyID)
		}
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, "DELETE FROM optouts WHERE party_id = $1 AND channel = $2", partyID, channel)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("opt-out", partyID+"/"+channel)
		}
		if err := s.record(ctx, tx, audit.Event{Type: audit.TypeOptOut, At: fromMS(ms(s.now())), Actor: actor(p),
			Subject: map[string]string{"party": partyID, "borrower": borrower},
			Facts:   map[string]any{"change": "lifted", "channel": channel}}); err != nil {
			return err
		}
		s.forgetDebtor(borrower)
		return nil
	})
}

// ---- holds

// HoldInput puts a hold on a borrower.
type HoldInput struct {
	Hold string `json:"hold" enum:"dispute,cease,attorney,deceased,bankrupt,hospitalized,plan_active,paid"`
	Note string `json:"note,omitempty" maxLength:"500"`
}

// CreateHold puts a hold on a borrower. Agencies may record a hold for their cases
// (a debtor disputes the debt on a call); only the lender may lift one.
func (s *Service) CreateHold(ctx context.Context, p Principal, borrowerID string, in HoldInput) (*Hold, error) {
	if err := need(p, ActProtect); err != nil {
		return nil, err
	}
	if _, err := policy.ParseHold(in.Hold); err != nil {
		return nil, invalid("hold", err.Error(), "未知的暂停状态")
	}
	if p.borrower() && !slices.Contains(borrowerHolds, in.Hold) {
		return nil, &Error{Kind: Forbidden, EN: "a borrower may dispute a debt or ask for contact to cease, nothing else",
			ZH: "借款人只能提出异议或要求停止联系"}
	}
	if err := checkText("note", in.Note, false, 500); err != nil {
		return nil, err
	}
	if err := s.borrowerVisible(ctx, s.db.R, p, borrowerID); err != nil {
		return nil, err
	}
	h := &Hold{Hold: in.Hold, Note: in.Note, CreatedAt: fromMS(ms(s.now()))}
	err := s.db.Update(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, "SELECT 1 FROM holds WHERE borrower_id = $1 AND hold = $2", borrowerID, in.Hold).Scan(&one)
		if err == nil {
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO holds (borrower_id, hold, note, created_at) VALUES ($1, $2, $3, $4)",
			borrowerID, h.Hold, h.Note, ms(h.CreatedAt)); err != nil {
			return err
		}
		e := audit.Event{Type: audit.TypeHold, At: h.CreatedAt, Actor: actor(p), Subject: map[string]string{"borrower": borrowerID},
			Digests: map[string]string{}, Facts: map[string]any{"change": "placed", "hold": h.Hold}}
		if h.Note != "" {
			e.Digests["note"] = s.keys.Hash("audit.note", h.Note)
		}
		if err := s.record(ctx, tx, e); err != nil {
			return err
		}
		s.forgetDebtor(borrowerID)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return h, nil
}

func (s *Service) holds(ctx context.Context, q querier, borrowerID string) ([]Hold, error) {
	return collect(ctx, q, func(r *sql.Rows) (Hold, error) {
		var h Hold
		var at int64
		err := r.Scan(&h.Hold, &h.Note, &at)
		h.CreatedAt = fromMS(at)
		return h, err
	}, "SELECT hold, note, created_at FROM holds WHERE borrower_id = $1 ORDER BY created_at, hold", borrowerID)
}

// DeleteHold lifts a hold; only the lender's administrators may.
func (s *Service) DeleteHold(ctx context.Context, p Principal, borrowerID, hold string) error {
	if err := need(p, ActLift); err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM holds WHERE borrower_id = $1 AND hold = $2", borrowerID, hold)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("hold", borrowerID+"/"+hold)
		}
		if err := s.record(ctx, tx, audit.Event{Type: audit.TypeHold, At: fromMS(ms(s.now())), Actor: actor(p),
			Subject: map[string]string{"borrower": borrowerID}, Facts: map[string]any{"change": "lifted", "hold": hold}}); err != nil {
			return err
		}
		s.forgetDebtor(borrowerID)
		return nil
	})
}

// MaxInconvenient is how many inconvenient times of day a borrower may give.
const MaxInconvenient = 4

// SetInconvenientTimes records the times of day ("HH:MM-HH:MM", in the
// borrower's zone) the borrower said are inconvenient for them, replacing any
// before; none clears them. The borrower may, in the portal, and so may those
// who work or protect their cases (a borrower says it on a call). The rule packs
// that honour them decide; each change is an audit leaf.
func (s *Service) SetInconvenientTimes(ctx context.Context, p Principal, borrowerID string, windows []string) ([]string, error) {
	if err := need(p, ActProtect); err != nil {
		return nil, err
	}
	if len(windows) > MaxInconvenient {
		return nil, invalid("inconvenient", fmt.Sprintf("at most %d", MaxInconvenient), fmt.Sprintf("最多 %d 个时段", MaxInconvenient))
	}
	out := make([]string, 0, len(windows))
	for i, w := range windows {
		tw, err := policy.ParseTimeWindow(strings.TrimSpace(w))
		if err != nil {
			return nil, invalid(fmt.Sprintf("inconvenient[%d]", i), err.Error(), "时段格式不正确，应如 12:00-13:30")
		}
		if !slices.Contains(out, tw.String()) {
			out = append(out, tw.String())
		}
	}
	if err := s.borrowerVisible(ctx, s.db.R, p, borrowerID); err != nil {
		return nil, err
	}
	err := s.db.Update(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "UPDATE borrowers SET inconvenient = $1 WHERE id = $2", strings.Join(out, ","), borrowerID); err != nil {
			return err
		}
		if err := s.record(ctx, tx, audit.Event{Type: audit.TypeOptOut, At: fromMS(ms(s.now())), Actor: actor(p),
			Subject: map[string]string{"borrower": borrowerID}, Facts: map[string]any{"change": "inconvenient_times", "times": out}}); err != nil {
			return err
		}
		s.forgetDebtor(borrowerID)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ---- promises

// PromiseInput records a promise to pay.
type PromiseInput struct {
	Amount  int64  `json:"amount" minimum:"1" doc:"minor units"`
	DueDate string `json:"due_date" format:"date"`
}

// CreatePromise records a borrower's promise to pay on a case.
func (s *Service) CreatePromise(ctx context.Context, p Principal, caseID string, in PromiseInput) (*Promise, error) {
	if err := need(p, ActWork); err != nil {
		return nil, err
	}
	if in.Amount <= 0 {
		return nil, invalid("amount", "must be positive", "须为正数")
	}
	if _, err := checkDate("due_date", in.DueDate); err != nil {
		return nil, err
	}
	if _, err := s.Case(ctx, p, caseID); err != nil {
		return nil, err
	}
	pr := &Promise{ID: newID("prm"), CaseID: caseID, Amount: in.Amount, DueDate: in.DueDate, Status: "open", CreatedAt: fromMS(ms(s.now()))}
	err := s.db.Update(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO promises (id, case_id, amount, due_date, status, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
			pr.ID, pr.CaseID, pr.Amount, pr.DueDate, pr.Status, ms(pr.CreatedAt))
		return err
	})
	if err != nil {
		return nil, err
	}
	return pr, nil
}

// Promises lists a case's promises to pay. A promise still open after its due
// date has passed in the borrower's time zone is broken. (fairdebt records no
// payments yet, so a promise becomes kept when someone working the case records
// it: SetPromiseStatus.)
func (s *Service) Promises(ctx context.Context, p Principal, caseID string) ([]Promise, error) {
	c, err := s.Case(ctx, p, caseID)
	if err != nil {
		return nil, err
	}
	out, err := collect(ctx, s.db.R, func(r *sql.Rows) (Promise, error) {
		var pr Promise
		var at int64
		err := r.Scan(&pr.ID, &pr.CaseID, &pr.Amount, &pr.DueDate, &pr.Status, &at)
		pr.CreatedAt = fromMS(at)
		return pr, err
	}, "SELECT id, case_id, amount, due_date, status, created_at FROM promises WHERE case_id = $1 ORDER BY created_at, id", caseID)
	if err != nil || len(out) == 0 {
		return out, err
	}
	var tz string
	if err := s.db.R.QueryRowContext(ctx, "SELECT timezone FROM borrowers WHERE id = $1", c.BorrowerID).Scan(&tz); err != nil {
		return nil, err
	}
	zone, err := time.LoadLocation(tz)
	if err != nil {
		return nil, err
	}
	now := s.now().In(zone)
	for i := range out {
		out[i].Status = promiseStatus(out[i].Status, out[i].DueDate, now)
	}
	return out, nil
}

// Promise states a person may record.
const (
	PromiseKept   = "kept"
	PromiseBroken = "broken"
)

// SetPromiseStatus records what became of a promise to pay: kept (the money came,
// on time or late) or broken. Only a promise still open in the database may be
// resolved; one open past its due date shows as broken until then.
func (s *Service) SetPromiseStatus(ctx context.Context, p Principal, id, status string) (*Promise, error) {
	if err := need(p, ActWork); err != nil {
		return nil, err
	}
	if err := oneOf("status", status, PromiseKept, PromiseBroken); err != nil {
		return nil, err
	}
	var caseID string
	err := s.db.R.QueryRowContext(ctx, "SELECT case_id FROM promises WHERE id = $1", id).Scan(&caseID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("promise", id)
	}
	if err != nil {
		return nil, err
	}
	if _, err := s.Case(ctx, p, caseID); err != nil {
		return nil, notFound("promise", id) // a promise on a case one does not see does not exist
	}
	err = s.db.Update(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE promises SET status = $1 WHERE id = $2 AND status = 'open'", status, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return conflict("the promise is already resolved", "该还款承诺已有结果")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	prs, err := s.Promises(ctx, p, caseID)
	if err != nil {
		return nil, err
	}
	for i := range prs {
		if prs[i].ID == id {
			return &prs[i], nil
		}
	}
	return nil, notFound("promise", id)
}

// ScreenMessage returns the content categories the borrower's rule pack would weigh
// in text sent to a party of a case: what the composer warns about as a message
// is written. (The gate screens again when it is sent.)
func (s *Service) ScreenMessage(ctx context.Context, p Principal, caseID, partyID, text string) ([]string, error) {
	c, err := s.Case(ctx, p, caseID)
	if err != nil {
		return nil, err
	}
	pt, err := s.Party(ctx, p, partyID)
	if err != nil || pt.BorrowerID != c.BorrowerID {
		return nil, notFound("party", partyID)
	}
	var packName string
	if err := s.db.R.QueryRowContext(ctx, "SELECT pack FROM borrowers WHERE id = $1", c.BorrowerID).Scan(&packName); err != nil {
		return nil, err
	}
	pack, err := s.packs.Get(packName)
	if err != nil {
		return nil, err
	}
	role, err := policy.ParseRole(pt.Role)
	if err != nil {
		return nil, err
	}
	out := pack.ContentFor(role, text)
	if out == nil {
		out = []string{}
	}
	return out, nil
}
