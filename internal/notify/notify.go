// Package notify sends the short messages fairdebt itself sends to people: the
// one-time codes with which borrowers and third parties prove they hold a phone
// number or e-mail address. A Notifier is an adapter to an SMS or e-mail
// gateway; Outbox sends nothing and keeps the messages for the demo's outbox
// page and for tests.
package notify

import (
	"context"
	"sync"
	"time"
)

// Message is one message to one person.
type Message struct {
	// Kind is "phone" (an SMS) or "email".
	Kind string
	// To is the number or address in full.
	To string
	// Text is the message.
	Text string
	At   time.Time
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
