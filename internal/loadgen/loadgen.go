// Package loadgen drives fairdebt's recording gate over HTTP with many concurrent
// clients and measures what it sustains: decisions per second and the latency of
// every POST /v1/attempts. It is the engine of `fairdebt bench attempts`.
package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// SMSMessage is the text of the SMS attempts: 120 Chinese characters (runes), a
// polite reminder that passes the content rules.
const SMSMessage = "您好，这里是守法催收服务。您在示例小额贷款有限公司的借款本期应还款项尚未结清，请在方便时登录官方应用查看账单并安排还款。" +
	"如对金额有疑问，可回复本短信或拨打客服热线咨询，我们将在工作时间为您核实处理。如已还款请忽略本短信，感谢您的配合与理解。"

// Target is one case the clients may work: its debtor and emergency contacts.
type Target struct {
	CaseID   string
	Debtor   string   // the debtor's party id
	Contacts []string // emergency contacts' party ids
}

// Config says what to drive and how hard.
type Config struct {
	URL string // the server's base URL, without /v1
	// Replicas are the base URLs of more processes serving the same database:
	// client i drives the (i mod n)th of URL and Replicas.
	Replicas []string
	Token    string // an agency (or admin) token that sees the targets
	Targets  []Target
	Clients  int
	// Warmup runs before the measured Duration; its requests are not counted
	// (errors excepted: every error counts).
	Duration, Warmup time.Duration
	// Client sends the requests; NewClient(Clients) when nil.
	Client *http.Client
	// Progress, when not nil, is called about once a second from its own goroutine.
	Progress func(Progress)
	// Seed makes the clients' choices reproducible (1 when 0).
	Seed uint64
}

// Progress is a snapshot of a run in progress.
type Progress struct {
	Elapsed  time.Duration // since the start, warmup included
	Warmup   bool          // still warming up
	Attempts int64         // measured attempts so far
	Rate     float64       // attempts per second over the last interval, warmup included
}

// Result is what a run measured. Counts and latencies cover the measured period only;
// Errors counts every failed request, warmup included.
type Result struct {
	Attempts, Allowed, Denied int64
	Outcomes                  int64
	Errors                    int64
	ErrorSamples              []string // the first few errors, one line each
	// Elapsed runs from the end of the warmup until the last measured request ended.
	Elapsed        time.Duration
	Latency        Percentiles // POST /v1/attempts
	OutcomeLatency Percentiles // POST /v1/attempts/{id}/outcome
}

// Rate is the measured decisions per second.
func (r *Result) Rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Attempts) / r.Elapsed.Seconds()
}

// Percentiles summarises a latency distribution.
type Percentiles struct {
	P50, P90, P99, Max time.Duration
}

// maxErrorSamples bounds the error lines a run keeps.
const maxErrorSamples = 5

// NewClient returns an HTTP client whose transport keeps a connection for each of
// clients concurrent requests to one host.
func NewClient(clients int) *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			Proxy:               nil, // loopback benchmarks never go through a proxy
			MaxIdleConns:        clients,
			MaxIdleConnsPerHost: clients,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		},
		Timeout: 30 * time.Second,
	}
}

// Validate reports a configuration Run cannot use.
func (c *Config) Validate() error {
	switch {
	case c.Clients < 1:
		return errors.New("clients: must be at least 1")
	case c.Duration <= 0:
		return errors.New("duration: must be positive")
	case c.Warmup < 0:
		return errors.New("warmup: must not be negative")
	case len(c.Targets) == 0:
		return errors.New("no cases to work")
	}
	return nil
}

// Run drives the server until the warmup and the measured duration have passed or
// ctx ends, and returns what it measured.
func Run(ctx context.Context, c Config) (*Result, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if c.Client == nil {
		c.Client = NewClient(c.Clients)
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	targets := make([]target, len(c.Targets))
	for i, t := range c.Targets {
		targets[i] = newTarget(t)
	}
	begin := time.Now()
	g := &run{
		cfg:          c,
		targets:      targets,
		auth:         "Bearer " + c.Token,
		measureStart: begin.Add(c.Warmup),
		end:          begin.Add(c.Warmup + c.Duration),
	}
	// Preallocate every client's latency record for a generous rate (within reason
	// for long runs), so the measurement does not grow slices while it runs.
	perClient := int(min(c.Duration.Seconds()*20_000, 4<<20))/c.Clients + 1024
	workers := make([]*worker, c.Clients)
	var wg sync.WaitGroup
	for i := range workers {
		base := append([]string{c.URL}, c.Replicas...)[i%(1+len(c.Replicas))]
		w := &worker{run: g, rng: rand.New(rand.NewPCG(c.Seed, uint64(i))), attemptsURL: strings.TrimRight(base, "/") + "/v1/attempts",
			latencies: make([]time.Duration, 0, perClient), outcomeLatencies: make([]time.Duration, 0, perClient/4)}
		workers[i] = w
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.loop(ctx)
		}()
	}
	stop := make(chan struct{})
	var progressDone sync.WaitGroup
	if c.Progress != nil {
		progressDone.Add(1)
		go func() {
			defer progressDone.Done()
			g.report(begin, stop)
		}()
	}
	wg.Wait()
	close(stop)
	progressDone.Wait()

	r := &Result{Errors: g.errors.Load(), ErrorSamples: g.samples}
	var lat, outLat []time.Duration
	var last time.Time
	for _, w := range workers {
		r.Attempts += int64(len(w.latencies))
		r.Allowed += w.allowed
		r.Outcomes += int64(len(w.outcomeLatencies))
		lat = append(lat, w.latencies...)
		outLat = append(outLat, w.outcomeLatencies...)
		if w.lastEnd.After(last) {
			last = w.lastEnd
		}
	}
	r.Denied = r.Attempts - r.Allowed
	if r.Attempts > 0 {
		r.Elapsed = last.Sub(g.measureStart)
	}
	r.Latency, r.OutcomeLatency = Summarize(lat), Summarize(outLat)
	return r, nil
}

// Summarize returns the percentiles of d (nearest rank), sorting d in place.
func Summarize(d []time.Duration) Percentiles {
	if len(d) == 0 {
		return Percentiles{}
	}
	slices.Sort(d)
	at := func(p float64) time.Duration {
		i := int(p*float64(len(d))+0.999999) - 1
		return d[min(max(i, 0), len(d)-1)]
	}
	return Percentiles{P50: at(0.50), P90: at(0.90), P99: at(0.99), Max: d[len(d)-1]}
}

// target is a Target with its request bodies encoded once.
type target struct {
	call, sms []byte   // to the debtor
	locate    [][]byte // a call to each emergency contact, purpose locate
}

func newTarget(t Target) target {
	enc := func(v map[string]string) []byte {
		b, err := json.Marshal(v)
		if err != nil {
			panic(err) // strings only: cannot happen
		}
		return b
	}
	out := target{
		call: enc(map[string]string{"case_id": t.CaseID, "party_id": t.Debtor, "channel": "call", "purpose": "collect"}),
		sms:  enc(map[string]string{"case_id": t.CaseID, "party_id": t.Debtor, "channel": "sms", "purpose": "collect", "message": SMSMessage}),
	}
	for _, p := range t.Contacts {
		out.locate = append(out.locate, enc(map[string]string{"case_id": t.CaseID, "party_id": p, "channel": "call", "purpose": "locate"}))
	}
	return out
}

// run is the state the clients share.
type run struct {
	cfg               Config
	targets           []target
	auth              string
	measureStart, end time.Time

	measured atomic.Int64 // measured attempts, for progress
	all      atomic.Int64 // every attempt, for progress
	errors   atomic.Int64
	mu       sync.Mutex
	samples  []string
}

func (g *run) fail(what string, status int, body []byte, err error) {
	g.errors.Add(1)
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.samples) >= maxErrorSamples {
		return
	}
	var line string
	if err != nil {
		line = fmt.Sprintf("%s: %v", what, err)
	} else {
		line = fmt.Sprintf("%s: status %d: %s", what, status, bytes.TrimSpace(body))
	}
	line = strings.Join(strings.Fields(line), " ")
	if r := []rune(line); len(r) > 300 {
		line = string(r[:300]) + "…"
	}
	g.samples = append(g.samples, line)
}

func (g *run) report(begin time.Time, stop <-chan struct{}) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	prevAll, prevAt := int64(0), begin
	for {
		select {
		case <-stop:
			return
		case now := <-tick.C:
			all := g.all.Load()
			rate := float64(all-prevAll) / now.Sub(prevAt).Seconds()
			prevAll, prevAt = all, now
			g.cfg.Progress(Progress{Elapsed: now.Sub(begin), Warmup: now.Before(g.measureStart), Attempts: g.measured.Load(), Rate: rate})
		}
	}
}

// worker is one client: it sends one request at a time.
type worker struct {
	run              *run
	rng              *rand.Rand
	attemptsURL      string // of the process this client drives
	buf              bytes.Buffer
	latencies        []time.Duration
	outcomeLatencies []time.Duration
	allowed          int64
	lastEnd          time.Time
}

// Outcomes recorded for allowed calls, weighted: mostly failures, so the debtors
// stay callable, some connected, so the post-conversation rules get work.
var callResults = []string{"no_answer", "no_answer", "no_answer", "no_answer", "no_answer", "busy", "busy", "voicemail", "connected", "connected"}

func (w *worker) loop(ctx context.Context) {
	g := w.run
	var decided struct {
		ID      string `json:"id"`
		Allowed bool   `json:"allowed"`
	}
	for ctx.Err() == nil {
		start := time.Now()
		if !start.Before(g.end) {
			return
		}
		t := &g.targets[w.rng.IntN(len(g.targets))]
		body, channel := t.call, "call"
		switch n := w.rng.IntN(100); {
		case n < 10 && len(t.locate) > 0:
			body = t.locate[w.rng.IntN(len(t.locate))]
		case n >= 75:
			body, channel = t.sms, "sms"
		}
		status, data, err := w.post(w.attemptsURL, body)
		end := time.Now()
		if err != nil || status != http.StatusCreated {
			g.fail("POST /v1/attempts", status, data, err)
			if err != nil {
				time.Sleep(10 * time.Millisecond) // the server is gone or choking: do not spin
			}
			continue
		}
		id, allowed, ok := scanDecision(data)
		if !ok {
			decided.ID, decided.Allowed = "", false
			if err := json.Unmarshal(data, &decided); err != nil || decided.ID == "" {
				g.fail("POST /v1/attempts: the answer is not an attempt", status, data, err)
				continue
			}
			id, allowed = decided.ID, decided.Allowed
		}
		g.all.Add(1)
		measured := !start.Before(g.measureStart)
		if measured {
			w.latencies = append(w.latencies, end.Sub(start))
			w.lastEnd = end
			g.measured.Add(1)
			if allowed {
				w.allowed++
			}
		}
		if !allowed || w.rng.IntN(2) == 0 {
			continue
		}
		result := "delivered"
		if channel == "call" {
			result = callResults[w.rng.IntN(len(callResults))]
		}
		what := "POST /v1/attempts/" + id + "/outcome"
		ostart := time.Now()
		status, data, err = w.post(w.attemptsURL+"/"+id+"/outcome", []byte(`{"result":"`+result+`"}`))
		oend := time.Now()
		if err != nil || status != http.StatusOK {
			g.fail(what, status, data, err)
			continue
		}
		if measured {
			w.outcomeLatencies = append(w.outcomeLatencies, oend.Sub(ostart))
			w.lastEnd = oend
		}
	}
}

// scanDecision reads the id and the decision out of an attempt as the server
// writes it, {"id":"...",...,"allowed":...,"decision":{...}...}, without decoding the
// whole document: the load generator shares the CPUs with an in-process server. ok
// is false when the answer does not look like that; the caller then decodes it.
func scanDecision(data []byte) (id string, allowed, ok bool) {
	const idKey, allowedKey = `{"id":"`, `,"allowed":`
	if !bytes.HasPrefix(data, []byte(idKey)) {
		return "", false, false
	}
	rest := data[len(idKey):]
	end := bytes.IndexByte(rest, '"')
	if end <= 0 || bytes.IndexByte(rest[:end], '\\') >= 0 {
		return "", false, false
	}
	id = string(rest[:end])
	// The attempt's own "allowed" comes before its "decision" object.
	i := bytes.Index(rest, []byte(allowedKey))
	if d := bytes.Index(rest, []byte(`"decision":`)); i < 0 || (d >= 0 && d < i) {
		return "", false, false
	}
	switch v := rest[i+len(allowedKey):]; {
	case bytes.HasPrefix(v, []byte("true")):
		return id, true, true
	case bytes.HasPrefix(v, []byte("false")):
		return id, false, true
	}
	return "", false, false
}

// post sends a JSON body and returns the status and the response body, which stays
// valid until the next call.
func (w *worker) post(url string, body []byte) (int, []byte, error) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", w.run.auth)
	resp, err := w.run.cfg.Client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	w.buf.Reset()
	if _, err := w.buf.ReadFrom(io.LimitReader(resp.Body, 1<<20)); err != nil {
		return resp.StatusCode, nil, err
	}
	return resp.StatusCode, w.buf.Bytes(), nil
}
