package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/fairdebt/fairdebt/internal/collection"
	"github.com/fairdebt/fairdebt/internal/policy"
)

// The mother objects through the public page and reports a call that is on no
// record; compliance sees it flagged, naming the agency; no case reaches her.
func TestThirdPartyPage(t *testing.T) {
	e := start(t)
	e.addMother(t)
	c := e.client(t)
	form := do(t, c, "GET", e.srv.URL+"/third-party", nil, "Accept-Language", "en")
	res := do(t, c, "POST", e.srv.URL+"/third-party/code", url.Values{"csrf": {csrfOf(t, form.body)}, "phone": {"not mine"}}, "Accept-Language", "en")
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, "not a phone number") {
		t.Errorf("a bad number: %d\n%s", res.status, res.body)
	}
	res = do(t, c, "POST", e.srv.URL+"/third-party/code", url.Values{"csrf": {csrfOf(t, res.body)}, "phone": {"13700000001"}}, "Accept-Language", "en")
	m := challengeField.FindStringSubmatch(res.body)
	if res.status != http.StatusOK || m == nil {
		t.Fatalf("asking for a code: %d\n%s", res.status, res.body)
	}
	code := e.lastCode(t)
	submit := url.Values{"csrf": {csrfOf(t, res.body)}, "challenge": {m[1]}, "code": {code}, "object": {"on"}, "tz": {"Asia/Shanghai"},
		"at": {"2026-11-01T21:30"}, "from": {"+86 171 0000 0000"}, "said": {"你妈欠钱不还，我们去你单位"}}
	bad := url.Values{}
	for k, v := range submit {
		bad[k] = v
	}
	bad.Set("at", "yesterday")
	res = do(t, c, "POST", e.srv.URL+"/third-party", bad, "Accept-Language", "en")
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, "date and time") || !strings.Contains(res.body, "你妈欠钱不还") {
		t.Errorf("a bad time: %d\n%s", res.status, res.body)
	}
	submit.Set("csrf", csrfOf(t, res.body)) // the refused form's page has a new one
	res = do(t, c, "POST", e.srv.URL+"/third-party", submit, "Accept-Language", "en")
	if res.status != http.StatusOK || !strings.Contains(res.body, `id="tp-objected"`) || !strings.Contains(res.body, "No call to your number is on record") {
		t.Fatalf("objecting and reporting: %d\n%s", res.status, res.body)
	}
	if res := do(t, c, "POST", e.srv.URL+"/third-party", submit); res.status != http.StatusForbidden && res.status != http.StatusUnauthorized {
		t.Errorf("the same form again: %d", res.status)
	}
	comp, _ := e.signedIn(t, "comp1")
	list := do(t, comp, "GET", e.srv.URL+"/reports", nil, "Accept-Language", "en")
	if !strings.Contains(list.body, "你妈欠钱不还，我们去你单位") || !strings.Contains(list.body, "AG1") || !strings.Contains(list.body, "no recorded attempt") ||
		strings.Contains(list.body, "+8617100000000") {
		t.Errorf("compliance's reports:\n%s", list.body)
	}
	a, err := e.svc.Decide(context.Background(), collection.Principal{Admin: true, Role: collection.RoleAdmin, Name: "test"},
		collection.AttemptInput{CaseID: "CASE1", PartyID: "P1", Channel: "sms", Purpose: "locate", Message: "请转告机主回电。"})
	if err != nil || a.Allowed || !slices.ContainsFunc(a.Decision.Violations, func(v policy.Violation) bool { return v.Category == policy.CatOptOut }) {
		t.Errorf("the mother after objecting: %+v, %v", a, err)
	}
}

// In the browser, a third party proves their number, objects, and is never
// reachable again on any case: the mother of B1 and the colleague of B2 share it.
func TestBrowserThirdPartyObjects(t *testing.T) {
	e, ctx, dir := browserTest(t)
	e.addMother(t)
	admin := collection.Principal{Admin: true, Role: collection.RoleAdmin, Name: "test"}
	if _, err := e.svc.CreateParty(context.Background(), admin, collection.PartyInput{ID: "P2", BorrowerID: "B2", Role: "third_party",
		Name: "Synthetic Colleague", Consent: &collection.ConsentInput{By: "debtor", Method: "in_app", Evidence: "form"},
		ContactMethods: []collection.ContactMethodInput{{Kind: "phone", Value: "+8613700000001"}}}); err != nil {
		t.Fatal(err)
	}
	browse(t, ctx,
		chromedp.Navigate(e.srv.URL+"/lang/en?next=/third-party"),
		chromedp.WaitVisible(id("tp-phone-number")),
		chromedp.SendKeys(id("tp-phone-number"), "13700000001"),
		chromedp.Click(id("tp-send")),
		chromedp.WaitVisible(id("code")),
	)
	code := e.lastCode(t)
	browse(t, ctx,
		chromedp.SendKeys(id("code"), code),
		shot(t, dir, "17-third-party-form"),
		chromedp.Click(id("tp-submit")),
		chromedp.WaitVisible(id("tp-objected")),
		shot(t, dir, "18-third-party-objected"),
	)
	for _, tc := range []struct{ caseID, party string }{{"CASE1", "P1"}, {"CASE2", "P2"}} {
		a, err := e.svc.Decide(context.Background(), admin, collection.AttemptInput{CaseID: tc.caseID, PartyID: tc.party, Channel: "call", Purpose: "locate"})
		if err != nil || a.Allowed || !slices.ContainsFunc(a.Decision.Violations, func(v policy.Violation) bool { return v.Category == policy.CatOptOut }) {
			t.Errorf("%s on %s after the objection: %+v, %v", tc.party, tc.caseID, a, err)
		}
	}
}
