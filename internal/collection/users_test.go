package collection

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fairdebt/fairdebt/internal/audit"
)

const testPassword = "a long synthetic passphrase"

func TestCreateUserValidates(t *testing.T) {
	s, _ := newTestService(t, time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC))
	ctx := context.Background()
	admin := Principal{Admin: true, Role: RoleAdmin, Name: "admin"}
	if _, err := s.CreateAgency(ctx, admin, AgencyInput{ID: "AG", Name: "Agency", Approved: true}); err != nil {
		t.Fatal(err)
	}
	ok := UserInput{Username: "wang.collector", Role: RoleCollector, AgencyID: "AG", Password: testPassword}
	u, err := s.CreateUser(ctx, admin, ok)
	if err != nil || u.Username != "wang.collector" || u.Role != RoleCollector || u.AgencyID != "AG" {
		t.Fatalf("CreateUser: %+v, %v", u, err)
	}
	for name, c := range map[string]struct {
		p     Principal
		in    UserInput
		kind  Kind
		field string
	}{
		"not an admin":             {Principal{AgencyID: "AG", Role: RoleAgencyManager}, UserInput{Username: "x-user", Role: RoleCollector, AgencyID: "AG", Password: testPassword}, Forbidden, ""},
		"taken":                    {admin, ok, Conflict, "username"},
		"taken, other case":        {admin, UserInput{Username: "Wang.Collector", Role: RoleCollector, AgencyID: "AG", Password: testPassword}, Conflict, "username"},
		"short username":           {admin, UserInput{Username: "ab", Role: RoleAdmin, Password: testPassword}, Invalid, "username"},
		"odd username":             {admin, UserInput{Username: "li wei", Role: RoleAdmin, Password: testPassword}, Invalid, "username"},
		"unknown role":             {admin, UserInput{Username: "boss", Role: "root", Password: testPassword}, Invalid, "role"},
		"collector without agency": {admin, UserInput{Username: "solo", Role: RoleCollector, Password: testPassword}, Invalid, "agency_id"},
		"admin with agency":        {admin, UserInput{Username: "boss", Role: RoleAdmin, AgencyID: "AG", Password: testPassword}, Invalid, "agency_id"},
		"unknown agency":           {admin, UserInput{Username: "lost", Role: RoleCollector, AgencyID: "NOPE", Password: testPassword}, NotFound, "agency_id"},
		"bad lang":                 {admin, UserInput{Username: "boss", Role: RoleAdmin, Lang: "fr", Password: testPassword}, Invalid, "lang"},
		"short password":           {admin, UserInput{Username: "boss", Role: RoleAdmin, Password: "short"}, Invalid, "password"},
		"password is username":     {admin, UserInput{Username: "boss.of.everything", Role: RoleAdmin, Password: "BOSS.of.everything"}, Invalid, "password"},
		"huge password":            {admin, UserInput{Username: "boss", Role: RoleAdmin, Password: strings.Repeat("x", 2000)}, Invalid, "password"},
	} {
		_, err := s.CreateUser(ctx, c.p, c.in)
		var e *Error
		if !errors.As(err, &e) || e.Kind != c.kind || e.Field != c.field {
			t.Errorf("%s: got %v, want kind %d field %q", name, err, c.kind, c.field)
		}
	}
	users, err := s.Users(ctx, admin)
	if err != nil || len(users) != 1 {
		t.Fatalf("Users: %+v, %v (a refused user was created?)", users, err)
	}
	var stored string
	if err := s.db.R.QueryRow("SELECT password_hash FROM users").Scan(&stored); err != nil || strings.Contains(stored, "passphrase") ||
		!strings.HasPrefix(stored, "$argon2id$") {
		t.Fatalf("stored password %q, %v", stored, err)
	}
}

func TestLoginSessionsAndLimits(t *testing.T) {
	s, clk := newTestService(t, time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC))
	ctx := context.Background()
	admin := Principal{Admin: true, Role: RoleAdmin, Name: "admin"}
	if _, err := s.CreateAgency(ctx, admin, AgencyInput{ID: "AG", Name: "Agency", Approved: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser(ctx, admin, UserInput{Username: "mgr", Role: RoleAgencyManager, AgencyID: "AG", Lang: "zh", Password: testPassword}); err != nil {
		t.Fatal(err)
	}
	token, p, err := s.Login(ctx, " MGR ", testPassword, "192.0.2.1")
	if err != nil || !strings.HasPrefix(token, sessionPrefix) {
		t.Fatalf("Login: %q, %v", token, err)
	}
	want := Principal{AgencyID: "AG", Name: "user:mgr", Role: RoleAgencyManager, UserID: p.UserID, Lang: "zh"}
	if p != want || p.UserID == "" {
		t.Fatalf("principal %+v, want %+v", p, want)
	}
	if got, err := s.Session(ctx, token); err != nil || got != p {
		t.Fatalf("Session: %+v, %v", got, err)
	}
	other, _, err := s.Login(ctx, "mgr", testPassword, "192.0.2.1")
	first, again := s.CSRFToken(token), s.CSRFToken(token)
	if err != nil || other == token || s.CSRFToken(other) == first || first != again {
		t.Fatalf("a second session: %v; tokens and CSRF tokens must differ per session", err)
	}

	// Wrong password and unknown user get the same answer.
	for _, c := range [][2]string{{"mgr", "not the passphrase"}, {"nobody", testPassword}} {
		if _, _, err := s.Login(ctx, c[0], c[1], "192.0.2.1"); err != ErrBadLogin {
			t.Fatalf("Login(%q): %v, want ErrBadLogin", c[0], err)
		}
	}
	// Five failures for a username lock it for the window, even with the right password.
	for range 4 {
		if _, _, err := s.Login(ctx, "mgr", "still not it, sorry", "192.0.2.2"); err != ErrBadLogin {
			t.Fatal(err)
		}
	}
	if _, _, err := s.Login(ctx, "mgr", testPassword, "192.0.2.3"); err != ErrLoginLimited {
		t.Fatalf("sixth sign-in: %v, want ErrLoginLimited", err)
	}
	clk.Add(loginWindow)
	if _, _, err := s.Login(ctx, "mgr", testPassword, "192.0.2.3"); err != nil {
		t.Fatalf("after the window: %v", err)
	}
	// Twenty failures from one client lock that client, whatever the username.
	for i := range loginClientFailures {
		if _, _, err := s.Login(ctx, fmt.Sprintf("guess%d", i), "password guess", "198.51.100.7"); err != ErrBadLogin {
			t.Fatal(err)
		}
	}
	if _, _, err := s.Login(ctx, "mgr", testPassword, "198.51.100.7"); err != ErrLoginLimited {
		t.Fatalf("from a client with 20 failures: %v", err)
	}

	// Logout ends one session; expiry ends the rest.
	if err := s.Logout(ctx, token); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, token); err != ErrNoSession {
		t.Fatalf("after logout: %v", err)
	}
	if _, err := s.Session(ctx, other); err != nil {
		t.Fatalf("the other session: %v", err)
	}
	clk.Add(SessionLifetime)
	if _, err := s.Session(ctx, other); err != ErrNoSession {
		t.Fatalf("after %v: %v", SessionLifetime, err)
	}
	for _, bad := range []string{"", "fdt_x", sessionPrefix, sessionPrefix + strings.Repeat("a", 200)} {
		if _, err := s.Session(ctx, bad); err != ErrNoSession {
			t.Errorf("Session(%q): %v", bad, err)
		}
	}
}

func TestSetPasswordEndsSessions(t *testing.T) {
	s, _ := newTestService(t, time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC))
	ctx := context.Background()
	admin := Principal{Admin: true, Role: RoleAdmin, Name: "admin"}
	if _, err := s.CreateUser(ctx, admin, UserInput{Username: "reg", Role: RoleRegulator, Password: testPassword}); err != nil {
		t.Fatal(err)
	}
	token, _, err := s.Login(ctx, "reg", testPassword, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetPassword(ctx, Principal{Role: RoleRegulator}, "reg", "another long passphrase"); !IsKind(err, Forbidden) {
		t.Fatalf("a regulator set a password: %v", err)
	}
	if err := s.SetPassword(ctx, admin, "nobody", "another long passphrase"); !IsKind(err, NotFound) {
		t.Fatalf("unknown user: %v", err)
	}
	if err := s.SetPassword(ctx, admin, "reg", "short"); !IsKind(err, Invalid) {
		t.Fatalf("short password: %v", err)
	}
	if err := s.SetPassword(ctx, admin, "reg", "another long passphrase"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, token); err != ErrNoSession {
		t.Fatalf("a session outlived the password change: %v", err)
	}
	if _, _, err := s.Login(ctx, "reg", testPassword, "192.0.2.1"); err != ErrBadLogin {
		t.Fatalf("the old password: %v", err)
	}
	if _, p, err := s.Login(ctx, "reg", "another long passphrase", "192.0.2.1"); err != nil || p.Role != RoleRegulator || p.Admin {
		t.Fatalf("the new password: %+v, %v", p, err)
	}
}

// Showing a contact method in full is for the roles that need it, and each time is
// an audit leaf that names who and what, never the value or the reason in clear.
func TestUnmaskIsAudited(t *testing.T) {
	s, _ := newTestService(t, time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC))
	ctx := context.Background()
	admin := Principal{Admin: true, Role: RoleAdmin, Name: "admin"}
	if _, err := s.CreateLender(ctx, admin, LenderInput{ID: "L", Name: "L"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateBorrower(ctx, admin, BorrowerInput{ID: "B", LenderID: "L", Name: "B", Timezone: "Asia/Shanghai",
		ContactMethods: []ContactMethodInput{{Kind: "phone", Value: "+8613612345678"}}}); err != nil {
		t.Fatal(err)
	}
	pt, err := s.Party(ctx, admin, "B")
	if err != nil || len(pt.ContactMethods) != 1 {
		t.Fatal(err)
	}
	m := pt.ContactMethods[0].ID
	before, _ := s.audit.Size(ctx)
	for name, c := range map[string]struct {
		p      Principal
		id     string
		reason string
		kind   Kind
	}{
		"a collector": {Principal{AgencyID: "A", Role: RoleCollector, UserID: "u"}, m, "x", Forbidden},
		"a regulator": {Principal{Role: RoleRegulator}, m, "x", Forbidden},
		"no reason":   {admin, m, "", Invalid},
		"unknown":     {admin, "cm_nope", "x", NotFound},
	} {
		if _, err := s.UnmaskContact(ctx, c.p, c.id, c.reason); !IsKind(err, c.kind) {
			t.Errorf("%s: %v, want kind %d", name, err, c.kind)
		}
	}
	if n, _ := s.audit.Size(ctx); n != before {
		t.Fatalf("refused unmaskings left %d leaves", n-before)
	}
	compliance := Principal{Role: RoleCompliance, Name: "user:comp"}
	v, err := s.UnmaskContact(ctx, compliance, m, "borrower disputes the calls")
	if err != nil || v != "+8613612345678" {
		t.Fatalf("UnmaskContact: %q, %v", v, err)
	}
	n, _ := s.audit.Size(ctx)
	if n != before+1 {
		t.Fatalf("%d leaves for one unmasking", n-before)
	}
	leaf, err := s.audit.Leaf(ctx, before)
	if err != nil {
		t.Fatal(err)
	}
	e, err := audit.ParseLeaf(leaf)
	if err != nil || e.Type != audit.TypeUnmask || e.Actor != "user:comp" || e.Subject["contact_method"] != m || e.Subject["borrower"] != "B" ||
		e.Digests["reason"] == "" {
		t.Fatalf("leaf %s: %+v, %v", leaf, e, err)
	}
	if strings.Contains(string(leaf), "13612345678") || strings.Contains(string(leaf), "disputes") {
		t.Fatalf("the leaf holds clear text: %s", leaf)
	}
}
