package api_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
)

// principals of the role matrix, in the order of a row's expectations.
var matrixPrincipals = []string{"admin", "compliance", "regulator", "own agency", "other agency"}

// What each kind of operation must answer each principal, about the first agency's
// things: ok (anything but 401, 403 or 404), 403, or 404 (as for something that does
// not exist).
const ok = 0

var matrixClasses = map[string][5]int{
	// the lender's administration
	"manage": {ok, 403, 403, 403, 403},
	// reading a case, borrower, debt, party, attempt, agency
	"read": {ok, ok, ok, ok, 404},
	// recording a hold, an opt-out, an objection; pausing a case
	"protect": {ok, ok, 403, ok, 404},
	// attempts, outcomes, promises
	"work": {ok, 403, 403, ok, 404},
	// putting a case on a collector's worklist
	"assign": {ok, 403, 403, ok, 404},
	// lifting a hold or an opt-out
	"lift": {ok, ok, 403, 403, 403},
	// the audit log's leaves
	"audit": {ok, ok, ok, 403, 403},
	// the lender's own record
	"lender": {ok, ok, ok, 404, 404},
	// lists (scoped to what the caller sees: TestTenancy checks the contents),
	// dry runs, the audit log's checkpoints and proofs
	"open": {ok, ok, ok, ok, ok},
}

// TestRoleMatrix sends every operation of the API (the operations list, which
// TestOpenAPI holds equal to the OpenAPI document) as every role, about the first
// agency's things, and checks each answer's class. An operation without a row
// fails the test, so a new route cannot be left out.
func TestRoleMatrix(t *testing.T) {
	h := start(t)
	f := h.f
	tokens := map[string]string{"admin": h.AdminToken, "own agency": f.AgencyToken, "other agency": f.OtherAgencyToken}
	for _, scope := range []string{"compliance", "regulator"} {
		var tok struct {
			Token string `json:"token"`
		}
		h.JSON(t, "POST", "/v1/tokens", h.AdminToken, map[string]any{"scope": scope, "name": "matrix " + scope}, 201, &tok)
		tokens[scope] = tok.Token
	}
	admin := func(method, path string, body any) response { return h.call(t, method, path, h.AdminToken, body) }
	seq := 0
	next := func(prefix string) string { seq++; return fmt.Sprintf("%s%d", prefix, seq) }
	var posted struct {
		ID string `json:"id"`
	}
	h.JSON(t, "POST", "/v1/attempts", h.AdminToken, map[string]any{"case_id": f.CaseID, "party_id": f.BorrowerID, "channel": "sms"}, 201, &posted)
	attempt := posted.ID
	type row struct {
		class        string
		method, path string
		body         func() any
		pathFn       func() string // the path, when each request needs a fresh thing to act on
		before       func()        // puts in place what the request acts on
		after        func()        // undoes it
	}
	none := func() any { return nil }
	body := func(v map[string]any) func() any { return func() any { return v } }
	rows := map[string]row{
		"create-lender": {class: "manage", method: "POST", path: "/v1/lenders", body: func() any { return map[string]any{"id": next("LM"), "name": "Lender"} }},
		"list-lenders":  {class: "open", method: "GET", path: "/v1/lenders", body: none},
		"get-lender":    {class: "lender", method: "GET", path: "/v1/lenders/" + f.LenderID, body: none},
		"update-lender": {class: "manage", method: "PATCH", path: "/v1/lenders/" + f.LenderID, body: body(map[string]any{"pack": "cn"})},
		"create-agency": {class: "manage", method: "POST", path: "/v1/agencies", body: func() any { return map[string]any{"id": next("AM"), "name": "Agency", "approved": true} }},
		"list-agencies": {class: "open", method: "GET", path: "/v1/agencies", body: none},
		"get-agency":    {class: "read", method: "GET", path: "/v1/agencies/" + f.AgencyID, body: none},
		"update-agency": {class: "manage", method: "PATCH", path: "/v1/agencies/" + f.AgencyID, body: body(map[string]any{"approved": true})},
		"create-borrower": {class: "manage", method: "POST", path: "/v1/borrowers", body: func() any {
			return map[string]any{"id": next("BM"), "lender_id": f.LenderID, "name": "Debtor", "timezone": "Asia/Shanghai"}
		}},
		"list-borrowers":        {class: "open", method: "GET", path: "/v1/borrowers", body: none},
		"get-borrower":          {class: "read", method: "GET", path: "/v1/borrowers/" + f.BorrowerID, body: none},
		"list-borrower-debts":   {class: "read", method: "GET", path: "/v1/borrowers/" + f.BorrowerID + "/debts", body: none},
		"list-borrower-parties": {class: "read", method: "GET", path: "/v1/borrowers/" + f.BorrowerID + "/parties", body: none},
		"list-borrower-optouts": {class: "read", method: "GET", path: "/v1/borrowers/" + f.BorrowerID + "/optouts", body: none},
		"create-hold": {class: "protect", method: "POST", path: "/v1/borrowers/" + f.BorrowerID + "/holds", body: body(map[string]any{"hold": "dispute"}),
			after: func() { admin("DELETE", "/v1/borrowers/"+f.BorrowerID+"/holds/dispute", nil) }},
		"delete-hold": {class: "lift", method: "DELETE", path: "/v1/borrowers/" + f.BorrowerID + "/holds/dispute", body: none,
			before: func() { admin("POST", "/v1/borrowers/"+f.BorrowerID+"/holds", map[string]any{"hold": "dispute"}) },
			after:  func() { admin("DELETE", "/v1/borrowers/"+f.BorrowerID+"/holds/dispute", nil) }},
		"create-debt": {class: "manage", method: "POST", path: "/v1/debts", body: func() any {
			return map[string]any{"id": next("DM"), "borrower_id": f.BorrowerID, "currency": "CNY", "principal": 1,
				"installments": []map[string]any{{"due_date": "2026-12-01", "amount": 1}}}
		}},
		"get-debt": {class: "read", method: "GET", path: "/v1/debts/" + f.DebtID, body: none},
		"create-case": {class: "manage", method: "POST", path: "/v1/cases", body: func() any {
			return map[string]any{"id": next("CM"), "debt_id": f.DebtID, "agency_id": f.AgencyID}
		}},
		"list-cases": {class: "open", method: "GET", path: "/v1/cases", body: none},
		"get-case":   {class: "read", method: "GET", path: "/v1/cases/" + f.CaseID, body: none},
		"update-case": {class: "protect", method: "PATCH", path: "/v1/cases/" + f.CaseID, body: body(map[string]any{"status": "paused"}),
			after: func() { admin("PATCH", "/v1/cases/"+f.CaseID, map[string]any{"status": "open"}) }},
		"assign-case":        {class: "assign", method: "PUT", path: "/v1/cases/" + f.CaseID + "/assignment", body: body(map[string]any{"collector": ""})},
		"list-case-attempts": {class: "read", method: "GET", path: "/v1/cases/" + f.CaseID + "/attempts", body: none},
		"create-promise":     {class: "work", method: "POST", path: "/v1/cases/" + f.CaseID + "/promises", body: body(map[string]any{"amount": 1, "due_date": "2026-12-01"})},
		"list-promises":      {class: "read", method: "GET", path: "/v1/cases/" + f.CaseID + "/promises", body: none},
		"update-promise": {class: "work", method: "PATCH", body: body(map[string]any{"status": "kept"}),
			pathFn: func() string {
				var pr struct {
					ID string `json:"id"`
				}
				h.JSON(t, "POST", "/v1/cases/"+f.CaseID+"/promises", h.AdminToken, map[string]any{"amount": 1, "due_date": "2026-12-01"}, 201, &pr)
				return "/v1/promises/" + pr.ID
			}},
		"get-stats": {class: "read", method: "GET", path: "/v1/stats?agency_id=" + f.AgencyID + "&tz=Asia/Shanghai", body: none},
		"create-party": {class: "manage", method: "POST", path: "/v1/parties", body: func() any {
			return map[string]any{"id": next("PM"), "borrower_id": f.BorrowerID, "role": "attorney", "name": "Counsel"}
		}},
		"get-party":    {class: "read", method: "GET", path: "/v1/parties/" + f.ContactID, body: none},
		"update-party": {class: "protect", method: "PATCH", path: "/v1/parties/" + f.ContactID, body: body(map[string]any{"objected": true})},
		"create-contact-method": {class: "manage", method: "POST", path: "/v1/parties/" + f.ContactID + "/contact-methods", body: func() any {
			seq++
			return map[string]any{"kind": "email", "value": fmt.Sprintf("matrix%d@example.com", seq)}
		}},
		"lookup-contact": {class: "open", method: "POST", path: "/v1/contact-lookup", body: body(map[string]any{"kind": "phone", "value": "+8610000000002"})},
		"create-optout": {class: "protect", method: "POST", path: "/v1/optouts", body: body(map[string]any{"party_id": f.BorrowerID, "channel": "email"}),
			after: func() { admin("DELETE", "/v1/parties/"+f.BorrowerID+"/optouts/email", nil) }},
		"delete-optout": {class: "lift", method: "DELETE", path: "/v1/parties/" + f.BorrowerID + "/optouts/email", body: none,
			before: func() { admin("POST", "/v1/optouts", map[string]any{"party_id": f.BorrowerID, "channel": "email"}) },
			after:  func() { admin("DELETE", "/v1/parties/"+f.BorrowerID+"/optouts/email", nil) }},
		"create-attempt": {class: "work", method: "POST", path: "/v1/attempts", body: body(map[string]any{"case_id": f.CaseID, "party_id": f.BorrowerID, "channel": "sms"})},
		"get-attempt":    {class: "read", method: "GET", path: "/v1/attempts/" + attempt, body: none},
		"record-outcome": {class: "work", method: "POST", path: "/v1/attempts/" + attempt + "/outcome", body: body(map[string]any{"result": "delivered"})},
		"check": {class: "open", method: "POST", path: "/v1/check", body: body(map[string]any{
			"pack": "cn", "now": "2026-11-24T10:00:00+08:00", "debtor": map[string]any{"id": "D1", "timezone": "Asia/Shanghai"},
			"parties": []map[string]any{{"id": "D1", "role": "debtor"}}, "attempt": map[string]any{"party": "D1", "channel": "call"}})},
		"screen":                {class: "open", method: "POST", path: "/v1/screen", body: body(map[string]any{"text": "您好，请按时还款。"})},
		"create-token":          {class: "manage", method: "POST", path: "/v1/tokens", body: body(map[string]any{"scope": "regulator", "name": "another"})},
		"get-audit-checkpoint":  {class: "open", method: "GET", path: "/v1/audit/checkpoint", body: none},
		"get-audit-entry":       {class: "audit", method: "GET", path: "/v1/audit/entries/0", body: none},
		"get-audit-consistency": {class: "open", method: "GET", path: "/v1/audit/consistency?from=1&to=1", body: none},
		"list-attempt-receipts": {class: "read", method: "GET", path: "/v1/attempts/" + attempt + "/receipts", body: none},
	}
	for _, op := range operations {
		r, found := rows[op]
		if !found {
			t.Errorf("%s: no row in the role matrix; add one", op)
			continue
		}
		want := matrixClasses[r.class]
		for i, who := range matrixPrincipals {
			t.Run(op+"/"+who, func(t *testing.T) {
				if r.before != nil {
					r.before()
				}
				path := r.path
				if r.pathFn != nil {
					path = r.pathFn()
				}
				res := h.call(t, r.method, path, tokens[who], r.body())
				if r.after != nil {
					r.after()
				}
				got := res.status
				switch {
				case got == http.StatusUnauthorized:
					t.Fatalf("%d: the token was not accepted: %s", got, res.body)
				case want[i] == ok && (got == http.StatusForbidden || got == http.StatusNotFound):
					t.Errorf("%s as %s: %d, want it allowed: %s", op, who, got, res.body)
				case want[i] != ok && got != want[i]:
					t.Errorf("%s as %s: %d, want %d: %s", op, who, got, want[i], res.body)
				}
			})
		}
	}
	for op := range rows {
		if !slices.Contains(operations, op) {
			t.Errorf("the role matrix has a row for %s, which is not an operation", op)
		}
	}
}
