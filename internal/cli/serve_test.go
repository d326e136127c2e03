package cli

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fairdebt/fairdebt/internal/apitest"
)

func TestServeBadFlags(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown pack", []string{"serve", "--data", dir, "--pack", "nope"}, "--pack"},
		{"bad log level", []string{"serve", "--data", dir, "--log-level", "loud"}, "--log-level"},
		{"bad address", []string{"serve", "--data", dir, "--addr", "nowhere:-1"}, "--addr"},
		{"stray argument", []string{"serve", "extra"}, "unknown command"},
		{"dialer over plain http", []string{"serve", "--data", dir, "--dialer-url", "http://dialer.example/calls"}, "--dialer-url"},
		{"dialer without a secret", []string{"serve", "--data", dir, "--dialer-url", "https://dialer.example/calls"}, "FAIRDEBT_DIALER_SECRET"},
		{"gateway without a secret", []string{"serve", "--data", dir, "--notify-url", "https://sms.example/send"}, "FAIRDEBT_NOTIFY_SECRET"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			t.Setenv(EnvAdminToken, "fdt_serve-flag-test-token-0123456789abcdefghij")
			code := Main(c.args, strings.NewReader(""), &stdout, &stderr)
			if code != exitInput || stdout.Len() != 0 {
				t.Errorf("exit %d, stdout %q; want exit %d and no output", code, stdout.String(), exitInput)
			}
			line := stderr.String()
			if i := strings.LastIndex(line, "fairdebt: "); i >= 0 {
				line = line[i:]
			}
			if !strings.Contains(line, c.want) || strings.Count(line, "\n") != 1 {
				t.Errorf("stderr %q, want one line naming %q", line, c.want)
			}
		})
	}
}

// TestGracefulShutdown sends SIGTERM to a serving child: it exits 0, and what it
// acknowledged is there when it starts again.
func TestGracefulShutdown(t *testing.T) {
	dir := t.TempDir()
	admin := "fdt_graceful-test-admin-token-0123456789abcdefghij"
	child := startCrashChild(t, dir, admin)
	env := &apitest.Env{URL: child.url, AdminToken: admin, Client: &http.Client{Timeout: 10 * time.Second}}
	env.JSON(t, "POST", "/v1/lenders", admin, map[string]any{"id": "L1", "name": "Lender"}, 201, nil)
	env.JSON(t, "POST", "/v1/agencies", admin, map[string]any{"id": "A1", "name": "Agency", "approved": true}, 201, nil)
	env.JSON(t, "POST", "/v1/borrowers", admin, map[string]any{"id": "B1", "lender_id": "L1", "name": "Debtor", "timezone": "Etc/GMT"}, 201, nil)
	env.JSON(t, "POST", "/v1/debts", admin, map[string]any{"id": "D1", "borrower_id": "B1", "currency": "CNY", "principal": 1000,
		"installments": []map[string]any{{"due_date": "2026-01-01", "amount": 1000}}}, 201, nil)
	env.JSON(t, "POST", "/v1/cases", admin, map[string]any{"id": "C1", "debt_id": "D1", "agency_id": "A1"}, 201, nil)
	for range 3 {
		env.JSON(t, "POST", "/v1/attempts", admin, map[string]any{"case_id": "C1", "party_id": "B1", "channel": "letter"}, 201, nil)
	}
	if err := child.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- child.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v, want status 0", err)
		}
	case <-time.After(20 * time.Second):
		_ = child.cmd.Process.Kill()
		t.Fatal("the server did not stop within 20 s of SIGTERM")
	}
	// The last checkpoint, signed on the way out, covers every leaf.
	db := openCrashDB(t, dir)
	var leaves, covered int64
	if err := db.QueryRow("SELECT (SELECT COUNT(*) FROM audit_leaves), (SELECT MAX(size) FROM audit_checkpoints)").Scan(&leaves, &covered); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if leaves != 3 || covered != leaves {
		t.Errorf("after a graceful stop: %d leaves, the last checkpoint covers %d", leaves, covered)
	}
	if info, err := os.Stat(filepath.Join(dir, "audit.key")); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("audit signing key: %v %v", info, err)
	}
	child = startCrashChild(t, dir, admin)
	defer child.kill(t)
	env.URL = child.url
	env.JSON(t, "GET", "/v1/lenders/L1", admin, nil, 200, nil)
	if info, err := os.Stat(dir + "/keys"); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v %v", info, err)
	}
}

func TestServeAuditKeyFlag(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.key")
	if err := os.WriteFile(bad, []byte("not a key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{bad, filepath.Join(dir, "missing.key")} {
		code, _, errs := runMain(t, "serve", "--data", filepath.Join(dir, "data"), "--addr", "127.0.0.1:0", "--audit-key", path)
		if code != 2 || !strings.Contains(errs, "--audit-key") {
			t.Errorf("--audit-key %s: exit %d, %q", path, code, errs)
		}
	}
}
