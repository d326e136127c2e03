package web

import (
	"context"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/fairdebt/fairdebt/internal/collection"
)

// The regulator view ranks the agencies, counts what went wrong and shows the
// audit log's signed checkpoint; the CSV holds the same table.
func TestRegulatorView(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	admin := collection.Principal{Admin: true, Role: collection.RoleAdmin, Name: "test"}
	if _, err := e.svc.CreateAgency(ctx, admin, collection.AgencyInput{ID: "AG3", Name: "=HYPERLINK(\"x\")", Approved: true}); err != nil {
		t.Fatal(err)
	}
	c, err := e.svc.FileComplaint(ctx, collection.Principal{Role: collection.RoleBorrower, Name: "borrower", BorrowerID: "B1"},
		collection.ComplaintInput{CaseID: "CASE1", Category: "harassment", Text: "calls every hour"})
	if err != nil {
		t.Fatal(err)
	}
	e.clk.Set(c.DueAt)
	if _, err := e.svc.EscalateOverdue(ctx); err != nil {
		t.Fatal(err)
	}
	reg, _ := e.signedIn(t, "reg1")
	page := do(t, reg, "GET", e.srv.URL+"/regulator", nil, "Accept-Language", "en")
	for _, want := range []string{`id="reg-escalated">1<`, `<tr id="league-AG1">`, `class="num per10k">5000.0<`, "fairdebt.test/web", `id="chart-reg-categories"`} {
		if !strings.Contains(page.body, want) {
			t.Errorf("the regulator view lacks %q", want)
		}
	}
	if i, j := strings.Index(page.body, `id="league-AG1"`), strings.Index(page.body, `id="league-AG2"`); i < 0 || j < 0 || i > j {
		t.Errorf("AG1, with a complaint, is not ranked above AG2")
	}
	res := do(t, reg, "GET", e.srv.URL+"/regulator.csv", nil)
	if !strings.HasPrefix(res.body, "\ufeffagency_id,name,") || !strings.Contains(res.header.Get("Content-Type"), "text/csv") {
		t.Fatalf("the CSV: %q %q", res.header.Get("Content-Type"), res.body)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(res.body, "\ufeff"))).ReadAll()
	if err != nil || len(rows) != 4 {
		t.Fatalf("the CSV's rows: %v, %v", rows, err)
	}
	for _, r := range rows[1:] {
		if r[0] == "AG1" && (r[5] != "1" || r[8] != "1") {
			t.Errorf("AG1's row: %v", r)
		}
		if r[0] == "AG3" && !strings.HasPrefix(r[1], "'=") {
			t.Errorf("a name that is a formula is not made inert: %q", r[1])
		}
	}
}
