package collection

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"time"
)

// Principal is who is asking: an API token or a signed-in user. The lender's
// administrators see and change everything; an agency sees the cases assigned to it
// and the borrowers behind them, and works them through the gate.
type Principal struct {
	Admin    bool
	AgencyID string
	// Name identifies the credential in logs: the token's name, or "user:<username>".
	Name string
	// Role is one of Roles. An administrator token has RoleAdmin; an agency token
	// acts as the agency's manager.
	Role string
	// UserID and Lang are set for a signed-in user.
	UserID, Lang string
	// BorrowerID is set for a borrower signed in to the portal: the one borrower
	// whose things they see.
	BorrowerID string
}

// Token scopes. A token acts with a role: admin, compliance and regulator tokens
// with those roles, an agency token as the agency's manager.
const (
	ScopeAdmin      = "admin"
	ScopeAgency     = "agency"
	ScopeCompliance = "compliance"
	ScopeRegulator  = "regulator"
)

// tokenPrefix marks fairdebt API tokens so secret scanners can find leaked ones.
const tokenPrefix = "fdt_"

// ErrBadToken is returned for a missing, unknown or revoked token.
var ErrBadToken = &Error{Kind: Forbidden, EN: "missing, unknown or revoked API token", ZH: "API 令牌缺失、未知或已撤销"}

var errAgencyNotApproved = &Error{Kind: Forbidden, EN: "the agency is not on the approved list", ZH: "该催收机构不在准入名单上"}

// tokenCache remembers recently seen tokens so the gate's hot path does not query
// the database for every request.
type tokenCache struct {
	mu      sync.Mutex
	entries map[string]tokenEntry
	gen     uint64 // bumped by clear, so a lookup that raced a change is not cached
}

type tokenEntry struct {
	p       Principal
	err     error
	expires time.Time
}

const tokenCacheTTL = 10 * time.Second

func (c *tokenCache) get(hash string, now time.Time) (tokenEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[hash]
	if !ok || now.After(e.expires) {
		return tokenEntry{}, false
	}
	return e, true
}

func (c *tokenCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

func (c *tokenCache) put(hash string, e tokenEntry, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if len(c.entries) > 10_000 {
		clear(c.entries)
	}
	c.entries[hash] = e
}

func (c *tokenCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.entries)
	c.gen++
}

// Authenticate returns the principal a bearer token stands for.
func (s *Service) Authenticate(ctx context.Context, token string) (Principal, error) {
	if !strings.HasPrefix(token, tokenPrefix) || len(token) > 200 {
		return Principal{}, ErrBadToken
	}
	hash := s.keys.Hash("api_token", token)
	now := time.Now()
	if e, ok := s.tokens.get(hash, now); ok {
		return e.p, e.err
	}
	gen := s.tokens.generation()
	var p Principal
	var scope string
	var agency sql.NullString
	var approved sql.NullBool
	err := s.db.R.QueryRowContext(ctx, `SELECT t.name, t.scope, t.agency_id, a.approved FROM api_tokens t
		LEFT JOIN agencies a ON a.id = t.agency_id WHERE t.hash = $1 AND t.revoked_at IS NULL`, hash).
		Scan(&p.Name, &scope, &agency, &approved)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		err = ErrBadToken
	case err != nil:
		return Principal{}, err // not cached: the database may recover
	case scope == ScopeAdmin:
		p.Admin, p.Role = true, RoleAdmin
	case scope == ScopeCompliance || scope == ScopeRegulator:
		p.Role = scope // the scopes are the roles' names
	case !approved.Bool:
		err = errAgencyNotApproved
	default:
		p.AgencyID, p.Role = agency.String, RoleAgencyManager
	}
	s.tokens.put(hash, tokenEntry{p: p, err: err, expires: now.Add(tokenCacheTTL)}, gen)
	return p, err
}

// TokenInput creates an API token.
type TokenInput struct {
	Scope    string `json:"scope" enum:"admin,agency,compliance,regulator" doc:"the role the token acts with; an agency token acts as the agency's manager"`
	AgencyID string `json:"agency_id,omitempty" doc:"required for scope agency"`
	Name     string `json:"name" minLength:"1" maxLength:"100" doc:"what the token is for, e.g. dialer-1"`
}

// CreateToken issues an API token and returns it; only its keyed hash is stored, so
// this is the only time it can be read.
func (s *Service) CreateToken(ctx context.Context, p Principal, in TokenInput) (string, error) {
	if err := need(p, ActManage); err != nil {
		return "", err
	}
	return s.IssueToken(ctx, in)
}

// IssueToken issues an API token without asking who wants it: for the server's own
// bootstrap (the first administrator token, the demo).
func (s *Service) IssueToken(ctx context.Context, in TokenInput) (string, error) {
	if err := oneOf("scope", in.Scope, ScopeAdmin, ScopeAgency, ScopeCompliance, ScopeRegulator); err != nil {
		return "", err
	}
	if err := checkText("name", strings.TrimSpace(in.Name), true, 100); err != nil {
		return "", err
	}
	var agency any
	if in.Scope == ScopeAgency {
		if in.AgencyID == "" {
			return "", invalid("agency_id", "required for an agency token", "机构令牌必须指定机构")
		}
		agency = in.AgencyID
	} else if in.AgencyID != "" {
		return "", invalid("agency_id", "only an agency token belongs to an agency", "只有机构令牌才属于某个机构")
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	token := tokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	err := s.db.Update(ctx, func(tx *sql.Tx) error {
		if in.Scope == ScopeAgency {
			if ok, err := exists(ctx, tx, "agencies", in.AgencyID); err != nil || !ok {
				return errors.Join(err, notFoundIf(!ok, "agency_id", "agency", in.AgencyID))
			}
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO api_tokens (id, hash, scope, agency_id, name, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
			newID("tok"), s.keys.Hash("api_token", token), in.Scope, agency, strings.TrimSpace(in.Name), ms(s.now()))
		return err
	})
	if err != nil {
		return "", err
	}
	return token, nil
}

// RegisterToken records a token chosen elsewhere (FAIRDEBT_ADMIN_TOKEN) as an
// administrator token, once.
func (s *Service) RegisterToken(ctx context.Context, token, name string) error {
	if !strings.HasPrefix(token, tokenPrefix) || len(token) < len(tokenPrefix)+32 || len(token) > 200 {
		return invalid("token", "must start with "+tokenPrefix+" and carry at least 32 more characters", "须以 "+tokenPrefix+" 开头并至少再有 32 个字符")
	}
	hash := s.keys.Hash("api_token", token)
	return s.db.Update(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, "SELECT 1 FROM api_tokens WHERE hash = $1", hash).Scan(&one)
		if err == nil {
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		_, err = tx.ExecContext(ctx, "INSERT INTO api_tokens (id, hash, scope, name, created_at) VALUES ($1, $2, $3, $4, $5)",
			newID("tok"), hash, ScopeAdmin, name, ms(s.now()))
		return err
	})
}

// HasAdminToken reports whether any administrator token is active.
func (s *Service) HasAdminToken(ctx context.Context) (bool, error) {
	var n int
	err := s.db.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM api_tokens WHERE scope = $1 AND revoked_at IS NULL", ScopeAdmin).Scan(&n)
	return n > 0, err
}
