package cli

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fairdebt/fairdebt/internal/apitest"

	"github.com/fairdebt/fairdebt/internal/store/storetest"
)

func runMain(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// The audit commands on a real data directory: verify, receipts, export, and the
// tampering each must catch.
func TestAuditCommands(t *testing.T) {
	storetest.SQLiteOnly(t)
	env := apitest.Start(t, time.Date(2026, 11, 24, 10, 0, 0, 0, time.FixedZone("CST", 8*3600)))
	f := env.Seed(t)
	var ids []string
	for i := range 9 {
		var a struct{ ID string }
		ch := []string{"call", "sms", "call"}[i%3]
		env.JSON(t, "POST", "/v1/attempts", f.AgencyToken, map[string]any{"case_id": f.CaseID, "party_id": f.BorrowerID, "channel": ch}, 201, &a)
		ids = append(ids, a.ID)
	}
	_, receipts := env.Do(t, "GET", "/v1/attempts/"+ids[4]+"/receipts", f.AgencyToken, nil)
	dir := filepath.Dir(env.DBPath)
	pub := filepath.Join(dir, "audit.pub")
	// verify runs beside the live service (read-only) while it keeps deciding.
	var a struct{ ID string }
	env.JSON(t, "POST", "/v1/attempts", f.AgencyToken, map[string]any{"case_id": f.CaseID, "party_id": f.BorrowerID, "channel": "letter"}, 201, &a)
	if code, out, errs := runMain(t, "audit", "verify", "--data", dir); code != 0 || !strings.Contains(out, "ok: 11 leaves") {
		t.Fatalf("verify beside the live service: %d %q %q", code, out, errs)
	}
	env.JSON(t, "POST", "/v1/attempts", f.AgencyToken, map[string]any{"case_id": f.CaseID, "party_id": f.BorrowerID, "channel": "letter"}, 201, &a)
	if err := env.Close(); err != nil {
		t.Fatal(err)
	}

	code, out, errs := runMain(t, "audit", "verify", "--data", dir)
	if code != 0 || !strings.Contains(out, "ok: 12 leaves") { // 11 decisions and the seeded contact's consent
		t.Fatalf("verify: %d %q %q", code, out, errs)
	}
	rfile := filepath.Join(t.TempDir(), "receipts.json")
	if err := os.WriteFile(rfile, receipts, 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs = runMain(t, "audit", "verify-receipt", rfile, "--key", pub)
	if code != 0 || !strings.Contains(out, "attempt="+ids[4]) {
		t.Fatalf("verify-receipt: %d %q %q", code, out, errs)
	}
	// The key itself, as serve logs it ("fairdebt/audit+…": a '/' in the name).
	key, err := os.ReadFile(pub)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(key), "/") {
		t.Fatalf("the verifier key %q has no '/': the case below tests nothing", key)
	}
	if code, out, errs = runMain(t, "audit", "verify-receipt", rfile, "--key", strings.TrimSpace(string(key))); code != 0 {
		t.Fatalf("verify-receipt with the key itself: %d %q %q", code, out, errs)
	}
	var rs []map[string]any
	if err := json.Unmarshal(receipts, &rs); err != nil {
		t.Fatal(err)
	}
	rs[0]["leaf"] = strings.Replace(rs[0]["leaf"].(string), `"channel":"sms"`, `"channel":"call"`, 1)
	forged, _ := json.Marshal(rs)
	if err := os.WriteFile(rfile, forged, 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errs = runMain(t, "audit", "verify-receipt", rfile, "--key", pub); code != 1 {
		t.Fatalf("a forged receipt: %d %q %q", code, out, errs)
	}
	if code, _, errs = runMain(t, "audit", "verify-receipt", rfile); code != 2 {
		t.Fatalf("no --key: %d %q", code, errs)
	}

	export := filepath.Join(t.TempDir(), "audit.jsonl")
	if code, out, errs = runMain(t, "audit", "export", "--data", dir, "--out", export); code != 0 {
		t.Fatalf("export: %d %q %q", code, out, errs)
	}
	if code, out, errs = runMain(t, "audit", "verify-export", export, "--key", pub); code != 0 || !strings.Contains(out, "ok: 12 leaves") { // 11 decisions and the seeded contact's consent
		t.Fatalf("verify-export: %d %q %q", code, out, errs)
	}
	data, _ := os.ReadFile(export)
	if err := os.WriteFile(export, bytes.Replace(data, []byte(ids[2]), []byte(ids[3]), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errs = runMain(t, "audit", "verify-export", export, "--key", pub); code != 1 {
		t.Fatalf("a tampered export: %d %q %q", code, out, errs)
	}
	if err := os.WriteFile(export, []byte("not an export\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errs = runMain(t, "audit", "verify-export", export, "--key", pub); code != 2 {
		t.Fatalf("not an export: %d %q", code, errs)
	}

	// Edit leaf 6 in the database: verify names it.
	db, err := sql.Open("sqlite", "file:"+env.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	res, err := db.Exec("UPDATE audit_leaves SET data = replace(data, 'dialer', 'system') WHERE idx = 6")
	if n, _ := res.RowsAffected(); err != nil || n != 1 {
		t.Fatalf("tampering: %v", err)
	}
	db.Close()
	code, out, errs = runMain(t, "audit", "verify", "--data", dir)
	if code != 1 || !strings.Contains(errs, "leaf 6") {
		t.Fatalf("verify after tampering: %d %q %q", code, out, errs)
	}
	if code, _, errs = runMain(t, "audit", "verify", "--data", t.TempDir()); code != 2 {
		t.Fatalf("verify of an empty directory: %d %q", code, errs)
	}
}
