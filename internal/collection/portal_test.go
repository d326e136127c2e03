package collection

import (
	"context"
	"errors"
	"regexp"
	"testing"
	"time"

	"github.com/fairdebt/fairdebt/internal/audit"
	"github.com/fairdebt/fairdebt/internal/notify"
)

// portalWorld is borrower B1 (phone +8613800000000, case C1 with agency A) with an
// emergency contact, P1, who consented; B2's case is with agency B.
func portalWorld(t *testing.T) (*Service, *notify.Outbox, func(time.Time)) {
	t.Helper()
	s, clk := newTestService(t, time.Date(2026, 11, 2, 2, 0, 0, 0, time.UTC)) // 10:00 in Shanghai
	out := notify.NewOutbox(0)
	s.notifier = out
	ctx := context.Background()
	admin := Principal{Admin: true, Role: RoleAdmin, Name: "admin"}
	seedCases(t, s, []string{"A", "B"}, "A", "B")
	if _, err := s.CreateParty(ctx, admin, PartyInput{ID: "P1", BorrowerID: "B1", Role: "emergency_contact", Name: "Mother", Relation: "parent",
		Consent:        &ConsentInput{By: "party", Method: "recorded_call", Evidence: "rec-1"},
		ContactMethods: []ContactMethodInput{{Kind: "phone", Value: "+8613700000001"}}}); err != nil {
		t.Fatal(err)
	}
	return s, out, clk.Set
}

var codeIn = regexp.MustCompile(`\d{6}`)

// lastCode returns the code in the outbox's newest message, to whom it went.
func lastCode(t *testing.T, out *notify.Outbox) (code, to string) {
	t.Helper()
	msgs := out.Messages()
	if len(msgs) == 0 {
		t.Fatal("no message was sent")
	}
	m := msgs[len(msgs)-1]
	return codeIn.FindString(m.Text), m.To
}

func TestBorrowerSignsInWithACode(t *testing.T) {
	s, out, setClock := portalWorld(t)
	ctx := context.Background()
	// The number as the borrower types it, without the country code.
	c, err := s.SendCode(ctx, CodeRequest{Purpose: PurposeBorrower, Kind: "phone", Value: "138 0000 0000", Client: "1.2.3.4", Lang: "en"})
	if err != nil {
		t.Fatal(err)
	}
	code, to := lastCode(t, out)
	// Shown masked as typed, so that the answer is the same for a number no
	// borrower has.
	if to != "+8613800000000" || code == "" || c.SentTo != "138****0000" {
		t.Fatalf("sent %q to %q (shown as %q)", code, to, c.SentTo)
	}
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	if _, _, err := s.BorrowerLogin(ctx, c.ID, wrong, "1.2.3.4"); err != ErrBadCode {
		t.Errorf("a wrong code: %v", err)
	}
	token, p, err := s.BorrowerLogin(ctx, c.ID, code, "1.2.3.4")
	if err != nil || p.Role != RoleBorrower || p.BorrowerID != "B1" || p.Name != "borrower" {
		t.Fatalf("signing in: %+v, %v", p, err)
	}
	if _, _, err := s.BorrowerLogin(ctx, c.ID, code, "1.2.3.4"); err != ErrBadCode {
		t.Errorf("a replayed code: %v", err)
	}
	if got, err := s.Session(ctx, token); err != nil || got.BorrowerID != "B1" || got.Role != RoleBorrower {
		t.Errorf("the session: %+v, %v", got, err)
	}
	// A second sign-in finds the same account.
	c2, _ := s.SendCode(ctx, CodeRequest{Purpose: PurposeBorrower, Kind: "phone", Value: "+8613800000000", Client: "1.2.3.4"})
	code2, _ := lastCode(t, out)
	if _, p2, err := s.BorrowerLogin(ctx, c2.ID, code2, "1.2.3.4"); err != nil || p2.UserID != p.UserID {
		t.Errorf("the second sign-in: %+v, %v (first user %s)", p2, err, p.UserID)
	}
	// No password signs a borrower in.
	if _, _, err := s.Login(ctx, "borrower:B1", "", "1.2.3.4"); err == nil {
		t.Error("a borrower's account signed in with a password")
	}

	// An unknown number gets the same answer, and nothing is sent.
	before := len(out.Messages())
	if c, err := s.SendCode(ctx, CodeRequest{Purpose: PurposeBorrower, Kind: "phone", Value: "+8613999999999", Client: "1.2.3.4"}); err != nil || c.ID == "" {
		t.Errorf("an unknown number: %+v, %v", c, err)
	} else if _, _, err := s.BorrowerLogin(ctx, c.ID, "123456", "5.6.7.8"); err != ErrBadCode {
		t.Errorf("a code for an unknown number: %v", err)
	}
	if len(out.Messages()) != before {
		t.Error("a code was sent to an unknown number")
	}
	// A contact's number is not a borrower's.
	if _, err := s.SendCode(ctx, CodeRequest{Purpose: PurposeBorrower, Kind: "phone", Value: "+8613700000001", Client: "1.2.3.4"}); err != nil ||
		len(out.Messages()) != before {
		t.Errorf("a code to an emergency contact's number: %v", err)
	}

	// A code expires.
	c3, _ := s.SendCode(ctx, CodeRequest{Purpose: PurposeBorrower, Kind: "phone", Value: "+8613800000000", Client: "9.9.9.9"})
	code3, _ := lastCode(t, out)
	setClock(time.Date(2026, 11, 2, 2, 11, 0, 0, time.UTC))
	if _, _, err := s.BorrowerLogin(ctx, c3.ID, code3, "9.9.9.9"); err != ErrBadCode {
		t.Errorf("an expired code: %v", err)
	}
	// Codes a day past their expiry are deleted; fresher ones stay.
	var before2 int
	_ = s.db.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM otp_codes").Scan(&before2)
	if n, err := s.PurgeCodes(ctx); err != nil || n != 0 {
		t.Errorf("purging fresh codes: %d, %v", n, err)
	}
	setClock(time.Date(2026, 11, 3, 2, 12, 0, 0, time.UTC))
	if n, err := s.PurgeCodes(ctx); err != nil || int(n) != before2 {
		t.Errorf("purging a day later: %d of %d, %v", n, before2, err)
	}
	// Bad input changes nothing.
	for _, r := range []CodeRequest{
		{Purpose: PurposeBorrower, Kind: "phone", Value: "call me"},
		{Purpose: PurposeBorrower, Kind: "fax", Value: "123456"},
		{Purpose: "admin", Kind: "phone", Value: "+8613800000000"},
	} {
		if _, err := s.SendCode(ctx, r); !IsKind(err, Invalid) {
			t.Errorf("%+v: %v", r, err)
		}
	}
}

func TestCodeLimits(t *testing.T) {
	s, out, _ := portalWorld(t)
	ctx := context.Background()
	req := CodeRequest{Purpose: PurposeBorrower, Kind: "phone", Value: "+8613800000000", Client: "1.1.1.1"}
	// Wrong guesses: CodeTries per code, then the code is dead even when right.
	c, err := s.SendCode(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	code, _ := lastCode(t, out)
	for i := range CodeTries {
		if _, _, err := s.BorrowerLogin(ctx, c.ID, "x"+code[1:], "2.2.2."+string(rune('0'+i))); err != ErrBadCode {
			t.Fatalf("guess %d: %v", i, err)
		}
	}
	if _, _, err := s.BorrowerLogin(ctx, c.ID, code, "3.3.3.3"); err != ErrCodeLimited {
		t.Errorf("the right code after %d wrong guesses: %v", CodeTries, err)
	}
	// Codes to one number: codesPerHour an hour.
	for i := 1; i < codesPerHour; i++ {
		if _, err := s.SendCode(ctx, CodeRequest{Purpose: req.Purpose, Kind: req.Kind, Value: req.Value, Client: "4.4.4." + string(rune('0'+i))}); err != nil {
			t.Fatalf("code %d: %v", i+1, err)
		}
	}
	if _, err := s.SendCode(ctx, CodeRequest{Purpose: req.Purpose, Kind: req.Kind, Value: req.Value, Client: "5.5.5.5"}); err != ErrCodeLimited {
		t.Errorf("code %d within the hour: %v", codesPerHour+1, err)
	}
	// Wrong guesses from one client: refused after codesPerHourClient, whatever the code.
	for range codesPerHourClient {
		_, _, _ = s.BorrowerLogin(ctx, "otp_none", "123456", "6.6.6.6")
	}
	if _, _, err := s.BorrowerLogin(ctx, "otp_none", "123456", "6.6.6.6"); err != ErrCodeLimited {
		t.Errorf("a client guessing on: %v", err)
	}
}

func TestPortalSeesOwnAndActsOnOwn(t *testing.T) {
	s, out, _ := portalWorld(t)
	ctx := context.Background()
	admin := Principal{Admin: true, Role: RoleAdmin, Name: "admin"}
	if _, err := s.Decide(ctx, admin, AttemptInput{CaseID: "C1", PartyID: "B1", Channel: "call"}); err != nil {
		t.Fatal(err)
	}
	toMother, err := s.Decide(ctx, admin, AttemptInput{CaseID: "C1", PartyID: "P1", Channel: "call", Purpose: "locate"})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := s.SendCode(ctx, CodeRequest{Purpose: PurposeBorrower, Kind: "phone", Value: "+8613800000000", Client: "c"})
	code, _ := lastCode(t, out)
	_, p, err := s.BorrowerLogin(ctx, c.ID, code, "c")
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.Portal(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Debts) != 1 || v.Debts[0].ID != "DB1" || v.Debts[0].AgencyName != "A" || v.Debts[0].CaseID != "C1" {
		t.Errorf("debts %+v", v.Debts)
	}
	if len(v.Attempts) != 2 || v.Attempts[0].ID != toMother.ID || v.Attempts[0].PartyRole != "emergency_contact" || v.Attempts[0].Actor != "" {
		t.Errorf("attempts %+v", v.Attempts)
	}
	if len(v.Parties) != 2 {
		t.Errorf("parties %+v", v.Parties)
	}
	if _, err := s.Portal(ctx, admin); !IsKind(err, Forbidden) {
		t.Errorf("the portal for an administrator: %v", err)
	}

	// Only their own, and only what is theirs to do.
	for name, f := range map[string]func() error{
		"another borrower":             func() error { _, err := s.Borrower(ctx, p, "B2"); return err },
		"a case through the staff API": func() error { _, err := s.Case(ctx, p, "C1"); return err },
		"a call": func() error {
			_, err := s.Decide(ctx, p, AttemptInput{CaseID: "C1", PartyID: "B1", Channel: "call"})
			return err
		},
		"a contact's opt-out":         func() error { _, err := s.CreateOptOut(ctx, p, OptOutInput{PartyID: "P1", Channel: "sms"}); return err },
		"a paid hold":                 func() error { _, err := s.CreateHold(ctx, p, "B1", HoldInput{Hold: "paid"}); return err },
		"another borrower's hold":     func() error { _, err := s.CreateHold(ctx, p, "B2", HoldInput{Hold: "dispute"}); return err },
		"an objection for the mother": func() error { _, err := s.UpdateParty(ctx, p, "P1", PartyUpdate{Objected: true}); return err },
		"lifting a hold":              func() error { return s.DeleteHold(ctx, p, "B1", "dispute") },
		"unmasking":                   func() error { _, err := s.UnmaskContact(ctx, p, "x", "curious"); return err },
	} {
		if err := f(); err == nil || !(IsKind(err, Forbidden) || IsKind(err, NotFound)) {
			t.Errorf("%s: %v, want refused", name, err)
		}
	}
	if _, err := s.CreateOptOut(ctx, p, OptOutInput{PartyID: "B1", Channel: "sms", Source: "portal"}); err != nil {
		t.Errorf("opting out of SMS: %v", err)
	}
	if _, err := s.CreateHold(ctx, p, "B1", HoldInput{Hold: "dispute", Note: "I repaid in October"}); err != nil {
		t.Errorf("disputing: %v", err)
	}
	size, _ := s.audit.Size(ctx)
	if _, err := s.UpdateParty(ctx, p, "P1", PartyUpdate{RevokeConsent: true}); err != nil {
		t.Fatalf("withdrawing the mother's designation: %v", err)
	}
	data, err := s.audit.Leaf(ctx, size)
	if err != nil {
		t.Fatal(err)
	}
	if e, err := audit.ParseLeaf(data); err != nil || e.Type != audit.TypeConsent || e.Actor != "borrower" {
		t.Errorf("the withdrawal's leaf: %+v, %v", e, err)
	}
	if err := s.DeleteHold(ctx, admin, "B1", "dispute"); err != nil {
		t.Fatal(err)
	}
	// The gate treats the mother as someone no longer designated.
	a, err := s.Decide(ctx, admin, AttemptInput{CaseID: "C1", PartyID: "P1", Channel: "call", Purpose: "locate"})
	if err != nil || a.Allowed {
		t.Errorf("calling the mother after the withdrawal: %+v, %v", a, err)
	}
}

// The times a borrower said are inconvenient bind the gate at once (pack us):
// set in the portal or by the agency, checked, audited.
func TestInconvenientTimes(t *testing.T) {
	s, clk := newTestService(t, time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC)) // 10:00 in New York
	ctx := context.Background()
	admin := Principal{Admin: true, Role: RoleAdmin, Name: "admin"}
	seedCases(t, s, []string{"A"}, "A")
	if _, err := s.CreateBorrower(ctx, admin, BorrowerInput{ID: "US1", LenderID: "L", Name: "US1", Timezone: "America/New_York", Pack: "us",
		ContactMethods: []ContactMethodInput{{Kind: "phone", Value: "+12125550100"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateDebt(ctx, admin, DebtInput{ID: "DUS", BorrowerID: "US1", Currency: "USD", Principal: 100,
		Installments: []InstallmentInput{{DueDate: "2026-10-01", Amount: 100}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateCase(ctx, admin, CaseInput{ID: "CUS", DebtID: "DUS", AgencyID: "A"}); err != nil {
		t.Fatal(err)
	}
	call := func() *Attempt {
		t.Helper()
		a, err := s.Decide(ctx, admin, AttemptInput{CaseID: "CUS", PartyID: "US1", Channel: "sms", Message: "Please call us back."})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	if a := call(); !a.Allowed {
		t.Fatalf("before any inconvenient time: %+v", a.Decision)
	}
	borrower := Principal{Role: RoleBorrower, Name: "borrower", BorrowerID: "US1"}
	size, _ := s.audit.Size(ctx)
	got, err := s.SetInconvenientTimes(ctx, borrower, "US1", []string{" 09:00-17:30 ", "09:00-17:30"})
	if err != nil || len(got) != 1 || got[0] != "09:00-17:30" {
		t.Fatalf("setting: %v, %v", got, err)
	}
	a := call()
	if a.Allowed || a.Decision.Violations[0].Rule != "us.inconvenient_times" ||
		!a.Decision.NextAllowedAt.Equal(time.Date(2026, 11, 24, 22, 30, 0, 0, time.UTC)) {
		t.Errorf("inside the time: %+v", a.Decision)
	}
	if b, _ := s.Borrower(ctx, admin, "US1"); len(b.Inconvenient) != 1 {
		t.Errorf("the borrower shows %v", b.Inconvenient)
	}
	if end, _ := s.audit.Size(ctx); end != size+2 { // the change and the denied attempt
		t.Errorf("%d leaves for a change and an attempt", end-size)
	}
	for name, tc := range map[string]struct {
		p       Principal
		id      string
		windows []string
		kind    Kind
	}{
		"not a span":       {borrower, "US1", []string{"9 to 5"}, Invalid},
		"too many":         {borrower, "US1", []string{"01:00-02:00", "03:00-04:00", "05:00-06:00", "07:00-08:00", "10:00-11:00"}, Invalid},
		"another borrower": {borrower, "B1", nil, NotFound},
		"a regulator":      {Principal{Role: RoleRegulator, Name: "reg"}, "US1", nil, Forbidden},
	} {
		if _, err := s.SetInconvenientTimes(ctx, tc.p, tc.id, tc.windows); !IsKind(err, tc.kind) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// The agency clears them, as the borrower asks on a call.
	if _, err := s.SetInconvenientTimes(ctx, Principal{AgencyID: "A", Name: "agency"}, "US1", nil); err != nil {
		t.Fatal(err)
	}
	clk.Set(clk.Now().Add(time.Minute))
	if a := call(); !a.Allowed {
		t.Errorf("after clearing: %+v", a.Decision)
	}
}

type failingNotifier struct{}

func (failingNotifier) Send(context.Context, notify.Message) error { return errors.New("gateway down") }

// Without a gateway no code is asked for at all; with a failing one, a known
// number's answer is the same challenge as an unknown number's (the error is for
// the log), so that a gateway's failure does not tell who is a borrower.
func TestCodesWithoutAGateway(t *testing.T) {
	s, _, _ := portalWorld(t)
	ctx := context.Background()
	s.notifier = notify.Unconfigured{}
	for _, v := range []string{"+8613800000000", "+8613999999999"} {
		if _, err := s.SendCode(ctx, CodeRequest{Purpose: PurposeBorrower, Kind: "phone", Value: v, Client: "c"}); err != ErrNoGateway {
			t.Errorf("%s without a gateway: %v", v, err)
		}
	}
	s.notifier = failingNotifier{}
	known, err := s.SendCode(ctx, CodeRequest{Purpose: PurposeBorrower, Kind: "phone", Value: "+8613800000000", Client: "c"})
	var notSent *CodeNotSentError
	if known == nil || !errors.As(err, &notSent) {
		t.Errorf("a known number, the gateway down: %+v, %v", known, err)
	}
	unknown, err := s.SendCode(ctx, CodeRequest{Purpose: PurposeBorrower, Kind: "phone", Value: "+8613999999999", Client: "c"})
	if unknown == nil || err != nil || len(unknown.ID) != len(known.ID) {
		t.Errorf("an unknown number: %+v, %v", unknown, err)
	}
}
