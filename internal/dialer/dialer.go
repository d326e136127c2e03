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
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/fairdebt/fairdebt/internal/secret"
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

// SignatureHeader carries "t=<unix seconds>,v1=<hex HMAC-SHA256>" of the string
// "<unix seconds>.<body>" under the shared secret: the receiver recomputes it,
// compares in constant time and rejects old timestamps, so that a captured
// request cannot be replayed later.
const SignatureHeader = "Fairdebt-Signature"

// MinSecretLen is the shortest webhook secret accepted, in bytes.
const MinSecretLen = 32

// Webhook posts each call as JSON to a telephony system's endpoint.
type Webhook struct {
	url    string
	secret []byte
	client *http.Client
	now    func() time.Time
}

// NewWebhook returns a Webhook posting to endpoint (https, or http to a loopback
// address), signing with secret. Calls time out after timeout (10 s when 0).
func NewWebhook(endpoint string, secret []byte, timeout time.Duration) (*Webhook, error) {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && loopback(u.Hostname()))) {
		return nil, fmt.Errorf("dialer: %q is not an https URL (plain http only to localhost)", endpoint)
	}
	if len(secret) < MinSecretLen {
		return nil, fmt.Errorf("dialer: the webhook secret must be at least %d bytes", MinSecretLen)
	}
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	return &Webhook{url: u.String(), secret: secret, client: &http.Client{Timeout: timeout,
		// A redirect would send the number somewhere not configured.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		now: time.Now}, nil
}

func loopback(host string) bool { return host == "localhost" || host == "127.0.0.1" || host == "::1" }

// Name reports the endpoint's host.
func (w *Webhook) Name() string {
	u, _ := url.Parse(w.url)
	return "webhook " + u.Host
}

// Sign returns the signature header's value for body at t.
func Sign(secret, body []byte, t time.Time) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts + "."))
	m.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a signature header's value for body, made at most maxAge
// before now.
func Verify(secret, body []byte, header string, now time.Time, maxAge time.Duration) error {
	var ts, sig string
	for _, part := range bytes.Split([]byte(header), []byte(",")) {
		k, v, _ := bytes.Cut(part, []byte("="))
		switch string(k) {
		case "t":
			ts = string(v)
		case "v1":
			sig = string(v)
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sig == "" {
		return errors.New("dialer: malformed signature")
	}
	if age := now.Sub(time.Unix(sec, 0)); age > maxAge || age < -maxAge {
		return errors.New("dialer: signature too old")
	}
	want := Sign(secret, body, time.Unix(sec, 0))
	if !hmac.Equal([]byte(want), []byte("t="+ts+",v1="+sig)) {
		return errors.New("dialer: bad signature")
	}
	return nil
}

// Dial posts the call; any answer but 2xx is an error.
func (w *Webhook) Dial(ctx context.Context, c Call) error {
	body, err := json.Marshal(c)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(SignatureHeader, Sign(w.secret, body, w.now()))
	req.Header.Set("Idempotency-Key", c.AttemptID) // a retry places no second call
	res, err := w.client.Do(req)
	if err != nil {
		return fmt.Errorf("dialer: %w", err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("dialer: %s answered %s", w.Name(), res.Status)
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
