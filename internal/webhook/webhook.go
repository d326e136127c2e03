// Package webhook posts JSON to another system's endpoint, signed so that the
// receiver can tell it came from this fairdebt and was not replayed: the dialer
// that places calls and the gateway that sends one-time codes receive them.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// SignatureHeader carries "t=<unix seconds>,v1=<hex HMAC-SHA256>" of the string
// "<unix seconds>.<body>" under the shared secret: the receiver recomputes it,
// compares in constant time and rejects old timestamps, so that a captured
// request cannot be replayed later.
const SignatureHeader = "Fairdebt-Signature"

// MinSecretLen is the shortest secret accepted, in bytes.
const MinSecretLen = 32

// Poster posts signed JSON to one endpoint.
type Poster struct {
	url    string
	secret []byte
	client *http.Client
	now    func() time.Time
}

// New returns a Poster to endpoint (https, or http to a loopback address),
// signing with secret. Posts time out after timeout (10 s when 0).
func New(endpoint string, secret []byte, timeout time.Duration) (*Poster, error) {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && loopback(u.Hostname()))) {
		return nil, fmt.Errorf("%q is not an https URL (plain http only to localhost)", endpoint)
	}
	if len(secret) < MinSecretLen {
		return nil, fmt.Errorf("the secret must be at least %d bytes", MinSecretLen)
	}
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	return &Poster{url: u.String(), secret: secret, client: &http.Client{Timeout: timeout,
		// A redirect would send personal data somewhere not configured.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		now: time.Now}, nil
}

func loopback(host string) bool { return host == "localhost" || host == "127.0.0.1" || host == "::1" }

// Host is the endpoint's host, for logs and pages.
func (p *Poster) Host() string {
	u, _ := url.Parse(p.url)
	return u.Host
}

// Post sends body with an Idempotency-Key (a retry must not act twice); any
// answer but 2xx is an error.
func (p *Poster) Post(ctx context.Context, body []byte, idempotencyKey string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(SignatureHeader, Sign(p.secret, body, p.now()))
	req.Header.Set("Idempotency-Key", idempotencyKey)
	res, err := p.client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("%s answered %s", p.Host(), res.Status)
	}
	return nil
}

// Sign returns the signature header's value for body at t.
func Sign(secret, body []byte, t time.Time) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts + "."))
	m.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a signature header's value for body, made at most maxAge from
// now.
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
		return errors.New("webhook: malformed signature")
	}
	if age := now.Sub(time.Unix(sec, 0)); age > maxAge || age < -maxAge {
		return errors.New("webhook: signature too old")
	}
	want := Sign(secret, body, time.Unix(sec, 0))
	if !hmac.Equal([]byte(want), []byte("t="+ts+",v1="+sig)) {
		return errors.New("webhook: bad signature")
	}
	return nil
}
