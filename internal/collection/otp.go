package collection

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/fairdebt/fairdebt/internal/notify"
	"github.com/fairdebt/fairdebt/internal/secret"
)

// One-time codes prove that a person holds a phone number or e-mail address: a
// borrower signs in to the portal with one sent to the number or address
// registered for them; a third party proves the number they want suppressed.
//
// A code is six digits, valid for CodeLifetime, good for one use and for
// CodeTries wrong guesses. Only a keyed hash of it is stored. Asking for a code
// answers the same whether or not the number is known, so that nobody learns
// who is a borrower; requests are limited per destination and per client.

// Purposes of a one-time code.
const (
	PurposeBorrower   = "borrower"
	PurposeThirdParty = "third_party"
)

// The codes' limits.
const (
	CodeLifetime = 10 * time.Minute
	CodeTries    = 5
	// codesPerHour is how many codes one destination, or one client, may be sent
	// in an hour.
	codesPerHour       = 5
	codesPerHourClient = 20
)

// ErrBadCode is the one answer to a wrong, expired or used code.
var ErrBadCode = &Error{Kind: Unauthenticated, EN: "the code is wrong, expired or already used; ask for a new one",
	ZH: "验证码错误、已过期或已使用，请重新获取"}

// ErrCodeLimited refuses codes and guesses after too many.
var ErrCodeLimited = &Error{Kind: TooMany, EN: "too many codes or wrong guesses; wait an hour and try again",
	ZH: "验证码请求或错误次数过多，请一小时后再试"}

// CodeRequest asks for a one-time code.
type CodeRequest struct {
	Purpose string // PurposeBorrower or PurposeThirdParty
	Kind    string // "phone" or "email"
	Value   string
	// Client names where the request came from (an IP address), for limits.
	Client string
	// Lang is the language of the message: "zh" or "en".
	Lang string
}

// Challenge is a code sent (or, to an unknown borrower, not sent: the answer is
// the same).
type Challenge struct {
	ID string
	// SentTo is the destination, masked.
	SentTo string
}

// SendCode sends a one-time code for r.Purpose: to a borrower, only to a number
// or address registered for them as the debtor; to a third party, to the number
// they gave. It refuses (ErrCodeLimited) after too many requests.
func (s *Service) SendCode(ctx context.Context, r CodeRequest) (*Challenge, error) {
	if r.Kind != "phone" && r.Kind != "email" {
		return nil, invalid("kind", "must be phone or email", "须为 phone 或 email")
	}
	if r.Purpose == PurposeThirdParty && r.Kind != "phone" {
		return nil, invalid("kind", "a third party proves a phone number", "第三方须验证电话号码")
	}
	v, err := NormalizeContact(r.Kind, r.Value)
	if err != nil {
		return nil, invalid("value", err.Error(), "联系方式格式不正确")
	}
	if _, none := s.notifier.(notify.Unconfigured); none {
		return nil, ErrNoGateway
	}
	now := s.now()
	if !s.codes.allowed(now, "d:"+r.Purpose+":"+s.keys.Hash(r.Kind, v), "c:"+r.Client) {
		return nil, ErrCodeLimited
	}
	var subject, to string
	switch r.Purpose {
	case PurposeBorrower:
		subject, to, err = s.debtorByContact(ctx, r.Kind, v)
		if err != nil {
			return nil, err
		}
	case PurposeThirdParty:
		// Every form the number may be on record in: as typed, and with the
		// country code a number typed without one would have.
		var hashes []string
		for _, f := range phoneForms(v) {
			hashes = append(hashes, s.keys.Hash("phone", f))
		}
		subject, to = strings.Join(hashes, ","), v
	default:
		return nil, invalid("purpose", "unknown purpose", "未知用途")
	}
	code := randomCode()
	c := &Challenge{ID: newID("otp"), SentTo: secret.Mask(r.Kind, v)}
	err = s.db.Update(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO otp_codes (id, purpose, subject, code_hash, sent_to, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, c.ID, r.Purpose, subject, s.keys.Hash("otp", c.ID+":"+code), c.SentTo,
			ms(now), ms(now.Add(CodeLifetime)))
		return err
	})
	if err != nil {
		return nil, err
	}
	s.codes.fail(now, "d:"+r.Purpose+":"+s.keys.Hash(r.Kind, v), "c:"+r.Client) // counts sends, not failures
	if subject == "" {
		return c, nil // no such borrower: the same answer, and nothing sent
	}
	text := fmt.Sprintf("【fairdebt】验证码 %s，%d 分钟内有效。请勿告诉他人。", code, int(CodeLifetime/time.Minute))
	if r.Lang == "en" {
		text = fmt.Sprintf("fairdebt: your code is %s, valid for %d minutes. Never share it.", code, int(CodeLifetime/time.Minute))
	}
	if err := s.notifier.Send(ctx, notify.Message{Kind: r.Kind, To: to, Text: text, At: now}); err != nil {
		// The same answer as for a number nobody has, so that a failing gateway
		// does not tell who is a borrower; the caller logs the error.
		return c, &CodeNotSentError{Err: err}
	}
	return c, nil
}

// CodeNotSentError is SendCode's answer when the gateway refused the message:
// the challenge is returned all the same, to be answered as if sent.
type CodeNotSentError struct{ Err error }

func (e *CodeNotSentError) Error() string { return "collection: sending a code: " + e.Err.Error() }
func (e *CodeNotSentError) Unwrap() error { return e.Err }

// ErrNoGateway refuses every code when no SMS or e-mail gateway is configured.
var ErrNoGateway = &Error{Kind: Unavailable, EN: "this service cannot send codes: no SMS or e-mail gateway is configured",
	ZH: "本服务未配置短信或邮件网关，无法发送验证码"}

// debtorByContact finds the borrower whose debtor party has the contact value,
// trying a mainland China (+86) or North American (+1) form of a phone number
// given without its country code. It returns "" when none has it.
func (s *Service) debtorByContact(ctx context.Context, kind, v string) (borrowerID, to string, err error) {
	candidates := []string{v}
	if kind == "phone" {
		candidates = phoneForms(v)
	}
	for _, c := range candidates {
		err = s.db.R.QueryRowContext(ctx, `SELECT p.borrower_id FROM contact_methods m JOIN parties p ON p.id = m.party_id
			WHERE m.value_hash = $1 AND p.role = 'debtor' ORDER BY p.borrower_id LIMIT 1`, s.keys.Hash(kind, c)).Scan(&borrowerID)
		if err == nil {
			return borrowerID, c, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return "", "", err
		}
	}
	return "", "", nil
}

// checkCode spends a code: it returns the challenge's subject if code is right,
// unexpired and unused. A wrong code counts against the challenge and the client.
func (s *Service) checkCode(ctx context.Context, purpose, id, code, client string) (string, error) {
	now := s.now()
	if !s.codes.allowed(now, "c:"+client) {
		return "", ErrCodeLimited
	}
	code = strings.TrimSpace(code)
	var subject string
	wrong := false // a wrong guess, counted in the transaction, which must commit
	err := s.db.Update(ctx, func(tx *sql.Tx) error {
		var hash string
		var tries int
		var expires int64
		var used sql.NullInt64
		err := tx.QueryRowContext(ctx, "SELECT subject, code_hash, tries, expires_at, used_at FROM otp_codes WHERE id = $1 AND purpose = $2",
			id, purpose).Scan(&subject, &hash, &tries, &expires, &used)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return ErrBadCode
		case err != nil:
			return err
		case used.Valid || expires <= ms(now):
			return ErrBadCode
		case tries >= CodeTries:
			return ErrCodeLimited
		}
		if subject == "" || subtle.ConstantTimeCompare([]byte(s.keys.Hash("otp", id+":"+code)), []byte(hash)) != 1 {
			wrong = true
			_, err := tx.ExecContext(ctx, "UPDATE otp_codes SET tries = tries + 1 WHERE id = $1", id)
			return err
		}
		_, err = tx.ExecContext(ctx, "UPDATE otp_codes SET used_at = $1 WHERE id = $2 AND used_at IS NULL", ms(now), id)
		return err
	})
	if err == nil && wrong || errors.Is(err, ErrBadCode) {
		s.codes.fail(now, "c:"+client)
		return "", ErrBadCode
	}
	if err != nil {
		return "", err
	}
	return subject, nil
}

// BorrowerLogin signs a borrower in with the code sent to them, starting a
// session as for a user. The borrower's account is made at the first sign-in.
func (s *Service) BorrowerLogin(ctx context.Context, challengeID, code, client string) (string, Principal, error) {
	borrowerID, err := s.checkCode(ctx, PurposeBorrower, challengeID, code, client)
	if err != nil {
		return "", Principal{}, err
	}
	var token string
	var u User
	err = s.db.Update(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, "SELECT id, username, lang FROM users WHERE borrower_id = $1", borrowerID).Scan(&u.ID, &u.Username, &u.Lang)
		if errors.Is(err, sql.ErrNoRows) {
			// Not a name anyone can sign in with by password: the pattern has no ':'.
			u = User{ID: newID("usr"), Username: "borrower:" + borrowerID}
			_, err = tx.ExecContext(ctx, `INSERT INTO users (id, username, role, borrower_id, lang, password_hash, created_at)
				VALUES ($1, $2, $3, $4, '', '!', $5)`, u.ID, u.Username, RoleBorrower, borrowerID, ms(s.now()))
		}
		if err != nil {
			return err
		}
		token, err = s.startSession(ctx, tx, u.ID)
		return err
	})
	if err != nil {
		return "", Principal{}, err
	}
	u.Role, u.BorrowerID = RoleBorrower, borrowerID
	return token, userPrincipal(u), nil
}

// PurgeCodes deletes the one-time codes that expired more than a day ago (kept
// that long for the limits' sake); it returns how many. RunSweeps calls it.
func (s *Service) PurgeCodes(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.Update(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM otp_codes WHERE expires_at < $1", ms(s.now().Add(-24*time.Hour)))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

// phoneForms is a phone number as typed and, typed without a country code, as a
// mainland China (+86, eleven digits starting with 1) or North American (+1, ten
// digits) number.
func phoneForms(v string) []string {
	forms := []string{v}
	if !strings.HasPrefix(v, "+") {
		switch {
		case len(v) == 11 && v[0] == '1':
			forms = append(forms, "+86"+v)
		case len(v) == 10:
			forms = append(forms, "+1"+v)
		}
	}
	return forms
}

func randomCode() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		panic("collection: no randomness: " + err.Error())
	}
	return fmt.Sprintf("%06d", n.Int64())
}
