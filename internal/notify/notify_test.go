package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fairdebt/fairdebt/internal/webhook"
)

func TestOutboxKeepsTheLast(t *testing.T) {
	o := NewOutbox(3)
	for i := range 5 {
		if err := o.Send(context.Background(), Message{Kind: "phone", To: fmt.Sprint(i), Text: "code"}); err != nil {
			t.Fatal(err)
		}
	}
	got := o.Messages()
	if len(got) != 3 || got[0].To != "2" || got[2].To != "4" {
		t.Errorf("outbox %+v", got)
	}
	got[0].To = "changed"
	if o.Messages()[0].To != "2" {
		t.Error("Messages shares the outbox's memory")
	}
}

func TestWebhookSendsSigned(t *testing.T) {
	secret := []byte(strings.Repeat("s", webhook.MinSecretLen))
	var got Message
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := webhook.Verify(secret, body, r.Header.Get(webhook.SignatureHeader), time.Now(), time.Minute); err != nil ||
			r.Header.Get("Idempotency-Key") == "" {
			http.Error(w, "unsigned", http.StatusUnauthorized)
			return
		}
		_ = json.Unmarshal(body, &got)
	}))
	defer srv.Close()
	w, err := NewWebhook(srv.URL, secret, 0)
	if err != nil {
		t.Fatal(err)
	}
	m := Message{Kind: "phone", To: "+8613800000000", Text: "fairdebt: your code is 123456", At: time.Unix(1_800_000_000, 0).UTC()}
	if err := w.Send(context.Background(), m); err != nil || got != m {
		t.Errorf("sent %+v, received %+v: %v", m, got, err)
	}
	if _, err := NewWebhook("http://gateway.example/sms", secret, 0); err == nil {
		t.Error("plain http to another host was accepted")
	}
}

func TestUnconfiguredRefuses(t *testing.T) {
	if err := (Unconfigured{}).Send(context.Background(), Message{}); !errors.Is(err, ErrUnconfigured) {
		t.Errorf("Unconfigured: %v", err)
	}
}
