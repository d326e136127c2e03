package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fairdebt/fairdebt/internal/collection"
)

var attemptParam = regexp.MustCompile(`\?attempt=(att_[a-z0-9]+)`)

// A collector's day: the worklist holds only their case; the case page shows the
// debt and masked numbers; a call at night is denied with the rule's reason and
// citation, and recorded; a call by day is allowed and its outcome recorded.
func TestWorkACase(t *testing.T) {
	e := start(t)
	// 23:30 in Shanghai: quiet hours.
	e.clk.Set(time.Date(2026, 11, 2, 15, 30, 0, 0, time.UTC))
	c := e.client(t)
	e.signIn(t, c, "collector1", collectorPass)
	list := do(t, c, "GET", e.srv.URL+"/cases", nil, "Accept-Language", "en")
	if list.status != 200 || !strings.Contains(list.body, `href="/cases/CASE1"`) || strings.Contains(list.body, "CASE2") ||
		!strings.Contains(list.body, "CNY 1234.56") {
		t.Fatalf("worklist: %d\n%s", list.status, list.body)
	}
	page := do(t, c, "GET", e.srv.URL+"/cases/CASE1", nil)
	if page.status != 200 || !strings.Contains(page.body, "86*******0000") || strings.Contains(page.body, "13900000000") ||
		!strings.Contains(page.body, `id="call-B1"`) {
		t.Fatalf("case page: %d\n%s", page.status, page.body)
	}
	csrf := csrfOf(t, page.body)

	res := do(t, c, "POST", e.srv.URL+"/cases/CASE1/attempts", url.Values{"csrf": {csrf}, "party_id": {"B1"}, "channel": {"call"}})
	m := attemptParam.FindStringSubmatch(res.header.Get("Location"))
	if res.status != http.StatusSeeOther || m == nil {
		t.Fatalf("call at night: %d %q %s", res.status, res.header.Get("Location"), res.body)
	}
	shown := do(t, c, "GET", e.srv.URL+res.header.Get("Location"), nil)
	if !strings.Contains(shown.body, `class="decision denied"`) || !strings.Contains(shown.body, "拒绝") ||
		!regexp.MustCompile(`class="citation">[^<]+</span>`).MatchString(shown.body) || !strings.Contains(shown.body, `id="next-allowed"`) {
		t.Fatalf("the denied call's page:\n%s", shown.body)
	}
	a, err := e.svc.Attempt(context.Background(), collection.Principal{Admin: true}, m[1])
	if err != nil || a.Allowed || len(a.Decision.Violations) == 0 {
		t.Fatalf("the denied call is not recorded as denied: %+v, %v", a, err)
	}

	// 10:00 the next morning: allowed; then the outcome.
	e.clk.Set(time.Date(2026, 11, 3, 2, 0, 0, 0, time.UTC))
	res = do(t, c, "POST", e.srv.URL+"/cases/CASE1/attempts", url.Values{"csrf": {csrf}, "party_id": {"B1"}, "channel": {"call"}})
	m = attemptParam.FindStringSubmatch(res.header.Get("Location"))
	if m == nil {
		t.Fatalf("call by day: %d %q", res.status, res.header.Get("Location"))
	}
	shown = do(t, c, "GET", e.srv.URL+res.header.Get("Location"), nil)
	if !strings.Contains(shown.body, `class="decision allowed"`) || !strings.Contains(shown.body, `id="record-`+m[1]+`"`) {
		t.Fatalf("the allowed call's page:\n%s", shown.body)
	}
	res = do(t, c, "POST", e.srv.URL+"/attempts/"+m[1]+"/outcome", url.Values{"csrf": {csrf}, "result": {"connected"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("outcome: %d %s", res.status, res.body)
	}
	if a, err := e.svc.Attempt(context.Background(), collection.Principal{Admin: true}, m[1]); err != nil || a.Result != "connected" {
		t.Fatalf("outcome not recorded: %+v, %v", a, err)
	}
	// A wrong outcome is refused with the reason, in the page's language.
	res = do(t, c, "POST", e.srv.URL+"/attempts/"+m[1]+"/outcome", url.Values{"csrf": {csrf}, "result": {"teleported"}})
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, "result") {
		t.Fatalf("a made-up outcome: %d\n%s", res.status, res.body)
	}
}

// Forms without the session's token, and people of another agency or another
// worklist, change nothing and learn nothing.
func TestCaseRefusals(t *testing.T) {
	e := start(t)
	count := func() int {
		as, err := e.svc.CaseAttempts(context.Background(), collection.Principal{Admin: true}, "CASE1", 1000)
		if err != nil {
			t.Fatal(err)
		}
		return len(as)
	}
	c := e.client(t)
	e.signIn(t, c, "collector1", collectorPass)
	for _, v := range []url.Values{{"party_id": {"B1"}, "channel": {"call"}}, {"csrf": {"forged"}, "party_id": {"B1"}, "channel": {"call"}}} {
		if res := do(t, c, "POST", e.srv.URL+"/cases/CASE1/attempts", v); res.status != http.StatusForbidden {
			t.Fatalf("attempt without the CSRF token: %d", res.status)
		}
	}
	// CASE2 is AG1's but on nobody's worklist: for collector1 it does not exist.
	// The pages differ only by the address they were asked for.
	same := func(a, b response, aID, bID string) bool {
		return strings.ReplaceAll(a.body, aID, "{id}") == strings.ReplaceAll(b.body, bID, "{id}")
	}
	missing := do(t, c, "GET", e.srv.URL+"/cases/NO-SUCH-CASE", nil)
	if res := do(t, c, "GET", e.srv.URL+"/cases/CASE2", nil); res.status != http.StatusNotFound || !same(res, missing, "CASE2", "NO-SUCH-CASE") {
		t.Fatalf("collector1 opens CASE2: %d", res.status)
	}
	// manager2 (AG2) cannot open or work CASE1.
	c2 := e.client(t)
	e.signIn(t, c2, "manager2", managerPass)
	home := do(t, c2, "GET", e.srv.URL+"/home", nil)
	missing = do(t, c2, "GET", e.srv.URL+"/cases/NO-SUCH-CASE", nil)
	if res := do(t, c2, "GET", e.srv.URL+"/cases/CASE1", nil); res.status != http.StatusNotFound || !same(res, missing, "CASE1", "NO-SUCH-CASE") {
		t.Fatalf("manager2 opens CASE1: %d", res.status)
	}
	if res := do(t, c2, "POST", e.srv.URL+"/cases/CASE1/attempts", url.Values{"csrf": {csrfOf(t, home.body)}, "party_id": {"B1"}, "channel": {"call"}}); res.status != http.StatusNotFound {
		t.Fatalf("manager2 calls about CASE1: %d", res.status)
	}
	if list := do(t, c2, "GET", e.srv.URL+"/cases", nil); strings.Contains(list.body, "CASE1") {
		t.Fatal("CASE1 is on manager2's list")
	}
	if n := count(); n != 0 {
		t.Fatalf("%d attempts recorded by refused requests", n)
	}
	// Signed out, the pages send people to sign in.
	if res := do(t, e.client(t), "GET", e.srv.URL+"/cases/CASE1", nil); res.status != http.StatusSeeOther ||
		!strings.HasPrefix(res.header.Get("Location"), "/login?next=") {
		t.Fatalf("signed out: %d %q", res.status, res.header.Get("Location"))
	}
}

// The worklist puts first the calls the gate allows now, and says why the others
// wait: never queue a call the gate would deny.
func TestWorklistOrder(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	admin := collection.Principal{Admin: true, Role: collection.RoleAdmin}
	// B1 asked for no more calls: CASE1, first by id, goes last.
	if _, err := e.svc.CreateOptOut(ctx, admin, collection.OptOutInput{PartyID: "B1", Channel: "call", Source: "call"}); err != nil {
		t.Fatal(err)
	}
	c := e.client(t)
	e.signIn(t, c, "manager1", managerPass)
	body := do(t, c, "GET", e.srv.URL+"/cases", nil, "Accept-Language", "en").body
	i1, i2 := strings.Index(body, `href="/cases/CASE1"`), strings.Index(body, `href="/cases/CASE2"`)
	if i1 < 0 || i2 < 0 || i2 > i1 {
		t.Fatalf("CASE2 (callable now) must come before CASE1 (opted out):\n%s", body)
	}
	rows := regexp.MustCompile(`(?s)<td class="next-call">(.*?)</td>`).FindAllStringSubmatch(body, -1)
	if len(rows) != 2 || !strings.Contains(rows[0][1], `class="call-now"`) || !strings.Contains(rows[1][1], `class="blocked"`) {
		t.Fatalf("next-call cells: %q", rows)
	}
	// At 23:30 both wait for the morning.
	e.clk.Set(time.Date(2026, 11, 2, 15, 30, 0, 0, time.UTC))
	c2 := e.client(t)
	e.signIn(t, c2, "manager1", managerPass)
	body = do(t, c2, "GET", e.srv.URL+"/cases", nil, "Accept-Language", "en").body
	if !strings.Contains(body, "from 11-03 08:00 CST") {
		t.Fatalf("at night the worklist does not say when calls resume:\n%s", body)
	}
}

// Collectors never see a number in full; the lender's staff may, one at a time,
// giving a reason, and each time is an audit leaf.
func TestUnmaskOnTheCasePage(t *testing.T) {
	e := start(t)
	c := e.client(t)
	e.signIn(t, c, "collector1", collectorPass)
	if body := do(t, c, "GET", e.srv.URL+"/cases/CASE1", nil).body; strings.Contains(body, "/unmask") {
		t.Fatal("a collector is offered to unmask a number")
	}
	c2 := e.client(t)
	e.signIn(t, c2, "comp1", managerPass)
	page := do(t, c2, "GET", e.srv.URL+"/cases/CASE1", nil, "Accept-Language", "en")
	m := regexp.MustCompile(`action="(/contact-methods/[^/"]+/unmask)"`).FindStringSubmatch(page.body)
	if m == nil {
		t.Fatalf("no unmask form for compliance:\n%s", page.body)
	}
	res := do(t, c2, "POST", e.srv.URL+m[1], url.Values{"csrf": {csrfOf(t, page.body)}, "reason": {"complaint review"}, "back": {"/cases/CASE1"}},
		"Accept-Language", "en")
	if res.status != 200 || !strings.Contains(res.body, "8613900000000") || !strings.Contains(res.body, "recorded in the audit log") ||
		res.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("unmask: %d %v\n%s", res.status, res.header, res.body)
	}
	if !strings.Contains(e.logs.String(), "contact method unmasked") || strings.Contains(e.logs.String(), "13900000000") {
		t.Fatalf("logs:\n%s", e.logs.String())
	}
}

// Promises to pay: recorded on the case page, shown with their state, broken once
// their day has passed, and weighing on the worklist's order.
func TestPromises(t *testing.T) {
	e := start(t)
	c := e.client(t)
	e.signIn(t, c, "manager1", managerPass)
	page := do(t, c, "GET", e.srv.URL+"/cases/CASE2", nil, "Accept-Language", "en")
	csrf := csrfOf(t, page.body)
	if res := do(t, c, "POST", e.srv.URL+"/cases/CASE2/promises", url.Values{"csrf": {csrf}, "amount": {"12,5"}, "due_date": {"2026-11-04"}},
		"Accept-Language", "en"); res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, "amount") {
		t.Fatalf("a malformed amount: %d", res.status)
	}
	if res := do(t, c, "POST", e.srv.URL+"/cases/CASE2/promises", url.Values{"csrf": {csrf}, "amount": {"50.5"}, "due_date": {"2026-11-04"}}); res.status != http.StatusSeeOther {
		t.Fatalf("promise on CASE2: %d %s", res.status, res.body)
	}
	if res := do(t, c, "POST", e.srv.URL+"/cases/CASE1/promises", url.Values{"csrf": {csrf}, "amount": {"100"}, "due_date": {"2026-11-30"}}); res.status != http.StatusSeeOther {
		t.Fatalf("promise on CASE1: %d %s", res.status, res.body)
	}
	page = do(t, c, "GET", e.srv.URL+"/cases/CASE2", nil, "Accept-Language", "en")
	if !strings.Contains(page.body, "CNY 50.50") || !strings.Contains(page.body, `class="promise-open"`) {
		t.Fatalf("CASE2's promise:\n%s", page.body)
	}
	// Two days after CASE2's promise fell due it is broken: CASE2 now comes first,
	// and CASE1 (promised for later) last.
	e.clk.Set(time.Date(2026, 11, 5, 2, 0, 0, 0, time.UTC))
	c2 := e.client(t)
	e.signIn(t, c2, "manager1", managerPass)
	list := do(t, c2, "GET", e.srv.URL+"/cases", nil).body
	i1, i2 := strings.Index(list, `href="/cases/CASE1"`), strings.Index(list, `href="/cases/CASE2"`)
	if i2 < 0 || i1 < i2 || !strings.Contains(list, "promise-broken") {
		t.Fatalf("worklist after the broken promise:\n%s", list)
	}
	if body := do(t, c2, "GET", e.srv.URL+"/cases/CASE2", nil).body; !strings.Contains(body, `class="promise-broken"`) {
		t.Fatalf("CASE2's page does not show the promise broken:\n%s", body)
	}
}

// A manager moves a case from one collector's worklist to another's.
func TestAssignOnTheCasePage(t *testing.T) {
	e := start(t)
	c := e.client(t)
	e.signIn(t, c, "manager1", managerPass)
	page := do(t, c, "GET", e.srv.URL+"/cases/CASE1", nil)
	if !strings.Contains(page.body, `<option value="collector1" selected>`) || !strings.Contains(page.body, `<option value="collector2">`) {
		t.Fatalf("assignment form:\n%s", page.body)
	}
	if res := do(t, c, "POST", e.srv.URL+"/cases/CASE1/assignment", url.Values{"csrf": {csrfOf(t, page.body)}, "collector": {"collector2"}}); res.status != http.StatusSeeOther {
		t.Fatalf("reassign: %d %s", res.status, res.body)
	}
	for who, want := range map[string]bool{"collector1": false, "collector2": true} {
		cc := e.client(t)
		pass := managerPass
		if who == "collector1" {
			pass = collectorPass
		}
		e.signIn(t, cc, who, pass)
		if got := strings.Contains(do(t, cc, "GET", e.srv.URL+"/cases", nil).body, `href="/cases/CASE1"`); got != want {
			t.Errorf("%s's worklist holds CASE1: %v, want %v", who, got, want)
		}
		if body := do(t, cc, "GET", e.srv.URL+"/cases/CASE1", nil).body; strings.Contains(body, `id="assignment"`) {
			t.Errorf("%s is offered to assign cases", who)
		}
	}
}

// Notes on a case: written by those who work it, shown to those who see it,
// stored sealed.
func TestNotes(t *testing.T) {
	e := start(t)
	c := e.client(t)
	e.signIn(t, c, "collector1", collectorPass)
	page := do(t, c, "GET", e.srv.URL+"/cases/CASE1", nil)
	const text = "Debtor asked to be called after 18:00; synthetic note 13900001111"
	if res := do(t, c, "POST", e.srv.URL+"/cases/CASE1/notes", url.Values{"csrf": {csrfOf(t, page.body)}, "text": {text}}); res.status != http.StatusSeeOther {
		t.Fatalf("add note: %d %s", res.status, res.body)
	}
	if res := do(t, c, "POST", e.srv.URL+"/cases/CASE1/notes", url.Values{"csrf": {csrfOf(t, page.body)}, "text": {"   "}}); res.status != http.StatusUnprocessableEntity {
		t.Fatalf("an empty note: %d", res.status)
	}
	c2 := e.client(t)
	e.signIn(t, c2, "reg1", managerPass)
	body := do(t, c2, "GET", e.srv.URL+"/cases/CASE1", nil).body
	if !strings.Contains(body, "synthetic note 13900001111") || !strings.Contains(body, "collector1") || strings.Contains(body, `id="note-text"`) {
		t.Fatalf("the regulator's view of the notes:\n%s", body)
	}
	notes, err := e.svc.Notes(context.Background(), collection.Principal{Admin: true}, "CASE1")
	if err != nil || len(notes) != 1 || notes[0].Author != "user:collector1" {
		t.Fatalf("notes: %+v, %v", notes, err)
	}
}
