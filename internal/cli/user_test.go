package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/fairdebt/fairdebt/internal/collection"
	"github.com/fairdebt/fairdebt/internal/demo"
	"github.com/fairdebt/fairdebt/internal/policy"
	"github.com/fairdebt/fairdebt/internal/secret"
	"github.com/fairdebt/fairdebt/internal/store"
)

func runMainIn(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// login checks a password against the data directory, as the web UI will.
func login(t *testing.T, dir, username, password string) error {
	t.Helper()
	ctx := context.Background()
	keys, _, err := secret.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.OpenSQLite(ctx, filepath.Join(dir, "fairdebt.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	reg, _ := policy.Builtin()
	s, err := collection.New(collection.Config{DB: db, Keys: keys, Packs: reg, DefaultPack: "cn"})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = s.Login(ctx, username, password, "test")
	return err
}

func TestUserCommands(t *testing.T) {
	dir := t.TempDir()
	const chosen = "a synthetic passphrase for tests"
	code, out, errs := runMainIn(t, "", "user", "add", "Li.Ming", "--role", "compliance", "--data", dir)
	if code != 0 {
		t.Fatalf("user add: %d %s %s", code, out, errs)
	}
	m := regexp.MustCompile(`(?m)^password: ([A-Za-z0-9]{20})$`).FindStringSubmatch(out)
	if m == nil || !strings.Contains(out, "added li.ming (compliance)") {
		t.Fatalf("user add printed %q", out)
	}
	if err := login(t, dir, "li.ming", m[1]); err != nil {
		t.Fatalf("the generated password does not sign in: %v", err)
	}

	code, out, errs = runMainIn(t, chosen+"\n", "user", "add", "reg.one", "--role", "regulator", "--lang", "en", "--password-stdin", "--data", dir)
	if code != 0 || strings.Contains(out+errs, chosen) || strings.Contains(out, "password:") {
		t.Fatalf("user add --password-stdin: %d %q %q (the password must never be printed)", code, out, errs)
	}
	if err := login(t, dir, "reg.one", chosen); err != nil {
		t.Fatal(err)
	}

	for name, c := range map[string]struct {
		stdin string
		args  []string
		want  string
	}{
		"taken":             {"", []string{"user", "add", "li.ming", "--role", "admin"}, "username: is taken"},
		"no role":           {"", []string{"user", "add", "boss"}, `required flag(s) "role" not set`},
		"unknown role":      {"", []string{"user", "add", "boss", "--role", "root"}, "role: must be one of"},
		"collector alone":   {"", []string{"user", "add", "solo", "--role", "collector"}, "agency_id: required"},
		"unknown agency":    {"", []string{"user", "add", "lost", "--role", "collector", "--agency", "NOPE"}, "not found"},
		"empty stdin":       {"", []string{"user", "add", "boss", "--role", "admin", "--password-stdin"}, "standard input holds no password"},
		"short password":    {"short\n", []string{"user", "add", "boss", "--role", "admin", "--password-stdin"}, "password: must be at least 12"},
		"reset nobody":      {"", []string{"user", "reset-password", "nobody"}, `user "nobody" not found`},
		"no data directory": {"", []string{"user", "list", "--data", filepath.Join(dir, "missing")}, "not a data directory"},
	} {
		args := c.args
		if !strings.Contains(strings.Join(args, " "), "--data") {
			args = append(args, "--data", dir)
		}
		code, out, errs := runMainIn(t, c.stdin, args...)
		if code != 2 || !strings.Contains(errs, c.want) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit 2 and %q", name, code, out, errs, c.want)
		}
	}

	code, out, errs = runMainIn(t, "another synthetic passphrase\n", "user", "reset-password", "REG.ONE", "--password-stdin", "--data", dir)
	if code != 0 || !strings.Contains(out, "reset the password of reg.one") {
		t.Fatalf("reset-password: %d %q %q", code, out, errs)
	}
	if err := login(t, dir, "reg.one", chosen); err != collection.ErrBadLogin {
		t.Fatalf("the old password after a reset: %v", err)
	}
	if err := login(t, dir, "reg.one", "another synthetic passphrase"); err != nil {
		t.Fatal(err)
	}

	code, out, _ = runMainIn(t, "", "user", "list", "--data", dir)
	if code != 0 || !regexp.MustCompile(`(?m)^li\.ming\s+compliance\s+-\s+-\s+\d{4}-\d\d-\d\d\s+active$`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^reg\.one\s+regulator\s+-\s+en\s`).MatchString(out) || strings.Contains(out, "argon2") {
		t.Fatalf("user list: %d\n%s", code, out)
	}
}

// The demo prints the web UI's address and one login per demo user.
func TestPrintDemoLogins(t *testing.T) {
	var b bytes.Buffer
	printDemo(&b, "http://127.0.0.1:8080", &demo.Result{Logins: []demo.Login{
		{Username: "admin", Role: "admin", Password: "p1"},
		{Username: "collector.a", Role: "collector", AgencyID: "demo-agency-a", Password: "p2"},
	}, SamplePhone: "+8610000000000"})
	out := b.String()
	for _, want := range []string{"web UI     http://127.0.0.1:8080/login", "admin        p1                 admin\n",
		"collector.a  p2                 collector (demo-agency-a)\n", "http://127.0.0.1:8080/portal/login   phone +8610000000000",
		"http://127.0.0.1:8080/outbox"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo banner lacks %q:\n%s", want, out)
		}
	}
}
