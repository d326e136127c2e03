// Package notify sends the short messages fairdebt itself sends to people: the
// one-time codes with which borrowers and third parties prove they hold a phone
// number or e-mail address. A Notifier is an adapter to an SMS or e-mail
// gateway: Webhook posts each message, signed, to one; Outbox sends nothing and
// keeps the messages for the demo's outbox page and for tests; Unconfigured
// refuses, so that a deployment without a gateway says so instead of pretending.
package notify

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/fairdebt/fairdebt/internal/webhook"
)

// Message is one message to one person.
type Message struct {
	// Kind is "phone" (an SMS) or "email".
	Kind string `json:"kind"`
	// To is the number or address in full.
	To string `json:"to"`
	// Text is the message.
	Text string    `json:"text"`
	At   time.Time `json:"at"`
}

// Notifier sends messages.
type Notifier interface {
	Send(ctx context.Context, m Message) error
}

// Outbox sends nothing: it keeps the last messages, newest last.
type Outbox struct {
	mu   sync.Mutex
	msgs []Message
	max  int
}

// NewOutbox keeps the last max messages (200 when max is 0).
func NewOutbox(max int) *Outbox {
	if max <= 0 {
		max = 200
	}
	return &Outbox{max: max}
}

// Send keeps m.
func (o *Outbox) Send(_ context.Context, m Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.msgs = append(o.msgs, m)
	if len(o.msgs) > o.max {
		o.msgs = append(o.msgs[:0:0], o.msgs[len(o.msgs)-o.max:]...)
	}
	return nil
}

// Messages returns the kept messages, oldest first.
func (o *Outbox) Messages() []Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]Message(nil), o.msgs...)
}

// Webhook posts each message as signed JSON ({"kind","to","text","at"}; see
// package webhook) to an SMS or e-mail gateway.
type Webhook struct{ p *webhook.Poster }

// NewWebhook returns a Webhook posting to endpoint, signing with secret.
func NewWebhook(endpoint string, secret []byte, timeout time.Duration) (*Webhook, error) {
	p, err := webhook.New(endpoint, secret, timeout)
	if err != nil {
		return nil, fmt.Errorf("notify: %w", err)
	}
	return &Webhook{p: p}, nil
}

// Send posts m with a fresh idempotency key.
func (w *Webhook) Send(ctx context.Context, m Message) error {
	body, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if err := w.p.Post(ctx, body, "msg_"+rand.Text()); err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	return nil
}

// ErrUnconfigured is what Unconfigured answers.
var ErrUnconfigured = errors.New("notify: no SMS or e-mail gateway is configured")

// Unconfigured refuses every message.
type Unconfigured struct{}

// Send refuses m.
func (Unconfigured) Send(context.Context, Message) error { return ErrUnconfigured }
