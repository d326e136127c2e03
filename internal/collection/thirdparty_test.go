package collection

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/fairdebt/fairdebt/internal/audit"
	"github.com/fairdebt/fairdebt/internal/policy"
	"github.com/fairdebt/fairdebt/internal/secret"
)

// A third party who objects is never reachable again, on any case, including
// cases and parties that come later; the debtor with the same number is not
// affected. Their reports are matched against the record.
func TestThirdPartyObjectsEverywhere(t *testing.T) {
	s, out, setClock := portalWorld(t) // B1 with mother P1 (+8613700000001), case C1 with A; B2, case C2 with B
	ctx := context.Background()
	admin := Principal{Admin: true, Role: RoleAdmin, Name: "admin"}
	// The same number is a colleague of B2's.
	if _, err := s.CreateParty(ctx, admin, PartyInput{ID: "P2", BorrowerID: "B2", Role: "third_party", Name: "Colleague",
		Consent:        &ConsentInput{By: "debtor", Method: "in_app", Evidence: "form"},
		ContactMethods: []ContactMethodInput{{Kind: "phone", Value: "+8613700000001"}}}); err != nil {
		t.Fatal(err)
	}
	// The mother is reachable while B1 is not: three failed calls, then a call to locate him.
	for i := range 3 {
		setClock(time.Date(2026, 11, 2, 2+i, 0, 0, 0, time.UTC))
		a, err := s.Decide(ctx, admin, AttemptInput{CaseID: "C1", PartyID: "B1", Channel: "call"})
		if err != nil || !a.Allowed {
			t.Fatalf("call %d to B1: %+v, %v", i, a, err)
		}
		if _, err := s.Outcome(ctx, admin, a.ID, "no_answer"); err != nil {
			t.Fatal(err)
		}
	}
	locateAt := time.Date(2026, 11, 2, 6, 0, 0, 0, time.UTC) // 14:00 in Shanghai
	setClock(locateAt)
	locate, err := s.Decide(ctx, admin, AttemptInput{CaseID: "C1", PartyID: "P1", Channel: "call", Purpose: "locate"})
	if err != nil || !locate.Allowed {
		t.Fatalf("the locate call to the mother: %+v, %v", locate, err)
	}
	setClock(time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC))

	// She proves her number, typed without +86, and objects and reports two calls:
	// the recorded one, and one two hours later that is on no record.
	send := func() (string, string) {
		t.Helper()
		c, err := s.SendCode(ctx, CodeRequest{Purpose: PurposeThirdParty, Kind: "phone", Value: "13700000001", Client: "tp"})
		if err != nil {
			t.Fatal(err)
		}
		code, to := lastCode(t, out)
		if to != "13700000001" {
			t.Fatalf("the code went to %q", to)
		}
		return c.ID, code
	}
	size, _ := s.audit.Size(ctx)
	ch, code := send()
	res, err := s.ThirdParty(ctx, ThirdPartyInput{Challenge: ch, Code: code, Client: "tp", Object: true,
		Report: &ReportInput{At: locateAt.Add(10 * time.Minute), From: "+86 10 0000 0001", Said: "他们说我儿子欠钱"}})
	if err != nil || !res.Objected || !res.Matched || res.ReportID == "" {
		t.Fatalf("objecting with a matching report: %+v, %v", res, err)
	}
	if _, err := s.ThirdParty(ctx, ThirdPartyInput{Challenge: ch, Code: code, Client: "tp", Object: true}); err != ErrBadCode {
		t.Errorf("the code used again: %v", err)
	}
	ch, code = send()
	res, err = s.ThirdParty(ctx, ThirdPartyInput{Challenge: ch, Code: code, Client: "tp",
		Report: &ReportInput{At: locateAt.Add(2 * time.Hour), Said: "凌晨打电话骂人"}})
	if err != nil || res.Matched {
		t.Fatalf("a report of an unrecorded call: %+v, %v", res, err)
	}
	reports, err := s.Reports(ctx, Principal{Role: RoleRegulator, Name: "reg"}, true)
	if err != nil || len(reports) != 1 || reports[0].ID != res.ReportID || !slices.Equal(reports[0].Agencies, []string{"A", "B"}) ||
		reports[0].Said != "凌晨打电话骂人" {
		t.Errorf("flagged reports: %+v, %v", reports, err)
	}
	all, _ := s.Reports(ctx, admin, false)
	i := slices.IndexFunc(all, func(r Report) bool { return r.ID != res.ReportID })
	if len(all) != 2 || i < 0 || all[i].From != secret.Mask("phone", "+861000000001") || all[i].MatchedAttempt != locate.ID || all[i].Flagged {
		t.Errorf("all reports: %+v", all)
	}
	if _, err := s.Reports(ctx, Principal{AgencyID: "A", Name: "agency"}, true); !IsKind(err, Forbidden) {
		t.Errorf("an agency reading reports: %v", err)
	}
	// One objection leaf per party, by the third party, with a keyed hash only.
	var objections int
	end, _ := s.audit.Size(ctx)
	for i := size; i < end; i++ {
		data, _ := s.audit.Leaf(ctx, i)
		if e, err := audit.ParseLeaf(data); err == nil && e.Type == audit.TypeObjection && e.Actor == "third_party" && e.Digests["contact"] != "" {
			objections++
		}
	}
	if objections != 2 {
		t.Errorf("%d objection leaves, want 2 (P1, P2)", objections)
	}

	// Nobody reaches her again: on either case, nor as a new contact of a new case.
	if _, err := s.CreateBorrower(ctx, admin, BorrowerInput{ID: "B9", LenderID: "L", Name: "B9", Timezone: "Asia/Shanghai",
		ContactMethods: []ContactMethodInput{{Kind: "phone", Value: "+8613700000001"}}}); err != nil { // a debtor with her number
		t.Fatal(err)
	}
	if _, err := s.CreateDebt(ctx, admin, DebtInput{ID: "D9", BorrowerID: "B9", Currency: "CNY", Principal: 1,
		Installments: []InstallmentInput{{DueDate: "2026-10-01", Amount: 1}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateCase(ctx, admin, CaseInput{ID: "C9", DebtID: "D9", AgencyID: "B"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateParty(ctx, admin, PartyInput{ID: "P9", BorrowerID: "B2", Role: "emergency_contact", Name: "New contact",
		Consent:        &ConsentInput{By: "party", Method: "in_app", Evidence: "app"},
		ContactMethods: []ContactMethodInput{{Kind: "phone", Value: "+8613700000001"}}}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ caseID, party, purpose string }{{"C1", "P1", "locate"}, {"C2", "P2", "locate"}, {"C2", "P9", "locate"}} {
		a, err := s.Decide(ctx, admin, AttemptInput{CaseID: tc.caseID, PartyID: tc.party, Channel: "sms", Purpose: tc.purpose,
			Message: "请转告机主回电。"})
		if err != nil || a.Allowed || !slices.ContainsFunc(a.Decision.Violations, func(v policy.Violation) bool { return v.Category == policy.CatOptOut }) {
			t.Errorf("%s on %s after the objection: %+v, %v", tc.party, tc.caseID, a, err)
		}
	}
	if a, err := s.Decide(ctx, admin, AttemptInput{CaseID: "C9", PartyID: "B9", Channel: "call"}); err != nil || !a.Allowed {
		t.Errorf("the debtor who has the same number: %+v, %v", a, err)
	}

	// Bad input changes nothing.
	ch, code = send()
	for name, in := range map[string]ThirdPartyInput{
		"nothing asked": {Challenge: ch, Code: code},
		"a future call": {Challenge: ch, Code: code, Report: &ReportInput{At: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}},
		"a bad number":  {Challenge: ch, Code: code, Report: &ReportInput{At: locateAt, From: "a number"}},
		"a wrong code":  {Challenge: ch, Code: "x", Object: true},
	} {
		if _, err := s.ThirdParty(ctx, in); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := s.ThirdParty(ctx, ThirdPartyInput{Challenge: ch, Code: code, Object: true}); err != nil {
		t.Errorf("the right code after refused inputs: %v", err)
	}
	if _, err := s.SendCode(ctx, CodeRequest{Purpose: PurposeThirdParty, Kind: "email", Value: "a@example.com"}); !IsKind(err, Invalid) {
		t.Errorf("a third party with an e-mail address: %v", err)
	}
}
