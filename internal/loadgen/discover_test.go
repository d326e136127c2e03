package loadgen

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// fakeAPI serves cases C01..Cn of borrowers B01..Bn, each with a debtor party named
// after the borrower and one emergency contact; pagedCases says whether GET
// /v1/cases honours limit and after.
func fakeAPI(t *testing.T, n int, pagedCases bool) *httptest.Server {
	ids := func(prefix string) []string {
		var out []string
		for i := 1; i <= n; i++ {
			out = append(out, fmt.Sprintf("%s%02d", prefix, i))
		}
		return out
	}
	pageOf := func(all []string, r *http.Request, paged bool) []string {
		limit, after := 100, ""
		if paged {
			if l, err := strconv.Atoi(r.URL.Query().Get("limit")); err == nil && l > 0 {
				limit = l
			}
			after = r.URL.Query().Get("after")
		}
		i, _ := slices.BinarySearch(all, after+"\x00")
		return all[i:min(len(all), i+limit)]
	}
	write := func(w http.ResponseWriter, items any) {
		_ = json.NewEncoder(w).Encode(map[string]any{"items": items})
	}
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer fdt_t" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		switch p := r.URL.Path; {
		case p == "/v1/cases":
			var items []map[string]string
			for _, id := range pageOf(ids("C"), r, pagedCases) {
				items = append(items, map[string]string{"id": id, "borrower_id": "B" + id[1:]})
			}
			write(w, items)
		case strings.HasPrefix(p, "/v1/borrowers/") && strings.HasSuffix(p, "/parties"):
			b := strings.TrimSuffix(strings.TrimPrefix(p, "/v1/borrowers/"), "/parties")
			write(w, []map[string]string{{"id": b, "role": "debtor"}, {"id": "P" + b, "role": "emergency_contact"}, {"id": "T" + b, "role": "third_party"}})
		default:
			http.NotFound(w, r)
		}
	}))
}

func TestDiscover(t *testing.T) {
	srv := fakeAPI(t, 25, true)
	defer srv.Close()
	for _, limit := range []int{0, 7} {
		targets, err := Discover(context.Background(), srv.Client(), srv.URL+"/", "fdt_t", limit)
		if err != nil {
			t.Fatal(err)
		}
		want := 25
		if limit > 0 {
			want = limit
		}
		if len(targets) != want {
			t.Errorf("limit %d: %d targets, want %d", limit, len(targets), want)
		}
		for _, tg := range targets {
			if tg.Debtor != "B"+tg.CaseID[1:] || !slices.Equal(tg.Contacts, []string{"PB" + tg.CaseID[1:]}) {
				t.Errorf("target %+v", tg)
			}
		}
	}
}

func TestDiscoverSmallPages(t *testing.T) {
	srv := fakeAPI(t, 25, true)
	defer srv.Close()
	d := &discovery{ctx: context.Background(), client: srv.Client(), base: srv.URL, token: "fdt_t", requestLimit: 10}
	cases, err := d.cases()
	if err != nil || len(cases) != 25 || cases[24].ID != "C25" {
		t.Fatalf("cases: %d, %v", len(cases), err)
	}
	bad := fakeAPI(t, 25, false)
	defer bad.Close()
	d.base = bad.URL
	if _, err := d.cases(); err == nil || !strings.Contains(err.Error(), "ignores limit and after") {
		t.Errorf("paging ignored: err = %v", err)
	}
	if _, err := Discover(context.Background(), bad.Client(), bad.URL, "fdt_t", 0); err == nil || !strings.Contains(err.Error(), "ignores limit and after") {
		t.Errorf("Discover with paging ignored: err = %v", err)
	}
	if _, err := Discover(context.Background(), bad.Client(), bad.URL, "wrong", 0); err == nil || !strings.Contains(err.Error(), "status 401") {
		t.Errorf("bad token: err = %v", err)
	}
}
