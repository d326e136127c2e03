package loadgen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/sync/errgroup"
)

// errPagingIgnored reports a list that does not honour limit and after.
var errPagingIgnored = errors.New("the server ignores limit and after")

type caseItem struct {
	ID         string `json:"id"`
	BorrowerID string `json:"borrower_id"`
}

// Discover lists the open cases the token sees (at most limit; all when limit <= 0)
// and each case's debtor and emergency contacts, through the API, paging through
// GET /v1/cases.
func Discover(ctx context.Context, client *http.Client, baseURL, token string, limit int) ([]Target, error) {
	d := &discovery{ctx: ctx, client: client, base: strings.TrimRight(baseURL, "/"), token: token, limit: limit}
	cases, err := d.cases()
	if err != nil {
		return nil, err
	}
	if limit > 0 && len(cases) > limit {
		cases = cases[:limit]
	}
	return d.targets(cases)
}

type discovery struct {
	ctx          context.Context
	client       *http.Client
	base, token  string
	limit        int
	requestLimit int // 1000 when 0
}

// page lists path with limit and after until an empty page, or until more than n
// items when n > 0. It asks for one page past a short one, because a short page
// may only mean the server ignored the limit.
func page[T any](d *discovery, path string, q url.Values, id func(T) string, n int) ([]T, error) {
	pageSize := d.requestLimit
	if pageSize == 0 {
		pageSize = 1000
	}
	var out []T
	after := ""
	for n <= 0 || len(out) < n {
		var p struct {
			Items []T `json:"items"`
		}
		q.Set("limit", fmt.Sprint(pageSize))
		q.Del("after")
		if after != "" {
			q.Set("after", after)
		}
		if err := d.get(path+"?"+q.Encode(), &p); err != nil {
			return nil, err
		}
		if len(p.Items) == 0 {
			break
		}
		if len(p.Items) > pageSize || (after != "" && id(p.Items[0]) <= after) {
			return nil, fmt.Errorf("GET %s: %w", path, errPagingIgnored)
		}
		out = append(out, p.Items...)
		after = id(p.Items[len(p.Items)-1])
	}
	return out, nil
}

func (d *discovery) cases() ([]caseItem, error) {
	return page(d, "/v1/cases", url.Values{"status": {"open"}}, func(c caseItem) string { return c.ID }, d.limit)
}

// targets finds the parties of each case's borrower.
func (d *discovery) targets(cases []caseItem) ([]Target, error) {
	type parties struct {
		debtor   string
		contacts []string
	}
	index := map[string]int{}
	var borrowers []string
	for _, c := range cases {
		if _, ok := index[c.BorrowerID]; !ok {
			index[c.BorrowerID] = len(borrowers)
			borrowers = append(borrowers, c.BorrowerID)
		}
	}
	found := make([]parties, len(borrowers))
	err := d.each(len(borrowers), func(i int) error {
		var list struct {
			Items []struct {
				ID   string `json:"id"`
				Role string `json:"role"`
			} `json:"items"`
		}
		if err := d.get("/v1/borrowers/"+url.PathEscape(borrowers[i])+"/parties", &list); err != nil {
			return err
		}
		for _, it := range list.Items {
			switch it.Role {
			case "debtor":
				found[i].debtor = it.ID
			case "emergency_contact":
				found[i].contacts = append(found[i].contacts, it.ID)
			}
		}
		if found[i].debtor == "" {
			return fmt.Errorf("borrower %s has no debtor party", borrowers[i])
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]Target, 0, len(cases))
	for _, c := range cases {
		p := found[index[c.BorrowerID]]
		out = append(out, Target{CaseID: c.ID, Debtor: p.debtor, Contacts: p.contacts})
	}
	return out, nil
}

// each runs f(0..n-1) on a few goroutines and returns the first error.
func (d *discovery) each(n int, f func(int) error) error {
	var g errgroup.Group
	g.SetLimit(8)
	for i := range n {
		g.Go(func() error { return f(i) })
	}
	return g.Wait()
}

func (d *discovery) get(pathQuery string, out any) error {
	req, err := http.NewRequestWithContext(d.ctx, http.MethodGet, d.base+pathQuery, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+d.token)
	resp, err := d.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		msg := strings.Join(strings.Fields(string(data)), " ")
		if r := []rune(msg); len(r) > 300 {
			msg = string(r[:300]) + "…"
		}
		return fmt.Errorf("GET %s: status %d: %s", req.URL.Path, resp.StatusCode, msg)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("GET %s: %w", req.URL.Path, err)
	}
	return nil
}
