package web

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fairdebt/fairdebt/internal/collection"
)

// importCSV has three good rows (one assigned to AG1) and two bad ones: a time
// zone that does not exist (line 3) and an amount with a comma (line 5).
const importCSV = "\ufefflender_id,borrower_id,name,timezone,phone,debt_id,currency,amount,due_date,agency_id\n" +
	"L1,IB1,Synthetic Import One,Asia/Shanghai,+8613500000001,ID1,CNY,1500.00,2026-10-15,AG1\n" +
	"L1,IB2,Synthetic Import Two,Mars/Olympus,+8613500000002,ID2,CNY,200,2026-10-15,\n" +
	"L1,IB3,Synthetic Import Three,Asia/Shanghai,+8613500000003,ID3,CNY,99.5,2026-10-20,\n" +
	"L1,IB4,Synthetic Import Four,Asia/Shanghai,+8613500000004,ID4,CNY,\"12,5\",2026-10-20,\n" +
	"L1,IB3,Synthetic Import Three,Asia/Shanghai,+8613500000003,ID5,CNY,10,2026-11-01,\n"

// upload posts a CSV to /import as a browser form does.
func upload(t *testing.T, c *http.Client, base, csrf, name, content string) response {
	t.Helper()
	return postMultipart(t, c, base+"/import", "file", map[string]string{"csrf": csrf}, map[string][]byte{name: []byte(content)})
}

func TestImport(t *testing.T) {
	e := start(t)
	c := e.client(t)
	e.signIn(t, c, "admin1", managerPass)
	form := do(t, c, "GET", e.srv.URL+"/import", nil)
	if form.status != 200 || !strings.Contains(form.body, `type="file"`) {
		t.Fatalf("/import: %d\n%s", form.status, form.body)
	}
	csrf := csrfOf(t, form.body)
	if res := upload(t, c, e.srv.URL, "forged", "debts.csv", importCSV); res.status != http.StatusForbidden {
		t.Fatalf("upload without the CSRF token: %d", res.status)
	}
	res := upload(t, c, e.srv.URL, csrf, "debts.csv", importCSV)
	job := res.header.Get("Location")
	if res.status != http.StatusSeeOther || !strings.HasPrefix(job, "/import/") {
		t.Fatalf("upload: %d %q\n%s", res.status, job, res.body)
	}
	var page response
	for deadline := time.Now().Add(10 * time.Second); ; {
		page = do(t, c, "GET", e.srv.URL+job, nil, "Accept-Language", "en")
		if strings.Contains(page.body, `id="import-finished"`) {
			break
		}
		if !strings.Contains(page.body, `http-equiv="refresh"`) {
			t.Fatalf("a running import's page does not refresh itself:\n%s", page.body)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the import did not finish:\n%s", page.body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if strings.Contains(page.body, `http-equiv="refresh"`) || !strings.Contains(page.body, "5 of 5 rows: 3 imported, 2 rejected.") {
		t.Fatalf("report:\n%s", page.body)
	}
	if !strings.Contains(page.body, "not an IANA time zone") || strings.Contains(page.body, "不是有效的 IANA 时区") {
		t.Fatalf("the reasons are not in the page's language (English):\n%s", page.body)
	}
	rejected := regexp.MustCompile(`<tr><td class="num">(\d+)</td><td>(\w+)</td>`).FindAllStringSubmatch(page.body, -1)
	if len(rejected) != 2 || rejected[0][1] != "3" || rejected[0][2] != "timezone" || rejected[1][1] != "5" || rejected[1][2] != "amount" {
		t.Fatalf("rejected rows %q in\n%s", rejected, page.body)
	}
	// The good rows are in, the bad ones left nothing behind.
	ctx := context.Background()
	admin := collection.Principal{Admin: true}
	for _, id := range []string{"ID1", "ID3", "ID5"} {
		if _, err := e.svc.Debt(ctx, admin, id); err != nil {
			t.Errorf("debt %s: %v", id, err)
		}
	}
	if d, _ := e.svc.Debt(ctx, admin, "ID3"); d != nil && d.Outstanding != 9950 {
		t.Errorf("ID3 outstanding %d, want 9950", d.Outstanding)
	}
	for _, id := range []string{"IB2", "IB4"} {
		if _, err := e.svc.Borrower(ctx, admin, id); !collection.IsKind(err, collection.NotFound) {
			t.Errorf("borrower %s of a rejected row: %v", id, err)
		}
	}
	cases, err := e.svc.Cases(ctx, admin, collection.CaseFilter{BorrowerID: "IB1"}, collection.Page{})
	if err != nil || len(cases) != 1 || cases[0].AgencyID != "AG1" {
		t.Errorf("IB1's case: %+v, %v", cases, err)
	}
	// Running the same file again rejects what is in, imports nothing twice.
	res = upload(t, c, e.srv.URL, csrf, "debts.csv", importCSV)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		page = do(t, c, "GET", e.srv.URL+res.header.Get("Location"), nil, "Accept-Language", "en")
		if strings.Contains(page.body, `id="import-finished"`) {
			break
		}
	}
	if !strings.Contains(page.body, "5 of 5 rows: 0 imported, 5 rejected.") {
		t.Fatalf("the second run:\n%s", page.body)
	}
	// Someone else cannot see the report.
	c2 := e.client(t)
	e.signIn(t, c2, "comp1", managerPass)
	if res := do(t, c2, "GET", e.srv.URL+job, nil); res.status != http.StatusNotFound {
		t.Fatalf("another user's view of the job: %d", res.status)
	}
	// A file whose header lacks a column is refused whole, saying which.
	bad := upload(t, c, e.srv.URL, csrf, "bad.csv", "lender_id,borrower_id,name\nL1,X,Y\n")
	if bad.status != http.StatusUnprocessableEntity || !strings.Contains(bad.body, "the header lacks the column timezone") {
		t.Fatalf("a file without the columns: %d\n%s", bad.status, bad.body)
	}
	// A file of several megabytes reaches the import (its form's token is read
	// past the first megabyte), which judges its header.
	big := upload(t, c, e.srv.URL, csrf, "big.csv", "lender_id,borrower_id,name\n"+strings.Repeat("L1,X,Y\n", 400_000))
	if big.status != http.StatusUnprocessableEntity || !strings.Contains(big.body, "the header lacks the column timezone") {
		t.Fatalf("a 2.8 MB file: %d", big.status)
	}
}
