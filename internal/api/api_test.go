package api_test

// API tests: every operation registered in api.go, through HTTP, on a real server
// with a fixed clock. Subtests are named after the operation id ("create-lender/
// duplicate id"). Each top-level test starts its own server and database.
//
// Every response body of every test is recorded, and at the end of the test none
// may contain a clear phone number or ID number the test stored: the API shows them
// masked only.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/fairdebt/fairdebt/internal/apitest"
	"github.com/fairdebt/fairdebt/internal/collection"
	"github.com/fairdebt/fairdebt/internal/policy"
	"github.com/fairdebt/fairdebt/internal/screen"
)

var (
	shanghai = mustLocation("Asia/Shanghai")
	newYork  = mustLocation("America/New_York")
	// fixedTime is the clock every test starts at: a Tuesday morning in Shanghai.
	fixedTime = time.Date(2026, 11, 24, 10, 0, 0, 0, shanghai)
	// createdAt is fixedTime as the API writes the time of a new record.
	createdAt = "2026-11-24T02:00:00Z"
)

// operations lists every operation api.go registers. TestOpenAPI requires the
// document to list exactly these, so a new operation fails it until it is added
// here and covered below.
var operations = []string{
	"create-lender", "list-lenders", "get-lender", "update-lender",
	"create-agency", "list-agencies", "get-agency", "update-agency",
	"create-borrower", "list-borrowers", "get-borrower", "list-borrower-debts", "list-borrower-parties", "list-borrower-optouts",
	"create-hold", "delete-hold",
	"create-debt", "get-debt",
	"create-case", "list-cases", "get-case", "update-case", "assign-case", "list-case-attempts",
	"create-promise", "list-promises", "update-promise", "get-stats",
	"create-party", "get-party", "update-party", "create-contact-method", "lookup-contact",
	"create-optout", "delete-optout",
	"create-attempt", "get-attempt", "record-outcome", "check", "screen",
	"create-token",
	"get-audit-checkpoint", "get-audit-entry", "get-audit-consistency", "list-attempt-receipts",
}

func mustLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// ---- harness

// harness is a running server seeded with apitest's Fixture (L1; approved agencies
// A1 and A2 with tokens; borrower B1, Asia/Shanghai, pack cn, phone +8610000000001;
// DEBT1; CASE1 assigned to A1; emergency contact P1, phone +8610000000002).
type harness struct {
	*apitest.Env
	f   apitest.Fixture
	rec *recorder

	mu      sync.Mutex
	secrets []string
}

// start runs a server at fixedTime and seeds the fixture.
func start(t *testing.T) *harness {
	t.Helper()
	env := apitest.Start(t, fixedTime)
	rec := &recorder{next: env.Client.Transport}
	env.Client.Transport = rec
	h := &harness{Env: env, rec: rec}
	h.secret("+8610000000001", "+8610000000002")
	h.f = env.Seed(t)
	t.Cleanup(func() { h.checkNoClearValues(t) })
	return h
}

// secret records clear values (phone numbers with a leading "+", ID numbers) no
// response may contain, in any of the forms they might leak in.
func (h *harness) secret(values ...string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, v := range values {
		h.secrets = append(h.secrets, v)
		if n, ok := strings.CutPrefix(v, "+86"); ok {
			h.secrets = append(h.secrets, "86"+n, n)
		}
	}
}

func (h *harness) checkNoClearValues(t *testing.T) {
	t.Helper()
	h.mu.Lock()
	secrets := slices.Clone(h.secrets)
	h.mu.Unlock()
	bodies := h.rec.all()
	if len(bodies) == 0 {
		t.Error("no response was recorded")
	}
	for _, b := range bodies {
		for _, s := range secrets {
			if strings.Contains(b.body, s) {
				t.Errorf("%s: the response contains the clear value %q: %s", b.request, s, b.body)
			}
		}
	}
}

// recorder keeps every response body that passes through the client.
type recorder struct {
	next http.RoundTripper
	mu   sync.Mutex
	seen []recorded
}

type recorded struct{ request, body string }

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(data))
	r.mu.Lock()
	r.seen = append(r.seen, recorded{request: req.Method + " " + req.URL.RequestURI(), body: string(data)})
	r.mu.Unlock()
	return resp, nil
}

func (r *recorder) all() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.seen)
}

// response is what call returns: unlike Env.Do, it keeps the headers.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decoding %s: %v", r.body, err)
	}
}

// call sends a request like Env.Do (a bearer token unless empty; a JSON body unless
// nil, a string or []byte sent as is) and returns the status, headers and body.
func (h *harness) call(t *testing.T, method, path, token string, body any) response {
	t.Helper()
	header := http.Header{}
	if token != "" {
		header.Set("Authorization", "Bearer "+token)
	}
	return h.callWith(t, method, path, header, body)
}

func (h *harness) callWith(t *testing.T, method, path string, header http.Header, body any) response {
	t.Helper()
	r := h.Send(t, method, path, header, body)
	return response{status: r.Status, header: r.Header, body: r.Body}
}

// step is one request and what must come back.
type step struct {
	name   string // operation id / what is tried
	method string
	path   string
	token  string
	body   any
	want   int
	// field is the request field a problem must name, in field or errors[].location.
	field string
	check func(t *testing.T, r response)
}

// run runs steps in order, each as a subtest.
func (h *harness) run(t *testing.T, steps []step) {
	t.Helper()
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			t.Helper()
			r := h.call(t, s.method, s.path, s.token, s.body)
			if r.status != s.want {
				t.Fatalf("%s %s: status %d, want %d: %s", s.method, s.path, r.status, s.want, r.body)
			}
			if s.want >= 400 {
				checkProblem(t, r, s.want, s.field)
			} else if ct := mediaType(r); r.status != http.StatusNoContent && ct != "application/json" {
				t.Errorf("Content-Type %q, want application/json", ct)
			}
			if s.check != nil {
				s.check(t, r)
			}
		})
	}
}

// problem is an RFC 9457 problem document as the API writes it.
type problem struct {
	Type      string            `json:"type"`
	Title     string            `json:"title"`
	Status    int               `json:"status"`
	Detail    string            `json:"detail"`
	DetailZH  string            `json:"detail_zh"`
	Field     string            `json:"field"`
	Violation *policy.Violation `json:"violation"`
	Errors    []struct {
		Message  string `json:"message"`
		Location string `json:"location"`
	} `json:"errors"`
}

// names reports whether the problem names field: in field, in an error location
// (with or without its body., query. or path. prefix) or, for a missing required
// property, which huma reports at the enclosing object, in the message at that
// location.
func (p problem) names(field string) bool {
	if p.Field == field {
		return true
	}
	parent, name := "", field
	if i := strings.LastIndexByte(field, '.'); i >= 0 {
		parent, name = field[:i], field[i+1:]
	}
	for _, e := range p.Errors {
		for _, prefix := range []string{"", "body.", "query.", "path."} {
			if e.Location == prefix+field {
				return true
			}
		}
		if e.Location == strings.TrimSuffix("body."+parent, ".") && e.Message == "expected required property "+name+" to be present" {
			return true
		}
	}
	return false
}

func mediaType(r response) string {
	mt, _, _ := mime.ParseMediaType(r.header.Get("Content-Type"))
	return mt
}

// checkProblem requires r to be a problem document with the status, a title, an
// English detail, a Chinese one, and, when field is set, naming the field.
func checkProblem(t *testing.T, r response, status int, field string) problem {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if ct := mediaType(r); ct != "application/problem+json" {
		t.Errorf("Content-Type %q, want application/problem+json", r.header.Get("Content-Type"))
	}
	var p problem
	r.decode(t, &p)
	if p.Status != status {
		t.Errorf("problem status %d, want %d", p.Status, status)
	}
	if p.Title != http.StatusText(status) {
		t.Errorf("problem title %q, want %q", p.Title, http.StatusText(status))
	}
	if strings.TrimSpace(p.Detail) == "" {
		t.Errorf("problem without detail: %s", r.body)
	}
	if !hasHan(p.DetailZH) {
		t.Errorf("detail_zh %q is not Chinese: %s", p.DetailZH, r.body)
	}
	if field != "" && !p.names(field) {
		t.Errorf("the problem does not name the field %q: %s", field, r.body)
	}
	return p
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// decodeAs decodes a response body into a T.
func decodeAs[T any](t *testing.T, r response) T {
	t.Helper()
	var v T
	r.decode(t, &v)
	return v
}

// items decodes an {"items": [...]} body.
func items[T any](t *testing.T, r response) []T {
	t.Helper()
	var v struct {
		Items []T `json:"items"`
	}
	r.decode(t, &v)
	if v.Items == nil {
		t.Fatalf("no items array: %s", r.body)
	}
	return v.Items
}

func ids[T any](v []T, id func(T) string) []string {
	out := make([]string, len(v))
	for i := range v {
		out[i] = id(v[i])
	}
	return out
}

func wantIDs[T any](id func(T) string, want ...string) func(t *testing.T, r response) {
	return func(t *testing.T, r response) {
		t.Helper()
		if got := ids(items[T](t, r), id); !slices.Equal(got, want) {
			t.Errorf("ids %v, want %v", got, want)
		}
	}
}

func caseID(c collection.Case) string         { return c.ID }
func borrowerID(b collection.Borrower) string { return b.ID }
func partyID(p collection.Party) string       { return p.ID }
func lenderID(l collection.Lender) string     { return l.ID }
func agencyID(a collection.Agency) string     { return a.ID }
func attemptID(a collection.Attempt) string   { return a.ID }

// world is a borrower with one phone number, a debt and an open case assigned to A1.
type world struct {
	borrower, debt, caseID, methodID string
}

// debtor creates a world: borrower id, DEBT-id, CASE-id.
func (h *harness) debtor(t *testing.T, id, pack, tz, phone string) world {
	t.Helper()
	h.secret(phone)
	w := world{borrower: id, debt: "DEBT-" + id, caseID: "CASE-" + id}
	h.JSON(t, "POST", "/v1/borrowers", h.AdminToken, map[string]any{"id": id, "lender_id": h.f.LenderID, "name": "Debtor " + id,
		"timezone": tz, "pack": pack, "contact_methods": []map[string]string{{"kind": "phone", "value": phone}}}, 201, nil)
	h.JSON(t, "POST", "/v1/debts", h.AdminToken, map[string]any{"id": w.debt, "borrower_id": id, "currency": "CNY", "principal": 10000,
		"installments": []map[string]any{{"due_date": "2026-11-01", "amount": 10000}}}, 201, nil)
	h.JSON(t, "POST", "/v1/cases", h.AdminToken, map[string]any{"id": w.caseID, "debt_id": w.debt, "agency_id": h.f.AgencyID}, 201, nil)
	var p collection.Party
	h.JSON(t, "GET", "/v1/parties/"+id, h.AdminToken, nil, 200, &p)
	if len(p.ContactMethods) != 1 {
		t.Fatalf("debtor %s: %d contact methods, want 1", id, len(p.ContactMethods))
	}
	w.methodID = p.ContactMethods[0].ID
	return w
}

// methodOf returns the id of the party's only contact method of the kind.
func methodOf(t *testing.T, p collection.Party, kind string) string {
	t.Helper()
	var found []string
	for _, m := range p.ContactMethods {
		if m.Kind == kind {
			found = append(found, m.ID)
		}
	}
	if len(found) != 1 {
		t.Fatalf("party %s has %d %s contact methods, want 1", p.ID, len(found), kind)
	}
	return found[0]
}

// attempt asks the gate with A1's token; the request must be recorded (201).
func (h *harness) attempt(t *testing.T, body map[string]any) collection.Attempt {
	t.Helper()
	var a collection.Attempt
	h.JSON(t, "POST", "/v1/attempts", h.f.AgencyToken, body, 201, &a)
	if a.ID == "" || a.Allowed != a.Decision.Allowed {
		t.Fatalf("malformed attempt: %+v", a)
	}
	return a
}

func (h *harness) outcome(t *testing.T, attemptID, result string) {
	t.Helper()
	h.JSON(t, "POST", "/v1/attempts/"+attemptID+"/outcome", h.f.AgencyToken, map[string]string{"result": result}, 200, nil)
}

// setClock moves the service's clock and puts it back at fixedTime after the test.
func (h *harness) setClock(t *testing.T, at time.Time) {
	t.Helper()
	h.Clock.Set(at)
	t.Cleanup(func() { h.Clock.Set(fixedTime) })
}

// violated returns the violation of the category, failing unless there is one.
func violated(t *testing.T, a collection.Attempt, category, rule string) policy.Violation {
	t.Helper()
	if a.Allowed {
		t.Fatalf("attempt %s allowed, want denied with %s", a.ID, category)
	}
	for _, v := range a.Decision.Violations {
		if v.Category == category && (rule == "" || v.Rule == rule) {
			if !hasHan(v.Reason.ZH) || v.Reason.EN == "" || v.Citation == "" {
				t.Errorf("violation %s without reasons or citation: %+v", v.Rule, v)
			}
			return v
		}
	}
	t.Fatalf("attempt %s denied without a %s violation (rule %q): %+v", a.ID, category, rule, a.Decision.Violations)
	return policy.Violation{}
}

func allowed(t *testing.T, a collection.Attempt) {
	t.Helper()
	if !a.Allowed || !a.Decision.Allowed || len(a.Decision.Violations) != 0 {
		t.Fatalf("attempt %s denied, want allowed: %+v", a.ID, a.Decision)
	}
}

// ---- documents and probes

func TestOpenAPI(t *testing.T) {
	h := start(t)
	t.Run("openapi", func(t *testing.T) {
		r := h.call(t, "GET", "/openapi.json", "", nil)
		if r.status != 200 {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
		var doc struct {
			OpenAPI string                               `json:"openapi"`
			Paths   map[string]map[string]map[string]any `json:"paths"`
		}
		r.decode(t, &doc)
		if !strings.HasPrefix(doc.OpenAPI, "3.1.") {
			t.Errorf("openapi %q, want 3.1.x", doc.OpenAPI)
		}
		var got []string
		for _, methods := range doc.Paths {
			for _, op := range methods {
				if id, ok := op["operationId"].(string); ok {
					got = append(got, id)
				}
			}
		}
		slices.Sort(got)
		want := slices.Sorted(slices.Values(operations))
		if !slices.Equal(got, want) {
			t.Errorf("operation ids in the document:\n%v\nwant (the ones this file covers):\n%v", got, want)
		}
	})
	t.Run("docs", func(t *testing.T) {
		r := h.call(t, "GET", "/docs", "", nil)
		if r.status != 200 || mediaType(r) != "text/html" {
			t.Fatalf("status %d, Content-Type %q", r.status, r.header.Get("Content-Type"))
		}
		if !strings.Contains(strings.ToLower(string(r.body)), "<html") || !strings.Contains(string(r.body), "/openapi") {
			t.Errorf("not the rendered document: %.300s", r.body)
		}
	})
	t.Run("healthz", func(t *testing.T) {
		r := h.call(t, "GET", "/healthz", "", nil)
		if r.status != 200 || strings.TrimSpace(string(r.body)) != "ok" {
			t.Fatalf("status %d: %q", r.status, r.body)
		}
	})
}

func TestMetrics(t *testing.T) {
	h := start(t)
	a := h.attempt(t, map[string]any{"case_id": h.f.CaseID, "party_id": h.f.BorrowerID, "channel": "call"})
	allowed(t, a)
	r := h.call(t, "GET", "/metrics", "", nil)
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	for _, want := range []string{
		"fairdebt_decisions_total",
		`fairdebt_decisions_total{allowed="true",category="none"} 1`,
		`fairdebt_decisions_total{allowed="false",category="quiet_hours"} 0`,
		"fairdebt_decision_seconds",
		"fairdebt_decision_seconds_count 1",
	} {
		if !strings.Contains(string(r.body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// ---- authentication

func TestAuth(t *testing.T) {
	h := start(t)
	f := h.f
	h.JSON(t, "POST", "/v1/agencies", h.AdminToken, map[string]any{"id": "A3", "name": "Agency A3", "approved": false}, 201, nil)
	var tok struct{ Token string }
	h.JSON(t, "POST", "/v1/tokens", h.AdminToken, map[string]any{"scope": "agency", "agency_id": "A3", "name": "unapproved dialer"}, 201, &tok)
	unapproved := tok.Token

	attemptBody := map[string]any{"case_id": f.CaseID, "party_id": f.BorrowerID, "channel": "call"}
	unauthenticated := []struct {
		name   string
		header http.Header
	}{
		{"no token", http.Header{}},
		{"not a bearer token", http.Header{"Authorization": {"Basic dXNlcjpwYXNzd29yZA=="}}},
		{"empty bearer token", http.Header{"Authorization": {"Bearer "}}},
		{"unknown token", http.Header{"Authorization": {"Bearer fdt_" + strings.Repeat("x", 43)}}},
		{"not a fairdebt token", http.Header{"Authorization": {"Bearer not-a-token"}}},
	}
	for _, u := range unauthenticated {
		for _, op := range []struct {
			id, method, path string
			body             any
		}{
			{"list-cases", "GET", "/v1/cases", nil},
			{"create-attempt", "POST", "/v1/attempts", attemptBody},
			{"check", "POST", "/v1/check", `{}`},
		} {
			t.Run(op.id+"/"+u.name, func(t *testing.T) {
				r := h.callWith(t, op.method, op.path, u.header, op.body)
				checkProblem(t, r, http.StatusUnauthorized, "")
				// RFC 9110 §11.6.1: a 401 response MUST carry a challenge.
				if ch := r.header.Get("WWW-Authenticate"); !strings.HasPrefix(ch, "Bearer") {
					t.Errorf("WWW-Authenticate %q, want a Bearer challenge", ch)
				}
			})
		}
	}
	if n := countAttempts(t, h, f.CaseID); n != 0 {
		t.Errorf("%d attempts recorded without a valid token", n)
	}

	h.run(t, []step{
		{name: "list-cases/unapproved agency", method: "GET", path: "/v1/cases", token: unapproved, want: 403},
		{name: "create-attempt/unapproved agency", method: "POST", path: "/v1/attempts", token: unapproved, body: attemptBody, want: 403},
		{name: "get-agency/unapproved agency", method: "GET", path: "/v1/agencies/A3", token: unapproved, want: 403},
	})

	// An agency token on the operations only the lender's administrators may use.
	consent := map[string]any{"by": "party", "method": "written", "evidence": "doc-1"}
	adminOnly := []struct {
		id, method, path string
		body             any
	}{
		{"create-lender", "POST", "/v1/lenders", map[string]any{"id": "L9", "name": "Lender"}},
		{"create-agency", "POST", "/v1/agencies", map[string]any{"id": "A9", "name": "Agency", "approved": true}},
		{"update-agency", "PATCH", "/v1/agencies/" + f.AgencyID, map[string]any{"approved": true}},
		{"create-borrower", "POST", "/v1/borrowers", map[string]any{"id": "B9", "lender_id": f.LenderID, "name": "X", "timezone": "Asia/Shanghai"}},
		{"create-debt", "POST", "/v1/debts", map[string]any{"id": "DEBT9", "borrower_id": f.BorrowerID, "currency": "CNY", "principal": 1,
			"installments": []map[string]any{{"due_date": "2026-12-01", "amount": 1}}}},
		{"create-case", "POST", "/v1/cases", map[string]any{"id": "CASE9", "debt_id": f.DebtID, "agency_id": f.AgencyID}},
		{"create-party", "POST", "/v1/parties", map[string]any{"id": "P9", "borrower_id": f.BorrowerID, "role": "attorney", "name": "X", "consent": consent}},
		{"create-contact-method", "POST", "/v1/parties/" + f.ContactID + "/contact-methods", map[string]any{"kind": "email", "value": "x@example.com"}},
		{"delete-hold", "DELETE", "/v1/borrowers/" + f.BorrowerID + "/holds/dispute", nil},
		{"delete-optout", "DELETE", "/v1/parties/" + f.BorrowerID + "/optouts/sms", nil},
		{"create-token", "POST", "/v1/tokens", map[string]any{"scope": "admin", "name": "escalation"}},
		{"create-token", "POST", "/v1/tokens", map[string]any{"scope": "agency", "agency_id": f.AgencyID, "name": "more"}},
	}
	var steps []step
	for _, op := range adminOnly {
		steps = append(steps, step{name: op.id + "/agency token", method: op.method, path: op.path, token: f.AgencyToken, body: op.body, want: 403})
	}
	h.run(t, steps)
	t.Run("nothing changed", func(t *testing.T) {
		for _, path := range []string{"/v1/lenders/L9", "/v1/agencies/A9", "/v1/borrowers/B9", "/v1/debts/DEBT9", "/v1/cases/CASE9", "/v1/parties/P9"} {
			if r := h.call(t, "GET", path, h.AdminToken, nil); r.status != 404 {
				t.Errorf("GET %s: %d after a refused creation: %s", path, r.status, r.body)
			}
		}
	})

	t.Run("public endpoints need no token", func(t *testing.T) {
		for _, path := range []string{"/healthz", "/metrics", "/openapi.json", "/docs"} {
			if r := h.call(t, "GET", path, "", nil); r.status != 200 {
				t.Errorf("GET %s: %d", path, r.status)
			}
		}
	})
}

func countAttempts(t *testing.T, h *harness, caseID string) int {
	t.Helper()
	var n int
	if err := h.DB.R.QueryRow("SELECT COUNT(*) FROM attempts WHERE case_id = $1", caseID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// ---- tenancy

// TestTenancy asks, with agency A2's token, for everything of agency A1's case, and
// for things that do not exist: the answers must be indistinguishable.
func TestTenancy(t *testing.T) {
	h := start(t)
	f := h.f
	a := h.attempt(t, map[string]any{"case_id": f.CaseID, "party_id": f.BorrowerID, "channel": "sms"})
	allowed(t, a)
	h.JSON(t, "POST", "/v1/cases/"+f.CaseID+"/promises", f.AgencyToken, map[string]any{"amount": 1000, "due_date": "2026-12-01"}, 201, nil)
	// A2's own world: B2 with a case assigned to A2.
	h.JSON(t, "POST", "/v1/borrowers", h.AdminToken, map[string]any{"id": "B2", "lender_id": f.LenderID, "name": "Debtor B2", "timezone": "Asia/Shanghai"}, 201, nil)
	h.JSON(t, "POST", "/v1/debts", h.AdminToken, map[string]any{"id": "DEBT2", "borrower_id": "B2", "currency": "CNY", "principal": 1,
		"installments": []map[string]any{{"due_date": "2026-12-01", "amount": 1}}}, 201, nil)
	h.JSON(t, "POST", "/v1/cases", h.AdminToken, map[string]any{"id": "CASE2", "debt_id": "DEBT2", "agency_id": f.OtherAgencyID}, 201, nil)

	type req struct {
		method, path string
		body         any
	}
	probes := []struct {
		op  string
		id  string // A1's, which A2 must not see
		req func(id string) req
	}{
		{"get-case", f.CaseID, func(id string) req { return req{"GET", "/v1/cases/" + id, nil} }},
		{"update-case", f.CaseID, func(id string) req { return req{"PATCH", "/v1/cases/" + id, map[string]any{"status": "paused"}} }},
		{"list-case-attempts", f.CaseID, func(id string) req { return req{"GET", "/v1/cases/" + id + "/attempts", nil} }},
		{"list-promises", f.CaseID, func(id string) req { return req{"GET", "/v1/cases/" + id + "/promises", nil} }},
		{"create-promise", f.CaseID, func(id string) req {
			return req{"POST", "/v1/cases/" + id + "/promises", map[string]any{"amount": 1, "due_date": "2026-12-01"}}
		}},
		{"get-borrower", f.BorrowerID, func(id string) req { return req{"GET", "/v1/borrowers/" + id, nil} }},
		{"list-borrower-debts", f.BorrowerID, func(id string) req { return req{"GET", "/v1/borrowers/" + id + "/debts", nil} }},
		{"list-borrower-parties", f.BorrowerID, func(id string) req { return req{"GET", "/v1/borrowers/" + id + "/parties", nil} }},
		{"list-borrower-optouts", f.BorrowerID, func(id string) req { return req{"GET", "/v1/borrowers/" + id + "/optouts", nil} }},
		{"create-hold", f.BorrowerID, func(id string) req {
			return req{"POST", "/v1/borrowers/" + id + "/holds", map[string]any{"hold": "dispute"}}
		}},
		{"get-debt", f.DebtID, func(id string) req { return req{"GET", "/v1/debts/" + id, nil} }},
		{"get-party", f.ContactID, func(id string) req { return req{"GET", "/v1/parties/" + id, nil} }},
		{"update-party", f.ContactID, func(id string) req { return req{"PATCH", "/v1/parties/" + id, map[string]any{"objected": true}} }},
		{"create-optout", f.BorrowerID, func(id string) req {
			return req{"POST", "/v1/optouts", map[string]any{"party_id": id, "channel": "sms"}}
		}},
		{"get-attempt", a.ID, func(id string) req { return req{"GET", "/v1/attempts/" + id, nil} }},
		{"record-outcome", a.ID, func(id string) req {
			return req{"POST", "/v1/attempts/" + id + "/outcome", map[string]any{"result": "delivered"}}
		}},
		{"create-attempt", f.CaseID, func(id string) req {
			return req{"POST", "/v1/attempts", map[string]any{"case_id": id, "party_id": f.BorrowerID, "channel": "sms"}}
		}},
		{"get-agency", f.AgencyID, func(id string) req { return req{"GET", "/v1/agencies/" + id, nil} }},
	}
	for _, p := range probes {
		t.Run(p.op+"/other agency's", func(t *testing.T) {
			theirs := p.req(p.id)
			got := h.call(t, theirs.method, theirs.path, f.OtherAgencyToken, theirs.body)
			gp := checkProblem(t, got, http.StatusNotFound, "")
			missing := "NOPE-" + p.id
			none := p.req(missing)
			want := h.call(t, none.method, none.path, f.OtherAgencyToken, none.body)
			checkProblem(t, want, http.StatusNotFound, "")
			if !strings.Contains(gp.Detail, p.id) {
				t.Errorf("detail %q does not name the requested id %q", gp.Detail, p.id)
			}
			if g, w := normalised(t, got.body, p.id), normalised(t, want.body, missing); !reflect.DeepEqual(g, w) {
				t.Errorf("another agency's %s answers differently from a missing one:\n got %s\nwant %s (for %q)", p.op, got.body, want.body, missing)
			}
		})
	}
	t.Run("nothing changed", func(t *testing.T) {
		var c collection.Case
		h.JSON(t, "GET", "/v1/cases/"+f.CaseID, h.AdminToken, nil, 200, &c)
		var p collection.Party
		h.JSON(t, "GET", "/v1/parties/"+f.ContactID, h.AdminToken, nil, 200, &p)
		var b collection.Borrower
		h.JSON(t, "GET", "/v1/borrowers/"+f.BorrowerID, h.AdminToken, nil, 200, &b)
		var at collection.Attempt
		h.JSON(t, "GET", "/v1/attempts/"+a.ID, h.AdminToken, nil, 200, &at)
		r := h.call(t, "GET", "/v1/cases/"+f.CaseID+"/promises", h.AdminToken, nil)
		r2 := h.call(t, "GET", "/v1/borrowers/"+f.BorrowerID+"/optouts", h.AdminToken, nil)
		switch {
		case c.Status != "open":
			t.Errorf("case status %s", c.Status)
		case p.ObjectedAt != nil:
			t.Error("the contact is marked objected")
		case len(b.Holds) != 0:
			t.Errorf("holds %+v", b.Holds)
		case at.Result != "pending":
			t.Errorf("attempt result %s", at.Result)
		case len(items[collection.Promise](t, r)) != 1:
			t.Errorf("promises %s", r.body)
		case len(items[collection.OptOut](t, r2)) != 0:
			t.Errorf("opt-outs %s", r2.body)
		case countAttempts(t, h, f.CaseID) != 1:
			t.Errorf("%d attempts on the case", countAttempts(t, h, f.CaseID))
		}
	})

	h.run(t, []step{
		{name: "list-cases/agency sees its own", method: "GET", path: "/v1/cases", token: f.AgencyToken, want: 200, check: wantIDs(caseID, f.CaseID)},
		{name: "list-cases/other agency sees its own", method: "GET", path: "/v1/cases", token: f.OtherAgencyToken, want: 200, check: wantIDs(caseID, "CASE2")},
		{name: "list-cases/other agency filtering by a borrower it cannot see", method: "GET", path: "/v1/cases?borrower_id=" + f.BorrowerID,
			token: f.OtherAgencyToken, want: 200, check: wantIDs(caseID)},
		{name: "list-cases/admin sees all", method: "GET", path: "/v1/cases", token: h.AdminToken, want: 200, check: wantIDs(caseID, f.CaseID, "CASE2")},
		{name: "list-borrowers/agency sees its own", method: "GET", path: "/v1/borrowers", token: f.AgencyToken, want: 200, check: wantIDs(borrowerID, f.BorrowerID)},
		{name: "list-borrowers/other agency sees its own", method: "GET", path: "/v1/borrowers", token: f.OtherAgencyToken, want: 200, check: wantIDs(borrowerID, "B2")},
		{name: "list-borrowers/admin sees all", method: "GET", path: "/v1/borrowers", token: h.AdminToken, want: 200, check: wantIDs(borrowerID, f.BorrowerID, "B2")},
		{name: "lookup-contact/other agency finds nobody", method: "POST", path: "/v1/contact-lookup", token: f.OtherAgencyToken,
			body: map[string]any{"kind": "phone", "value": "+8610000000002"}, want: 200, check: wantIDs(partyID)},
		{name: "list-agencies/agency sees itself", method: "GET", path: "/v1/agencies", token: f.OtherAgencyToken, want: 200, check: wantIDs(agencyID, f.OtherAgencyID)},
		{name: "list-lenders/agency sees none", method: "GET", path: "/v1/lenders", token: f.AgencyToken, want: 200, check: wantIDs(lenderID)},
		{name: "get-lender/agency", method: "GET", path: "/v1/lenders/" + f.LenderID, token: f.AgencyToken, want: 404},
	})
}

// normalised decodes a problem document and replaces the requested id in its
// details, so the documents for two ids can be compared.
func normalised(t *testing.T, body []byte, id string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	for _, k := range []string{"detail", "detail_zh"} {
		if s, ok := m[k].(string); ok {
			m[k] = strings.ReplaceAll(s, id, "{id}")
		}
	}
	return m
}

// ---- lenders and agencies

func TestLenders(t *testing.T) {
	h := start(t)
	admin := h.AdminToken
	h.run(t, []step{
		{name: "create-lender/success", method: "POST", path: "/v1/lenders", token: admin, body: map[string]any{"id": "L2", "name": "  Second Lender "}, want: 201,
			check: func(t *testing.T, r response) {
				l := decodeAs[collection.Lender](t, r)
				if l.ID != "L2" || l.Name != "Second Lender" || l.CreatedAt.Format(time.RFC3339) != createdAt {
					t.Errorf("lender %+v", l)
				}
			}},
		{name: "create-lender/generated id", method: "POST", path: "/v1/lenders", token: admin, body: map[string]any{"name": "Third"}, want: 201,
			check: func(t *testing.T, r response) {
				if l := decodeAs[collection.Lender](t, r); !strings.HasPrefix(l.ID, "lnd_") {
					t.Errorf("generated id %q", l.ID)
				}
			}},
		{name: "create-lender/duplicate id", method: "POST", path: "/v1/lenders", token: admin, body: map[string]any{"id": "L1", "name": "Again"}, want: 409, field: "id"},
		{name: "create-lender/malformed JSON", method: "POST", path: "/v1/lenders", token: admin, body: `{"name": "x"`, want: 400},
		{name: "create-lender/name of the wrong type", method: "POST", path: "/v1/lenders", token: admin, body: map[string]any{"name": 5}, want: 422, field: "name"},
		{name: "create-lender/missing name", method: "POST", path: "/v1/lenders", token: admin, body: map[string]any{"id": "L3"}, want: 422, field: "name"},
		{name: "create-lender/blank name", method: "POST", path: "/v1/lenders", token: admin, body: map[string]any{"name": "   "}, want: 422, field: "name"},
		{name: "create-lender/bad id", method: "POST", path: "/v1/lenders", token: admin, body: map[string]any{"id": "no spaces", "name": "x"}, want: 422, field: "id"},
		{name: "create-lender/unknown field", method: "POST", path: "/v1/lenders", token: admin, body: map[string]any{"name": "x", "bogus": 1}, want: 422, field: "bogus"},

		{name: "list-lenders/success", method: "GET", path: "/v1/lenders", token: admin, want: 200, check: func(t *testing.T, r response) {
			got := ids(items[collection.Lender](t, r), lenderID)
			if len(got) != 3 || got[0] != "L1" || got[1] != "L2" || !strings.HasPrefix(got[2], "lnd_") {
				t.Errorf("lenders %v", got)
			}
		}},
		{name: "list-lenders/limit", method: "GET", path: "/v1/lenders?limit=1", token: admin, want: 200, check: wantIDs(lenderID, "L1")},
		{name: "list-lenders/after", method: "GET", path: "/v1/lenders?after=L1&limit=1", token: admin, want: 200, check: wantIDs(lenderID, "L2")},
		{name: "list-lenders/limit too large", method: "GET", path: "/v1/lenders?limit=5000", token: admin, want: 422, field: "limit"},
		{name: "list-lenders/limit not a number", method: "GET", path: "/v1/lenders?limit=ten", token: admin, want: 422, field: "limit"},

		{name: "get-lender/success", method: "GET", path: "/v1/lenders/L2", token: admin, want: 200, check: func(t *testing.T, r response) {
			if l := decodeAs[collection.Lender](t, r); l.ID != "L2" || l.Name != "Second Lender" {
				t.Errorf("lender %+v", l)
			}
		}},
		{name: "get-lender/unknown id", method: "GET", path: "/v1/lenders/NOPE", token: admin, want: 404},

		{name: "update-lender/choose us, move borrowers", method: "PATCH", path: "/v1/lenders/L1", token: admin,
			body: map[string]any{"pack": "us", "apply_to_borrowers": true}, want: 200, check: func(t *testing.T, r response) {
				var out struct {
					Lender         collection.Lender `json:"lender"`
					BorrowersMoved int64             `json:"borrowers_moved"`
				}
				r.decode(t, &out)
				if out.Lender.ID != "L1" || out.Lender.Pack != "us" || out.BorrowersMoved != 1 {
					t.Errorf("change %+v", out)
				}
			}},
		{name: "update-lender/the borrower moved", method: "GET", path: "/v1/borrowers/B1", token: admin, want: 200, check: func(t *testing.T, r response) {
			if b := decodeAs[collection.Borrower](t, r); b.Pack != "us" {
				t.Errorf("B1's pack %q", b.Pack)
			}
		}},
		{name: "update-lender/back to the default for new borrowers", method: "PATCH", path: "/v1/lenders/L1", token: admin, body: map[string]any{"pack": ""}, want: 200},
		{name: "update-lender/unknown pack", method: "PATCH", path: "/v1/lenders/L1", token: admin, body: map[string]any{"pack": "xx"}, want: 422, field: "pack"},
		{name: "update-lender/move to no pack", method: "PATCH", path: "/v1/lenders/L1", token: admin, body: map[string]any{"pack": "", "apply_to_borrowers": true}, want: 422, field: "pack"},
		{name: "update-lender/unknown lender", method: "PATCH", path: "/v1/lenders/NOPE", token: admin, body: map[string]any{"pack": "cn"}, want: 404},
		{name: "get-lender/id too long", method: "GET", path: "/v1/lenders/" + strings.Repeat("x", 65), token: admin, want: 422, field: "id"},
	})
}

func TestAgencies(t *testing.T) {
	h := start(t)
	f := h.f
	admin := h.AdminToken
	h.run(t, []step{
		{name: "create-agency/success", method: "POST", path: "/v1/agencies", token: admin, body: map[string]any{"id": "A3", "name": "Agency A3", "approved": false}, want: 201,
			check: func(t *testing.T, r response) {
				a := decodeAs[collection.Agency](t, r)
				if a.ID != "A3" || a.Name != "Agency A3" || a.Approved || a.CreatedAt.Format(time.RFC3339) != createdAt {
					t.Errorf("agency %+v", a)
				}
			}},
		{name: "create-agency/duplicate id", method: "POST", path: "/v1/agencies", token: admin, body: map[string]any{"id": "A1", "name": "Again", "approved": true}, want: 409, field: "id"},
		{name: "create-agency/malformed JSON", method: "POST", path: "/v1/agencies", token: admin, body: `{"name":`, want: 400},
		{name: "create-agency/approved of the wrong type", method: "POST", path: "/v1/agencies", token: admin, body: map[string]any{"name": "x", "approved": "yes"}, want: 422, field: "approved"},
		{name: "create-agency/missing name", method: "POST", path: "/v1/agencies", token: admin, body: map[string]any{"approved": true}, want: 422, field: "name"},
		{name: "create-agency/bad id", method: "POST", path: "/v1/agencies", token: admin, body: map[string]any{"id": "-x", "name": "x", "approved": true}, want: 422, field: "id"},

		{name: "list-agencies/success", method: "GET", path: "/v1/agencies", token: admin, want: 200, check: wantIDs(agencyID, "A1", "A2", "A3")},
		{name: "list-agencies/after", method: "GET", path: "/v1/agencies?after=A1", token: admin, want: 200, check: wantIDs(agencyID, "A2", "A3")},
		{name: "list-agencies/agency sees itself", method: "GET", path: "/v1/agencies", token: f.AgencyToken, want: 200, check: wantIDs(agencyID, "A1")},
		{name: "list-agencies/negative limit", method: "GET", path: "/v1/agencies?limit=-1", token: admin, want: 422, field: "limit"},

		{name: "get-agency/success", method: "GET", path: "/v1/agencies/A1", token: admin, want: 200, check: func(t *testing.T, r response) {
			if a := decodeAs[collection.Agency](t, r); a.ID != "A1" || !a.Approved {
				t.Errorf("agency %+v", a)
			}
		}},
		{name: "get-agency/agency gets itself", method: "GET", path: "/v1/agencies/A1", token: f.AgencyToken, want: 200},
		{name: "get-agency/unknown id", method: "GET", path: "/v1/agencies/NOPE", token: admin, want: 404},

		{name: "update-agency/malformed JSON", method: "PATCH", path: "/v1/agencies/A2", token: admin, body: `{"approved": tru}`, want: 400},
		{name: "update-agency/approved of the wrong type", method: "PATCH", path: "/v1/agencies/A2", token: admin, body: map[string]any{"approved": "no"}, want: 422, field: "approved"},
		{name: "update-agency/missing approved", method: "PATCH", path: "/v1/agencies/A2", token: admin, body: map[string]any{}, want: 422, field: "approved"},
		{name: "update-agency/unknown id", method: "PATCH", path: "/v1/agencies/NOPE", token: admin, body: map[string]any{"approved": true}, want: 404},
	})

	// The service caches tokens for 10 s; taking an agency off the approved list must
	// lock its tokens out at once, and approving it again must let them back in.
	t.Run("update-agency/disapproval locks the agency's token out at once", func(t *testing.T) {
		h.JSON(t, "GET", "/v1/cases", f.OtherAgencyToken, nil, 200, nil) // the token is now cached as valid
		var a collection.Agency
		h.JSON(t, "PATCH", "/v1/agencies/A2", admin, map[string]any{"approved": false}, 200, &a)
		if a.ID != "A2" || a.Approved {
			t.Errorf("agency %+v", a)
		}
		for _, path := range []string{"/v1/cases", "/v1/borrowers", "/v1/agencies/A2"} {
			checkProblem(t, h.call(t, "GET", path, f.OtherAgencyToken, nil), http.StatusForbidden, "")
		}
		if r := h.call(t, "GET", "/v1/cases", f.AgencyToken, nil); r.status != 200 {
			t.Errorf("A1's token: %d %s", r.status, r.body)
		}
	})
	t.Run("create-case/unapproved agency", func(t *testing.T) {
		r := h.call(t, "POST", "/v1/cases", admin, map[string]any{"id": "CASE-A2", "debt_id": f.DebtID, "agency_id": "A2"})
		checkProblem(t, r, http.StatusConflict, "agency_id")
	})
	t.Run("update-agency/approval lets the token back in at once", func(t *testing.T) {
		var a collection.Agency
		h.JSON(t, "PATCH", "/v1/agencies/A2", admin, map[string]any{"approved": true}, 200, &a)
		if !a.Approved {
			t.Errorf("agency %+v", a)
		}
		if r := h.call(t, "GET", "/v1/cases", f.OtherAgencyToken, nil); r.status != 200 {
			t.Errorf("A2's token after approval: %d %s", r.status, r.body)
		}
	})
}

// ---- tokens

func TestTokens(t *testing.T) {
	h := start(t)
	f := h.f
	admin := h.AdminToken
	var issued struct{ Token string }
	h.run(t, []step{
		{name: "create-token/agency token", method: "POST", path: "/v1/tokens", token: admin, body: map[string]any{"scope": "agency", "agency_id": "A1", "name": "dialer-2"}, want: 201,
			check: func(t *testing.T, r response) { r.decode(t, &issued) }},
		{name: "create-token/admin token", method: "POST", path: "/v1/tokens", token: admin, body: map[string]any{"scope": "admin", "name": "ops"}, want: 201,
			check: func(t *testing.T, r response) {
				var tok struct{ Token string }
				r.decode(t, &tok)
				if !strings.HasPrefix(tok.Token, "fdt_") {
					t.Fatalf("token %q", tok.Token)
				}
				// The new admin token works on an admin-only operation.
				h.JSON(t, "POST", "/v1/lenders", tok.Token, map[string]any{"id": "L-ops", "name": "Ops"}, 201, nil)
			}},
		{name: "create-token/malformed JSON", method: "POST", path: "/v1/tokens", token: admin, body: `{"scope"}`, want: 400},
		{name: "create-token/bad scope", method: "POST", path: "/v1/tokens", token: admin, body: map[string]any{"scope": "root", "name": "x"}, want: 422, field: "scope"},
		{name: "create-token/missing name", method: "POST", path: "/v1/tokens", token: admin, body: map[string]any{"scope": "admin"}, want: 422, field: "name"},
		{name: "create-token/blank name", method: "POST", path: "/v1/tokens", token: admin, body: map[string]any{"scope": "admin", "name": "  "}, want: 422, field: "name"},
		{name: "create-token/name of the wrong type", method: "POST", path: "/v1/tokens", token: admin, body: map[string]any{"scope": "admin", "name": true}, want: 422, field: "name"},
		{name: "create-token/agency token without agency", method: "POST", path: "/v1/tokens", token: admin, body: map[string]any{"scope": "agency", "name": "x"}, want: 422, field: "agency_id"},
		{name: "create-token/admin token with an agency", method: "POST", path: "/v1/tokens", token: admin, body: map[string]any{"scope": "admin", "agency_id": "A1", "name": "x"}, want: 422, field: "agency_id"},
		{name: "create-token/unknown agency", method: "POST", path: "/v1/tokens", token: admin, body: map[string]any{"scope": "agency", "agency_id": "NOPE", "name": "x"}, want: 404, field: "agency_id"},
	})
	t.Run("create-token/the agency token works as that agency", func(t *testing.T) {
		if !strings.HasPrefix(issued.Token, "fdt_") {
			t.Fatalf("token %q", issued.Token)
		}
		r := h.call(t, "GET", "/v1/cases", issued.Token, nil)
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
		wantIDs(caseID, f.CaseID)(t, r)
		checkProblem(t, h.call(t, "POST", "/v1/lenders", issued.Token, map[string]any{"name": "x"}), http.StatusForbidden, "")
	})
}

// ---- borrowers, debts, holds

func TestBorrowers(t *testing.T) {
	h := start(t)
	f := h.f
	admin := h.AdminToken
	const idNumber = "11010119900307451X"
	h.secret(idNumber, "+8613900000003")
	newBorrower := func(over map[string]any) map[string]any {
		b := map[string]any{"id": "B2", "lender_id": f.LenderID, "name": "借款人二", "timezone": "Asia/Shanghai"}
		for k, v := range over {
			if v == nil {
				delete(b, k)
			} else {
				b[k] = v
			}
		}
		return b
	}
	h.run(t, []step{
		{name: "create-borrower/success", method: "POST", path: "/v1/borrowers", token: admin, want: 201,
			body: newBorrower(map[string]any{"id_number": strings.ToLower(idNumber),
				"contact_methods": []map[string]string{{"kind": "phone", "value": "+86 139-0000-0003"}, {"kind": "email", "value": "B2@Example.com"}}}),
			check: func(t *testing.T, r response) {
				b := decodeAs[collection.Borrower](t, r)
				if b.ID != "B2" || b.LenderID != f.LenderID || b.Name != "借款人二" || b.Timezone != "Asia/Shanghai" || b.Pack != "cn" ||
					b.Holds == nil || len(b.Holds) != 0 || b.CreatedAt.Format(time.RFC3339) != createdAt {
					t.Errorf("borrower %+v", b)
				}
				if b.IDNumber == "" || strings.Contains(b.IDNumber, "0307") || !strings.Contains(b.IDNumber, "*") {
					t.Errorf("id_number %q is not masked", b.IDNumber)
				}
			}},
		{name: "create-borrower/generated id and pack us", method: "POST", path: "/v1/borrowers", token: admin,
			body: newBorrower(map[string]any{"id": nil, "pack": "us", "timezone": "America/New_York"}), want: 201,
			check: func(t *testing.T, r response) {
				if b := decodeAs[collection.Borrower](t, r); !strings.HasPrefix(b.ID, "bor_") || b.Pack != "us" {
					t.Errorf("borrower %+v", b)
				}
			}},
		{name: "create-borrower/duplicate id", method: "POST", path: "/v1/borrowers", token: admin, body: newBorrower(map[string]any{"id": "B1"}), want: 409, field: "id"},
		{name: "create-borrower/id of an existing party", method: "POST", path: "/v1/borrowers", token: admin, body: newBorrower(map[string]any{"id": f.ContactID}), want: 409, field: "id"},
		{name: "create-borrower/unknown lender", method: "POST", path: "/v1/borrowers", token: admin, body: newBorrower(map[string]any{"id": "B3", "lender_id": "NOPE"}), want: 404, field: "lender_id"},
		{name: "create-borrower/malformed JSON", method: "POST", path: "/v1/borrowers", token: admin, body: `{"id": "B3",}`, want: 400},
		{name: "create-borrower/missing timezone", method: "POST", path: "/v1/borrowers", token: admin, body: newBorrower(map[string]any{"id": "B3", "timezone": nil}), want: 422, field: "timezone"},
		{name: "create-borrower/empty timezone", method: "POST", path: "/v1/borrowers", token: admin, body: newBorrower(map[string]any{"id": "B3", "timezone": ""}), want: 422, field: "timezone"},
		{name: "create-borrower/unknown timezone", method: "POST", path: "/v1/borrowers", token: admin, body: newBorrower(map[string]any{"id": "B3", "timezone": "Mars/Olympus"}), want: 422, field: "timezone"},
		{name: "create-borrower/Local timezone", method: "POST", path: "/v1/borrowers", token: admin, body: newBorrower(map[string]any{"id": "B3", "timezone": "Local"}), want: 422, field: "timezone"},
		{name: "create-borrower/unknown pack", method: "POST", path: "/v1/borrowers", token: admin, body: newBorrower(map[string]any{"id": "B3", "pack": "xx"}), want: 422, field: "pack"},
		{name: "create-borrower/missing lender_id", method: "POST", path: "/v1/borrowers", token: admin, body: newBorrower(map[string]any{"id": "B3", "lender_id": nil}), want: 422, field: "lender_id"},
		{name: "create-borrower/name of the wrong type", method: "POST", path: "/v1/borrowers", token: admin, body: newBorrower(map[string]any{"id": "B3", "name": 7}), want: 422, field: "name"},
		{name: "create-borrower/bad id number", method: "POST", path: "/v1/borrowers", token: admin, body: newBorrower(map[string]any{"id": "B3", "id_number": "12-34"}), want: 422, field: "id_number"},
		{name: "create-borrower/bad phone number", method: "POST", path: "/v1/borrowers", token: admin,
			body: newBorrower(map[string]any{"id": "B3", "contact_methods": []map[string]string{{"kind": "phone", "value": "call me"}}}), want: 422, field: "contact_methods[0]"},
		{name: "create-borrower/bad contact kind", method: "POST", path: "/v1/borrowers", token: admin,
			body: newBorrower(map[string]any{"id": "B3", "contact_methods": []map[string]string{{"kind": "fax", "value": "12345678"}}}), want: 422, field: "contact_methods[0].kind"},
		{name: "create-borrower/too many contact methods", method: "POST", path: "/v1/borrowers", token: admin,
			body: newBorrower(map[string]any{"id": "B3", "contact_methods": slices.Repeat([]map[string]string{{"kind": "im", "value": "wx"}}, 11)}), want: 422, field: "contact_methods"},

		{name: "list-borrowers/success", method: "GET", path: "/v1/borrowers?limit=2", token: admin, want: 200, check: wantIDs(borrowerID, "B1", "B2")},
		{name: "list-borrowers/after", method: "GET", path: "/v1/borrowers?after=B2", token: admin, want: 200, check: func(t *testing.T, r response) {
			if got := ids(items[collection.Borrower](t, r), borrowerID); len(got) != 1 || !strings.HasPrefix(got[0], "bor_") {
				t.Errorf("borrowers %v", got)
			}
		}},
		{name: "list-borrowers/limit too large", method: "GET", path: "/v1/borrowers?limit=1001", token: admin, want: 422, field: "limit"},

		{name: "get-borrower/success", method: "GET", path: "/v1/borrowers/B2", token: admin, want: 200, check: func(t *testing.T, r response) {
			b := decodeAs[collection.Borrower](t, r)
			if b.ID != "B2" || b.Pack != "cn" || !strings.Contains(b.IDNumber, "*") || len(b.Holds) != 0 {
				t.Errorf("borrower %+v", b)
			}
		}},
		{name: "get-borrower/agency with a case", method: "GET", path: "/v1/borrowers/B1", token: f.AgencyToken, want: 200},
		{name: "get-borrower/agency without a case", method: "GET", path: "/v1/borrowers/B2", token: f.AgencyToken, want: 404},
		{name: "get-borrower/unknown id", method: "GET", path: "/v1/borrowers/NOPE", token: admin, want: 404},

		{name: "list-borrower-debts/success", method: "GET", path: "/v1/borrowers/B1/debts", token: f.AgencyToken, want: 200, check: func(t *testing.T, r response) {
			ds := items[collection.Debt](t, r)
			if len(ds) != 1 || ds[0].ID != f.DebtID || ds[0].DaysPastDue != 54 || ds[0].Outstanding != 100000 {
				t.Errorf("debts %+v", ds)
			}
		}},
		{name: "list-borrower-debts/none", method: "GET", path: "/v1/borrowers/B2/debts", token: admin, want: 200, check: wantIDs(func(d collection.Debt) string { return d.ID })},
		{name: "list-borrower-debts/unknown borrower", method: "GET", path: "/v1/borrowers/NOPE/debts", token: admin, want: 404},

		{name: "list-borrower-parties/success", method: "GET", path: "/v1/borrowers/B1/parties", token: f.AgencyToken, want: 200, check: func(t *testing.T, r response) {
			ps := items[collection.Party](t, r)
			if got := ids(ps, partyID); !slices.Equal(got, []string{"B1", f.ContactID}) {
				t.Fatalf("parties %v, want the debtor first", got)
			}
			if ps[0].Role != "debtor" || ps[0].Relation != "self" || ps[0].Consent != nil || ps[1].Role != "emergency_contact" || ps[1].Consent == nil {
				t.Errorf("parties %+v", ps)
			}
			if m := ps[0].ContactMethods; len(m) != 1 || m[0].Masked != "+86*******0001" || m[0].Kind != "phone" {
				t.Errorf("debtor's contact methods %+v", m)
			}
		}},
		{name: "list-borrower-parties/masked e-mail", method: "GET", path: "/v1/borrowers/B2/parties", token: admin, want: 200, check: func(t *testing.T, r response) {
			ps := items[collection.Party](t, r)
			if len(ps) != 1 {
				t.Fatalf("parties %+v", ps)
			}
			masked := ids(ps[0].ContactMethods, func(m collection.ContactMethod) string { return m.Kind + " " + m.Masked })
			slices.Sort(masked)
			if !slices.Equal(masked, []string{"email b***@example.com", "phone +86*******0003"}) {
				t.Errorf("contact methods %v", masked)
			}
		}},
		{name: "list-borrower-parties/unknown borrower", method: "GET", path: "/v1/borrowers/NOPE/parties", token: admin, want: 404},

		{name: "list-borrower-optouts/none", method: "GET", path: "/v1/borrowers/B1/optouts", token: f.AgencyToken, want: 200, check: wantIDs(func(o collection.OptOut) string { return o.PartyID })},
		{name: "list-borrower-optouts/unknown borrower", method: "GET", path: "/v1/borrowers/NOPE/optouts", token: admin, want: 404},
	})
}

func TestDebts(t *testing.T) {
	h := start(t)
	f := h.f
	admin := h.AdminToken
	debt := func(over map[string]any) map[string]any {
		d := map[string]any{"id": "DEBT2", "borrower_id": f.BorrowerID, "currency": "CNY", "principal": 30000, "fees": 500,
			"installments": []map[string]any{{"due_date": "2026-11-20", "amount": 10000, "paid": 10000}, {"due_date": "2026-12-20", "amount": 20500, "paid": 500}}}
		for k, v := range over {
			if v == nil {
				delete(d, k)
			} else {
				d[k] = v
			}
		}
		return d
	}
	inst := func(v ...map[string]any) []map[string]any { return v }
	h.run(t, []step{
		{name: "create-debt/success", method: "POST", path: "/v1/debts", token: admin, body: debt(nil), want: 201, check: func(t *testing.T, r response) {
			d := decodeAs[collection.Debt](t, r)
			want := []collection.Installment{{DueDate: "2026-11-20", Amount: 10000, Paid: 10000}, {DueDate: "2026-12-20", Amount: 20500, Paid: 500}}
			if d.ID != "DEBT2" || d.BorrowerID != f.BorrowerID || d.LenderID != f.LenderID || d.Currency != "CNY" || d.Principal != 30000 ||
				d.Fees != 500 || !slices.Equal(d.Installments, want) || d.Outstanding != 20000 || d.DaysPastDue != 0 ||
				d.CreatedAt.Format(time.RFC3339) != createdAt {
				t.Errorf("debt %+v", d)
			}
		}},
		{name: "create-debt/generated id", method: "POST", path: "/v1/debts", token: admin, body: debt(map[string]any{"id": nil}), want: 201,
			check: func(t *testing.T, r response) {
				if d := decodeAs[collection.Debt](t, r); !strings.HasPrefix(d.ID, "dbt_") {
					t.Errorf("id %q", d.ID)
				}
			}},
		{name: "create-debt/duplicate id", method: "POST", path: "/v1/debts", token: admin, body: debt(map[string]any{"id": f.DebtID}), want: 409, field: "id"},
		{name: "create-debt/unknown borrower", method: "POST", path: "/v1/debts", token: admin, body: debt(map[string]any{"id": "D3", "borrower_id": "NOPE"}), want: 404, field: "borrower_id"},
		{name: "create-debt/malformed JSON", method: "POST", path: "/v1/debts", token: admin, body: `{"id": "D3", "principal": 1e}`, want: 400},
		{name: "create-debt/lower-case currency", method: "POST", path: "/v1/debts", token: admin, body: debt(map[string]any{"id": "D3", "currency": "cny"}), want: 422, field: "currency"},
		{name: "create-debt/missing currency", method: "POST", path: "/v1/debts", token: admin, body: debt(map[string]any{"id": "D3", "currency": nil}), want: 422, field: "currency"},
		{name: "create-debt/negative principal", method: "POST", path: "/v1/debts", token: admin, body: debt(map[string]any{"id": "D3", "principal": -1}), want: 422, field: "principal"},
		{name: "create-debt/principal as a string", method: "POST", path: "/v1/debts", token: admin, body: debt(map[string]any{"id": "D3", "principal": "30000"}), want: 422, field: "principal"},
		{name: "create-debt/negative fees", method: "POST", path: "/v1/debts", token: admin, body: debt(map[string]any{"id": "D3", "fees": -5}), want: 422, field: "fees"},
		{name: "create-debt/no installments", method: "POST", path: "/v1/debts", token: admin, body: debt(map[string]any{"id": "D3", "installments": inst()}), want: 422, field: "installments"},
		{name: "create-debt/missing installments", method: "POST", path: "/v1/debts", token: admin, body: debt(map[string]any{"id": "D3", "installments": nil}), want: 422, field: "installments"},
		{name: "create-debt/not a date", method: "POST", path: "/v1/debts", token: admin,
			body: debt(map[string]any{"id": "D3", "installments": inst(map[string]any{"due_date": "2026-13-01", "amount": 1})}), want: 422, field: "installments[0].due_date"},
		{name: "create-debt/due dates not increasing", method: "POST", path: "/v1/debts", token: admin,
			body: debt(map[string]any{"id": "D3", "installments": inst(map[string]any{"due_date": "2026-12-01", "amount": 1}, map[string]any{"due_date": "2026-12-01", "amount": 1})}),
			want: 422, field: "installments[1].due_date"},
		{name: "create-debt/zero amount", method: "POST", path: "/v1/debts", token: admin,
			body: debt(map[string]any{"id": "D3", "installments": inst(map[string]any{"due_date": "2026-12-01", "amount": 0})}), want: 422, field: "installments[0].amount"},
		{name: "create-debt/paid more than due", method: "POST", path: "/v1/debts", token: admin,
			body: debt(map[string]any{"id": "D3", "installments": inst(map[string]any{"due_date": "2026-12-01", "amount": 10, "paid": 11})}), want: 422, field: "installments[0]"},

		{name: "get-debt/success", method: "GET", path: "/v1/debts/" + f.DebtID, token: f.AgencyToken, want: 200, check: func(t *testing.T, r response) {
			d := decodeAs[collection.Debt](t, r)
			// Installments fell due on 2026-10-01 and 2026-11-01; today is 2026-11-24 in Shanghai.
			if d.ID != f.DebtID || d.DaysPastDue != 54 || d.Outstanding != 100000 || len(d.Installments) != 2 || d.Principal != 100000 {
				t.Errorf("debt %+v", d)
			}
		}},
		{name: "get-debt/unknown id", method: "GET", path: "/v1/debts/NOPE", token: admin, want: 404},
		{name: "get-debt/id too long", method: "GET", path: "/v1/debts/" + strings.Repeat("d", 65), token: admin, want: 422, field: "id"},
	})

	// Days past due are counted on the borrower's calendar, not the server's or UTC.
	t.Run("get-debt/days past due in the borrower's zone", func(t *testing.T) {
		h.setClock(t, time.Date(2026, 11, 24, 0, 30, 0, 0, shanghai)) // still 2026-11-23 in UTC
		var d collection.Debt
		h.JSON(t, "GET", "/v1/debts/"+f.DebtID, admin, nil, 200, &d)
		if d.DaysPastDue != 54 {
			t.Errorf("days_past_due %d at 00:30 in Shanghai, want 54", d.DaysPastDue)
		}
		w := h.debtor(t, "BNY", "us", "America/New_York", "+8613900000004")
		h.JSON(t, "GET", "/v1/debts/"+w.debt, admin, nil, 200, &d)
		if d.DaysPastDue != 22 { // 2026-11-23 11:30 in New York; due 2026-11-01
			t.Errorf("days_past_due %d in New York, want 22", d.DaysPastDue)
		}
	})
}

func TestHolds(t *testing.T) {
	h := start(t)
	f := h.f
	admin := h.AdminToken
	// A us borrower at 10:00 in New York: the us pack has holds that stop contact.
	us := h.debtor(t, "BUS", "us", "America/New_York", "+12125550100")
	h.setClock(t, time.Date(2026, 11, 24, 10, 0, 0, 0, newYork))
	call := map[string]any{"case_id": us.caseID, "party_id": us.borrower, "channel": "call"}

	t.Run("create-attempt/before the hold", func(t *testing.T) {
		a := h.attempt(t, call)
		allowed(t, a)
		h.outcome(t, a.ID, "no_answer")
	})
	h.run(t, []step{
		{name: "create-hold/success", method: "POST", path: "/v1/borrowers/BUS/holds", token: admin, body: map[string]any{"hold": "cease", "note": "letter of 2026-11-20"}, want: 201,
			check: func(t *testing.T, r response) {
				if hd := decodeAs[collection.Hold](t, r); hd.Hold != "cease" || hd.Note != "letter of 2026-11-20" || hd.CreatedAt.IsZero() {
					t.Errorf("hold %+v", hd)
				}
			}},
		{name: "create-hold/again is no change", method: "POST", path: "/v1/borrowers/BUS/holds", token: admin, body: map[string]any{"hold": "cease"}, want: 201},
		{name: "create-hold/by the agency on its borrower", method: "POST", path: "/v1/borrowers/BUS/holds", token: f.AgencyToken, body: map[string]any{"hold": "dispute"}, want: 201},
		{name: "create-hold/unknown borrower", method: "POST", path: "/v1/borrowers/NOPE/holds", token: admin, body: map[string]any{"hold": "cease"}, want: 404},
		{name: "create-hold/malformed JSON", method: "POST", path: "/v1/borrowers/BUS/holds", token: admin, body: `{"hold": cease}`, want: 400},
		{name: "create-hold/bad hold", method: "POST", path: "/v1/borrowers/BUS/holds", token: admin, body: map[string]any{"hold": "vacation"}, want: 422, field: "hold"},
		{name: "create-hold/missing hold", method: "POST", path: "/v1/borrowers/BUS/holds", token: admin, body: map[string]any{"note": "x"}, want: 422, field: "hold"},
		{name: "create-hold/note too long", method: "POST", path: "/v1/borrowers/BUS/holds", token: admin, body: map[string]any{"hold": "paid", "note": strings.Repeat("n", 501)}, want: 422, field: "note"},
		{name: "get-borrower/holds listed", method: "GET", path: "/v1/borrowers/BUS", token: admin, want: 200, check: func(t *testing.T, r response) {
			b := decodeAs[collection.Borrower](t, r)
			if got := ids(b.Holds, func(h collection.Hold) string { return h.Hold }); !slices.Equal(got, []string{"cease", "dispute"}) {
				t.Errorf("holds %v", got)
			}
		}},
	})
	t.Run("create-attempt/denied under a cease hold", func(t *testing.T) {
		a := h.attempt(t, call)
		violated(t, a, policy.CatStatusHold, "us.hold.cease")
	})
	h.run(t, []step{
		{name: "delete-hold/success", method: "DELETE", path: "/v1/borrowers/BUS/holds/cease", token: admin, want: 204, check: func(t *testing.T, r response) {
			if len(r.body) != 0 {
				t.Errorf("body %q", r.body)
			}
		}},
		{name: "delete-hold/dispute", method: "DELETE", path: "/v1/borrowers/BUS/holds/dispute", token: admin, want: 204},
		{name: "delete-hold/not held", method: "DELETE", path: "/v1/borrowers/BUS/holds/cease", token: admin, want: 404},
		{name: "delete-hold/unknown borrower", method: "DELETE", path: "/v1/borrowers/NOPE/holds/cease", token: admin, want: 404},
		{name: "delete-hold/bad hold", method: "DELETE", path: "/v1/borrowers/BUS/holds/vacation", token: admin, want: 422, field: "hold"},
		{name: "delete-hold/agency token", method: "DELETE", path: "/v1/borrowers/BUS/holds/dispute", token: f.AgencyToken, want: 403},
	})
	t.Run("create-attempt/allowed once the hold is lifted", func(t *testing.T) {
		allowed(t, h.attempt(t, call))
	})
}

// ---- cases and promises

func TestCases(t *testing.T) {
	h := start(t)
	f := h.f
	admin := h.AdminToken
	h.JSON(t, "POST", "/v1/agencies", admin, map[string]any{"id": "A3", "name": "Agency A3", "approved": false}, 201, nil)
	h.JSON(t, "POST", "/v1/borrowers", admin, map[string]any{"id": "B2", "lender_id": f.LenderID, "name": "Debtor B2", "timezone": "Asia/Shanghai"}, 201, nil)
	h.JSON(t, "POST", "/v1/debts", admin, map[string]any{"id": "DEBT2", "borrower_id": "B2", "currency": "CNY", "principal": 1,
		"installments": []map[string]any{{"due_date": "2026-12-01", "amount": 1}}}, 201, nil)
	h.JSON(t, "POST", "/v1/debts", admin, map[string]any{"id": "DEBT3", "borrower_id": "B2", "currency": "CNY", "principal": 1,
		"installments": []map[string]any{{"due_date": "2026-12-01", "amount": 1}}}, 201, nil)
	attemptBody := map[string]any{"case_id": f.CaseID, "party_id": f.BorrowerID, "channel": "sms"}

	h.run(t, []step{
		{name: "create-case/success", method: "POST", path: "/v1/cases", token: admin, body: map[string]any{"id": "CASE2", "debt_id": "DEBT2", "agency_id": "A2"}, want: 201,
			check: func(t *testing.T, r response) {
				c := decodeAs[collection.Case](t, r)
				if c.ID != "CASE2" || c.DebtID != "DEBT2" || c.BorrowerID != "B2" || c.AgencyID != "A2" || c.Status != "open" ||
					c.CreatedAt.Format(time.RFC3339) != createdAt || !c.UpdatedAt.Equal(c.CreatedAt) {
					t.Errorf("case %+v", c)
				}
			}},
		{name: "create-case/debt already placed", method: "POST", path: "/v1/cases", token: admin, body: map[string]any{"id": "CASE3", "debt_id": "DEBT2", "agency_id": "A1"},
			want: 409, field: "debt_id", check: func(t *testing.T, r response) {
				if p := decodeAs[problem](t, r); !strings.Contains(p.Detail, "CASE2") {
					t.Errorf("detail %q", p.Detail)
				}
			}},
		{name: "create-case/generated id", method: "POST", path: "/v1/cases", token: admin, body: map[string]any{"debt_id": "DEBT3", "agency_id": "A2"}, want: 201,
			check: func(t *testing.T, r response) {
				if c := decodeAs[collection.Case](t, r); !strings.HasPrefix(c.ID, "case_") {
					t.Errorf("id %q", c.ID)
				}
			}},
		{name: "create-case/duplicate id", method: "POST", path: "/v1/cases", token: admin, body: map[string]any{"id": f.CaseID, "debt_id": "DEBT2", "agency_id": "A2"}, want: 409, field: "id"},
		{name: "create-case/unapproved agency", method: "POST", path: "/v1/cases", token: admin, body: map[string]any{"id": "CASE3", "debt_id": "DEBT2", "agency_id": "A3"}, want: 409, field: "agency_id",
			check: func(t *testing.T, r response) {
				if p := decodeAs[problem](t, r); !strings.Contains(p.Detail, "approved") {
					t.Errorf("detail %q", p.Detail)
				}
			}},
		{name: "create-case/unknown agency", method: "POST", path: "/v1/cases", token: admin, body: map[string]any{"id": "CASE3", "debt_id": "DEBT2", "agency_id": "NOPE"}, want: 404, field: "agency_id"},
		{name: "create-case/unknown debt", method: "POST", path: "/v1/cases", token: admin, body: map[string]any{"id": "CASE3", "debt_id": "NOPE", "agency_id": "A1"}, want: 404, field: "debt_id"},
		{name: "create-case/malformed JSON", method: "POST", path: "/v1/cases", token: admin, body: `["CASE3"`, want: 400},
		{name: "create-case/missing debt_id", method: "POST", path: "/v1/cases", token: admin, body: map[string]any{"id": "CASE3", "agency_id": "A1"}, want: 422, field: "debt_id"},
		{name: "create-case/agency_id of the wrong type", method: "POST", path: "/v1/cases", token: admin, body: map[string]any{"id": "CASE3", "debt_id": "DEBT2", "agency_id": 1}, want: 422, field: "agency_id"},
		{name: "create-case/bad id", method: "POST", path: "/v1/cases", token: admin, body: map[string]any{"id": "CASE 3", "debt_id": "DEBT2", "agency_id": "A1"}, want: 422, field: "id"},

		{name: "list-cases/success", method: "GET", path: "/v1/cases", token: admin, want: 200, check: func(t *testing.T, r response) {
			got := ids(items[collection.Case](t, r), caseID)
			if len(got) != 3 || got[0] != f.CaseID || got[1] != "CASE2" || !strings.HasPrefix(got[2], "case_") {
				t.Errorf("cases %v", got)
			}
		}},
		{name: "list-cases/limit", method: "GET", path: "/v1/cases?limit=2", token: admin, want: 200, check: wantIDs(caseID, f.CaseID, "CASE2")},
		{name: "list-cases/by borrower", method: "GET", path: "/v1/cases?borrower_id=B1", token: admin, want: 200, check: wantIDs(caseID, f.CaseID)},
		{name: "list-cases/by status", method: "GET", path: "/v1/cases?status=closed", token: admin, want: 200, check: wantIDs(caseID)},
		{name: "list-cases/after", method: "GET", path: "/v1/cases?after=CASE1&limit=1", token: admin, want: 200, check: wantIDs(caseID, "CASE2")},
		{name: "list-cases/agency", method: "GET", path: "/v1/cases", token: f.AgencyToken, want: 200, check: wantIDs(caseID, f.CaseID)},
		{name: "list-cases/bad status", method: "GET", path: "/v1/cases?status=done", token: admin, want: 422, field: "status"},
		{name: "list-cases/limit too large", method: "GET", path: "/v1/cases?limit=1001", token: admin, want: 422, field: "limit"},

		{name: "get-case/success", method: "GET", path: "/v1/cases/" + f.CaseID, token: f.AgencyToken, want: 200, check: func(t *testing.T, r response) {
			c := decodeAs[collection.Case](t, r)
			if c.ID != f.CaseID || c.DebtID != f.DebtID || c.BorrowerID != f.BorrowerID || c.AgencyID != f.AgencyID || c.Status != "open" {
				t.Errorf("case %+v", c)
			}
		}},
		{name: "get-case/unknown id", method: "GET", path: "/v1/cases/NOPE", token: admin, want: 404},

		{name: "update-case/agency pauses its case", method: "PATCH", path: "/v1/cases/" + f.CaseID, token: f.AgencyToken, body: map[string]any{"status": "paused"}, want: 200,
			check: func(t *testing.T, r response) {
				if c := decodeAs[collection.Case](t, r); c.Status != "paused" || c.ID != f.CaseID {
					t.Errorf("case %+v", c)
				}
			}},
		{name: "create-attempt/paused case", method: "POST", path: "/v1/attempts", token: f.AgencyToken, body: attemptBody, want: 409, field: "case_id"},
		{name: "update-case/agency may not reopen", method: "PATCH", path: "/v1/cases/" + f.CaseID, token: f.AgencyToken, body: map[string]any{"status": "open"}, want: 403, field: "status"},
		{name: "update-case/admin reopens", method: "PATCH", path: "/v1/cases/" + f.CaseID, token: admin, body: map[string]any{"status": "open"}, want: 200},
		{name: "create-attempt/reopened case", method: "POST", path: "/v1/attempts", token: f.AgencyToken, body: attemptBody, want: 201},
		{name: "update-case/admin closes", method: "PATCH", path: "/v1/cases/" + f.CaseID, token: admin, body: map[string]any{"status": "closed"}, want: 200,
			check: func(t *testing.T, r response) {
				if c := decodeAs[collection.Case](t, r); c.Status != "closed" {
					t.Errorf("case %+v", c)
				}
			}},
		{name: "create-attempt/closed case", method: "POST", path: "/v1/attempts", token: f.AgencyToken, body: attemptBody, want: 409, field: "case_id"},
		{name: "list-cases/closed", method: "GET", path: "/v1/cases?status=closed", token: f.AgencyToken, want: 200, check: wantIDs(caseID, f.CaseID)},
		{name: "update-case/bad status", method: "PATCH", path: "/v1/cases/" + f.CaseID, token: admin, body: map[string]any{"status": "done"}, want: 422, field: "status"},
		{name: "update-case/missing status", method: "PATCH", path: "/v1/cases/" + f.CaseID, token: admin, body: map[string]any{}, want: 422, field: "status"},
		{name: "update-case/malformed JSON", method: "PATCH", path: "/v1/cases/" + f.CaseID, token: admin, body: `{status: "open"}`, want: 400},
		{name: "update-case/unknown id", method: "PATCH", path: "/v1/cases/NOPE", token: admin, body: map[string]any{"status": "closed"}, want: 404},
	})
}

func TestPromises(t *testing.T) {
	h := start(t)
	f := h.f
	path := "/v1/cases/" + f.CaseID + "/promises"
	var first collection.Promise
	h.run(t, []step{
		{name: "create-promise/success", method: "POST", path: path, token: f.AgencyToken, body: map[string]any{"amount": 25000, "due_date": "2026-12-01"}, want: 201,
			check: func(t *testing.T, r response) {
				r.decode(t, &first)
				if !strings.HasPrefix(first.ID, "prm_") || first.CaseID != f.CaseID || first.Amount != 25000 || first.DueDate != "2026-12-01" ||
					first.Status != "open" || first.CreatedAt.Format(time.RFC3339) != createdAt {
					t.Errorf("promise %+v", first)
				}
			}},
		{name: "create-promise/by the admin", method: "POST", path: path, token: h.AdminToken, body: map[string]any{"amount": 5000, "due_date": "2026-12-15"}, want: 201},
		{name: "create-promise/unknown case", method: "POST", path: "/v1/cases/NOPE/promises", token: f.AgencyToken, body: map[string]any{"amount": 1, "due_date": "2026-12-01"}, want: 404},
		{name: "create-promise/malformed JSON", method: "POST", path: path, token: f.AgencyToken, body: `{"amount": 1, "due_date": "2026-12-01"`, want: 400},
		{name: "create-promise/zero amount", method: "POST", path: path, token: f.AgencyToken, body: map[string]any{"amount": 0, "due_date": "2026-12-01"}, want: 422, field: "amount"},
		{name: "create-promise/amount as a string", method: "POST", path: path, token: f.AgencyToken, body: map[string]any{"amount": "100", "due_date": "2026-12-01"}, want: 422, field: "amount"},
		{name: "create-promise/missing amount", method: "POST", path: path, token: f.AgencyToken, body: map[string]any{"due_date": "2026-12-01"}, want: 422, field: "amount"},
		{name: "create-promise/not a date", method: "POST", path: path, token: f.AgencyToken, body: map[string]any{"amount": 1, "due_date": "next Friday"}, want: 422, field: "due_date"},
		{name: "create-promise/missing due date", method: "POST", path: path, token: f.AgencyToken, body: map[string]any{"amount": 1}, want: 422, field: "due_date"},

		{name: "list-promises/success", method: "GET", path: path, token: f.AgencyToken, want: 200, check: func(t *testing.T, r response) {
			ps := items[collection.Promise](t, r)
			if len(ps) != 2 || (ps[0].ID != first.ID && ps[1].ID != first.ID) {
				t.Fatalf("promises %+v", ps)
			}
			total := ps[0].Amount + ps[1].Amount
			if total != 30000 {
				t.Errorf("amounts add up to %d, want 30000", total)
			}
		}},
		{name: "list-promises/unknown case", method: "GET", path: "/v1/cases/NOPE/promises", token: f.AgencyToken, want: 404},
		{name: "list-promises/id too long", method: "GET", path: "/v1/cases/" + strings.Repeat("c", 65) + "/promises", token: f.AgencyToken, want: 422, field: "id"},
	})
}

// A promise is kept or broken once; the dashboards' figures count it.
func TestPromiseStatusAndStats(t *testing.T) {
	h := start(t)
	f := h.f
	var pr collection.Promise
	h.JSON(t, "POST", "/v1/cases/"+f.CaseID+"/promises", f.AgencyToken, map[string]any{"amount": 100, "due_date": "2026-11-24"}, 201, &pr)
	path := "/v1/promises/" + pr.ID
	h.run(t, []step{
		{name: "update-promise/other agency", method: "PATCH", path: path, token: f.OtherAgencyToken, body: map[string]any{"status": "kept"}, want: 404},
		{name: "update-promise/not a status", method: "PATCH", path: path, token: f.AgencyToken, body: map[string]any{"status": "open"}, want: 422, field: "status"},
		{name: "update-promise/unknown", method: "PATCH", path: "/v1/promises/NOPE", token: f.AgencyToken, body: map[string]any{"status": "kept"}, want: 404},
		{name: "update-promise/kept", method: "PATCH", path: path, token: f.AgencyToken, body: map[string]any{"status": "kept"}, want: 200,
			check: func(t *testing.T, r response) {
				if got := decodeAs[collection.Promise](t, r); got.ID != pr.ID || got.Status != "kept" {
					t.Errorf("promise %+v", got)
				}
			}},
		{name: "update-promise/again", method: "PATCH", path: path, token: f.AgencyToken, body: map[string]any{"status": "broken"}, want: 409},

		{name: "get-stats/own agency", method: "GET", path: "/v1/stats?agency_id=" + f.AgencyID + "&days=7&tz=Asia/Shanghai", token: f.AgencyToken, want: 200,
			check: func(t *testing.T, r response) {
				st := decodeAs[collection.Stats](t, r)
				if st.Zone != "Asia/Shanghai" || len(st.Days) != 7 || st.Totals.PromisesKept != 1 || st.Totals.OpenCases != 1 {
					t.Errorf("stats %+v", st)
				}
			}},
		{name: "get-stats/every agency, as an agency", method: "GET", path: "/v1/stats", token: f.AgencyToken, want: 403},
		{name: "get-stats/every agency, as the admin", method: "GET", path: "/v1/stats", token: h.AdminToken, want: 200,
			check: func(t *testing.T, r response) {
				if st := decodeAs[collection.Stats](t, r); len(st.Days) != 30 || st.Zone != "UTC" || len(st.Agencies) < 2 {
					t.Errorf("stats %+v", st)
				}
			}},
		{name: "get-stats/unknown zone", method: "GET", path: "/v1/stats?tz=Mars/Olympus", token: h.AdminToken, want: 422, field: "tz"},
		{name: "get-stats/window too long", method: "GET", path: "/v1/stats?days=400", token: h.AdminToken, want: 422, field: "days"},
	})
}

// ---- parties, contact methods, lookups

func TestParties(t *testing.T) {
	h := start(t)
	f := h.f
	admin := h.AdminToken
	h.secret("+8613900000005", "+8613900000006")
	consent := map[string]any{"by": "debtor", "method": "in_app", "evidence": "app-consent-77", "at": "2026-11-01T09:00:00+08:00"}
	party := func(over map[string]any) map[string]any {
		p := map[string]any{"id": "P2", "borrower_id": f.BorrowerID, "role": "emergency_contact", "name": "联系人二", "relation": "spouse",
			"consent": consent, "contact_methods": []map[string]string{{"kind": "phone", "value": "+8613900000005"}}}
		for k, v := range over {
			if v == nil {
				delete(p, k)
			} else {
				p[k] = v
			}
		}
		return p
	}
	withConsent := func(over map[string]any) map[string]any {
		c := map[string]any{"by": "party", "method": "written", "evidence": "doc-9"}
		for k, v := range over {
			c[k] = v
		}
		return party(map[string]any{"id": "P3", "consent": c})
	}
	h.run(t, []step{
		{name: "create-party/success", method: "POST", path: "/v1/parties", token: admin, body: party(nil), want: 201, check: func(t *testing.T, r response) {
			p := decodeAs[collection.Party](t, r)
			c := p.Consent
			if p.ID != "P2" || p.BorrowerID != f.BorrowerID || p.Role != "emergency_contact" || p.Name != "联系人二" || p.Relation != "spouse" ||
				p.ObjectedAt != nil || p.CreatedAt.Format(time.RFC3339) != createdAt {
				t.Errorf("party %+v", p)
			}
			if c == nil || c.By != "debtor" || c.Method != "in_app" || c.Evidence != "app-consent-77" || c.At.Format(time.RFC3339) != "2026-11-01T01:00:00Z" || c.RevokedAt != nil {
				t.Errorf("consent %+v", c)
			}
			if m := p.ContactMethods; len(m) != 1 || m[0].Kind != "phone" || m[0].Masked != "+86*******0005" || !strings.HasPrefix(m[0].ID, "cm_") {
				t.Errorf("contact methods %+v", m)
			}
		}},
		{name: "create-party/attorney with generated id", method: "POST", path: "/v1/parties", token: admin,
			body: party(map[string]any{"id": nil, "role": "attorney", "relation": nil, "contact_methods": nil}), want: 201,
			check: func(t *testing.T, r response) {
				if p := decodeAs[collection.Party](t, r); !strings.HasPrefix(p.ID, "pty_") || p.Role != "attorney" || p.ContactMethods == nil {
					t.Errorf("party %+v", p)
				}
			}},
		{name: "create-party/without consent", method: "POST", path: "/v1/parties", token: admin, body: party(map[string]any{"id": "P3", "consent": nil}), want: 422, field: "consent",
			check: func(t *testing.T, r response) {
				if p := decodeAs[problem](t, r); !strings.Contains(p.Detail, "address book") {
					t.Errorf("detail %q", p.Detail)
				}
			}},
		{name: "create-party/duplicate id", method: "POST", path: "/v1/parties", token: admin, body: party(map[string]any{"id": f.ContactID, "role": "third_party"}), want: 409, field: "id"},
		{name: "create-party/id of the debtor", method: "POST", path: "/v1/parties", token: admin, body: party(map[string]any{"id": f.BorrowerID, "role": "third_party"}), want: 409, field: "id"},
		{name: "create-party/unknown borrower", method: "POST", path: "/v1/parties", token: admin, body: party(map[string]any{"id": "P3", "borrower_id": "NOPE"}), want: 404, field: "borrower_id"},
		{name: "create-party/malformed JSON", method: "POST", path: "/v1/parties", token: admin, body: `{"id": "P3", "consent": {}`, want: 400},
		{name: "create-party/debtor role", method: "POST", path: "/v1/parties", token: admin, body: party(map[string]any{"id": "P3", "role": "debtor"}), want: 422, field: "role"},
		{name: "create-party/bad role", method: "POST", path: "/v1/parties", token: admin, body: party(map[string]any{"id": "P3", "role": "neighbour"}), want: 422, field: "role"},
		{name: "create-party/missing name", method: "POST", path: "/v1/parties", token: admin, body: party(map[string]any{"id": "P3", "name": nil, "contact_methods": nil}), want: 422, field: "name"},
		{name: "create-party/relation too long", method: "POST", path: "/v1/parties", token: admin, body: party(map[string]any{"id": "P3", "relation": strings.Repeat("r", 51)}), want: 422, field: "relation"},
		{name: "create-party/consent of the wrong type", method: "POST", path: "/v1/parties", token: admin, body: party(map[string]any{"id": "P3", "consent": "yes"}), want: 422, field: "consent"},
		{name: "create-party/bad consent.by", method: "POST", path: "/v1/parties", token: admin, body: withConsent(map[string]any{"by": "lender"}), want: 422, field: "consent.by"},
		{name: "create-party/bad consent.method", method: "POST", path: "/v1/parties", token: admin, body: withConsent(map[string]any{"method": "scraped"}), want: 422, field: "consent.method"},
		{name: "create-party/blank consent.evidence", method: "POST", path: "/v1/parties", token: admin, body: withConsent(map[string]any{"evidence": " "}), want: 422, field: "consent.evidence"},
		{name: "create-party/consent in the future", method: "POST", path: "/v1/parties", token: admin, body: withConsent(map[string]any{"at": "2026-12-24T10:00:00+08:00"}), want: 422, field: "consent.at"},
		{name: "create-party/bad phone number", method: "POST", path: "/v1/parties", token: admin,
			body: party(map[string]any{"id": "P3", "contact_methods": []map[string]string{{"kind": "phone", "value": "12"}}}), want: 422, field: "contact_methods[0]"},

		{name: "get-party/success", method: "GET", path: "/v1/parties/" + f.ContactID, token: f.AgencyToken, want: 200, check: func(t *testing.T, r response) {
			p := decodeAs[collection.Party](t, r)
			if p.ID != f.ContactID || p.Role != "emergency_contact" || p.Relation != "parent" || p.Consent == nil || p.Consent.Evidence != "rec-1" {
				t.Errorf("party %+v", p)
			}
			if m := p.ContactMethods; len(m) != 1 || m[0].Masked != "+86*******0002" {
				t.Errorf("contact methods %+v", m)
			}
		}},
		{name: "get-party/the debtor", method: "GET", path: "/v1/parties/" + f.BorrowerID, token: f.AgencyToken, want: 200, check: func(t *testing.T, r response) {
			if p := decodeAs[collection.Party](t, r); p.Role != "debtor" || p.BorrowerID != f.BorrowerID {
				t.Errorf("party %+v", p)
			}
		}},
		{name: "get-party/unknown id", method: "GET", path: "/v1/parties/NOPE", token: admin, want: 404},

		{name: "create-contact-method/success", method: "POST", path: "/v1/parties/P2/contact-methods", token: admin, body: map[string]any{"kind": "email", "value": " Spouse@Example.COM "}, want: 201,
			check: func(t *testing.T, r response) {
				p := decodeAs[collection.Party](t, r)
				masked := ids(p.ContactMethods, func(m collection.ContactMethod) string { return m.Kind + " " + m.Masked })
				slices.Sort(masked)
				if p.ID != "P2" || !slices.Equal(masked, []string{"email s***@example.com", "phone +86*******0005"}) {
					t.Errorf("party %s, contact methods %v", p.ID, masked)
				}
			}},
		{name: "create-contact-method/the same number written differently", method: "POST", path: "/v1/parties/P2/contact-methods", token: admin,
			body: map[string]any{"kind": "phone", "value": "+86 (139) 0000-0005"}, want: 201, check: func(t *testing.T, r response) {
				if p := decodeAs[collection.Party](t, r); len(p.ContactMethods) != 2 {
					t.Errorf("contact methods %+v, want the number once", p.ContactMethods)
				}
			}},
		{name: "create-contact-method/im id", method: "POST", path: "/v1/parties/P2/contact-methods", token: admin, body: map[string]any{"kind": "im", "value": "wxid_spouse"}, want: 201},
		{name: "create-contact-method/unknown party", method: "POST", path: "/v1/parties/NOPE/contact-methods", token: admin, body: map[string]any{"kind": "im", "value": "wxid_x"}, want: 404},
		{name: "create-contact-method/malformed JSON", method: "POST", path: "/v1/parties/P2/contact-methods", token: admin, body: `{"kind": "im", "value": }`, want: 400},
		{name: "create-contact-method/bad kind", method: "POST", path: "/v1/parties/P2/contact-methods", token: admin, body: map[string]any{"kind": "fax", "value": "12345678"}, want: 422, field: "kind"},
		{name: "create-contact-method/not a phone number", method: "POST", path: "/v1/parties/P2/contact-methods", token: admin, body: map[string]any{"kind": "phone", "value": "call me maybe"}, want: 422, field: "value"},
		{name: "create-contact-method/not an e-mail address", method: "POST", path: "/v1/parties/P2/contact-methods", token: admin, body: map[string]any{"kind": "email", "value": "spouse at example"}, want: 422, field: "value"},
		{name: "create-contact-method/missing value", method: "POST", path: "/v1/parties/P2/contact-methods", token: admin, body: map[string]any{"kind": "email"}, want: 422, field: "value"},

		{name: "lookup-contact/success", method: "POST", path: "/v1/contact-lookup", token: f.AgencyToken, body: map[string]any{"kind": "phone", "value": "+86 100-0000-0002"}, want: 200,
			check: func(t *testing.T, r response) {
				ps := items[collection.Party](t, r)
				if len(ps) != 1 || ps[0].ID != f.ContactID || len(ps[0].ContactMethods) != 1 || ps[0].ContactMethods[0].Masked != "+86*******0002" {
					t.Errorf("parties %+v", ps)
				}
			}},
		{name: "lookup-contact/e-mail in another case", method: "POST", path: "/v1/contact-lookup", token: admin, body: map[string]any{"kind": "email", "value": "spouse@example.com"}, want: 200,
			check: wantIDs(partyID, "P2")},
		{name: "lookup-contact/nobody", method: "POST", path: "/v1/contact-lookup", token: admin, body: map[string]any{"kind": "phone", "value": "+8613999999999"}, want: 200, check: wantIDs(partyID)},
		{name: "lookup-contact/not a phone number", method: "POST", path: "/v1/contact-lookup", token: admin, body: map[string]any{"kind": "phone", "value": "abc"}, want: 422, field: "value"},
		{name: "lookup-contact/bad kind", method: "POST", path: "/v1/contact-lookup", token: admin, body: map[string]any{"kind": "pager", "value": "123456"}, want: 422, field: "kind"},
		{name: "lookup-contact/malformed JSON", method: "POST", path: "/v1/contact-lookup", token: admin, body: `{"kind": "phone"`, want: 400},

		{name: "update-party/revoke consent", method: "PATCH", path: "/v1/parties/P2", token: f.AgencyToken, body: map[string]any{"revoke_consent": true}, want: 200,
			check: func(t *testing.T, r response) {
				p := decodeAs[collection.Party](t, r)
				if p.Consent == nil || p.Consent.RevokedAt == nil || p.Consent.RevokedAt.Format(time.RFC3339) != createdAt || p.ObjectedAt != nil {
					t.Errorf("party %+v", p)
				}
			}},
		{name: "update-party/nothing to change", method: "PATCH", path: "/v1/parties/P2", token: admin, body: map[string]any{}, want: 422,
			check: func(t *testing.T, r response) {
				if p := decodeAs[problem](t, r); !strings.Contains(p.Detail, "objected") {
					t.Errorf("detail %q does not say what to set", p.Detail)
				}
			}},
		{name: "update-party/objected of the wrong type", method: "PATCH", path: "/v1/parties/P2", token: admin, body: map[string]any{"objected": "yes"}, want: 422, field: "objected"},
		{name: "update-party/unknown field", method: "PATCH", path: "/v1/parties/P2", token: admin, body: map[string]any{"name": "x"}, want: 422, field: "name"},
		{name: "update-party/malformed JSON", method: "PATCH", path: "/v1/parties/P2", token: admin, body: `{"objected": true`, want: 400},
		{name: "update-party/unknown id", method: "PATCH", path: "/v1/parties/NOPE", token: admin, body: map[string]any{"objected": true}, want: 404},
	})

	// No address book: at most 5 emergency contacts per borrower under pack cn.
	t.Run("create-party/6th emergency contact", func(t *testing.T) {
		h.JSON(t, "POST", "/v1/borrowers", admin, map[string]any{"id": "BMIN", "lender_id": f.LenderID, "name": "X", "timezone": "Asia/Shanghai"}, 201, nil)
		contact := func(i int) map[string]any {
			return map[string]any{"id": fmt.Sprintf("EC%d", i), "borrower_id": "BMIN", "role": "emergency_contact", "name": fmt.Sprintf("Contact %d", i),
				"consent": map[string]any{"by": "party", "method": "recorded_call", "evidence": fmt.Sprintf("rec-%d", i)}}
		}
		for i := 1; i <= 5; i++ {
			h.JSON(t, "POST", "/v1/parties", admin, contact(i), 201, nil)
		}
		r := h.call(t, "POST", "/v1/parties", admin, contact(6))
		p := checkProblem(t, r, http.StatusConflict, "")
		if v := p.Violation; v == nil || v.Category != "data_minimization" || v.Rule != "cn.data_minimization.emergency_contacts" || v.Citation == "" || !hasHan(v.Reason.ZH) {
			t.Errorf("violation %+v: %s", v, r.body)
		}
		checkProblem(t, h.call(t, "GET", "/v1/parties/EC6", admin, nil), http.StatusNotFound, "")
		// Other roles are not emergency contacts and are not capped by that rule.
		att := contact(7)
		att["role"] = "attorney"
		h.JSON(t, "POST", "/v1/parties", admin, att, 201, nil)
	})
}

// TestObjection: an emergency contact who objects is never contacted again, at once.
func TestObjection(t *testing.T) {
	h := start(t)
	f := h.f
	var p1 collection.Party
	h.JSON(t, "GET", "/v1/parties/"+f.ContactID, h.AdminToken, nil, 200, &p1)
	locate := map[string]any{"case_id": f.CaseID, "party_id": f.ContactID, "channel": "call", "purpose": "locate", "contact_method_id": methodOf(t, p1, "phone")}

	t.Run("create-attempt/emergency contact while the debtor is reachable", func(t *testing.T) {
		violated(t, h.attempt(t, locate), policy.CatThirdParty, "cn.third_party.debtor_unreachable_only")
	})
	t.Run("create-attempt/emergency contact once the debtor's number is invalid", func(t *testing.T) {
		a := h.attempt(t, map[string]any{"case_id": f.CaseID, "party_id": f.BorrowerID, "channel": "call"})
		allowed(t, a)
		h.outcome(t, a.ID, "invalid_number")
		c := h.attempt(t, locate)
		allowed(t, c)
		if c.PartyRole != "emergency_contact" || c.Purpose != "locate" || c.ContactMethodID != methodOf(t, p1, "phone") {
			t.Errorf("attempt %+v", c)
		}
		h.outcome(t, c.ID, "no_answer")
	})
	h.run(t, []step{
		{name: "update-party/objected", method: "PATCH", path: "/v1/parties/" + f.ContactID, token: f.AgencyToken, body: map[string]any{"objected": true}, want: 200,
			check: func(t *testing.T, r response) {
				if p := decodeAs[collection.Party](t, r); p.ObjectedAt == nil || p.ObjectedAt.Format(time.RFC3339) != createdAt {
					t.Errorf("party %+v", p)
				}
			}},
		{name: "update-party/objected again", method: "PATCH", path: "/v1/parties/" + f.ContactID, token: h.AdminToken, body: map[string]any{"objected": true}, want: 200},
	})
	t.Run("create-attempt/emergency contact who objected", func(t *testing.T) {
		a := h.attempt(t, locate)
		// cn files an objection under opt_out (cn.third_party.objected).
		violated(t, a, policy.CatOptOut, "cn.third_party.objected")
	})
}

// ---- opt-outs

func TestOptOuts(t *testing.T) {
	h := start(t)
	f := h.f
	admin := h.AdminToken
	sms := map[string]any{"case_id": f.CaseID, "party_id": f.BorrowerID, "channel": "sms", "message": "您好，请致电我们了解还款安排。"}
	t.Run("create-attempt/sms before the opt-out", func(t *testing.T) {
		allowed(t, h.attempt(t, sms))
	})
	h.run(t, []step{
		{name: "create-optout/success", method: "POST", path: "/v1/optouts", token: f.AgencyToken, body: map[string]any{"party_id": f.BorrowerID, "channel": "sms"}, want: 201,
			check: func(t *testing.T, r response) {
				o := decodeAs[collection.OptOut](t, r)
				if o.PartyID != f.BorrowerID || o.Channel != "sms" || o.Source != "api" || o.CreatedAt.Format(time.RFC3339) != createdAt {
					t.Errorf("opt-out %+v", o)
				}
			}},
		{name: "create-optout/again is no change", method: "POST", path: "/v1/optouts", token: f.AgencyToken, body: map[string]any{"party_id": f.BorrowerID, "channel": "sms"}, want: 201},
		{name: "create-optout/with a source", method: "POST", path: "/v1/optouts", token: admin, body: map[string]any{"party_id": f.ContactID, "channel": "call", "source": "sms_reply"}, want: 201,
			check: func(t *testing.T, r response) {
				if o := decodeAs[collection.OptOut](t, r); o.Source != "sms_reply" {
					t.Errorf("opt-out %+v", o)
				}
			}},
		{name: "create-optout/unknown party", method: "POST", path: "/v1/optouts", token: admin, body: map[string]any{"party_id": "NOPE", "channel": "sms"}, want: 404},
		{name: "create-optout/malformed JSON", method: "POST", path: "/v1/optouts", token: admin, body: `{"party_id": "B1" "channel": "sms"}`, want: 400},
		{name: "create-optout/bad channel", method: "POST", path: "/v1/optouts", token: admin, body: map[string]any{"party_id": f.BorrowerID, "channel": "pigeon"}, want: 422, field: "channel"},
		{name: "create-optout/missing party_id", method: "POST", path: "/v1/optouts", token: admin, body: map[string]any{"channel": "sms"}, want: 422, field: "party_id"},
		{name: "create-optout/source too long", method: "POST", path: "/v1/optouts", token: admin, body: map[string]any{"party_id": f.BorrowerID, "channel": "im", "source": strings.Repeat("s", 101)}, want: 422, field: "source"},
		{name: "list-borrower-optouts/success", method: "GET", path: "/v1/borrowers/" + f.BorrowerID + "/optouts", token: f.AgencyToken, want: 200, check: func(t *testing.T, r response) {
			outs := items[collection.OptOut](t, r)
			got := ids(outs, func(o collection.OptOut) string { return o.PartyID + "/" + o.Channel })
			if !slices.Equal(got, []string{f.BorrowerID + "/sms", f.ContactID + "/call"}) {
				t.Errorf("opt-outs %v", got)
			}
		}},
	})
	t.Run("create-attempt/sms after the opt-out", func(t *testing.T) {
		violated(t, h.attempt(t, sms), policy.CatOptOut, "cn.opt_out.channel")
		call := h.attempt(t, map[string]any{"case_id": f.CaseID, "party_id": f.BorrowerID, "channel": "call"})
		allowed(t, call) // only sms was opted out of
	})
	h.run(t, []step{
		{name: "delete-optout/agency token", method: "DELETE", path: "/v1/parties/" + f.BorrowerID + "/optouts/sms", token: f.AgencyToken, want: 403},
		{name: "delete-optout/success", method: "DELETE", path: "/v1/parties/" + f.BorrowerID + "/optouts/sms", token: admin, want: 204},
		{name: "delete-optout/not opted out", method: "DELETE", path: "/v1/parties/" + f.BorrowerID + "/optouts/sms", token: admin, want: 404},
		{name: "delete-optout/unknown party", method: "DELETE", path: "/v1/parties/NOPE/optouts/sms", token: admin, want: 404},
		{name: "delete-optout/bad channel", method: "DELETE", path: "/v1/parties/" + f.BorrowerID + "/optouts/pigeon", token: admin, want: 422, field: "channel"},
	})
	t.Run("create-attempt/sms once the opt-out is lifted", func(t *testing.T) {
		allowed(t, h.attempt(t, sms))
	})
}

// ---- the gate

func TestAttempts(t *testing.T) {
	h := start(t)
	f := h.f
	admin := h.AdminToken
	var debtor, contact collection.Party
	h.JSON(t, "GET", "/v1/parties/"+f.BorrowerID, admin, nil, 200, &debtor)
	h.JSON(t, "GET", "/v1/parties/"+f.ContactID, admin, nil, 200, &contact)
	h.JSON(t, "POST", "/v1/parties/"+f.BorrowerID+"/contact-methods", admin, map[string]any{"kind": "email", "value": "debtor@example.com"}, 201, &debtor)
	phoneID, emailID := methodOf(t, debtor, "phone"), methodOf(t, debtor, "email")
	call := func(over map[string]any) map[string]any {
		b := map[string]any{"case_id": f.CaseID, "party_id": f.BorrowerID, "channel": "call"}
		for k, v := range over {
			if v == nil {
				delete(b, k)
			} else {
				b[k] = v
			}
		}
		return b
	}

	var first collection.Attempt
	h.run(t, []step{
		{name: "create-attempt/allowed at 10:00", method: "POST", path: "/v1/attempts", token: f.AgencyToken, body: call(map[string]any{"contact_method_id": phoneID}), want: 201,
			check: func(t *testing.T, r response) {
				r.decode(t, &first)
				allowed(t, first)
				if !strings.HasPrefix(first.ID, "att_") || first.CaseID != f.CaseID || first.BorrowerID != f.BorrowerID || first.AgencyID != f.AgencyID ||
					first.PartyID != f.BorrowerID || first.PartyRole != "debtor" || first.ContactMethodID != phoneID || first.Channel != "call" ||
					first.Purpose != "collect" || first.Pack != "cn" || first.Result != "pending" || first.ResultAt != nil ||
					first.At.Format(time.RFC3339) != createdAt {
					t.Errorf("attempt %+v", first)
				}
				if !slices.Contains(first.Decision.Obligations, "record_call") || first.Decision.Violations == nil {
					t.Errorf("decision %+v", first.Decision)
				}
			}},
		{name: "create-attempt/malformed JSON", method: "POST", path: "/v1/attempts", token: f.AgencyToken, body: `{"case_id": "CASE1", `, want: 400},
		{name: "create-attempt/missing case_id", method: "POST", path: "/v1/attempts", token: f.AgencyToken, body: call(map[string]any{"case_id": nil}), want: 422, field: "case_id"},
		{name: "create-attempt/empty case_id", method: "POST", path: "/v1/attempts", token: f.AgencyToken, body: call(map[string]any{"case_id": ""}), want: 422, field: "case_id"},
		{name: "create-attempt/empty party_id", method: "POST", path: "/v1/attempts", token: f.AgencyToken, body: call(map[string]any{"party_id": ""}), want: 422, field: "party_id"},
		{name: "create-attempt/missing channel", method: "POST", path: "/v1/attempts", token: f.AgencyToken, body: call(map[string]any{"channel": nil}), want: 422, field: "channel"},
		{name: "create-attempt/bad channel", method: "POST", path: "/v1/attempts", token: f.AgencyToken, body: call(map[string]any{"channel": "fax"}), want: 422, field: "channel"},
		{name: "create-attempt/bad purpose", method: "POST", path: "/v1/attempts", token: f.AgencyToken, body: call(map[string]any{"purpose": "harass"}), want: 422, field: "purpose"},
		{name: "create-attempt/too many collectors", method: "POST", path: "/v1/attempts", token: f.AgencyToken, body: call(map[string]any{"channel": "visit", "collectors": 21}), want: 422, field: "collectors"},
		{name: "create-attempt/collectors of the wrong type", method: "POST", path: "/v1/attempts", token: f.AgencyToken, body: call(map[string]any{"collectors": "two"}), want: 422, field: "collectors"},
		{name: "create-attempt/caller_id_registered of the wrong type", method: "POST", path: "/v1/attempts", token: f.AgencyToken, body: call(map[string]any{"caller_id_registered": "no"}), want: 422, field: "caller_id_registered"},
		{name: "create-attempt/idempotency key too long", method: "POST", path: "/v1/attempts", token: f.AgencyToken, body: call(map[string]any{"idempotency_key": strings.Repeat("k", 129)}), want: 422, field: "idempotency_key"},
		{name: "create-attempt/unknown case", method: "POST", path: "/v1/attempts", token: f.AgencyToken, body: call(map[string]any{"case_id": "NOPE"}), want: 404, field: "case_id"},
		{name: "create-attempt/unknown party", method: "POST", path: "/v1/attempts", token: f.AgencyToken, body: call(map[string]any{"party_id": "NOPE"}), want: 404, field: "party_id"},
		{name: "create-attempt/unknown contact method", method: "POST", path: "/v1/attempts", token: f.AgencyToken, body: call(map[string]any{"contact_method_id": "cm_nope"}), want: 404, field: "contact_method_id"},
		{name: "create-attempt/another party's contact method", method: "POST", path: "/v1/attempts", token: f.AgencyToken,
			body: call(map[string]any{"contact_method_id": methodOf(t, contact, "phone")}), want: 404, field: "contact_method_id"},
		{name: "create-attempt/e-mail address for a call", method: "POST", path: "/v1/attempts", token: f.AgencyToken, body: call(map[string]any{"contact_method_id": emailID}), want: 422, field: "contact_method_id"},
		{name: "create-attempt/e-mail address for an e-mail", method: "POST", path: "/v1/attempts", token: f.AgencyToken,
			body: call(map[string]any{"channel": "email", "contact_method_id": emailID}), want: 201, check: func(t *testing.T, r response) {
				allowed(t, decodeAs[collection.Attempt](t, r))
			}},
		{name: "create-attempt/denied and recorded: unregistered caller id", method: "POST", path: "/v1/attempts", token: f.AgencyToken,
			body: call(map[string]any{"caller_id_registered": false}), want: 201, check: func(t *testing.T, r response) {
				violated(t, decodeAs[collection.Attempt](t, r), policy.CatIdentity, "cn.identity.registered_caller_id")
			}},
	})
	if first.ID == "" {
		t.Fatal("no first attempt")
	}
	// Steps that need the first attempt's id.
	h.run(t, []step{
		{name: "get-attempt/success", method: "GET", path: "/v1/attempts/" + first.ID, token: f.AgencyToken, want: 200, check: func(t *testing.T, r response) {
			if a := decodeAs[collection.Attempt](t, r); !reflect.DeepEqual(a, first) {
				t.Errorf("attempt\n got %+v\nwant %+v", a, first)
			}
		}},
		{name: "get-attempt/admin", method: "GET", path: "/v1/attempts/" + first.ID, token: admin, want: 200},
		{name: "get-attempt/unknown id", method: "GET", path: "/v1/attempts/att_nope", token: f.AgencyToken, want: 404},
		{name: "get-attempt/id too long", method: "GET", path: "/v1/attempts/" + strings.Repeat("a", 65), token: f.AgencyToken, want: 422, field: "id"},

		{name: "record-outcome/success", method: "POST", path: "/v1/attempts/" + first.ID + "/outcome", token: f.AgencyToken, body: map[string]any{"result": "connected"}, want: 200,
			check: func(t *testing.T, r response) {
				a := decodeAs[collection.Attempt](t, r)
				if a.ID != first.ID || a.Result != "connected" || a.ResultAt == nil || a.ResultAt.Format(time.RFC3339) != createdAt {
					t.Errorf("attempt %+v", a)
				}
			}},
		{name: "record-outcome/same result again", method: "POST", path: "/v1/attempts/" + first.ID + "/outcome", token: f.AgencyToken, body: map[string]any{"result": "connected"}, want: 200,
			check: func(t *testing.T, r response) {
				if a := decodeAs[collection.Attempt](t, r); a.Result != "connected" {
					t.Errorf("attempt %+v", a)
				}
			}},
		{name: "record-outcome/different result", method: "POST", path: "/v1/attempts/" + first.ID + "/outcome", token: f.AgencyToken, body: map[string]any{"result": "no_answer"}, want: 409},
		{name: "record-outcome/pending", method: "POST", path: "/v1/attempts/" + first.ID + "/outcome", token: f.AgencyToken, body: map[string]any{"result": "pending"}, want: 422, field: "result"},
		{name: "record-outcome/bogus result", method: "POST", path: "/v1/attempts/" + first.ID + "/outcome", token: f.AgencyToken, body: map[string]any{"result": "exploded"}, want: 422, field: "result"},
		{name: "record-outcome/missing result", method: "POST", path: "/v1/attempts/" + first.ID + "/outcome", token: f.AgencyToken, body: map[string]any{}, want: 422, field: "result"},
		{name: "record-outcome/malformed JSON", method: "POST", path: "/v1/attempts/" + first.ID + "/outcome", token: f.AgencyToken, body: `{"result": connected}`, want: 400},
		{name: "record-outcome/unknown attempt", method: "POST", path: "/v1/attempts/att_nope/outcome", token: f.AgencyToken, body: map[string]any{"result": "connected"}, want: 404},
		{name: "get-attempt/outcome recorded", method: "GET", path: "/v1/attempts/" + first.ID, token: f.AgencyToken, want: 200, check: func(t *testing.T, r response) {
			if a := decodeAs[collection.Attempt](t, r); a.Result != "connected" || a.ResultAt == nil {
				t.Errorf("attempt %+v", a)
			}
		}},
	})
	t.Run("record-outcome/denied attempt", func(t *testing.T) {
		a := h.attempt(t, call(map[string]any{"channel": "social_post"}))
		violated(t, a, policy.CatChannelForbidden, "cn.channel.no_public_posts")
		r := h.call(t, "POST", "/v1/attempts/"+a.ID+"/outcome", f.AgencyToken, map[string]any{"result": "delivered"})
		checkProblem(t, r, http.StatusConflict, "")
	})

	t.Run("create-attempt/idempotency key replay", func(t *testing.T) {
		w := h.debtor(t, "BIDEM", "cn", "Asia/Shanghai", "+8613900000010")
		body := map[string]any{"case_id": w.caseID, "party_id": w.borrower, "channel": "call", "idempotency_key": "dialer-1:job-42"}
		a := h.attempt(t, body)
		b := h.attempt(t, body)
		if a.ID != b.ID || !reflect.DeepEqual(a, b) {
			t.Errorf("replay returned another attempt:\n%+v\n%+v", a, b)
		}
		if a.IdempotencyKey != "dialer-1:job-42" {
			t.Errorf("idempotency_key %q", a.IdempotencyKey)
		}
		if n := countAttempts(t, h, w.caseID); n != 1 {
			t.Errorf("%d attempts recorded for one key", n)
		}
	})
	t.Run("create-attempt/idempotency key replay by the admin", func(t *testing.T) {
		w := h.debtor(t, "BIDEM2", "cn", "Asia/Shanghai", "+8613900000011")
		body := map[string]any{"case_id": w.caseID, "party_id": w.borrower, "channel": "call", "idempotency_key": "admin-retry-1"}
		var a, b collection.Attempt
		h.JSON(t, "POST", "/v1/attempts", admin, body, 201, &a)
		r := h.call(t, "POST", "/v1/attempts", admin, body)
		if r.status != 201 {
			t.Fatalf("replay: status %d, want 201 with the first attempt: %s", r.status, r.body)
		}
		r.decode(t, &b)
		if a.ID != b.ID {
			t.Errorf("replay returned attempt %s, want %s", b.ID, a.ID)
		}
	})

	t.Run("create-attempt/denied at 22:00 and recorded", func(t *testing.T) {
		w := h.debtor(t, "BNIGHT", "cn", "Asia/Shanghai", "+8613900000012")
		h.setClock(t, time.Date(2026, 11, 24, 22, 0, 0, 0, shanghai))
		a := h.attempt(t, map[string]any{"case_id": w.caseID, "party_id": w.borrower, "channel": "call"})
		violated(t, a, policy.CatQuietHours, "cn.quiet_hours")
		if got := a.Decision.NextAllowedAt.Format(time.RFC3339); got != "2026-11-25T08:00:00+08:00" {
			t.Errorf("next_allowed_at %s", got)
		}
		if a.Result != "pending" || a.At.Format(time.RFC3339) != "2026-11-24T14:00:00Z" {
			t.Errorf("attempt %+v", a)
		}
		var list struct{ Items []collection.Attempt }
		h.JSON(t, "GET", "/v1/cases/"+w.caseID+"/attempts", f.AgencyToken, nil, 200, &list)
		if len(list.Items) != 1 || list.Items[0].ID != a.ID || list.Items[0].Allowed || !reflect.DeepEqual(list.Items[0].Decision, a.Decision) {
			t.Errorf("attempts %+v", list.Items)
		}
	})

	t.Run("create-attempt/4th connected call in a day", func(t *testing.T) {
		w := h.debtor(t, "BFREQ", "cn", "Asia/Shanghai", "+8613900000013")
		body := map[string]any{"case_id": w.caseID, "party_id": w.borrower, "channel": "call", "contact_method_id": w.methodID}
		var made []string
		for i := range 3 {
			h.setClock(t, fixedTime.Add(time.Duration(i)*time.Hour))
			a := h.attempt(t, body)
			allowed(t, a)
			h.outcome(t, a.ID, "connected")
			made = append(made, a.ID)
		}
		h.setClock(t, fixedTime.Add(3*time.Hour))
		a := h.attempt(t, body)
		violated(t, a, policy.CatFrequency, "cn.frequency.connected_calls_per_day")
		checkProblem(t, h.call(t, "POST", "/v1/attempts/"+a.ID+"/outcome", f.AgencyToken, map[string]any{"result": "connected"}), http.StatusConflict, "")
		// An sms is not a call: the cap does not apply.
		allowed(t, h.attempt(t, map[string]any{"case_id": w.caseID, "party_id": w.borrower, "channel": "sms"}))
		// The next day the calls are allowed again.
		h.setClock(t, time.Date(2026, 11, 25, 9, 0, 0, 0, shanghai))
		allowed(t, h.attempt(t, body))

		made = append(made, a.ID)
		h.run(t, []step{
			{name: "list-case-attempts/newest first", method: "GET", path: "/v1/cases/" + w.caseID + "/attempts", token: f.AgencyToken, want: 200,
				check: func(t *testing.T, r response) {
					got := items[collection.Attempt](t, r)
					if len(got) != 6 {
						t.Fatalf("%d attempts, want 6", len(got))
					}
					last4 := ids(got[2:], attemptID)
					slices.Reverse(last4)
					if !slices.Equal(last4, made) {
						t.Errorf("attempts %v, want %v newest first", ids(got, attemptID), made)
					}
					if got[2].Allowed || !got[3].Allowed || got[3].Result != "connected" {
						t.Errorf("attempts %+v", got[2:4])
					}
				}},
			{name: "list-case-attempts/limit", method: "GET", path: "/v1/cases/" + w.caseID + "/attempts?limit=2", token: f.AgencyToken, want: 200,
				check: func(t *testing.T, r response) {
					if n := len(items[collection.Attempt](t, r)); n != 2 {
						t.Errorf("%d attempts, want 2", n)
					}
				}},
			{name: "list-case-attempts/negative limit", method: "GET", path: "/v1/cases/" + w.caseID + "/attempts?limit=-1", token: f.AgencyToken, want: 422, field: "limit"},
			{name: "list-case-attempts/unknown case", method: "GET", path: "/v1/cases/NOPE/attempts", token: f.AgencyToken, want: 404},
		})
	})
}

// ---- the dry run

func TestScreen(t *testing.T) {
	h := start(t)
	text := "你这个老赖，再不还钱就爆你通讯录"
	h.run(t, []step{
		{name: "screen/harmful", method: "POST", path: "/v1/screen", token: h.f.AgencyToken, body: map[string]string{"text": text}, want: 200,
			check: func(t *testing.T, r response) {
				got := decodeAs[screen.Document](t, r)
				want := screen.Default().Screen(text).Document(text)
				if !reflect.DeepEqual(got, want) {
					t.Errorf("POST /v1/screen %+v, want the screen contract %+v", got, want)
				}
				if got.Lang != "zh" || !slices.Contains(got.Categories, "insult") || !slices.Contains(got.Categories, "threat_exposure") {
					t.Errorf("document %s", r.body)
				}
			}},
		{name: "screen/lawful", method: "POST", path: "/v1/screen", token: h.f.AgencyToken, body: map[string]string{"text": "您好，请方便时回电。"}, want: 200,
			check: func(t *testing.T, r response) {
				if got := decodeAs[screen.Document](t, r); len(got.Categories) != 0 || len(got.Spans) != 0 {
					t.Errorf("document %s", r.body)
				}
			}},
		{name: "screen/no token", method: "POST", path: "/v1/screen", body: map[string]string{"text": "x"}, want: 401},
		{name: "screen/malformed", method: "POST", path: "/v1/screen", token: h.f.AgencyToken, body: "{", want: 400},
		{name: "screen/wrong type", method: "POST", path: "/v1/screen", token: h.f.AgencyToken, body: map[string]int{"text": 1}, want: 422, field: "text"},
		{name: "screen/too long", method: "POST", path: "/v1/screen", token: h.f.AgencyToken, body: map[string]string{"text": strings.Repeat("x", 16385)}, want: 422, field: "text"},
	})
}

func TestCheck(t *testing.T) {
	h := start(t)
	example, err := os.ReadFile("../../examples/call-at-night.json")
	if err != nil {
		t.Fatal(err)
	}
	packs, err := policy.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	req, err := policy.DecodeRequest(example, packs)
	if err != nil {
		t.Fatal(err)
	}
	cli, err := json.Marshal(policy.Evaluate(req.Pack, &req.Snapshot, &req.Attempt))
	if err != nil {
		t.Fatal(err)
	}
	modified := func(change func(m map[string]any)) []byte {
		var m map[string]any
		if err := json.Unmarshal(example, &m); err != nil {
			t.Fatal(err)
		}
		change(m)
		data, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	attempt := func(key string, v any) []byte {
		return modified(func(m map[string]any) { m["attempt"].(map[string]any)[key] = v })
	}
	h.run(t, []step{
		{name: "check/call at night", method: "POST", path: "/v1/check", token: h.f.AgencyToken, body: example, want: 200, check: func(t *testing.T, r response) {
			var got, want any
			r.decode(t, &got)
			if err := json.Unmarshal(cli, &want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("POST /v1/check differs from fairdebt check:\n got %s\nwant %s", r.body, cli)
			}
			d := decodeAs[policy.Decision](t, r)
			if d.Allowed || len(d.Violations) == 0 || d.Violations[0].Category != "quiet_hours" ||
				d.NextAllowedAt.Format(time.RFC3339) != "2026-11-25T08:00:00+08:00" {
				t.Errorf("decision %+v", d)
			}
		}},
		{name: "check/allowed in the morning", method: "POST", path: "/v1/check", token: h.AdminToken,
			body: modified(func(m map[string]any) { m["now"] = "2026-11-24T10:00:00+08:00" }), want: 200, check: func(t *testing.T, r response) {
				if d := decodeAs[policy.Decision](t, r); !d.Allowed || d.Violations == nil || len(d.Violations) != 0 || !d.NextAllowedAt.IsZero() {
					t.Errorf("decision %s", r.body)
				}
			}},
		{name: "check/bad attempt time", method: "POST", path: "/v1/check", token: h.AdminToken, body: attempt("at", "tonight"), want: 422, field: "attempt.at"},
		{name: "check/bad channel", method: "POST", path: "/v1/check", token: h.AdminToken, body: attempt("channel", "fax"), want: 422, field: "attempt.channel"},
		{name: "check/unknown party", method: "POST", path: "/v1/check", token: h.AdminToken, body: attempt("party", "D2"), want: 422, field: "attempt.party"},
		{name: "check/unknown field", method: "POST", path: "/v1/check", token: h.AdminToken, body: attempt("speed", 3), want: 422, field: "attempt.speed"},
		{name: "check/unknown pack", method: "POST", path: "/v1/check", token: h.AdminToken, body: modified(func(m map[string]any) { m["pack"] = "xx" }), want: 422, field: "pack"},
		{name: "check/missing now", method: "POST", path: "/v1/check", token: h.AdminToken, body: modified(func(m map[string]any) { delete(m, "now") }), want: 422, field: "now"},
	})
	// Malformed JSON may be refused by the framework (400) or by the check contract
	// (422, field "request"); either way it is a problem document.
	for _, bad := range []struct{ name, body string }{{"malformed JSON", `{"pack": "cn",`}, {"empty body", ""}, {"trailing data", string(example) + "{}"}} {
		t.Run("check/"+bad.name, func(t *testing.T) {
			r := h.call(t, "POST", "/v1/check", h.AdminToken, bad.body)
			switch r.status {
			case 400:
				checkProblem(t, r, 400, "")
			case 422:
				checkProblem(t, r, 422, "request")
			default:
				t.Fatalf("status %d, want 400 or 422: %s", r.status, r.body)
			}
		})
	}
	if n := countAttempts(t, h, h.f.CaseID); n != 0 {
		t.Errorf("the dry run recorded %d attempts", n)
	}
}

// TestAssignCase puts CASE1 on a collector's worklist and takes it off again.
func TestAssignCase(t *testing.T) {
	h := start(t)
	f := h.f
	ctx := context.Background()
	admin := collection.Principal{Admin: true, Role: collection.RoleAdmin, Name: "test"}
	for _, u := range []collection.UserInput{
		{Username: "col.a1", Role: collection.RoleCollector, AgencyID: f.AgencyID, Password: "a synthetic passphrase"},
		{Username: "col.a2", Role: collection.RoleCollector, AgencyID: f.OtherAgencyID, Password: "a synthetic passphrase"},
	} {
		if _, err := h.Service.CreateUser(ctx, admin, u); err != nil {
			t.Fatal(err)
		}
	}
	path := "/v1/cases/" + f.CaseID + "/assignment"
	h.run(t, []step{
		{name: "assign-case/to the agency's collector", method: "PUT", path: path, token: f.AgencyToken, body: map[string]any{"collector": "col.a1"}, want: 200,
			check: func(t *testing.T, r response) {
				var c collection.Case
				if err := json.Unmarshal(r.body, &c); err != nil || c.CollectorID == "" {
					t.Fatalf("case %s, %v", r.body, err)
				}
			}},
		{name: "assign-case/to another agency's collector", method: "PUT", path: path, token: h.AdminToken, body: map[string]any{"collector": "col.a2"}, want: 422, field: "collector"},
		{name: "assign-case/to nobody known", method: "PUT", path: path, token: h.AdminToken, body: map[string]any{"collector": "nobody"}, want: 422, field: "collector"},
		{name: "assign-case/by another agency", method: "PUT", path: path, token: f.OtherAgencyToken, body: map[string]any{"collector": "col.a1"}, want: 404},
		{name: "assign-case/missing body", method: "PUT", path: path, token: h.AdminToken, body: "{", want: 400},
		{name: "assign-case/off every worklist", method: "PUT", path: path, token: h.AdminToken, body: map[string]any{"collector": ""}, want: 200,
			check: func(t *testing.T, r response) {
				if strings.Contains(string(r.body), "collector_id") {
					t.Fatalf("still assigned: %s", r.body)
				}
			}},
	})
}
