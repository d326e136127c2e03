package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/fairdebt/fairdebt/internal/collection"
)

// Who the page matrix asks as: signed out, one user of each role (CASE1 is AG1's,
// on collector1's worklist), and B1 signed in to the portal.
var pageWho = []string{"signed out", "admin1", "comp1", "reg1", "manager1", "manager2", "collector1", "collector2", "borrower1"}

const anyOK = 0 // anything but 401, 403 and 404

// pageMatrix says what every route of the UI answers each of pageWho, in order.
var pageMatrix = map[string][]int{
	"GET /{$}":                            {303, 303, 303, 303, 303, 303, 303, 303, 303},
	"GET /login":                          {200, 200, 200, 200, 200, 200, 200, 200, 200},
	"POST /login":                         {403, 403, 403, 403, 403, 403, 403, 403, 403}, // without the form's cookie
	"GET /lang/{lang}":                    {303, 303, 303, 303, 303, 303, 303, 303, 303},
	"GET /home":                           {303, 200, 200, 200, 200, 200, 200, 200, 303},
	"GET /cases":                          {303, 200, 200, 200, 200, 200, 200, 200, 403},
	"GET /cases/{id}":                     {303, 200, 200, 200, 200, 404, 200, 404, 403},
	"POST /cases/{id}/attempts":           {303, anyOK, 403, 403, anyOK, 404, anyOK, 404, 403},
	"POST /attempts/{id}/outcome":         {303, anyOK, 403, 403, anyOK, 404, anyOK, 404, 403},
	"POST /cases/{id}/promises":           {303, anyOK, 403, 403, anyOK, 404, anyOK, 404, 403},
	"GET /cases/{id}/compose":             {303, 200, 200, 200, 200, 404, 200, 404, 403},
	"POST /screen":                        {303, 200, 200, 200, 200, 404, 200, 404, 403},
	"POST /cases/{id}/notes":              {303, anyOK, 403, 403, anyOK, 404, anyOK, 404, 403},
	"POST /cases/{id}/assignment":         {303, anyOK, 403, 403, anyOK, 404, 403, 403, 403}, // collectors may not assign
	"GET /import":                         {303, 200, 403, 403, 403, 403, 403, 403, 403},
	"POST /import":                        {303, anyOK, 403, 403, 403, 403, 403, 403, 403}, // the admin's form has no file: 422
	"GET /import/{id}":                    {303, 404, 404, 404, 404, 404, 404, 404, 403},   // no such job, or not theirs
	"POST /contact-methods/{id}/unmask":   {303, 200, 200, 403, 403, 403, 403, 403, 403},
	"POST /promises/{id}/status":          {303, anyOK, 403, 403, anyOK, 404, anyOK, 404, 403}, // kept once, then 409
	"GET /dashboard":                      {303, 200, 200, 200, 200, 200, 403, 403, 403},       // a manager sees their own agency's
	"GET /team":                           {303, 200, 200, 200, 200, 200, 403, 403, 403},
	"GET /lender":                         {303, 200, 200, 200, 403, 403, 403, 403, 403},
	"POST /lenders/{id}/pack":             {303, 303, 403, 403, 403, 403, 403, 403, 403},
	"POST /debts/{id}/case":               {303, anyOK, 403, 403, 403, 403, 403, 403, 403}, // D1 is placed already: 409
	"GET /settings":                       {303, 200, 200, 200, 200, 200, 200, 200, 200},
	"POST /settings":                      {303, 303, 303, 303, 303, 303, 303, 303, 303},
	"POST /logout":                        {303, 303, 303, 303, 303, 303, 303, 303, 303},
	"GET /portal/login":                   {200, 200, 200, 200, 200, 200, 200, 200, 200},
	"POST /portal/login":                  {403, 403, 403, 403, 403, 403, 403, 403, 403}, // without the form's cookie
	"POST /portal/verify":                 {403, 403, 403, 403, 403, 403, 403, 403, 403},
	"GET /portal":                         {303, 403, 403, 403, 403, 403, 403, 403, 200},
	"POST /portal/contacts/{id}/revoke":   {303, 403, 403, 403, 403, 403, 403, 403, 303},
	"POST /portal/optouts":                {303, 403, 403, 403, 403, 403, 403, 403, 303},
	"POST /portal/dispute":                {303, 403, 403, 403, 403, 403, 403, 403, 303},
	"POST /portal/times":                  {303, 403, 403, 403, 403, 403, 403, 403, 303},
	"GET /outbox":                         {200, 200, 200, 200, 200, 200, 200, 200, 200}, // the tests' server has the demo's outbox
	"GET /third-party":                    {200, 200, 200, 200, 200, 200, 200, 200, 200},
	"POST /third-party/code":              {403, 403, 403, 403, 403, 403, 403, 403, 403}, // without the form's cookie
	"POST /third-party":                   {403, 403, 403, 403, 403, 403, 403, 403, 403},
	"GET /reports":                        {303, 200, 200, 200, 403, 403, 403, 403, 403},
	"GET /portal/complaints/new":          {303, 403, 403, 403, 403, 403, 403, 403, 200},
	"POST /portal/complaints":             {303, 403, 403, 403, 403, 403, 403, 403, anyOK}, // no category: 422
	"GET /portal/complaints/{id}":         {303, 403, 403, 403, 403, 403, 403, 403, 200},
	"POST /portal/complaints/{id}/rate":   {303, 403, 403, 403, 403, 403, 403, 403, 403}, // the form's action is a staff action
	"GET /complaints":                     {303, 200, 200, 200, 403, 403, 403, 403, 403},
	"GET /complaints/{id}":                {303, 200, 200, 200, 404, 404, 404, 404, 403},
	"POST /complaints/{id}/actions":       {303, 303, anyOK, 403, 403, 403, 403, 403, 403}, // acknowledged once, then 409
	"GET /complaints/{id}/receipt":        {303, 200, 200, 200, 404, 404, 404, 404, 200},
	"GET /complaints/{id}/evidence/{sha}": {303, 200, 200, 200, 404, 404, 404, 404, 200},
	"GET /complaints/{id}/letter":         {303, 200, 200, 200, 404, 404, 404, 404, 200},
	"POST /borrowers/{id}/dispute-answer": {303, anyOK, anyOK, 403, 403, 403, 403, 403, 403}, // no dispute open, no file: 422
	"GET /disputes/{id}/evidence/{sha}":   {303, 200, 200, 200, 200, 404, 200, 404, 200},     // those who see the borrower
	"POST /portal/plans":                  {303, 403, 403, 403, 403, 403, 403, 403, anyOK},   // no terms in the form: 422
	"POST /portal/plans/{id}":             {303, 403, 403, 403, 403, 403, 403, 403, anyOK},   // the form's action fits no state: 409
	"POST /plans/{id}":                    {303, anyOK, 403, 403, anyOK, 404, anyOK, 404, 403},
	"POST /plans/{id}/paid":               {303, anyOK, 403, 403, anyOK, 404, anyOK, 404, 403},
	"GET /regulator":                      {303, 200, 200, 200, 403, 403, 403, 403, 403},
	"GET /regulator.csv":                  {303, 200, 200, 200, 403, 403, 403, 403, 403},
}

// TestPageMatrix sends every route of the UI's route table as every role. A route
// without a row fails it, so a new page cannot be left out.
func TestPageMatrix(t *testing.T) {
	e := start(t)
	var att struct{ ID string }
	a, err := e.svc.Decide(context.Background(), collection.Principal{Admin: true, Role: collection.RoleAdmin},
		collection.AttemptInput{CaseID: "CASE1", PartyID: "B1", Channel: "sms"})
	if err != nil {
		t.Fatal(err)
	}
	att.ID = a.ID
	debtor, err := e.svc.Party(context.Background(), collection.Principal{Admin: true}, "B1")
	if err != nil || len(debtor.ContactMethods) == 0 {
		t.Fatal(err)
	}
	methodID := debtor.ContactMethods[0].ID
	if _, err := e.svc.CreateParty(context.Background(), collection.Principal{Admin: true, Role: collection.RoleAdmin}, collection.PartyInput{
		ID: "P1", BorrowerID: "B1", Role: "emergency_contact", Name: "Synthetic Mother", Relation: "parent",
		Consent:        &collection.ConsentInput{By: "party", Method: "recorded_call", Evidence: "rec-1"},
		ContactMethods: []collection.ContactMethodInput{{Kind: "phone", Value: "+8613700000001"}}}); err != nil {
		t.Fatal(err)
	}
	b1 := collection.Principal{Role: collection.RoleBorrower, Name: "borrower", BorrowerID: "B1"}
	if _, err := e.svc.CreateHold(context.Background(), b1, "B1", collection.HoldInput{Hold: "dispute"}); err != nil {
		t.Fatal(err)
	}
	answer, err := e.svc.AnswerDispute(context.Background(), collection.Principal{Admin: true, Role: collection.RoleAdmin, Name: "test"}, "B1",
		"matrix", []collection.EvidenceFile{{Name: "answer.txt", Data: []byte("synthetic answer")}})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := e.svc.ProposePlan(context.Background(), b1, collection.PlanInput{DebtID: "D1", Monthly: 50000, First: "2026-11-20"})
	if err != nil {
		t.Fatal(err)
	}
	complaint, err := e.svc.FileComplaint(context.Background(), b1, collection.ComplaintInput{CaseID: "CASE1", Category: "harassment",
		Text: "matrix", Evidence: []collection.EvidenceFile{{Name: "note.txt", Data: []byte("synthetic evidence")}}})
	if err != nil {
		t.Fatal(err)
	}
	pr, err := e.svc.CreatePromise(context.Background(), collection.Principal{Admin: true, Role: collection.RoleAdmin}, "CASE1",
		collection.PromiseInput{Amount: 100, DueDate: "2026-12-01"})
	if err != nil {
		t.Fatal(err)
	}
	routes := (&Server{}).routes()
	var patterns []string
	for _, rt := range routes {
		patterns = append(patterns, rt.pattern)
		if _, ok := pageMatrix[rt.pattern]; !ok {
			t.Errorf("%s: no row in the page matrix; add one", rt.pattern)
		}
	}
	for p := range pageMatrix {
		if !slices.Contains(patterns, p) {
			t.Errorf("the page matrix has a row for %s, which is not a route", p)
		}
	}
	// Signing out ends the session: it goes last.
	slices.SortStableFunc(patterns, func(a, b string) int {
		switch {
		case a == "POST /logout" && b != a:
			return 1
		case b == "POST /logout" && a != b:
			return -1
		}
		return 0
	})
	for i, who := range pageWho {
		c := e.client(t)
		csrf := ""
		if who != "signed out" {
			pass := managerPass
			if who == "collector1" {
				pass = collectorPass
			}
			res := e.signIn(t, c, who, pass)
			if who == "borrower1" {
				res = e.borrowerSignIn(t, c, "+8613900000000")
			}
			if res.status != http.StatusSeeOther {
				t.Fatalf("%s cannot sign in: %d", who, res.status)
			}
			csrf = csrfOf(t, do(t, c, "GET", e.srv.URL+"/settings", nil).body)
		}
		for _, p := range patterns {
			method, path, _ := strings.Cut(p, " ")
			path = strings.NewReplacer("{$}", "", "{lang}", "en").Replace(path)
			switch {
			case strings.HasPrefix(path, "/attempts/"):
				path = strings.Replace(path, "{id}", att.ID, 1)
			case strings.HasPrefix(path, "/contact-methods/"):
				path = strings.Replace(path, "{id}", methodID, 1)
			case strings.HasPrefix(path, "/promises/"):
				path = strings.Replace(path, "{id}", pr.ID, 1)
			case strings.HasPrefix(path, "/lenders/"):
				path = strings.Replace(path, "{id}", "L1", 1)
			case strings.HasPrefix(path, "/debts/"):
				path = strings.Replace(path, "{id}", "D1", 1)
			case strings.HasPrefix(path, "/portal/contacts/"):
				path = strings.Replace(path, "{id}", "P1", 1)
			case strings.HasPrefix(path, "/borrowers/"):
				path = strings.Replace(path, "{id}", "B1", 1)
			case strings.HasPrefix(path, "/disputes/"):
				path = strings.NewReplacer("{id}", answer.ID, "{sha}", answer.Evidence[0].SHA256).Replace(path)
			case strings.Contains(path, "plans/{id}"):
				path = strings.Replace(path, "{id}", plan.ID, 1)
			case strings.Contains(path, "complaints/{id}"):
				path = strings.NewReplacer("{id}", complaint.ID, "{sha}", complaint.Evidence[0].SHA256).Replace(path)
			}
			path = strings.Replace(path, "{id}", "CASE1", 1)
			if strings.HasSuffix(path, "/compose") {
				path += "?party=B1"
			}
			var form url.Values
			if method == "POST" {
				form = url.Values{"csrf": {csrf}, "party_id": {"B1"}, "channel": {"sms"}, "result": {"delivered"},
					"username": {"x"}, "password": {"y"}, "reason": {"matrix test"},
					"amount": {"100.00"}, "due_date": {"2026-12-01"}, "collector": {"collector1"},
					"case_id": {"CASE1"}, "text": {"您好"}, "status": {"kept"}, "pack": {"cn"}, "agency": {"AG1"}, "lang": {"zh"}, "action": {"acknowledge"}}
			}
			if len(pageMatrix[p]) != len(pageWho) {
				continue // reported above
			}
			res := do(t, c, method, e.srv.URL+path, form)
			want := pageMatrix[p][i]
			switch {
			case want == anyOK && (res.status == 401 || res.status == 403 || res.status == 404):
				t.Errorf("%s as %s: %d, want it allowed", p, who, res.status)
			case want != anyOK && res.status != want:
				t.Errorf("%s as %s: %d, want %d", p, who, res.status, want)
			}
		}
	}
}
