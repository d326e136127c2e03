package web

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// The borrower disputes in the portal; compliance answers on the case page with
// a file; the borrower reads the answer and downloads the file.
func TestDisputeAnswerPages(t *testing.T) {
	e := start(t)
	b := e.client(t)
	if res := e.borrowerSignIn(t, b, "+8613900000000"); res.status != http.StatusSeeOther {
		t.Fatalf("signing in: %d", res.status)
	}
	csrf := csrfOf(t, do(t, b, "GET", e.srv.URL+"/portal", nil).body)
	if res := do(t, b, "POST", e.srv.URL+"/portal/dispute", map[string][]string{"csrf": {csrf}, "note": {"I repaid on 2026-10-01"}}); res.status != http.StatusSeeOther {
		t.Fatalf("disputing: %d", res.status)
	}
	comp, compCSRF := e.signedIn(t, "comp1")
	page := do(t, comp, "GET", e.srv.URL+"/cases/CASE1", nil, "Accept-Language", "en")
	if !strings.Contains(page.body, `id="dispute-answer"`) || !strings.Contains(page.body, "I repaid on 2026-10-01") {
		t.Fatalf("the case page shows no dispute to answer:\n%s", page.body)
	}
	// Without a file it is refused.
	res := postMultipart(t, comp, e.srv.URL+"/borrowers/B1/dispute-answer", "evidence", map[string]string{"csrf": compCSRF, "case_id": "CASE1",
		"text": "No payment arrived."}, nil)
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, "at least one file") {
		t.Errorf("an answer without evidence: %d\n%s", res.status, res.body)
	}
	statement := "Bank statement 2026-10: no transfer from the borrower.\n"
	res = postMultipart(t, comp, e.srv.URL+"/borrowers/B1/dispute-answer", "evidence", map[string]string{"csrf": compCSRF, "case_id": "CASE1",
		"text": "No payment arrived: see the statement."}, map[string][]byte{"statement.txt": []byte(statement)})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/cases/CASE1" {
		t.Fatalf("answering: %d %q\n%s", res.status, res.header.Get("Location"), res.body)
	}
	portal := do(t, b, "GET", e.srv.URL+"/portal", nil, "Accept-Language", "en")
	link := regexp.MustCompile(`href="(/disputes/[^"]+)"`).FindStringSubmatch(portal.body)
	if !strings.Contains(portal.body, "No payment arrived: see the statement.") || link == nil || strings.Contains(portal.body, `class="hold-dispute"`) {
		t.Fatalf("the portal after the answer:\n%s", portal.body)
	}
	file := do(t, b, "GET", e.srv.URL+link[1], nil)
	if file.body != statement || !strings.Contains(file.header.Get("Content-Disposition"), "statement.txt") {
		t.Errorf("the evidence: %q %v", file.body, file.header)
	}
}
