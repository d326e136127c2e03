package webhook

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

var testSecret = []byte(strings.Repeat("k", MinSecretLen))

func TestPostFailures(t *testing.T) {
	for name, h := range map[string]http.HandlerFunc{
		"server error": func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", http.StatusServiceUnavailable) },
		"redirect": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://elsewhere.example/", http.StatusFound)
		},
		"too slow": func(w http.ResponseWriter, r *http.Request) { time.Sleep(300 * time.Millisecond) },
	} {
		srv := httptest.NewServer(h)
		p, err := New(srv.URL, testSecret, 100*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Post(context.Background(), []byte(`{}`), "a"); err == nil {
			t.Errorf("%s: no error", name)
		}
		srv.Close()
	}
	for _, u := range []string{"http://dialer.example/calls", "ftp://localhost/", "not a url", "https://"} {
		if _, err := New(u, testSecret, 0); err == nil {
			t.Errorf("%q accepted", u)
		}
	}
	if _, err := New("https://dialer.example/calls", []byte("short"), 0); err == nil {
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
