package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/fairdebt/fairdebt/internal/collection"
)

// The borrower proposes a plan in the portal; the agency's manager counters on
// the case page; the borrower accepts; the manager records a payment.
func TestPlanPages(t *testing.T) {
	e := start(t)
	b := e.client(t)
	if res := e.borrowerSignIn(t, b, "+8613900000000"); res.status != http.StatusSeeOther {
		t.Fatalf("signing in: %d", res.status)
	}
	page := do(t, b, "GET", e.srv.URL+"/portal", nil, "Accept-Language", "en")
	csrf := csrfOf(t, page.body)
	if res := do(t, b, "POST", e.srv.URL+"/portal/plans", url.Values{"csrf": {csrf}, "debt_id": {"D1"}, "monthly": {"12,00"}, "first": {"2026-11-20"}},
		"Accept-Language", "en"); res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, "monthly: must be a positive amount") {
		t.Errorf("a bad amount: %d\n%s", res.status, res.body)
	}
	if res := do(t, b, "POST", e.srv.URL+"/portal/plans", url.Values{"csrf": {csrf}, "debt_id": {"D1"}, "monthly": {"200"}, "first": {"2026-11-20"},
		"note": {"part-time work only"}}); res.status != http.StatusSeeOther {
		t.Fatalf("proposing: %d\n%s", res.status, res.body)
	}
	plans, _ := e.svc.Plans(context.Background(), collection.Principal{Admin: true, Role: collection.RoleAdmin}, "B1")
	if len(plans) != 1 || len(plans[0].Instalments) != 7 {
		t.Fatalf("plans %+v", plans)
	}
	id := plans[0].ID

	m, mcsrf := e.signedIn(t, "manager1")
	casePage := do(t, m, "GET", e.srv.URL+"/cases/CASE1", nil, "Accept-Language", "en")
	if !strings.Contains(casePage.body, `id="plan-counter-`+id+`"`) || !strings.Contains(casePage.body, "part-time work only") {
		t.Fatalf("the case page offers no answer:\n%s", casePage.body)
	}
	res := do(t, m, "POST", e.srv.URL+"/plans/"+id, url.Values{"csrf": {mcsrf}, "case_id": {"CASE1"}, "action": {"counter"}, "monthly": {"400"},
		"first": {"2026-11-25"}})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/cases/CASE1#plans" {
		t.Fatalf("countering: %d %q\n%s", res.status, res.header.Get("Location"), res.body)
	}
	page = do(t, b, "GET", e.srv.URL+"/portal", nil, "Accept-Language", "en")
	if !strings.Contains(page.body, "other terms proposed") || !strings.Contains(page.body, `id="plan-accept-`+id+`"`) {
		t.Fatalf("the portal after the counter:\n%s", page.body)
	}
	if res := do(t, b, "POST", e.srv.URL+"/portal/plans/"+id, url.Values{"csrf": {csrf}, "action": {"accept"}}); res.status != http.StatusSeeOther {
		t.Fatalf("accepting: %d\n%s", res.status, res.body)
	}
	page = do(t, b, "GET", e.srv.URL+"/portal", nil, "Accept-Language", "en")
	if !strings.Contains(page.body, "in force") || !strings.Contains(page.body, `class="hold-plan_active"`) {
		t.Errorf("the portal with the plan in force:\n%s", page.body)
	}
	casePage = do(t, m, "GET", e.srv.URL+"/cases/CASE1", nil)
	instalment := regexp.MustCompile(`name="instalment" value="(\d+)" id="plan-paid-`).FindStringSubmatch(casePage.body)
	if instalment == nil {
		t.Fatalf("no payment button:\n%s", casePage.body)
	}
	if res := do(t, m, "POST", e.srv.URL+"/plans/"+id+"/paid", url.Values{"csrf": {mcsrf}, "case_id": {"CASE1"}, "instalment": {instalment[1]}}); res.status != http.StatusSeeOther {
		t.Fatalf("recording a payment: %d\n%s", res.status, res.body)
	}
	pl, _ := e.svc.Plan(context.Background(), collection.Principal{Admin: true, Role: collection.RoleAdmin}, id)
	if pl.Instalments[0].Paid != pl.Instalments[0].Amount || pl.State != collection.PlanActive {
		t.Errorf("after the first payment: %+v", pl)
	}
}
