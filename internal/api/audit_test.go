package api_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/fairdebt/fairdebt/internal/apitest"
	"github.com/fairdebt/fairdebt/internal/audit"
)

// Over HTTP: an attempt's receipts verify offline with the verifier key alone; an
// agency gets receipts for its own attempts only; entries are for administrators;
// checkpoints of a growing log are proved consistent.
func TestAuditOverHTTP(t *testing.T) {
	env := apitest.Start(t, time.Date(2026, 11, 24, 10, 0, 0, 0, time.FixedZone("CST", 8*3600)))
	f := env.Seed(t)
	var a struct {
		ID      string
		Allowed bool
	}
	env.JSON(t, "POST", "/v1/attempts", f.AgencyToken, map[string]any{"case_id": f.CaseID, "party_id": f.BorrowerID, "channel": "call"}, 201, &a)
	env.JSON(t, "POST", "/v1/attempts/"+a.ID+"/outcome", f.AgencyToken, map[string]any{"result": "no_answer"}, 200, nil)

	var receipts []audit.Receipt
	env.JSON(t, "GET", "/v1/attempts/"+a.ID+"/receipts", f.AgencyToken, nil, 200, &receipts)
	if len(receipts) != 2 {
		t.Fatalf("%d receipts, want the decision's and the outcome's", len(receipts))
	}
	// A receipt travels as a JSON file: decode it afresh, as a borrower's tool would.
	data, _ := json.Marshal(receipts[0])
	var r audit.Receipt
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	e, c, err := audit.VerifyReceipt(r, env.AuditKey)
	if err != nil {
		t.Fatalf("receipt does not verify: %v\n%s", err, data)
	}
	if e.Type != audit.TypeDecision || e.Subject["attempt"] != a.ID || e.Facts["allowed"] != a.Allowed {
		t.Fatalf("receipt is about %+v", e)
	}
	if e2, _, err := audit.VerifyReceipt(receipts[1], env.AuditKey); err != nil || e2.Type != audit.TypeOutcome || e2.Facts["result"] != "no_answer" {
		t.Fatalf("outcome receipt: %+v %v", e2, err)
	}
	// Another agency cannot tell the attempt exists.
	if status, _ := env.Do(t, "GET", "/v1/attempts/"+a.ID+"/receipts", f.OtherAgencyToken, nil); status != 404 {
		t.Fatalf("another agency's token got %d for the receipts", status)
	}
	// Entries: administrators only.
	if status, _ := env.Do(t, "GET", fmt.Sprintf("/v1/audit/entries/%d", r.Index), f.AgencyToken, nil); status != 403 {
		t.Fatalf("an agency token read an audit entry: %d", status)
	}
	var entry audit.Receipt
	env.JSON(t, "GET", fmt.Sprintf("/v1/audit/entries/%d", r.Index), env.AdminToken, nil, 200, &entry)
	if entry.Leaf != r.Leaf {
		t.Fatalf("entry %d is %s, the receipt says %s", r.Index, entry.Leaf, r.Leaf)
	}
	if status, _ := env.Do(t, "GET", "/v1/audit/entries/999999", env.AdminToken, nil); status != 404 {
		t.Fatalf("an entry past the log: %d", status)
	}

	// The log grows; the new checkpoint extends the one in the receipt.
	for range 5 {
		env.JSON(t, "POST", "/v1/attempts", f.AgencyToken, map[string]any{"case_id": f.CaseID, "party_id": f.BorrowerID, "channel": "sms", "message": "请回电"}, 201, nil)
	}
	// A checkpoint follows within a second or so.
	var newer audit.Checkpoint
	for deadline := time.Now().Add(10 * time.Second); newer.Size < c.Size+5; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no checkpoint of %d leaves within 10 s; the latest has %d", c.Size+5, newer.Size)
		}
		var cp struct{ Checkpoint string }
		env.JSON(t, "GET", "/v1/audit/checkpoint", f.AgencyToken, nil, 200, &cp)
		if newer, err = audit.OpenCheckpoint([]byte(cp.Checkpoint), env.AuditKey); err != nil {
			t.Fatal(err)
		}
	}
	var proof audit.Consistency
	env.JSON(t, "GET", fmt.Sprintf("/v1/audit/consistency?from=%d&to=%d", c.Size, newer.Size), f.AgencyToken, nil, 200, &proof)
	if err := audit.VerifyConsistency(c, newer, proof); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"from=0&to=1", fmt.Sprintf("from=2&to=%d", newer.Size+1), "from=3&to=2", "from=x&to=2", "to=2"} {
		if status, body := env.Do(t, "GET", "/v1/audit/consistency?"+bad, f.AgencyToken, nil); status != 422 && status != 400 {
			t.Errorf("consistency?%s: %d %s", bad, status, body)
		}
	}
}
