package cli

import (
	"bytes"
	"net/http"
	"os"
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
		{"postgres not yet", []string{"serve", "--data", dir, "--db", "postgres://localhost/x"}, "--db"},
		{"bad log level", []string{"serve", "--data", dir, "--log-level", "loud"}, "--log-level"},
		{"bad address", []string{"serve", "--data", dir, "--addr", "nowhere:-1"}, "--addr"},
		{"stray argument", []string{"serve", "extra"}, "unknown command"},
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
	child = startCrashChild(t, dir, admin)
	defer child.kill(t)
	env.URL = child.url
	env.JSON(t, "GET", "/v1/lenders/L1", admin, nil, 200, nil)
	if info, err := os.Stat(dir + "/keys"); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v %v", info, err)
	}
}
