package web

import (
	"context"
	"encoding/xml"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nicksnyder/go-i18n/v2/i18n"

	"github.com/fairdebt/fairdebt/internal/collection"
	"github.com/fairdebt/fairdebt/internal/policy"
)

// signedIn returns a client signed in as username, and the CSRF token of its session.
func (e *env) signedIn(t *testing.T, username string) (*http.Client, string) {
	t.Helper()
	c := e.client(t)
	pass := managerPass
	if username == "collector1" {
		pass = collectorPass
	}
	if res := e.signIn(t, c, username, pass); res.status != http.StatusSeeOther {
		t.Fatalf("%s cannot sign in: %d", username, res.status)
	}
	return c, csrfOf(t, do(t, c, "GET", e.srv.URL+"/home", nil).body)
}

// signedInPrincipal signs username in through the service and returns the
// principal, for acting as them without the browser.
func (e *env) signedInPrincipal(t *testing.T, username string) (collection.Principal, string) {
	t.Helper()
	pass := managerPass
	if username == "collector1" {
		pass = collectorPass
	}
	token, p, err := e.svc.Login(context.Background(), username, pass, "test")
	if err != nil {
		t.Fatal(err)
	}
	return p, token
}

// svgOf returns the inline SVG element with the given id, and checks it is XML.
func svgOf(t *testing.T, body, id string) string {
	t.Helper()
	i := strings.Index(body, `<svg id="`+id+`"`)
	if i < 0 {
		i = strings.Index(body, `id="`+id+`"`)
		if i < 0 || !strings.Contains(body[max(0, i-200):i], "<svg") {
			t.Fatalf("no chart %s in\n%s", id, body)
		}
		i = strings.LastIndex(body[:i], "<svg")
	}
	end := strings.Index(body[i:], "</svg>")
	if end < 0 {
		t.Fatalf("chart %s is not closed", id)
	}
	svg := body[i : i+end+len("</svg>")]
	d := xml.NewDecoder(strings.NewReader(svg))
	for {
		if _, err := d.Token(); err != nil {
			if err.Error() == "EOF" {
				break
			}
			t.Fatalf("chart %s is not well-formed: %v\n%s", id, err, svg)
		}
	}
	return svg
}

// The dashboard draws the figures as SVG: one call allowed, one denied in
// quiet hours, the agencies ranked by denials; each sees what their role sees.
func TestDashboard(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	admin := collection.Principal{Admin: true, Role: collection.RoleAdmin, Name: "test"}
	if _, err := e.svc.Decide(ctx, admin, collection.AttemptInput{CaseID: "CASE1", PartyID: "B1", Channel: "call"}); err != nil {
		t.Fatal(err)
	}
	e.clk.Set(time.Date(2026, 11, 2, 15, 30, 0, 0, time.UTC)) // 23:30 in Shanghai
	if a, err := e.svc.Decide(ctx, admin, collection.AttemptInput{CaseID: "CASE2", PartyID: "B2", Channel: "call"}); err != nil || a.Allowed {
		t.Fatalf("a call at 23:30: %+v, %v", a, err)
	}
	if _, err := e.svc.CreatePromise(ctx, admin, "CASE1", collection.PromiseInput{Amount: 100, DueDate: "2026-10-30"}); err != nil {
		t.Fatal(err)
	}
	c, _ := e.signedIn(t, "comp1")
	res := do(t, c, "GET", e.srv.URL+"/dashboard?days=7&tz=Asia/Shanghai", nil, "Accept-Language", "en")
	if res.status != 200 {
		t.Fatalf("dashboard: %d\n%s", res.status, res.body)
	}
	for _, want := range []string{`id="kpi-attempts">2<`, `id="kpi-denied">1 (50.0%)<`, "2026-10-27 to 2026-11-02", "Asia/Shanghai"} {
		if !strings.Contains(res.body, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
	contacts := svgOf(t, res.body, "chart-contacts")
	if !strings.Contains(contacts, "11-02, Allowed: 1") || !strings.Contains(contacts, "11-02, Denied: 1") {
		t.Errorf("contacts chart:\n%s", contacts)
	}
	if cats := svgOf(t, res.body, "chart-categories"); !strings.Contains(cats, "quiet hours: 1") {
		t.Errorf("categories chart:\n%s", cats)
	}
	if top := svgOf(t, res.body, "chart-agencies"); !strings.Contains(top, "Agency AG1: 1") || !strings.Contains(top, "Agency AG2: 0") {
		t.Errorf("agencies chart:\n%s", top)
	}
	if pr := svgOf(t, res.body, "chart-promises"); !strings.Contains(pr, "10-26, promise broken: 1") {
		t.Errorf("promises chart:\n%s", pr)
	}

	// A manager sees their own agency's, whatever they ask for, and no league table.
	m, _ := e.signedIn(t, "manager2")
	res = do(t, m, "GET", e.srv.URL+"/dashboard?agency=AG1&tz=Asia/Shanghai", nil, "Accept-Language", "en")
	if res.status != 200 || !strings.Contains(res.body, `id="dash-agency">Agency AG2<`) || !strings.Contains(res.body, `id="kpi-attempts">0<`) ||
		strings.Contains(res.body, "chart-agencies") {
		t.Errorf("manager2's dashboard: %d\n%s", res.status, res.body)
	}
	// Bad input is refused with a reason, in the page's language.
	for q, want := range map[string]string{"tz=Mars/Olympus": "tz: 未知的 IANA 时区", "days=400": "days: 须在 1 到 366 之间", "days=ten": "days: 须为整数天数"} {
		res := do(t, c, "GET", e.srv.URL+"/dashboard?"+q, nil, "Accept-Language", "zh-CN")
		if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, want) {
			t.Errorf("%s: %d, want 422 with %q\n%s", q, res.status, want, res.body)
		}
	}
}

// A manager sees the team's worklists and figures and moves a case from nobody's
// worklist to a collector's; lender staff choose the agency and only look.
func TestTeam(t *testing.T) {
	e := start(t)
	m, csrf := e.signedIn(t, "manager1")
	res := do(t, m, "GET", e.srv.URL+"/team", nil, "Accept-Language", "en")
	group := regexp.MustCompile(`(?s)<details class="team-group" id="group-([^"]+)"[^>]*>(.*?)</details>`)
	groups := func(body string) map[string]string {
		out := map[string]string{}
		for _, g := range group.FindAllStringSubmatch(body, -1) {
			out[g[1]] = g[2]
		}
		return out
	}
	g := groups(res.body)
	if res.status != 200 || !strings.Contains(g["unassigned"], "CASE2") || !strings.Contains(g["collector1"], "CASE1") ||
		strings.Contains(g["collector2"], "CASE") {
		t.Fatalf("team: %d %v\n%s", res.status, g, res.body)
	}
	if !strings.Contains(res.body, `id="team-kpis"`) || !regexp.MustCompile(`>collector1</td><td[^>]*>1</td>`).MatchString(res.body) {
		t.Errorf("team figures:\n%s", res.body)
	}
	res = do(t, m, "POST", e.srv.URL+"/cases/CASE2/assignment", url.Values{"csrf": {csrf}, "collector": {"collector2"}, "back": {"/team"}})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/team" {
		t.Fatalf("assigning from the team page: %d %q", res.status, res.header.Get("Location"))
	}
	g = groups(do(t, m, "GET", e.srv.URL+"/team", nil).body)
	if !strings.Contains(g["collector2"], "CASE2") || strings.Contains(g["unassigned"], "CASE2") {
		t.Errorf("after the move: %v", g)
	}
	// A back link elsewhere is not followed.
	res = do(t, m, "POST", e.srv.URL+"/cases/CASE2/assignment", url.Values{"csrf": {csrf}, "collector": {""}, "back": {"https://evil.example/"}})
	if res.header.Get("Location") != "/cases/CASE2" {
		t.Errorf("an outside back link: %q", res.header.Get("Location"))
	}

	// Compliance: choose an agency, then look without forms.
	c, _ := e.signedIn(t, "comp1")
	if res := do(t, c, "GET", e.srv.URL+"/team", nil); !strings.Contains(res.body, `id="choose-agency"`) {
		t.Errorf("compliance without an agency:\n%s", res.body)
	}
	res = do(t, c, "GET", e.srv.URL+"/team?agency=AG1", nil)
	if res.status != 200 || !strings.Contains(res.body, "CASE1") || strings.Contains(res.body, "/assignment") {
		t.Errorf("compliance, AG1's team: %d\n%s", res.status, res.body)
	}
}

// The lender's administrator chooses the pack and places debts with approved
// agencies only; compliance sees the packs without forms.
func TestLenderPage(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	admin := collection.Principal{Admin: true, Role: collection.RoleAdmin, Name: "test"}
	if _, err := e.svc.CreateAgency(ctx, admin, collection.AgencyInput{ID: "AG3", Name: "Unapproved AG3"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CreateDebt(ctx, admin, collection.DebtInput{ID: "D3", BorrowerID: "B2", Currency: "CNY", Principal: 500,
		Installments: []collection.InstallmentInput{{DueDate: "2026-10-15", Amount: 500}}}); err != nil {
		t.Fatal(err)
	}
	a, csrf := e.signedIn(t, "admin1")
	res := do(t, a, "GET", e.srv.URL+"/lender", nil, "Accept-Language", "en")
	if res.status != 200 || !strings.Contains(res.body, `id="pack-L1"`) || !strings.Contains(res.body, `id="place-D3"`) ||
		strings.Contains(res.body, `id="place-D1"`) || strings.Contains(res.body, "Unapproved AG3") {
		t.Fatalf("lender page: %d\n%s", res.status, res.body)
	}
	res = do(t, a, "POST", e.srv.URL+"/lenders/L1/pack", url.Values{"csrf": {csrf}, "pack": {"us"}, "existing": {"on"}})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/lender?moved=2" {
		t.Fatalf("choosing us: %d %q\n%s", res.status, res.header.Get("Location"), res.body)
	}
	if b, _ := e.svc.Borrower(ctx, admin, "B1"); b.Pack != "us" {
		t.Errorf("B1's pack after the move: %s", b.Pack)
	}
	if res := do(t, a, "GET", e.srv.URL+"/lender?moved=2", nil, "Accept-Language", "en"); !strings.Contains(res.body, "2 borrowers moved") {
		t.Errorf("no notice:\n%s", res.body)
	}
	res = do(t, a, "POST", e.srv.URL+"/lenders/L1/pack", url.Values{"csrf": {csrf}, "pack": {"nope"}}, "Accept-Language", "en")
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, "pack: unknown pack") {
		t.Errorf("an unknown pack: %d\n%s", res.status, res.body)
	}
	// An unapproved agency is refused even when posted by hand.
	res = do(t, a, "POST", e.srv.URL+"/debts/D3/case", url.Values{"csrf": {csrf}, "agency": {"AG3"}}, "Accept-Language", "en")
	if res.status != http.StatusConflict || !strings.Contains(res.body, "approved") {
		t.Errorf("placing with an unapproved agency: %d\n%s", res.status, res.body)
	}
	res = do(t, a, "POST", e.srv.URL+"/debts/D3/case", url.Values{"csrf": {csrf}, "agency": {"AG2"}})
	if res.status != http.StatusSeeOther || !strings.HasPrefix(res.header.Get("Location"), "/lender?placed=case_") {
		t.Fatalf("placing D3: %d %q", res.status, res.header.Get("Location"))
	}
	if res := do(t, a, "GET", e.srv.URL+"/lender", nil); strings.Contains(res.body, `id="place-D3"`) || !strings.Contains(res.body, `id="no-unplaced"`) {
		t.Errorf("D3 still offered:\n%s", res.body)
	}
	if res := do(t, a, "GET", e.srv.URL+"/lender?placed="+url.QueryEscape("all debts. Call 400-000-0000 to confirm"), nil); strings.Contains(res.body, `id="notice"`) {
		t.Errorf("a crafted link makes the page announce:\n%s", res.body)
	}
	c, _ := e.signedIn(t, "comp1")
	res = do(t, c, "GET", e.srv.URL+"/lender", nil)
	if res.status != 200 || strings.Contains(res.body, "<form method=\"post\" action=\"/lenders/") || !strings.Contains(res.body, `<span class="pack">us</span>`) {
		t.Errorf("compliance's lender page: %d\n%s", res.status, res.body)
	}
}

// A user's language preference is stored, followed at once, and may go back
// to the browser's.
func TestLanguagePreference(t *testing.T) {
	e := start(t)
	c, csrf := e.signedIn(t, "collector1") // Chinese by choice
	if res := do(t, c, "GET", e.srv.URL+"/settings", nil); !strings.Contains(res.body, `id="lang-zh" checked`) || !strings.Contains(res.body, "个人设置") {
		t.Fatalf("settings:\n%s", res.body)
	}
	res := do(t, c, "POST", e.srv.URL+"/settings", url.Values{"csrf": {csrf}, "lang": {"en"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("saving: %d", res.status)
	}
	if res := do(t, c, "GET", e.srv.URL+"/settings?saved=1", nil, "Accept-Language", "zh-CN"); !strings.Contains(res.body, `<html lang="en">`) ||
		!strings.Contains(res.body, `id="lang-en" checked`) || !strings.Contains(res.body, "Saved.") {
		t.Errorf("after choosing English:\n%s", res.body)
	}
	// On another device too: the preference is the account's.
	other, _ := e.signedIn(t, "collector1")
	if res := do(t, other, "GET", e.srv.URL+"/home", nil, "Accept-Language", "zh-CN"); !strings.Contains(res.body, `<html lang="en">`) {
		t.Errorf("another device:\n%s", res.body)
	}
	do(t, c, "POST", e.srv.URL+"/settings", url.Values{"csrf": {csrf}, "lang": {""}})
	if res := do(t, c, "GET", e.srv.URL+"/home", nil, "Accept-Language", "zh-CN"); !strings.Contains(res.body, `<html lang="zh">`) {
		t.Errorf("back to the browser's language:\n%s", res.body)
	}
	res = do(t, c, "POST", e.srv.URL+"/settings", url.Values{"csrf": {csrf}, "lang": {"fr"}})
	if res.status != http.StatusUnprocessableEntity {
		t.Errorf("French: %d", res.status)
	}
}

// A form posted after the session ended goes to the sign-in form and back to the
// page it was on, not to a 403.
func TestExpiredSessionForm(t *testing.T) {
	e := start(t)
	c, csrf := e.signedIn(t, "collector1")
	e.clk.Set(e.clk.Now().Add(collection.SessionLifetime + time.Minute))
	res := do(t, c, "POST", e.srv.URL+"/cases/CASE1/notes", url.Values{"csrf": {csrf}, "text": {"late"}}, "Referer", e.srv.URL+"/cases/CASE1")
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/login?next=%2Fcases%2FCASE1" {
		t.Fatalf("an expired session's form: %d %q", res.status, res.header.Get("Location"))
	}
	res = do(t, c, "POST", e.srv.URL+"/cases/CASE1/notes", url.Values{"csrf": {csrf}, "text": {"late"}}, "Referer", "https://evil.example/cases/CASE1")
	if res.header.Get("Location") != "/login?next=" {
		t.Errorf("a Referer elsewhere: %q", res.header.Get("Location"))
	}
	notes, err := e.svc.Notes(context.Background(), collection.Principal{Admin: true, Role: collection.RoleAdmin}, "CASE1")
	if err != nil || len(notes) != 0 {
		t.Errorf("notes after expired posts: %v, %v", notes, err)
	}
}

// A promise is marked kept from the case page.
func TestPromiseKeptOnCasePage(t *testing.T) {
	e := start(t)
	c, csrf := e.signedIn(t, "collector1")
	pr, err := e.svc.CreatePromise(context.Background(), collection.Principal{Admin: true, Role: collection.RoleAdmin}, "CASE1",
		collection.PromiseInput{Amount: 100, DueDate: "2026-11-05"})
	if err != nil {
		t.Fatal(err)
	}
	page := do(t, c, "GET", e.srv.URL+"/cases/CASE1", nil, "Accept-Language", "en")
	if !strings.Contains(page.body, `id="kept-`+pr.ID+`"`) || !strings.Contains(page.body, `id="broken-`+pr.ID+`"`) {
		t.Fatalf("no buttons:\n%s", page.body)
	}
	res := do(t, c, "POST", e.srv.URL+"/promises/"+pr.ID+"/status", url.Values{"csrf": {csrf}, "status": {"kept"}})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/cases/CASE1#promises" {
		t.Fatalf("keeping: %d %q", res.status, res.header.Get("Location"))
	}
	page = do(t, c, "GET", e.srv.URL+"/cases/CASE1", nil)
	if !strings.Contains(page.body, `class="promise-kept">已兑现`) || strings.Contains(page.body, `id="kept-`+pr.ID+`"`) {
		t.Errorf("after keeping:\n%s", page.body)
	}
}

// Every violation category a decision can name has a label in both languages,
// for the dashboard's chart.
func TestViolationCategoriesTranslated(t *testing.T) {
	b, err := newBundle()
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"zh", "en"} {
		loc := i18n.NewLocalizer(b, lang)
		for _, c := range policy.Categories {
			if got := tr(loc, "violation."+c); got == "violation."+c {
				t.Errorf("%s: no label for %s", lang, c)
			}
		}
	}
}

// Pressing "call" dials only what the gate allowed, with the number in full
// going to the dialer and never to the page; a dialer that fails is said so.
func TestCallButtonDials(t *testing.T) {
	e := start(t)
	c, _ := e.signedIn(t, "collector1")
	page := do(t, c, "GET", e.srv.URL+"/cases/CASE1", nil)
	m := regexp.MustCompile(`name="contact_method_id" value="([^"]+)"`).FindStringSubmatch(page.body)
	if m == nil {
		t.Fatalf("the call button names no number:\n%s", page.body)
	}
	press := func() response {
		t.Helper()
		c, csrf := e.signedIn(t, "collector1") // the clock moves past sessions' end
		res := do(t, c, "POST", e.srv.URL+"/cases/CASE1/attempts", url.Values{"csrf": {csrf}, "party_id": {"B1"}, "channel": {"call"},
			"contact_method_id": {m[1]}})
		if res.status != http.StatusSeeOther {
			t.Fatalf("call: %d\n%s", res.status, res.body)
		}
		return do(t, c, "GET", e.srv.URL+res.header.Get("Location"), nil) // in collector1's Chinese
	}
	shown := press() // 10:00 in Shanghai: allowed
	calls := e.dialer.dialled()
	if len(calls) != 1 || calls[0].To != "+8613900000000" || calls[0].CaseID != "CASE1" || calls[0].PartyID != "B1" || calls[0].Agent != "user:collector1" {
		t.Fatalf("dialled %+v", calls)
	}
	if !strings.Contains(shown.body, `id="dial"`) || !strings.Contains(shown.body, "test dialer") || strings.Contains(shown.body, "+8613900000000") {
		t.Errorf("after an allowed call:\n%s", shown.body)
	}
	a, err := e.svc.Attempt(context.Background(), collection.Principal{Admin: true}, calls[0].AttemptID)
	if err != nil || !a.Allowed || a.ContactMethodID != m[1] || a.Actor != "user:collector1" {
		t.Errorf("the dialled attempt: %+v, %v", a, err)
	}

	e.clk.Set(time.Date(2026, 11, 2, 15, 30, 0, 0, time.UTC)) // 23:30: denied
	shown = press()
	if n := len(e.dialer.dialled()); n != 1 {
		t.Errorf("a denied call was dialled: %d calls", n)
	}
	if strings.Contains(shown.body, `id="dial"`) || !strings.Contains(shown.body, `class="decision denied"`) {
		t.Errorf("after a denied call:\n%s", shown.body)
	}

	e.clk.Set(time.Date(2026, 11, 3, 2, 0, 0, 0, time.UTC)) // the next morning, the line down
	e.dialer.mu.Lock()
	e.dialer.fail = true
	e.dialer.mu.Unlock()
	shown = press()
	if !strings.Contains(shown.body, "拨号系统未能接受此次呼叫") || !strings.Contains(e.logs.String(), "the dialer refused a call") {
		t.Errorf("after a failed dial:\n%s", shown.body)
	}
	if strings.Contains(e.logs.String(), "+8613900000000") {
		t.Error("a number in full reached the log")
	}
}
