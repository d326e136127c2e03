// Package dialer places the calls the compliance gate allowed. A collector never
// needs the number: they press "call", the gate decides and records, and only an
// allowed call is handed to a Dialer with the number in full, which rings the
// collector's line and then the person's. The dialer reports what happened with
// the API's record-outcome operation, using its agency's token.
//
// Two dialers come with fairdebt: Webhook, which posts each call, signed, to a
// telephony system's endpoint, and Outbox, which places nothing and keeps the last
// calls (numbers masked) for the demo and for tests.
package dialer

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/fairdebt/fairdebt/internal/secret"
	"github.com/fairdebt/fairdebt/internal/webhook"
)

// Call is one call the gate allowed, for a dialer to place.
type Call struct {
	// AttemptID names the recorded attempt; the dialer reports the outcome
	// against it (POST /v1/attempts/{id}/outcome).
	AttemptID string `json:"attempt_id"`
	CaseID    string `json:"case_id"`
	AgencyID  string `json:"agency_id"`
	PartyID   string `json:"party_id"`
	// To is the number to ring, in full (E.164).
	To string `json:"to"`
	// Agent is who pressed "call": "user:<username>".
	Agent string `json:"agent"`
	// At is when the gate allowed the call.
	At time.Time `json:"at"`
}

// Dialer places allowed calls.
type Dialer interface {
	// Dial hands the call over for placing; it returns once the dialer has
	// accepted it, not when the call ends.
	Dial(ctx context.Context, c Call) error
	// Name says what places the calls, for logs and for the page that says a
	// call is being placed.
	Name() string
}

// ---- Webhook

// Webhook posts each call as signed JSON (see package webhook) to a telephony
// system's endpoint.
type Webhook struct{ p *webhook.Poster }

// NewWebhook returns a Webhook posting to endpoint (https, or http to a loopback
// address), signing with secret. Calls time out after timeout (10 s when 0).
func NewWebhook(endpoint string, secret []byte, timeout time.Duration) (*Webhook, error) {
	p, err := webhook.New(endpoint, secret, timeout)
	if err != nil {
		return nil, fmt.Errorf("dialer: %w", err)
	}
	return &Webhook{p: p}, nil
}

// Name reports the endpoint's host.
func (w *Webhook) Name() string { return "webhook " + w.p.Host() }

// Dial posts the call, keyed by its attempt: a retry places no second call.
func (w *Webhook) Dial(ctx context.Context, c Call) error {
	body, err := json.Marshal(c)
	if err != nil {
		return err
	}
	if err := w.p.Post(ctx, body, c.AttemptID); err != nil {
		return fmt.Errorf("dialer: %w", err)
	}
	return nil
}

// ---- Outbox

// Outbox places no call: it keeps the last calls handed to it, numbers masked,
// for the demo (which has no telephone line) and for tests.
type Outbox struct {
	mu    sync.Mutex
	calls []Call
	max   int
}

// NewOutbox keeps the last max calls (100 when max is 0).
func NewOutbox(max int) *Outbox {
	if max <= 0 {
		max = 100
	}
	return &Outbox{max: max}
}

// Name says the calls are not placed.
func (o *Outbox) Name() string { return "outbox (demo: no call is placed)" }

// Dial keeps the call with its number masked.
func (o *Outbox) Dial(_ context.Context, c Call) error {
	c.To = secret.Mask("phone", c.To)
	o.mu.Lock()
	defer o.mu.Unlock()
	o.calls = append(o.calls, c)
	if len(o.calls) > o.max {
		o.calls = append(o.calls[:0:0], o.calls[len(o.calls)-o.max:]...)
	}
	return nil
}

// Calls returns the kept calls, oldest first.
func (o *Outbox) Calls() []Call {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]Call(nil), o.calls...)
}
