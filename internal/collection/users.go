package collection

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/fairdebt/fairdebt/internal/secret"
)

// Roles. A principal has exactly one.
const (
	RoleAdmin         = "admin"          // the lender's administrators: everything
	RoleCompliance    = "compliance"     // the lender's compliance staff
	RoleAgencyManager = "agency_manager" // runs an agency's team; agency API tokens act as one
	RoleCollector     = "collector"      // works the cases assigned to them
	RoleRegulator     = "regulator"      // reads everything, of every lender and agency, and changes nothing
	// RoleBorrower is a borrower signed in to the portal with a one-time code: they
	// see their own debts and everything done about them, and exercise their
	// rights. Not a role an account is created with.
	RoleBorrower = "borrower"
)

// Roles lists the roles a user may have, in the order they are shown.
var Roles = []string{RoleAdmin, RoleCompliance, RoleAgencyManager, RoleCollector, RoleRegulator}

// agencyRole reports whether a role belongs to an agency's staff.
func agencyRole(role string) bool { return role == RoleAgencyManager || role == RoleCollector }

// User is an account that signs in to the web UI.
type User struct {
	ID        string    `json:"id"`
	Username  string    `json:"username"`
	Role      string    `json:"role"`
	AgencyID  string    `json:"agency_id,omitempty"`
	Lang      string    `json:"lang,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	Disabled  bool      `json:"disabled"`
	// BorrowerID is set for a borrower's account.
	BorrowerID string `json:"borrower_id,omitempty"`
}

// UserInput creates a user.
type UserInput struct {
	Username string
	Role     string
	AgencyID string
	Lang     string // "", "zh" or "en"
	Password string
}

// MinPasswordLen is the shortest password accepted (NIST SP 800-63B asks for at
// least 8; fairdebt's users see debtors' data, so 12).
const MinPasswordLen = 12

var usernamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{2,63}$`)

func checkPassword(username, password string) error {
	switch n := utf8.RuneCountInString(password); {
	case n < MinPasswordLen:
		return invalid("password", fmt.Sprintf("must be at least %d characters", MinPasswordLen), fmt.Sprintf("至少 %d 个字符", MinPasswordLen))
	case len(password) > secret.MaxPasswordLen:
		return invalid("password", fmt.Sprintf("must be at most %d bytes", secret.MaxPasswordLen), fmt.Sprintf("不得超过 %d 字节", secret.MaxPasswordLen))
	case !utf8.ValidString(password):
		return invalid("password", "must be valid UTF-8 text", "须为有效的 UTF-8 文本")
	case strings.EqualFold(password, username):
		return invalid("password", "must not be the username", "不得与用户名相同")
	}
	return nil
}

// CreateUser adds a user. Only administrators may; the command line acts as one.
func (s *Service) CreateUser(ctx context.Context, p Principal, in UserInput) (*User, error) {
	if err := need(p, ActManage); err != nil {
		return nil, err
	}
	in.Username = strings.ToLower(strings.TrimSpace(in.Username))
	if !usernamePattern.MatchString(in.Username) {
		return nil, invalid("username", "must be 3-64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit",
			"须为 3-64 个小写字母、数字或 . _ -，并以字母或数字开头")
	}
	if !slices.Contains(Roles, in.Role) {
		return nil, invalid("role", fmt.Sprintf("must be one of %s", strings.Join(Roles, ", ")), "角色无效")
	}
	switch {
	case agencyRole(in.Role) && in.AgencyID == "":
		return nil, invalid("agency_id", "required for an agency's staff", "催收机构人员必须指定所属机构")
	case !agencyRole(in.Role) && in.AgencyID != "":
		return nil, invalid("agency_id", "only an agency's staff belong to an agency", "只有催收机构人员才属于某个机构")
	}
	if err := checkLang(in.Lang); err != nil {
		return nil, err
	}
	if err := checkPassword(in.Username, in.Password); err != nil {
		return nil, err
	}
	hash, err := secret.HashPassword(in.Password)
	if err != nil {
		return nil, err
	}
	u := &User{ID: newID("usr"), Username: in.Username, Role: in.Role, AgencyID: in.AgencyID, Lang: in.Lang,
		CreatedAt: fromMS(ms(s.now()))}
	var agency any
	if in.AgencyID != "" {
		agency = in.AgencyID
	}
	err = s.db.Update(ctx, func(tx *sql.Tx) error {
		if in.AgencyID != "" {
			var one int
			err := tx.QueryRowContext(ctx, "SELECT 1 FROM agencies WHERE id = $1", in.AgencyID).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return notFoundIf(true, "agency_id", "agency", in.AgencyID)
			}
			if err != nil {
				return err
			}
		}
		var taken int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM users WHERE username = $1", in.Username).Scan(&taken); err != nil {
			return err
		}
		if taken > 0 {
			return &Error{Kind: Conflict, Field: "username", EN: "is taken", ZH: "已被使用"}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO users (id, username, role, agency_id, lang, password_hash, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, u.ID, u.Username, u.Role, agency, u.Lang, hash, ms(u.CreatedAt))
		return err
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

func checkLang(lang string) error {
	if lang != "" && lang != "zh" && lang != "en" {
		return invalid("lang", "must be zh, en or empty (the browser's language)", "须为 zh、en 或留空（跟随浏览器）")
	}
	return nil
}

// SetLanguage sets the signed-in user's own language: "zh", "en", or "" for the
// browser's. It takes effect on their next page.
func (s *Service) SetLanguage(ctx context.Context, p Principal, lang string) error {
	if p.UserID == "" {
		return &Error{Kind: Forbidden, EN: "only a signed-in user has a language preference", ZH: "只有已登录的用户才能设置语言偏好"}
	}
	if err := checkLang(lang); err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE users SET lang = $1 WHERE id = $2 AND disabled_at IS NULL", lang, p.UserID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("user", p.UserID)
		}
		return nil
	})
}

// SetPassword replaces a user's password and ends their sessions. Only
// administrators may.
func (s *Service) SetPassword(ctx context.Context, p Principal, username, password string) error {
	if err := need(p, ActManage); err != nil {
		return err
	}
	username = strings.ToLower(strings.TrimSpace(username))
	if err := checkPassword(username, password); err != nil {
		return err
	}
	hash, err := secret.HashPassword(password)
	if err != nil {
		return err
	}
	err = s.db.Update(ctx, func(tx *sql.Tx) error {
		var id string
		err := tx.QueryRowContext(ctx, "SELECT id FROM users WHERE username = $1", username).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("user", username)
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE users SET password_hash = $1 WHERE id = $2", hash, id); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM sessions WHERE user_id = $1", id)
		return err
	})
	if err == nil {
		s.logins.forget("u:" + username)
	}
	return err
}

// Users lists the users, by username. Only administrators may.
func (s *Service) Users(ctx context.Context, p Principal) ([]User, error) {
	if err := need(p, ActManage); err != nil {
		return nil, err
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT id, username, role, COALESCE(agency_id, ''), lang, created_at, disabled_at IS NOT NULL
		FROM users ORDER BY username`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		var u User
		var created int64
		if err := rows.Scan(&u.ID, &u.Username, &u.Role, &u.AgencyID, &u.Lang, &created, &u.Disabled); err != nil {
			return nil, err
		}
		u.CreatedAt = fromMS(created)
		out = append(out, u)
	}
	return out, rows.Err()
}

// Sessions last SessionLifetime from sign-in, however active.
const SessionLifetime = 12 * time.Hour

// sessionPrefix marks session tokens, as tokenPrefix marks API tokens.
const sessionPrefix = "fds_"

// ErrBadLogin is the one answer to a wrong username or a wrong password: it does
// not say which.
var ErrBadLogin = &Error{Kind: Unauthenticated, EN: "wrong username or password", ZH: "用户名或密码错误"}

// ErrLoginLimited refuses a sign-in after too many failures.
var ErrLoginLimited = &Error{Kind: TooMany, EN: "too many failed sign-ins; wait a few minutes and try again",
	ZH: "登录失败次数过多，请几分钟后再试"}

// ErrNoSession is returned for a missing, unknown or expired session.
var ErrNoSession = &Error{Kind: Unauthenticated, EN: "not signed in, or the session has expired", ZH: "未登录或会话已过期"}

// dummyHash is checked against when the username is unknown, so that a wrong
// username takes as long to refuse as a wrong password.
var dummyHash = sync.OnceValue(func() string {
	h, err := secret.HashPassword("fairdebt: no such user")
	if err != nil {
		panic(err)
	}
	return h
})

// Login checks a username and password and starts a session, returning its token
// (for a cookie) and the principal it stands for. client names where the request
// came from (an IP address), for rate limiting: after loginFailures failed
// attempts within loginWindow for one username, or loginClientFailures from one
// client, sign-ins are refused for the rest of the window, right or wrong.
func (s *Service) Login(ctx context.Context, username, password, client string) (string, Principal, error) {
	username = strings.ToLower(strings.TrimSpace(username))
	now := s.now()
	if len(username) > 64 || !s.logins.allowed(now, "u:"+username, "c:"+client) {
		return "", Principal{}, ErrLoginLimited
	}
	var u User
	var hash string
	var agency sql.NullString
	var disabled bool
	err := s.db.R.QueryRowContext(ctx, `SELECT id, username, role, agency_id, lang, password_hash, disabled_at IS NOT NULL
		FROM users WHERE username = $1`, username).Scan(&u.ID, &u.Username, &u.Role, &agency, &u.Lang, &hash, &disabled)
	found := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", Principal{}, err
	}
	if !found {
		hash = dummyHash()
	}
	ok, err := secret.CheckPassword(hash, password)
	if err != nil {
		return "", Principal{}, fmt.Errorf("collection: user %s: %w", username, err)
	}
	if !found || !ok || disabled {
		s.logins.fail(now, "u:"+username, "c:"+client)
		return "", Principal{}, ErrBadLogin
	}
	s.logins.forget("u:" + username)
	u.AgencyID = agency.String
	var token string
	err = s.db.Update(ctx, func(tx *sql.Tx) (err error) {
		token, err = s.startSession(ctx, tx, u.ID)
		return err
	})
	if err != nil {
		return "", Principal{}, err
	}
	return token, userPrincipal(u), nil
}

// startSession starts a session for a user in tx and returns its token. The
// user's sessions that have expired go as a new one starts.
func (s *Service) startSession(ctx context.Context, tx *sql.Tx, userID string) (string, error) {
	now := s.now()
	if _, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE user_id = $1 AND expires_at <= $2", userID, ms(now)); err != nil {
		return "", err
	}
	token := sessionPrefix + randomToken()
	_, err := tx.ExecContext(ctx, "INSERT INTO sessions (hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
		s.keys.Hash("session", token), userID, ms(now), ms(now.Add(SessionLifetime)))
	return token, err
}

func userPrincipal(u User) Principal {
	name := "user:" + u.Username
	if u.Role == RoleBorrower {
		name = "borrower" // as the audit log names the borrower, never by id or name
	}
	return Principal{Admin: u.Role == RoleAdmin, AgencyID: u.AgencyID, Name: name, Role: u.Role, UserID: u.ID, Lang: u.Lang,
		BorrowerID: u.BorrowerID}
}

// Session returns the principal a session token stands for.
func (s *Service) Session(ctx context.Context, token string) (Principal, error) {
	if !strings.HasPrefix(token, sessionPrefix) || len(token) > 100 {
		return Principal{}, ErrNoSession
	}
	var u User
	var agency sql.NullString
	var borrower sql.NullString
	err := s.db.R.QueryRowContext(ctx, `SELECT u.id, u.username, u.role, u.agency_id, u.lang, u.borrower_id FROM sessions s
		JOIN users u ON u.id = s.user_id
		WHERE s.hash = $1 AND s.expires_at > $2 AND u.disabled_at IS NULL`, s.keys.Hash("session", token), ms(s.now())).
		Scan(&u.ID, &u.Username, &u.Role, &agency, &u.Lang, &borrower)
	if errors.Is(err, sql.ErrNoRows) {
		return Principal{}, ErrNoSession
	}
	if err != nil {
		return Principal{}, err
	}
	u.AgencyID, u.BorrowerID = agency.String, borrower.String
	return userPrincipal(u), nil
}

// Logout ends a session. Ending one that does not exist is not an error.
func (s *Service) Logout(ctx context.Context, token string) error {
	return s.db.Update(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE hash = $1", s.keys.Hash("session", token))
		return err
	})
}

// CSRFToken returns the token that forms of the session must carry: a keyed hash of
// the session token, so that it needs no storage and dies with the session.
func (s *Service) CSRFToken(session string) string { return s.keys.Hash("csrf", session) }

func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("collection: no randomness: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// Sign-in rate limits.
const (
	loginWindow         = 15 * time.Minute
	loginFailures       = 5  // per username
	loginClientFailures = 20 // per client address
)

// limiter counts events (failed sign-ins, codes sent, wrong codes) per key within
// a window: a client's keys start with "c:" and have their own, higher limit. It
// lives in memory: a restart forgives, and each replica counts alone.
type limiter struct {
	window                time.Duration
	keyLimit, clientLimit int

	mu    sync.Mutex
	fails map[string][]time.Time
}

func (l *limiter) recent(now time.Time, key string) []time.Time {
	ts := l.fails[key]
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= l.window {
		i++
	}
	ts = ts[i:]
	if len(ts) == 0 {
		delete(l.fails, key)
		return nil
	}
	l.fails[key] = ts
	return ts
}

// allowed reports whether every key is under its limit.
func (l *limiter) allowed(now time.Time, keys ...string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fails == nil {
		return true
	}
	for _, k := range keys {
		limit := l.keyLimit
		if strings.HasPrefix(k, "c:") {
			limit = l.clientLimit
		}
		if len(l.recent(now, k)) >= limit {
			return false
		}
	}
	return true
}

// fail counts one event against each key.
func (l *limiter) fail(now time.Time, keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fails == nil {
		l.fails = map[string][]time.Time{}
	}
	if len(l.fails) > 100_000 {
		clear(l.fails) // bounded memory under a flood of made-up keys
	}
	for _, k := range keys {
		l.fails[k] = append(l.recent(now, k), now)
	}
}

func (l *limiter) forget(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.fails, key)
}

// Collectors lists the active collectors of an agency, by username: those who
// may be given its cases. Those who assign cases and see the agency may ask.
func (s *Service) Collectors(ctx context.Context, p Principal, agencyID string) ([]User, error) {
	if err := need(p, ActAssign); err != nil {
		return nil, err
	}
	if !p.sees(agencyID) {
		return nil, notFound("agency", agencyID)
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT id, username, role, lang, created_at FROM users
		WHERE agency_id = $1 AND role = $2 AND disabled_at IS NULL ORDER BY username`, agencyID, RoleCollector)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []User{}
	for rows.Next() {
		u := User{AgencyID: agencyID}
		var created int64
		if err := rows.Scan(&u.ID, &u.Username, &u.Role, &u.Lang, &created); err != nil {
			return nil, err
		}
		u.CreatedAt = fromMS(created)
		out = append(out, u)
	}
	return out, rows.Err()
}
