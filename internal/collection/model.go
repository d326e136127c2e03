// Package collection is fairdebt's domain service: lenders, agencies, borrowers,
// debts, cases, the people around a debt, and the recording gate that decides,
// records and counts every contact attempt.
//
// Every write goes through the store's single writer, so the gate's decision for a
// debtor and the record of it happen in one serialised transaction: two dialers
// racing for the same borrower can never exceed a cap.
package collection

import (
	"time"

	"github.com/fairdebt/fairdebt/internal/policy"
)

// Lender lends money and owns debts.
type Lender struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Pack is the rule pack the lender chose for its borrowers: a borrower created
	// without one of its own gets it. Empty: the server's default pack.
	Pack      string    `json:"pack"`
	CreatedAt time.Time `json:"created_at"`
}

// Agency collects debts a lender assigns to it. Only approved agencies (the lender's
// white list) may be assigned cases or use the API.
type Agency struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Approved  bool      `json:"approved"`
	CreatedAt time.Time `json:"created_at"`
}

// Borrower owes one or more debts.
type Borrower struct {
	ID       string `json:"id"`
	LenderID string `json:"lender_id"`
	Name     string `json:"name"`
	// Timezone is the borrower's IANA time zone; quiet hours and days are counted here.
	Timezone string `json:"timezone"`
	// Pack is the rule pack that governs contact with this borrower.
	Pack string `json:"pack"`
	// IDNumber is the national ID number, masked; the full number is stored sealed.
	IDNumber string `json:"id_number,omitempty"`
	// Inconvenient are the times of day ("09:00-17:30", the borrower's zone) the
	// borrower said are inconvenient for them.
	Inconvenient []string  `json:"inconvenient"`
	Holds        []Hold    `json:"holds"`
	CreatedAt    time.Time `json:"created_at"`
}

// Debt is money a borrower owes a lender, repaid by installments.
type Debt struct {
	ID         string `json:"id"`
	BorrowerID string `json:"borrower_id"`
	LenderID   string `json:"lender_id"`
	Currency   string `json:"currency"`
	// Principal and Fees are in minor units (fen, cents).
	Principal    int64         `json:"principal"`
	Fees         int64         `json:"fees"`
	Installments []Installment `json:"installments"`
	// Outstanding is what remains unpaid of the installments, in minor units.
	Outstanding int64 `json:"outstanding"`
	// DaysPastDue counts days since the earliest unpaid installment fell due, in the
	// borrower's time zone; 0 when nothing is overdue.
	DaysPastDue int       `json:"days_past_due"`
	CreatedAt   time.Time `json:"created_at"`
}

// Installment is one scheduled repayment.
type Installment struct {
	DueDate string `json:"due_date" format:"date"`
	Amount  int64  `json:"amount"`
	Paid    int64  `json:"paid"`
}

// Case statuses.
const (
	CaseOpen   = "open"
	CasePaused = "paused"
	CaseClosed = "closed"
)

// Case is a debt assigned to an agency for collection.
type Case struct {
	ID         string `json:"id"`
	DebtID     string `json:"debt_id"`
	BorrowerID string `json:"borrower_id"`
	AgencyID   string `json:"agency_id"`
	// CollectorID is the user whose worklist the case is on, if any.
	CollectorID string    `json:"collector_id,omitempty"`
	Status      string    `json:"status" enum:"open,paused,closed"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Consent is the record of a person agreeing to be contacted about a borrower.
type Consent struct {
	// By is who gave the consent: "party" (the person themself) or "debtor".
	By string `json:"by" enum:"party,debtor"`
	// Method is how it was given.
	Method string `json:"method" enum:"written,recorded_call,in_app,in_person"`
	// Evidence points at the proof (a document id, a recording id).
	Evidence  string     `json:"evidence"`
	At        time.Time  `json:"at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// Party is a person the case knows: the debtor, an attorney, an emergency contact
// the debtor named with consent, or another person.
type Party struct {
	ID             string          `json:"id"`
	BorrowerID     string          `json:"borrower_id"`
	Role           string          `json:"role" enum:"debtor,attorney,emergency_contact,third_party"`
	Name           string          `json:"name"`
	Relation       string          `json:"relation"`
	Consent        *Consent        `json:"consent,omitempty"`
	ObjectedAt     *time.Time      `json:"objected_at,omitempty"`
	ContactMethods []ContactMethod `json:"contact_methods"`
	CreatedAt      time.Time       `json:"created_at"`
}

// ContactMethod is a phone number, e-mail address or IM id, shown masked.
type ContactMethod struct {
	ID     string `json:"id"`
	Kind   string `json:"kind" enum:"phone,email,im"`
	Masked string `json:"masked"`
}

// OptOut is a person's request not to be contacted on one channel.
type OptOut struct {
	PartyID   string    `json:"party_id"`
	Channel   string    `json:"channel"`
	Source    string    `json:"source"`
	CreatedAt time.Time `json:"created_at"`
}

// Hold stops some or all contact with a borrower (a dispute, a cease request, an
// attorney, a repayment plan in good standing...). Which contact it stops is the
// rule pack's business.
type Hold struct {
	Hold      string    `json:"hold" enum:"dispute,cease,attorney,deceased,bankrupt,hospitalized,plan_active,paid"`
	Note      string    `json:"note"`
	CreatedAt time.Time `json:"created_at"`
}

// Attempt is one proposed contact and the gate's decision on it. Denied attempts
// are recorded too.
type Attempt struct {
	ID              string    `json:"id"`
	CaseID          string    `json:"case_id"`
	BorrowerID      string    `json:"borrower_id"`
	AgencyID        string    `json:"agency_id"`
	PartyID         string    `json:"party_id"`
	PartyRole       string    `json:"party_role"`
	ContactMethodID string    `json:"contact_method_id,omitempty"`
	Channel         string    `json:"channel"`
	Purpose         string    `json:"purpose"`
	At              time.Time `json:"at"`
	Pack            string    `json:"pack"`
	Allowed         bool      `json:"allowed"`
	// Decision is the decision document, exactly as `fairdebt check` prints it.
	Decision policy.Decision `json:"decision"`
	// Result is the outcome reported for an allowed attempt; "pending" until one
	// arrives (a pending attempt counts as made).
	Result         string     `json:"result"`
	ResultAt       *time.Time `json:"result_at,omitempty"`
	IdempotencyKey string     `json:"idempotency_key,omitempty"`
	// Actor is who asked for the attempt: "user:<username>" or an API token's name.
	Actor string `json:"actor,omitempty"`
}

// Promise is a borrower's promise to pay an amount by a date.
type Promise struct {
	ID        string    `json:"id"`
	CaseID    string    `json:"case_id"`
	Amount    int64     `json:"amount"`
	DueDate   string    `json:"due_date" format:"date"`
	Status    string    `json:"status" enum:"open,kept,broken"`
	CreatedAt time.Time `json:"created_at"`
}
