package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/fairdebt/fairdebt/internal/collection"
)

const threat = "再不还钱就让你全家好看，小心你的腿"

// addContact gives B1 an emergency contact with a consent record.
func addContact(t *testing.T, e *env) {
	t.Helper()
	_, err := e.svc.CreateParty(context.Background(), collection.Principal{Admin: true, Role: collection.RoleAdmin},
		collection.PartyInput{ID: "EC1", BorrowerID: "B1", Role: "emergency_contact", Name: "Synthetic Contact", Relation: "parent",
			Consent:        &collection.ConsentInput{By: "party", Method: "recorded_call", Evidence: "rec-synthetic-1"},
			ContactMethods: []collection.ContactMethodInput{{Kind: "phone", Value: "+8613900000099"}}})
	if err != nil {
		t.Fatal(err)
	}
}

// The composer offers the debtor the debtor's templates, filled in; an emergency
// contact only the template that asks them to pass on a call-back request, with
// nothing about a debt.
func TestComposer(t *testing.T) {
	e := start(t)
	addContact(t, e)
	c := e.client(t)
	e.signIn(t, c, "collector1", collectorPass)
	page := do(t, c, "GET", e.srv.URL+"/cases/CASE1/compose?party=B1", nil)
	if page.status != 200 || !strings.Contains(page.body, `id="template-reminder"`) || !strings.Contains(page.body, `id="template-callback"`) ||
		strings.Contains(page.body, `id="template-locate"`) || strings.Contains(page.body, `id="template-instalment"`) {
		t.Fatalf("debtor's composer: %d\n%s", page.status, page.body)
	}
	if !strings.Contains(page.body, "Synthetic Debtor 1您好") || !strings.Contains(page.body, "CNY 1234.56") || !strings.Contains(page.body, "Synthetic Lender") ||
		!strings.Contains(page.body, `id="screen-clean"`) {
		t.Fatalf("the reminder is not filled in, or not clean:\n%s", page.body)
	}
	ec := do(t, c, "GET", e.srv.URL+"/cases/CASE1/compose?party=EC1&template=reminder", nil)
	if ec.status != 200 || !strings.Contains(ec.body, `id="template-locate"`) || strings.Contains(ec.body, `id="template-reminder"`) ||
		strings.Contains(ec.body, "CNY") || strings.Contains(ec.body, "Synthetic Lender") || !strings.Contains(ec.body, `name="purpose" value="locate"`) {
		t.Fatalf("the emergency contact's composer:\n%s", ec.body)
	}
	// Another borrower's party on this case: not found.
	if res := do(t, c, "GET", e.srv.URL+"/cases/CASE1/compose?party=B2", nil); res.status != http.StatusNotFound {
		t.Fatalf("B2 through CASE1: %d", res.status)
	}
	// The live check.
	csrf := csrfOf(t, page.body)
	res := do(t, c, "POST", e.srv.URL+"/screen", url.Values{"csrf": {csrf}, "case_id": {"CASE1"}, "party_id": {"B1"}, "text": {threat}})
	var got struct{ Categories []string }
	if res.status != 200 || json.Unmarshal([]byte(res.body), &got) != nil || len(got.Categories) == 0 {
		t.Fatalf("/screen of a threat: %d %s", res.status, res.body)
	}
	if res := do(t, c, "POST", e.srv.URL+"/screen", url.Values{"case_id": {"CASE1"}, "party_id": {"B1"}, "text": {threat}}); res.status != http.StatusForbidden {
		t.Fatalf("/screen without the CSRF token: %d", res.status)
	}
	// Debt words are weighed toward a third party, not toward the debtor.
	debt := "您的借款已逾期，请尽快还款"
	for party, want := range map[string]bool{"B1": false, "EC1": true} {
		res := do(t, c, "POST", e.srv.URL+"/screen", url.Values{"csrf": {csrf}, "case_id": {"CASE1"}, "party_id": {party}, "text": {debt}})
		var got struct{ Categories []string }
		if res.status != 200 || json.Unmarshal([]byte(res.body), &got) != nil || (len(got.Categories) > 0) != want {
			t.Errorf("debt words toward %s: %d %s", party, res.status, res.body)
		}
	}
	if res := do(t, c, "POST", e.srv.URL+"/screen", url.Values{"csrf": {csrf}, "case_id": {"CASE2"}, "party_id": {"B2"}, "text": {debt}}); res.status != http.StatusNotFound {
		t.Errorf("/screen about a case collector1 does not see: %d", res.status)
	}
	// Sending goes through the gate, which screens too: the threat is refused and recorded.
	res = do(t, c, "POST", e.srv.URL+"/cases/CASE1/attempts", url.Values{"csrf": {csrf}, "party_id": {"B1"}, "channel": {"sms"},
		"purpose": {"collect"}, "message": {threat}})
	m := attemptParam.FindStringSubmatch(res.header.Get("Location"))
	if m == nil {
		t.Fatalf("send: %d %q %s", res.status, res.header.Get("Location"), res.body)
	}
	a, err := e.svc.Attempt(context.Background(), collection.Principal{Admin: true}, m[1])
	if err != nil || a.Allowed || a.Channel != "sms" {
		t.Fatalf("the threatening SMS: %+v, %v", a, err)
	}
	shown := do(t, c, "GET", e.srv.URL+res.header.Get("Location"), nil)
	if !strings.Contains(shown.body, `class="decision denied"`) || strings.Contains(shown.body, threat) {
		t.Fatalf("the refusal page (must not echo the message):\n%s", shown.body)
	}
}

// The reminder of an instalment is offered once a plan is in force and an
// instalment is due, and is sent with the purpose remind.
func TestComposerInstalmentReminder(t *testing.T) {
	e := start(t) // 2026-11-02 10:00 in Shanghai
	ctx := context.Background()
	admin := collection.Principal{Admin: true, Role: collection.RoleAdmin, Name: "admin"}
	pl, err := e.svc.ProposePlan(ctx, collection.Principal{Role: collection.RoleBorrower, BorrowerID: "B1"},
		collection.PlanInput{DebtID: "D1", Monthly: 20000, First: "2026-11-05"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.PlanAction(ctx, admin, pl.ID, collection.PlanActionAccept, nil); err != nil {
		t.Fatal(err)
	}
	c := e.client(t)
	e.signIn(t, c, "collector1", collectorPass)
	page := do(t, c, "GET", e.srv.URL+"/cases/CASE1/compose?party=B1&template=instalment", nil)
	if page.status != 200 || !strings.Contains(page.body, `id="template-instalment"`) || !strings.Contains(page.body, `name="purpose" value="remind"`) ||
		!strings.Contains(page.body, "按您与Synthetic Lender约定的还款计划") {
		t.Fatalf("the composer with an instalment due:\n%s", page.body)
	}
	res := do(t, c, "POST", e.srv.URL+"/cases/CASE1/attempts", url.Values{"csrf": {csrfOf(t, page.body)}, "party_id": {"B1"}, "channel": {"sms"},
		"purpose": {"remind"}, "message": {"Dear Synthetic Debtor 1, a reminder: your instalment is due."}})
	m := attemptParam.FindStringSubmatch(res.header.Get("Location"))
	if m == nil {
		t.Fatalf("send: %d %q %s", res.status, res.header.Get("Location"), res.body)
	}
	if a, err := e.svc.Attempt(ctx, admin, m[1]); err != nil || !a.Allowed || a.Purpose != "remind" {
		t.Fatalf("the reminder: %+v, %v", a, err)
	}
}
