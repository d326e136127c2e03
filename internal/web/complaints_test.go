package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/fairdebt/fairdebt/internal/audit"
	"github.com/fairdebt/fairdebt/internal/collection"
)

// postMultipart posts a form with files in the field fileField, as a browser does.
func postMultipart(t *testing.T, c *http.Client, u, fileField string, fields map[string]string, files map[string][]byte) response {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	for name, data := range files {
		fw, err := mw.CreateFormFile(fileField, name)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = fw.Write(data)
	}
	_ = mw.Close()
	req, _ := http.NewRequest("POST", u, &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Accept-Language", "en")
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return response{res.StatusCode, res.Header, string(body)}
}

// A complaint through the web: filed with a file, handled by compliance, rated
// by the borrower; the receipt and the evidence come down as files.
func TestComplaintPages(t *testing.T) {
	e := start(t)
	b := e.client(t)
	if res := e.borrowerSignIn(t, b, "+8613900000000"); res.status != http.StatusSeeOther {
		t.Fatalf("signing in: %d", res.status)
	}
	csrf := csrfOf(t, do(t, b, "GET", e.srv.URL+"/portal/complaints/new", nil).body)
	note := []byte("23:40 call to my mother\n")
	res := postMultipart(t, b, e.srv.URL+"/portal/complaints", "evidence", map[string]string{"csrf": csrf, "category": "third_party", "case_id": "CASE1",
		"text": "They called my mother."}, map[string][]byte{"note.txt": note})
	if res.status != http.StatusSeeOther || !strings.HasPrefix(res.header.Get("Location"), "/portal/complaints/cmp_") {
		t.Fatalf("filing: %d %q\n%s", res.status, res.header.Get("Location"), res.body)
	}
	id := strings.TrimPrefix(res.header.Get("Location"), "/portal/complaints/")
	// Refused uploads say why and file nothing.
	bad := postMultipart(t, b, e.srv.URL+"/portal/complaints", "evidence", map[string]string{"csrf": csrf, "category": "other", "text": "x"},
		map[string][]byte{"virus.png": []byte("MZ\x90\x00 not a picture")})
	if bad.status != http.StatusUnprocessableEntity || !strings.Contains(bad.body, "evidence[0]: not an accepted file") {
		t.Errorf("a program named .png: %d\n%s", bad.status, bad.body)
	}
	if list, _ := e.svc.Complaints(context.Background(), collection.Principal{Admin: true, Role: collection.RoleAdmin}, collection.ComplaintFilter{}); len(list) != 1 {
		t.Errorf("%d complaints after a refused one", len(list))
	}

	// The receipt and the evidence.
	rc := do(t, b, "GET", e.srv.URL+"/complaints/"+id+"/receipt", nil)
	var receipt audit.Receipt
	if err := json.Unmarshal([]byte(rc.body), &receipt); err != nil || !strings.Contains(rc.header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("the receipt: %d %v %q", rc.status, err, rc.header.Get("Content-Disposition"))
	}
	if ev, _, err := audit.VerifyReceipt(receipt, e.vkey); err != nil || ev.Subject["complaint"] != id {
		t.Errorf("the receipt verifies: %+v, %v", ev, err)
	}
	c, _ := e.svc.Complaint(context.Background(), collection.Principal{Admin: true, Role: collection.RoleAdmin}, id)
	file := do(t, b, "GET", e.srv.URL+"/complaints/"+id+"/evidence/"+c.Evidence[0].SHA256, nil)
	if file.body != string(note) || !strings.Contains(file.header.Get("Content-Disposition"), "attachment") ||
		!strings.Contains(file.header.Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("the evidence: %q %v", file.body, file.header)
	}

	// Compliance is reminded on its home page, then responds; the borrower is not
	// satisfied: escalated.
	e.clk.Set(c.DueAt.Add(-2 * 24 * time.Hour))
	comp, compCSRF := e.signedIn(t, "comp1")
	if home := do(t, comp, "GET", e.srv.URL+"/home", nil, "Accept-Language", "en"); !strings.Contains(home.body, "Complaints due within 3 days: 1") {
		t.Errorf("no reminder on compliance's home page:\n%s", home.body)
	}
	page := do(t, comp, "GET", e.srv.URL+"/complaints/"+id, nil, "Accept-Language", "en")
	if !strings.Contains(page.body, `id="act-respond"`) || !strings.Contains(page.body, "They called my mother.") {
		t.Fatalf("compliance's view:\n%s", page.body)
	}
	if res := do(t, comp, "POST", e.srv.URL+"/complaints/"+id+"/actions", url.Values{"csrf": {compCSRF}, "action": {"respond"},
		"note": {"The collector has been suspended."}}); res.status != http.StatusSeeOther {
		t.Fatalf("responding: %d\n%s", res.status, res.body)
	}
	reg, regCSRF := e.signedIn(t, "reg1")
	if res := do(t, reg, "POST", e.srv.URL+"/complaints/"+id+"/actions", url.Values{"csrf": {regCSRF}, "action": {"acknowledge"}}); res.status != http.StatusForbidden {
		t.Errorf("a regulator acting: %d", res.status)
	}
	e.borrowerSignIn(t, b, "+8613900000000") // the clock moved past the borrower's session too
	page = do(t, b, "GET", e.srv.URL+"/portal/complaints/"+id, nil, "Accept-Language", "en")
	if !strings.Contains(page.body, "The collector has been suspended.") || !strings.Contains(page.body, `id="rate-unsatisfied"`) {
		t.Fatalf("the borrower's view of the response:\n%s", page.body)
	}
	if res := do(t, b, "POST", e.srv.URL+"/portal/complaints/"+id+"/rate", url.Values{"csrf": {csrfOf(t, page.body)}, "action": {"unsatisfied"}}); res.status != http.StatusSeeOther {
		t.Fatalf("rating: %d\n%s", res.status, res.body)
	}
	letter := do(t, reg, "GET", e.srv.URL+"/complaints/"+id+"/letter", nil, "Accept-Language", "en")
	for _, want := range []string{"Synthetic Debtor 1", c.Evidence[0].SHA256, "escalated", "They called my mother."} {
		if !strings.Contains(letter.body, want) {
			t.Errorf("the letter lacks %q", want)
		}
	}
	esc := do(t, reg, "GET", e.srv.URL+"/complaints?filter=escalated", nil)
	if !strings.Contains(esc.body, id) {
		t.Errorf("the escalated list lacks the complaint:\n%s", esc.body)
	}
}
