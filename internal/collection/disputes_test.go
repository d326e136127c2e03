package collection

import (
	"bytes"
	"context"
	"testing"
)

// A dispute holds collection until the lender answers with evidence; the
// borrower sees the answer and its files.
func TestDisputeAnswered(t *testing.T) {
	s, _, _ := portalWorld(t)
	ctx := context.Background()
	admin := Principal{Admin: true, Role: RoleAdmin, Name: "admin"}
	borrower := Principal{Role: RoleBorrower, Name: "borrower", BorrowerID: "B1"}
	comp := Principal{Role: RoleCompliance, Name: "user:comp"}
	statement := []byte("Statement: instalment of 2026-10-01 unpaid; transfers received: none.\n")
	files := []EvidenceFile{{Name: "statement.txt", Data: statement}}
	if _, err := s.AnswerDispute(ctx, comp, "B1", "No payment arrived.", files); err != ErrNoDispute {
		t.Fatalf("no dispute to answer: %v", err)
	}
	if _, err := s.CreateHold(ctx, borrower, "B1", HoldInput{Hold: "dispute", Note: "I paid in October"}); err != nil {
		t.Fatal(err)
	}
	if b, _ := s.Borrower(ctx, admin, "B1"); len(b.Holds) != 1 || b.Holds[0].Hold != "dispute" {
		t.Fatalf("holds while disputed: %+v", b.Holds)
	}
	for name, tc := range map[string]struct {
		p     Principal
		text  string
		files []EvidenceFile
		kind  Kind
	}{
		"no evidence":        {comp, "No payment arrived.", nil, Invalid},
		"no text":            {comp, " ", files, Invalid},
		"an agency":          {Principal{AgencyID: "A", Name: "agency"}, "x", files, Forbidden},
		"the borrower":       {borrower, "x", files, Forbidden},
		"a program as proof": {comp, "x", []EvidenceFile{{Name: "proof.png", Data: []byte("MZ\x90\x00")}}, Invalid},
	} {
		if _, err := s.AnswerDispute(ctx, tc.p, "B1", tc.text, tc.files); !IsKind(err, tc.kind) {
			t.Errorf("%s: %v", name, err)
		}
	}
	a, err := s.AnswerDispute(ctx, comp, "B1", "No payment arrived: see the statement.", files)
	if err != nil || len(a.Evidence) != 1 {
		t.Fatalf("answering: %+v, %v", a, err)
	}
	if b, _ := s.Borrower(ctx, admin, "B1"); len(b.Holds) != 0 {
		t.Errorf("holds after the answer: %+v", b.Holds)
	}
	answers, err := s.DisputeAnswers(ctx, borrower, "B1")
	if err != nil || len(answers) != 1 || answers[0].Text != "No payment arrived: see the statement." || len(answers[0].Evidence) != 1 {
		t.Fatalf("the borrower's view: %+v, %v", answers, err)
	}
	if _, data, err := s.DisputeEvidence(ctx, borrower, a.ID, a.Evidence[0].SHA256); err != nil || !bytes.Equal(data, statement) {
		t.Errorf("the borrower downloading the evidence: %q, %v", data, err)
	}
	other := Principal{Role: RoleBorrower, Name: "borrower", BorrowerID: "B2"}
	if _, _, err := s.DisputeEvidence(ctx, other, a.ID, a.Evidence[0].SHA256); !IsKind(err, NotFound) {
		t.Errorf("another borrower downloading it: %v", err)
	}
	if _, err := s.DisputeAnswers(ctx, Principal{AgencyID: "B", Name: "agency B"}, "B1"); !IsKind(err, NotFound) {
		t.Errorf("another agency listing the answers: %v", err)
	}
	verifyAuditLog(t, s)
}
