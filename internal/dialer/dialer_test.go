package dialer

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fairdebt/fairdebt/internal/webhook"
)

var testSecret = []byte(strings.Repeat("k", webhook.MinSecretLen))

func TestWebhookSignsAndPosts(t *testing.T) {
	var got Call
	var gotKey string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := webhook.Verify(testSecret, body, r.Header.Get(webhook.SignatureHeader), time.Now(), 5*time.Minute); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		if err := json.Unmarshal(body, &got); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		gotKey = r.Header.Get("Idempotency-Key")
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	w, err := NewWebhook(srv.URL, testSecret, 0)
	if err != nil {
		t.Fatal(err)
	}
	c := Call{AttemptID: "att_1", CaseID: "C1", AgencyID: "A", PartyID: "B1", To: "+8613800000001", Agent: "user:col", At: time.Unix(1_800_000_000, 0).UTC()}
	if err := w.Dial(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	if got != c || gotKey != "att_1" {
		t.Errorf("received %+v (key %q), want %+v", got, gotKey, c)
	}

	// A wrong secret is refused by the receiver, and the refusal is an error.
	bad, _ := NewWebhook(srv.URL, []byte(strings.Repeat("x", webhook.MinSecretLen)), 0)
	if err := bad.Dial(context.Background(), c); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("a wrongly signed call: %v", err)
	}
}

func TestOutboxMasksAndKeepsTheLast(t *testing.T) {
	o := NewOutbox(2)
	for _, n := range []string{"+8613800000001", "+8613800000002", "+8613800000003"} {
		if err := o.Dial(context.Background(), Call{To: n}); err != nil {
			t.Fatal(err)
		}
	}
	calls := o.Calls()
	if len(calls) != 2 || calls[0].To != "+86*******0002" || calls[1].To != "+86*******0003" {
		t.Errorf("outbox %+v", calls)
	}
}
