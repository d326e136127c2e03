package loadgen

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/fairdebt/fairdebt/internal/screen"
)

func TestSMSMessageIs120Characters(t *testing.T) {
	if n := utf8.RuneCountInString(SMSMessage); n != 120 {
		t.Errorf("the SMS message has %d characters, want 120", n)
	}
}

// TestSMSMessagePassesTheScreener: the benchmark's SMS is a lawful reminder; if the
// gate denied it, the benchmark would measure denials instead of the mix it claims.
func TestSMSMessagePassesTheScreener(t *testing.T) {
	if got := screen.Default().Categories(SMSMessage); got.Harmful() {
		t.Errorf("the SMS message is screened as %v", got.Names())
	}
}

func TestSummarize(t *testing.T) {
	var d []time.Duration
	for i := 100; i >= 1; i-- {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	got := Summarize(d)
	want := Percentiles{P50: 50 * time.Millisecond, P90: 90 * time.Millisecond, P99: 99 * time.Millisecond, Max: 100 * time.Millisecond}
	if got != want {
		t.Errorf("Summarize = %+v, want %+v", got, want)
	}
	if got := Summarize(nil); got != (Percentiles{}) {
		t.Errorf("Summarize(nil) = %+v, want zeros", got)
	}
	if got := Summarize([]time.Duration{7}); got != (Percentiles{7, 7, 7, 7}) {
		t.Errorf("Summarize(one) = %+v", got)
	}
}

// TestRunCountsAndErrors runs against a fake gate that allows every other attempt
// and fails one request in fifty.
func TestRunCountsAndErrors(t *testing.T) {
	var n, outcomes atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get("Authorization") != "Bearer fdt_test" || !strings.Contains(string(body), `"`) {
			http.Error(w, "bad request", 400)
			return
		}
		if strings.HasSuffix(r.URL.Path, "/outcome") {
			outcomes.Add(1)
			w.WriteHeader(200)
			_, _ = w.Write([]byte(`{"id":"x"}`))
			return
		}
		i := n.Add(1)
		if i%50 == 0 {
			http.Error(w, `{"detail":"boom"}`, 500)
			return
		}
		w.WriteHeader(201)
		_, _ = w.Write([]byte(`{"id":"att_1","allowed":` + map[bool]string{true: "true", false: "false"}[i%2 == 0] + `}`))
	}))
	defer srv.Close()
	res, err := Run(context.Background(), Config{URL: srv.URL, Token: "fdt_test", Clients: 3, Duration: 300 * time.Millisecond,
		Targets: []Target{{CaseID: "C1", Debtor: "B1", Contacts: []string{"P1"}}, {CaseID: "C2", Debtor: "B2"}}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Attempts == 0 || res.Allowed == 0 || res.Denied == 0 || res.Outcomes == 0 {
		t.Errorf("result %+v: want attempts, allowed, denied and outcomes", res)
	}
	if res.Errors == 0 || len(res.ErrorSamples) == 0 || len(res.ErrorSamples) > maxErrorSamples {
		t.Errorf("errors %d, samples %q", res.Errors, res.ErrorSamples)
	}
	if !strings.Contains(res.ErrorSamples[0], "status 500") {
		t.Errorf("sample %q", res.ErrorSamples[0])
	}
	if res.Latency.P50 <= 0 || res.Latency.P50 > res.Latency.P99 || res.Latency.P99 > res.Latency.Max {
		t.Errorf("latency %+v", res.Latency)
	}
	if res.Outcomes > outcomes.Load() {
		t.Errorf("counted %d outcomes, the server saw %d", res.Outcomes, outcomes.Load())
	}
}

func TestScanDecision(t *testing.T) {
	for _, c := range []struct {
		in      string
		id      string
		allowed bool
		ok      bool
	}{
		{`{"id":"att_1","case_id":"C1","allowed":true,"decision":{"allowed":true}}`, "att_1", true, true},
		{`{"id":"att_2","pack":"cn","allowed":false,"decision":{"allowed":false,"violations":[]}}`, "att_2", false, true},
		{`{"id":"att_3","decision":{"allowed":true},"allowed":false}`, "", false, false}, // order not as written by the server
		{`{"case_id":"C1","id":"att_4","allowed":true}`, "", false, false},
		{`{"id":"a\"b","allowed":true}`, "", false, false},
		{`{"id":"att_5","allowed":maybe}`, "", false, false},
		{`{"id":"att_6"}`, "", false, false},
	} {
		id, allowed, ok := scanDecision([]byte(c.in))
		if id != c.id || allowed != c.allowed || ok != c.ok {
			t.Errorf("scanDecision(%s) = %q, %v, %v; want %q, %v, %v", c.in, id, allowed, ok, c.id, c.allowed, c.ok)
		}
	}
}
