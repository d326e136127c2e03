package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/fairdebt/fairdebt/internal/collection"
)

// addMother gives B1 an emergency contact, P1, who consented.
func (e *env) addMother(t *testing.T) {
	t.Helper()
	if _, err := e.svc.CreateParty(context.Background(), collection.Principal{Admin: true, Role: collection.RoleAdmin}, collection.PartyInput{
		ID: "P1", BorrowerID: "B1", Role: "emergency_contact", Name: "Synthetic Mother", Relation: "parent",
		Consent:        &collection.ConsentInput{By: "party", Method: "recorded_call", Evidence: "rec-1"},
		ContactMethods: []collection.ContactMethodInput{{Kind: "phone", Value: "+8613700000001"}}}); err != nil {
		t.Fatal(err)
	}
}

// The portal shows the borrower their debt with its breakdown and the agency,
// every attempt (to the mother too), and the forms of their rights, which work.
func TestPortal(t *testing.T) {
	e := start(t)
	e.addMother(t)
	admin := collection.Principal{Admin: true, Role: collection.RoleAdmin, Name: "test"}
	if _, err := e.svc.Decide(context.Background(), admin, collection.AttemptInput{CaseID: "CASE1", PartyID: "P1", Channel: "call", Purpose: "locate"}); err != nil {
		t.Fatal(err)
	}
	c := e.client(t)
	if res := e.borrowerSignIn(t, c, "13900000000"); res.status != http.StatusSeeOther || res.header.Get("Location") != "/portal" {
		t.Fatalf("signing in: %d %q\n%s", res.status, res.header.Get("Location"), res.body)
	}
	page := do(t, c, "GET", e.srv.URL+"/portal", nil, "Accept-Language", "en")
	for _, want := range []string{"CNY 1234.56", "Agency AG1", "Synthetic Mother", `id="revoke-P1"`, "2026-10-01", `class="attempt-to">Synthetic Mother`} {
		if !strings.Contains(page.body, want) {
			t.Errorf("the portal lacks %q", want)
		}
	}
	if strings.Contains(page.body, "+8613700000001") || strings.Contains(page.body, "Synthetic Debtor 2") {
		t.Errorf("the portal shows a full number or another borrower:\n%s", page.body)
	}
	csrf := csrfOf(t, page.body)
	for path, form := range map[string]url.Values{
		"/portal/contacts/P1/revoke": {"csrf": {csrf}},
		"/portal/optouts":            {"csrf": {csrf}, "channel": {"sms"}},
		"/portal/dispute":            {"csrf": {csrf}, "note": {"I repaid in October"}},
	} {
		if res := do(t, c, "POST", e.srv.URL+path, form); res.status != http.StatusSeeOther {
			t.Errorf("%s: %d\n%s", path, res.status, res.body)
		}
	}
	if res := do(t, c, "POST", e.srv.URL+"/portal/times", url.Values{"csrf": {csrf}, "from1": {"09:00"}, "to1": {"17:30"}}); res.status != http.StatusSeeOther {
		t.Errorf("inconvenient times: %d\n%s", res.status, res.body)
	}
	if res := do(t, c, "POST", e.srv.URL+"/portal/times", url.Values{"csrf": {csrf}, "from1": {"09:00"}}, "Accept-Language", "en"); res.status != http.StatusUnprocessableEntity ||
		!strings.Contains(res.body, "inconvenient[0]") {
		t.Errorf("half a span: %d\n%s", res.status, res.body)
	}
	page = do(t, c, "GET", e.srv.URL+"/portal", nil, "Accept-Language", "en")
	for _, want := range []string{`<span class="time-window">09:00-17:30</span>`, "designation withdrawn", `<span class="optout">SMS</span>`, "disputed — I repaid in October"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("after acting, the portal lacks %q", want)
		}
	}
	// What the borrower may not do is refused, and changes nothing.
	for path, form := range map[string]url.Values{
		"/portal/contacts/B1/revoke": {"csrf": {csrf}},                        // themself
		"/portal/optouts":            {"csrf": {csrf}, "channel": {"pigeon"}}, // no such channel
	} {
		if res := do(t, c, "POST", e.srv.URL+path, form); res.status < 400 {
			t.Errorf("%s %v: %d", path, form, res.status)
		}
	}
	if res := do(t, c, "POST", e.srv.URL+"/portal/dispute", url.Values{"csrf": {"forged"}}); res.status != http.StatusForbidden {
		t.Errorf("a forged form: %d", res.status)
	}
	// Staff pages are not theirs.
	if res := do(t, c, "GET", e.srv.URL+"/cases/CASE1", nil); res.status != http.StatusForbidden {
		t.Errorf("a borrower on a case page: %d", res.status)
	}
}

// Bad codes and bad numbers are refused with a reason, and sign nobody in.
func TestPortalSignInRefusals(t *testing.T) {
	e := start(t)
	c := e.client(t)
	form := do(t, c, "GET", e.srv.URL+"/portal/login", nil, "Accept-Language", "en")
	res := do(t, c, "POST", e.srv.URL+"/portal/login", url.Values{"csrf": {csrfOf(t, form.body)}, "contact": {"not a number"}}, "Accept-Language", "en")
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, "not a phone number or an e-mail address") {
		t.Errorf("a bad number: %d\n%s", res.status, res.body)
	}
	// An unknown number: the same page as a known one, and nothing sent.
	res = do(t, c, "POST", e.srv.URL+"/portal/login", url.Values{"csrf": {csrfOf(t, res.body)}, "contact": {"+8613912345678"}}, "Accept-Language", "en")
	if res.status != http.StatusOK || !strings.Contains(res.body, `id="code-sent"`) || len(e.outbox.Messages()) != 0 {
		t.Errorf("an unknown number: %d, %d messages\n%s", res.status, len(e.outbox.Messages()), res.body)
	}
	m := challengeField.FindStringSubmatch(res.body)
	res = do(t, c, "POST", e.srv.URL+"/portal/verify", url.Values{"csrf": {csrfOf(t, res.body)}, "challenge": {m[1]}, "code": {"123456"}}, "Accept-Language", "en")
	if res.status != http.StatusUnauthorized || !strings.Contains(res.body, "wrong, expired or already used") {
		t.Errorf("a wrong code: %d\n%s", res.status, res.body)
	}
	// A used code is not used twice.
	first := e.borrowerSignIn(t, c, "+8613900000000")
	if first.status != http.StatusSeeOther {
		t.Fatalf("signing in: %d", first.status)
	}
	form = do(t, c, "GET", e.srv.URL+"/portal/login", nil)
	sent := do(t, c, "POST", e.srv.URL+"/portal/login", url.Values{"csrf": {csrfOf(t, form.body)}, "contact": {"+8613900000000"}})
	ch := challengeField.FindStringSubmatch(sent.body)[1]
	code := e.lastCode(t)
	verify := url.Values{"csrf": {csrfOf(t, sent.body)}, "challenge": {ch}, "code": {code}}
	if res := do(t, c, "POST", e.srv.URL+"/portal/verify", verify); res.status != http.StatusSeeOther {
		t.Fatalf("the code: %d", res.status)
	}
	// Replayed from another browser, with a form of its own.
	other := e.client(t)
	verify.Set("csrf", csrfOf(t, do(t, other, "GET", e.srv.URL+"/portal/login", nil).body))
	if res := do(t, other, "POST", e.srv.URL+"/portal/verify", verify); res.status != http.StatusUnauthorized {
		t.Errorf("a replayed code: %d", res.status)
	}
}
