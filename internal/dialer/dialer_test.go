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
)

var testSecret = []byte(strings.Repeat("k", MinSecretLen))

func TestWebhookSignsAndPosts(t *testing.T) {
	var got Call
	var gotKey string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := Verify(testSecret, body, r.Header.Get(SignatureHeader), time.Now(), 5*time.Minute); err != nil {
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
	bad, _ := NewWebhook(srv.URL, []byte(strings.Repeat("x", MinSecretLen)), 0)
	if err := bad.Dial(context.Background(), c); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("a wrongly signed call: %v", err)
	}
}

func TestWebhookFailures(t *testing.T) {
	for name, h := range map[string]http.HandlerFunc{
		"server error": func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", http.StatusServiceUnavailable) },
		"redirect": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://elsewhere.example/", http.StatusFound)
		},
		"too slow": func(w http.ResponseWriter, r *http.Request) { time.Sleep(300 * time.Millisecond) },
	} {
		srv := httptest.NewServer(h)
		w, err := NewWebhook(srv.URL, testSecret, 100*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Dial(context.Background(), Call{AttemptID: "a"}); err == nil {
			t.Errorf("%s: no error", name)
		}
		srv.Close()
	}
	for _, u := range []string{"http://dialer.example/calls", "ftp://localhost/", "not a url", "https://"} {
		if _, err := NewWebhook(u, testSecret, 0); err == nil {
			t.Errorf("%q accepted", u)
		}
	}
	if _, err := NewWebhook("https://dialer.example/calls", []byte("short"), 0); err == nil {
		t.Error("a short secret accepted")
	}
}

func TestVerify(t *testing.T) {
	body := []byte(`{"attempt_id":"a"}`)
	now := time.Unix(1_800_000_000, 0)
	sig := Sign(testSecret, body, now)
	if err := Verify(testSecret, body, sig, now.Add(time.Minute), 5*time.Minute); err != nil {
		t.Fatalf("a fresh signature: %v", err)
	}
	for name, tc := range map[string]struct {
		body   string
		header string
		at     time.Time
	}{
		"edited body":     {`{"attempt_id":"b"}`, sig, now},
		"replayed late":   {string(body), sig, now.Add(6 * time.Minute)},
		"from the future": {string(body), Sign(testSecret, body, now.Add(10*time.Minute)), now},
		"no signature":    {string(body), "", now},
		"garbage":         {string(body), "t=x,v1=y", now},
		"other secret":    {string(body), Sign([]byte("another secret, long enough....."), body, now), now},
	} {
		if err := Verify(testSecret, []byte(tc.body), tc.header, tc.at, 5*time.Minute); err == nil {
			t.Errorf("%s: verified", name)
		}
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
