package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fairdebt/fairdebt/internal/audit"
	"github.com/fairdebt/fairdebt/internal/clock"
	"github.com/fairdebt/fairdebt/internal/collection"
	"github.com/fairdebt/fairdebt/internal/dialer"
	"github.com/fairdebt/fairdebt/internal/notify"
	"github.com/fairdebt/fairdebt/internal/policy"
	"github.com/fairdebt/fairdebt/internal/secret"
	"github.com/fairdebt/fairdebt/internal/store/storetest"
)

// Synthetic accounts of the tests.
const (
	collectorPass = "synthetic collector passphrase"
	managerPass   = "synthetic manager passphrase"
)

type env struct {
	srv    *httptest.Server
	svc    *collection.Service
	logs   *syncBuffer
	clk    *clock.Manual
	dialer *recordingDialer
	outbox *notify.Outbox
	vkey   string // the audit log's verifier key
}

// recordingDialer keeps the calls handed to it, numbers in full; it refuses them
// while fail is set.
type recordingDialer struct {
	mu    sync.Mutex
	calls []dialer.Call
	fail  bool
}

func (d *recordingDialer) Name() string { return "test dialer" }

func (d *recordingDialer) Dial(_ context.Context, c dialer.Call) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fail {
		return errors.New("the line is down")
	}
	d.calls = append(d.calls, c)
	return nil
}

func (d *recordingDialer) dialled() []dialer.Call {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]dialer.Call(nil), d.calls...)
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// start runs the web UI over TLS (its cookies are Secure) on a fresh database with
// a collector (Chinese by choice) and a manager (no language chosen).
func start(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	db := storetest.Open(t)
	keys, _, err := secret.Generate()
	if err != nil {
		t.Fatal(err)
	}
	reg, err := policy.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	// 10:00 in Shanghai, a Monday: calls are allowed.
	clk := clock.NewManual(time.Date(2026, 11, 2, 2, 0, 0, 0, time.UTC))
	outbox := notify.NewOutbox(0)
	signer, vkey, _, err := audit.LoadSigner(t.TempDir(), "fairdebt.test/web")
	if err != nil {
		t.Fatal(err)
	}
	svc, err := collection.New(collection.Config{DB: db, Keys: keys, Packs: reg, DefaultPack: "cn", Now: clk.Now, Notifier: outbox,
		AuditSigner: signer})
	if err != nil {
		t.Fatal(err)
	}
	admin := collection.Principal{Admin: true, Role: collection.RoleAdmin, Name: "test"}
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(svc.CreateLender(ctx, admin, collection.LenderInput{ID: "L1", Name: "Synthetic Lender"}))
	for _, a := range []string{"AG1", "AG2"} {
		must(svc.CreateAgency(ctx, admin, collection.AgencyInput{ID: a, Name: "Agency " + a, Approved: true}))
	}
	for _, u := range []collection.UserInput{
		{Username: "collector1", Role: collection.RoleCollector, AgencyID: "AG1", Lang: "zh", Password: collectorPass},
		{Username: "manager1", Role: collection.RoleAgencyManager, AgencyID: "AG1", Password: managerPass},
		{Username: "manager2", Role: collection.RoleAgencyManager, AgencyID: "AG2", Password: managerPass},
		{Username: "collector2", Role: collection.RoleCollector, AgencyID: "AG1", Password: managerPass},
		{Username: "admin1", Role: collection.RoleAdmin, Password: managerPass},
		{Username: "comp1", Role: collection.RoleCompliance, Password: managerPass},
		{Username: "reg1", Role: collection.RoleRegulator, Password: managerPass},
	} {
		must(svc.CreateUser(ctx, admin, u))
	}
	// CASE1 (AG1, on collector1's worklist) and CASE2 (AG1, on nobody's).
	for i, id := range []string{"1", "2"} {
		must(svc.CreateBorrower(ctx, admin, collection.BorrowerInput{ID: "B" + id, LenderID: "L1", Name: "Synthetic Debtor " + id,
			Timezone: "Asia/Shanghai", ContactMethods: []collection.ContactMethodInput{{Kind: "phone", Value: fmt.Sprintf("+861390000000%d", i)}}}))
		must(svc.CreateDebt(ctx, admin, collection.DebtInput{ID: "D" + id, BorrowerID: "B" + id, Currency: "CNY", Principal: 123456,
			Installments: []collection.InstallmentInput{{DueDate: "2026-10-01", Amount: 123456}}}))
		must(svc.CreateCase(ctx, admin, collection.CaseInput{ID: "CASE" + id, DebtID: "D" + id, AgencyID: "AG1"}))
	}
	must(svc.AssignCase(ctx, admin, "CASE1", "collector1"))
	logs := &syncBuffer{}
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "api "+r.URL.Path)
	})
	dial := &recordingDialer{}
	h, err := New(svc, slog.New(slog.NewTextHandler(logs, nil)), api, WithDialer(dial), WithOutbox(outbox))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	return &env{srv: srv, svc: svc, logs: logs, clk: clk, dialer: dial, outbox: outbox, vkey: vkey}
}

// client is a browser: cookies, no automatic redirects.
func (e *env) client(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	// A client of its own (srv.Client returns one shared client): its own cookies.
	return &http.Client{Transport: e.srv.Client().Transport, Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

type response struct {
	status int
	header http.Header
	body   string
}

func do(t *testing.T, c *http.Client, method, u string, form url.Values, header ...string) response {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{res.StatusCode, res.Header, string(b)}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, body string) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF field in\n%s", body)
	}
	return m[1]
}

var (
	challengeField = regexp.MustCompile(`name="challenge" value="([^"]+)"`)
	sixDigits      = regexp.MustCompile(`\b\d{6}\b`)
)

// borrowerSignIn signs c in to the portal as the borrower with the phone number
// (B1 is +8613900000000): the code comes from the outbox. It returns the answer
// to the code's post.
func (e *env) borrowerSignIn(t *testing.T, c *http.Client, phone string) response {
	t.Helper()
	form := do(t, c, "GET", e.srv.URL+"/portal/login", nil)
	sent := do(t, c, "POST", e.srv.URL+"/portal/login", url.Values{"csrf": {csrfOf(t, form.body)}, "contact": {phone}})
	m := challengeField.FindStringSubmatch(sent.body)
	if sent.status != http.StatusOK || m == nil {
		t.Fatalf("asking for a code: %d\n%s", sent.status, sent.body)
	}
	code := e.lastCode(t)
	return do(t, c, "POST", e.srv.URL+"/portal/verify", url.Values{"csrf": {csrfOf(t, sent.body)}, "challenge": {m[1]}, "code": {code}})
}

// lastCode is the one-time code in the outbox's newest message.
func (e *env) lastCode(t *testing.T) string {
	t.Helper()
	msgs := e.outbox.Messages()
	if len(msgs) == 0 {
		t.Fatal("no code was sent")
	}
	return sixDigits.FindString(msgs[len(msgs)-1].Text)
}

// signIn fetches the form and posts it; it returns the answer to the post.
func (e *env) signIn(t *testing.T, c *http.Client, username, password string, extra ...string) response {
	t.Helper()
	form := do(t, c, "GET", e.srv.URL+"/login", nil)
	v := url.Values{"csrf": {csrfOf(t, form.body)}, "username": {username}, "password": {password}}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	return do(t, c, "POST", e.srv.URL+"/login", v)
}

func TestSignInAndOut(t *testing.T) {
	e := start(t)
	c := e.client(t)
	res := do(t, c, "GET", e.srv.URL+"/home", nil)
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/login?next=%2Fhome" {
		t.Fatalf("signed out, /home: %d %q", res.status, res.header.Get("Location"))
	}
	res = e.signIn(t, c, "manager1", managerPass, "next", "/home")
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/home" {
		t.Fatalf("sign-in: %d %q %s", res.status, res.header.Get("Location"), res.body)
	}
	home := do(t, c, "GET", e.srv.URL+"/home", nil, "Accept-Language", "en-GB,en;q=0.9")
	if home.status != 200 || !strings.Contains(home.body, `id="role">Agency manager<`) || !strings.Contains(home.body, "Signed in as manager1") {
		t.Fatalf("/home: %d\n%s", home.status, home.body)
	}
	// Signing out needs the session's CSRF token.
	if res := do(t, c, "POST", e.srv.URL+"/logout", url.Values{}); res.status != http.StatusForbidden {
		t.Fatalf("logout without CSRF: %d", res.status)
	}
	if res := do(t, c, "POST", e.srv.URL+"/logout", url.Values{"csrf": {"forged"}}); res.status != http.StatusForbidden {
		t.Fatalf("logout with a wrong CSRF token: %d", res.status)
	}
	if res := do(t, c, "POST", e.srv.URL+"/logout", url.Values{"csrf": {csrfOf(t, home.body)}}); res.status != http.StatusSeeOther {
		t.Fatalf("logout: %d", res.status)
	}
	if res := do(t, c, "GET", e.srv.URL+"/home", nil); res.status != http.StatusSeeOther {
		t.Fatalf("after logout /home: %d", res.status)
	}
}

func TestSignInRefusals(t *testing.T) {
	e := start(t)
	c := e.client(t)
	// No form token, or a wrong one: 403, and nothing checked.
	do(t, c, "GET", e.srv.URL+"/login", nil)
	for _, v := range []url.Values{
		{"username": {"manager1"}, "password": {managerPass}},
		{"username": {"manager1"}, "password": {managerPass}, "csrf": {"forged"}},
	} {
		if res := do(t, c, "POST", e.srv.URL+"/login", v); res.status != http.StatusForbidden {
			t.Fatalf("sign-in without the form's token: %d", res.status)
		}
	}
	// A page elsewhere posting to /login has no cookie to match.
	bare := &http.Client{Transport: e.srv.Client().Transport, CheckRedirect: c.CheckRedirect}
	if res := do(t, bare, "POST", e.srv.URL+"/login", url.Values{"csrf": {"x"}, "username": {"manager1"}, "password": {managerPass}}); res.status != http.StatusForbidden {
		t.Fatalf("cross-site sign-in: %d", res.status)
	}
	const wrong = "an entirely wrong passphrase"
	res := e.signIn(t, c, "manager1", wrong)
	if res.status != http.StatusUnauthorized || !strings.Contains(res.body, "用户名或密码错误") {
		t.Fatalf("wrong password: %d\n%s", res.status, res.body)
	}
	if strings.Contains(res.body, wrong) {
		t.Fatal("the page echoes the password")
	}
	if res := e.signIn(t, c, "nobody", wrong); res.status != http.StatusUnauthorized {
		t.Fatalf("unknown user: %d", res.status)
	}
	for range 4 { // five failures for manager1 in all
		e.signIn(t, c, "manager1", wrong)
	}
	if res := e.signIn(t, c, "manager1", managerPass); res.status != http.StatusTooManyRequests {
		t.Fatalf("after five failures: %d", res.status)
	}
	// Passwords are never logged, right or wrong.
	logs := e.logs.String()
	if !strings.Contains(logs, "sign-in failed") || strings.Contains(logs, wrong) || strings.Contains(logs, managerPass) {
		t.Fatalf("logs:\n%s", logs)
	}
	// The next parameter cannot send the browser elsewhere.
	c2 := e.client(t)
	for _, next := range []string{"//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"} {
		res := e.signIn(t, c2, "collector1", collectorPass, "next", next)
		if loc := res.header.Get("Location"); res.status != http.StatusSeeOther || loc != "/home" {
			t.Errorf("next=%q: %d to %q", next, res.status, loc)
		}
	}
}

// A session token the browser held before signing in (planted by an attacker) is
// never the one signing in gives.
func TestNoSessionFixation(t *testing.T) {
	e := start(t)
	c := e.client(t)
	u, _ := url.Parse(e.srv.URL)
	planted := "fds_planted-by-an-attacker"
	c.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: planted, Path: "/", Secure: true}})
	if res := e.signIn(t, c, "collector1", collectorPass); res.status != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", res.status)
	}
	var got string
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == sessionCookie {
			got = ck.Value
		}
	}
	if got == "" || got == planted {
		t.Fatalf("session cookie after sign-in: %q", got)
	}
	if _, err := e.svc.Session(context.Background(), planted); err == nil {
		t.Fatal("the planted token became a session")
	}
}

func TestSessionCookieAttributes(t *testing.T) {
	e := start(t)
	res := e.signIn(t, e.client(t), "collector1", collectorPass)
	var found bool
	for _, line := range res.header.Values("Set-Cookie") {
		if strings.HasPrefix(line, sessionCookie+"=") {
			found = true
			for _, attr := range []string{"Path=/", "HttpOnly", "Secure", "SameSite=Lax", "Max-Age=43200"} {
				if !strings.Contains(line, attr) {
					t.Errorf("session cookie %q lacks %s", line, attr)
				}
			}
			if strings.Contains(line, "Domain=") {
				t.Errorf("session cookie %q has a Domain", line)
			}
		}
	}
	if !found {
		t.Fatal("no session cookie")
	}
}

func TestSecurityHeaders(t *testing.T) {
	e := start(t)
	c := e.client(t)
	for _, path := range []string{"/login", "/lang/xx", "/static/app.css"} {
		res := do(t, c, "GET", e.srv.URL+path, nil)
		h := res.header
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: headers %v", path, h)
		}
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "object-src 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: CSP %q allows inline or eval", path, csp)
		}
	}
	// No inline script or style anywhere in the pages: the CSP would block it.
	body := do(t, c, "GET", e.srv.URL+"/login", nil).body
	if regexp.MustCompile(`<script>|<script [^>]*>[^<]|<style|style="|onclick=|onsubmit=`).MatchString(body) {
		t.Errorf("inline script or style in\n%s", body)
	}
	// The API behind keeps its own headers: no page policy, but nosniff.
	api := do(t, c, "GET", e.srv.URL+"/v1/cases", nil)
	if api.body != "api /v1/cases" || api.header.Get("Content-Security-Policy") != "" || api.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("API passthrough: %q %v", api.body, api.header)
	}
}

func TestLanguages(t *testing.T) {
	e := start(t)
	c := e.client(t)
	if body := do(t, c, "GET", e.srv.URL+"/login", nil).body; !strings.Contains(body, `lang="zh"`) || !strings.Contains(body, "登录") {
		t.Errorf("default language is not Chinese:\n%s", body)
	}
	if body := do(t, c, "GET", e.srv.URL+"/login", nil, "Accept-Language", "en-US,en;q=0.8").body; !strings.Contains(body, `lang="en"`) ||
		!strings.Contains(body, ">Sign in<") {
		t.Errorf("Accept-Language en:\n%s", body)
	}
	res := do(t, c, "GET", e.srv.URL+"/lang/en?next=/login", nil)
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/login" {
		t.Fatalf("/lang/en: %d %q", res.status, res.header.Get("Location"))
	}
	if body := do(t, c, "GET", e.srv.URL+"/login", nil, "Accept-Language", "zh-CN").body; !strings.Contains(body, `lang="en"`) {
		t.Errorf("the language cookie does not win over Accept-Language")
	}
	// Signing in brings the user's own choice: collector1 chose Chinese. The switch
	// still works once signed in.
	e.signIn(t, c, "collector1", collectorPass)
	if body := do(t, c, "GET", e.srv.URL+"/home", nil, "Accept-Language", "en").body; !strings.Contains(body, `lang="zh"`) || !strings.Contains(body, "催收员") {
		t.Errorf("collector1's choice of Chinese:\n%s", body)
	}
	do(t, c, "GET", e.srv.URL+"/lang/en?next=/home", nil)
	if body := do(t, c, "GET", e.srv.URL+"/home", nil).body; !strings.Contains(body, `lang="en"`) || !strings.Contains(body, ">Collector<") {
		t.Errorf("switched to English while signed in:\n%s", body)
	}
	// A user without a choice keeps the language the browser has.
	c2 := e.client(t)
	e.signIn(t, c2, "manager1", managerPass)
	if body := do(t, c2, "GET", e.srv.URL+"/home", nil, "Accept-Language", "en").body; !strings.Contains(body, `lang="en"`) {
		t.Errorf("manager1 with an English browser:\n%s", body)
	}
	if res := do(t, c, "GET", e.srv.URL+"/lang/fr", nil); res.status != http.StatusNotFound {
		t.Errorf("/lang/fr: %d", res.status)
	}
}

// Both languages have every message.
func TestLocalesMatch(t *testing.T) {
	ids := map[string][]string{}
	for _, lang := range []string{"zh", "en"} {
		b, err := localeFS.ReadFile("locales/active." + lang + ".json")
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]string
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		ids[lang] = slices.Sorted(maps.Keys(m))
		for id, s := range m {
			if strings.TrimSpace(s) == "" {
				t.Errorf("%s: %s is empty", lang, id)
			}
		}
	}
	if !slices.Equal(ids["zh"], ids["en"]) {
		t.Fatalf("message ids differ:\nzh %v\nen %v", ids["zh"], ids["en"])
	}
	for _, role := range collection.Roles {
		if !slices.Contains(ids["en"], "role."+role) {
			t.Errorf("no name for role %s", role)
		}
	}
}
