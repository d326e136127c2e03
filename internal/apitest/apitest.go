// Package apitest starts a real fairdebt API server on a fresh SQLite database for
// tests, and speaks JSON to it.
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/fairdebt/fairdebt/internal/api"
	"github.com/fairdebt/fairdebt/internal/audit"
	"github.com/fairdebt/fairdebt/internal/clock"
	"github.com/fairdebt/fairdebt/internal/collection"
	"github.com/fairdebt/fairdebt/internal/policy"
	"github.com/fairdebt/fairdebt/internal/secret"
	"github.com/fairdebt/fairdebt/internal/store"
	"github.com/fairdebt/fairdebt/internal/store/storetest"
)

// Env is a running server and what a test needs to drive it.
type Env struct {
	URL        string
	AdminToken string
	DBPath     string
	Service    *collection.Service
	DB         *store.DB
	Keys       *secret.Keys
	Clock      *clock.Manual
	Client     *http.Client
	// AuditKey is the verifier key of the audit log's checkpoints.
	AuditKey string

	close     func() error
	closeOnce sync.Once
	closeErr  error
}

// Start runs a server with the built-in packs, default pack cn, on a database in
// t.TempDir(). now is the service's clock start; a zero now means the real clock.
func Start(t testing.TB, now time.Time) *Env {
	t.Helper()
	dir := t.TempDir()
	keys, _, err := secret.Generate()
	if err != nil {
		t.Fatal(err)
	}
	path := storetest.DSN(t)
	if !storetest.Postgres() {
		path = filepath.Join(dir, "fairdebt.db")
	}
	db := storetest.OpenAt(t, path)
	reg, err := policy.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	env := &Env{DBPath: path, DB: db, Keys: keys}
	nowFunc := time.Now
	if !now.IsZero() {
		env.Clock = clock.NewManual(now)
		nowFunc = env.Clock.Now
	}
	signer, vkey, _, err := audit.LoadSigner(dir, "fairdebt.test/audit")
	if err != nil {
		t.Fatal(err)
	}
	env.AuditKey = vkey
	svc, err := collection.New(collection.Config{DB: db, Keys: keys, Packs: reg, DefaultPack: "cn", Now: nowFunc, AuditSigner: signer})
	if err != nil {
		t.Fatal(err)
	}
	env.Service = svc
	// Checkpoint the audit log as serve does.
	ckptCtx, stopCkpt := context.WithCancel(context.Background())
	ckptDone := make(chan error, 1)
	go func() { ckptDone <- svc.RunAuditCheckpoints(ckptCtx) }()
	env.AdminToken, err = svc.IssueToken(context.Background(), collection.TokenInput{Scope: collection.ScopeAdmin, Name: "test admin"})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := httptest.NewServer(api.New(svc, log, prometheus.NewRegistry()))
	env.URL = srv.URL
	env.Client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}, Timeout: 30 * time.Second}
	env.close = func() error {
		srv.Close()
		stopCkpt()
		if err := <-ckptDone; err != nil {
			return fmt.Errorf("the last audit checkpoint: %w", err)
		}
		if err := db.Close(); err != nil {
			return fmt.Errorf("closing the database: %w", err)
		}
		return nil
	}
	t.Cleanup(func() {
		if err := env.Close(); err != nil {
			t.Error(err)
		}
	})
	return env
}

// Close stops the server as serve does: the HTTP server, then the audit log's
// checkpoints (signing a last one), then the database. Later calls do nothing.
func (e *Env) Close() error {
	e.closeOnce.Do(func() { e.closeErr = e.close() })
	return e.closeErr
}

// Response is what came back from a request.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Send sends a request with the given headers and a body: none when body is nil,
// a []byte or string as is, anything else as JSON.
func (e *Env) Send(t testing.TB, method, path string, header http.Header, body any) Response {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		r = bytes.NewReader(b)
	case string:
		r = bytes.NewReader([]byte(b))
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, e.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := e.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: data}
}

// Do sends a request with a bearer token (none when token is empty) and a body as
// Send does, and returns the status and the response body.
func (e *Env) Do(t testing.TB, method, path, token string, body any) (int, []byte) {
	t.Helper()
	header := http.Header{}
	if token != "" {
		header.Set("Authorization", "Bearer "+token)
	}
	r := e.Send(t, method, path, header, body)
	return r.Status, r.Body
}

// JSON is Do that requires status want and decodes the response into out (unless nil).
func (e *Env) JSON(t testing.TB, method, path, token string, body any, want int, out any) {
	t.Helper()
	status, data := e.Do(t, method, path, token, body)
	if status != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, status, want, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, data)
		}
	}
}

// Fixture is a small world: a lender, two approved agencies with a token each,
// and one borrower (Asia/Shanghai, pack cn) with a debt, an open
// case assigned to the agency and one consented emergency contact.
type Fixture struct {
	LenderID, AgencyID, AgencyToken, OtherAgencyID, OtherAgencyToken string
	BorrowerID, DebtID, CaseID, ContactID                            string
}

// Seed creates the Fixture through the API.
func (e *Env) Seed(t testing.TB) Fixture {
	t.Helper()
	f := Fixture{LenderID: "L1", AgencyID: "A1", OtherAgencyID: "A2", BorrowerID: "B1", DebtID: "DEBT1", CaseID: "CASE1", ContactID: "P1"}
	e.JSON(t, "POST", "/v1/lenders", e.AdminToken, map[string]any{"id": f.LenderID, "name": "Test Lender"}, 201, nil)
	for _, a := range []string{f.AgencyID, f.OtherAgencyID} {
		e.JSON(t, "POST", "/v1/agencies", e.AdminToken, map[string]any{"id": a, "name": "Agency " + a, "approved": true}, 201, nil)
	}
	var tok struct{ Token string }
	e.JSON(t, "POST", "/v1/tokens", e.AdminToken, map[string]any{"scope": "agency", "agency_id": f.AgencyID, "name": "dialer"}, 201, &tok)
	f.AgencyToken = tok.Token
	e.JSON(t, "POST", "/v1/tokens", e.AdminToken, map[string]any{"scope": "agency", "agency_id": f.OtherAgencyID, "name": "other dialer"}, 201, &tok)
	f.OtherAgencyToken = tok.Token
	e.JSON(t, "POST", "/v1/borrowers", e.AdminToken, map[string]any{"id": f.BorrowerID, "lender_id": f.LenderID, "name": "测试用户",
		"timezone": "Asia/Shanghai", "contact_methods": []map[string]string{{"kind": "phone", "value": "+8610000000001"}}}, 201, nil)
	e.JSON(t, "POST", "/v1/debts", e.AdminToken, map[string]any{"id": f.DebtID, "borrower_id": f.BorrowerID, "currency": "CNY",
		"principal": 100000, "installments": []map[string]any{{"due_date": "2026-10-01", "amount": 50000}, {"due_date": "2026-11-01", "amount": 50000}}}, 201, nil)
	e.JSON(t, "POST", "/v1/cases", e.AdminToken, map[string]any{"id": f.CaseID, "debt_id": f.DebtID, "agency_id": f.AgencyID}, 201, nil)
	e.JSON(t, "POST", "/v1/parties", e.AdminToken, map[string]any{"id": f.ContactID, "borrower_id": f.BorrowerID, "role": "emergency_contact",
		"name": "测试联系人", "relation": "parent", "consent": map[string]any{"by": "party", "method": "recorded_call", "evidence": "rec-1"},
		"contact_methods": []map[string]string{{"kind": "phone", "value": "+8610000000002"}}}, 201, nil)
	return f
}
