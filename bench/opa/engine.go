package main

import (
	"context"
	"embed"
	"fmt"
	"slices"

	"github.com/fairdebt/fairdebt/internal/policy"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
)

//go:embed policy/*.rego
var regoFS embed.FS

// regoPacks maps a fairdebt pack to the Rego files that express it and the
// query whose value is the set of violated rule ids.
var regoPacks = map[string]struct {
	files []string
	query string
}{
	"cn":     {[]string{"lib.rego", "cn.rego"}, "data.fairdebt.cn.violations"},
	"us":     {[]string{"lib.rego", "us.rego"}, "data.fairdebt.us.violations"},
	"us-ma":  {[]string{"lib.rego", "us.rego", "us_ma.rego"}, "data.fairdebt.us_ma.violations"},
	"us-nyc": {[]string{"lib.rego", "us.rego", "us_nyc.rego"}, "data.fairdebt.us_nyc.violations"},
}

// OPA decides attempts with a pack's rules in Rego, through a prepared query.
type OPA struct {
	pack *policy.Pack
	pq   rego.PreparedEvalQuery
}

// NewOPA compiles the Rego of pack and prepares its query, once.
func NewOPA(ctx context.Context, pack *policy.Pack) (*OPA, error) {
	rp, ok := regoPacks[pack.Name]
	if !ok {
		return nil, fmt.Errorf("no Rego for pack %q", pack.Name)
	}
	opts := []func(*rego.Rego){rego.Query(rp.query), rego.SetRegoVersion(ast.RegoV1)}
	for _, f := range rp.files {
		src, err := regoFS.ReadFile("policy/" + f)
		if err != nil {
			return nil, err
		}
		opts = append(opts, rego.Module(f, string(src)))
	}
	pq, err := rego.New(opts...).PrepareForEval(ctx)
	if err != nil {
		return nil, fmt.Errorf("preparing the Rego of pack %s: %w", pack.Name, err)
	}
	return &OPA{pack: pack, pq: pq}, nil
}

// Decide returns the sorted ids of the rules the attempt breaks. It is what the
// benchmark times for OPA: building the input (Input) and evaluating the query.
func (o *OPA) Decide(ctx context.Context, s *policy.Snapshot, a *policy.Attempt) ([]string, error) {
	rs, err := o.pq.Eval(ctx, rego.EvalParsedInput(Input(o.pack, s, a)))
	if err != nil {
		return nil, err
	}
	if len(rs) != 1 || len(rs[0].Expressions) != 1 {
		return nil, fmt.Errorf("unexpected result set %v", rs)
	}
	vs, ok := rs[0].Expressions[0].Value.([]any)
	if !ok {
		return nil, fmt.Errorf("violations: unexpected value %T", rs[0].Expressions[0].Value)
	}
	ids := make([]string, len(vs))
	for i, v := range vs {
		if ids[i], ok = v.(string); !ok {
			return nil, fmt.Errorf("violations: unexpected member %T", v)
		}
	}
	slices.Sort(ids)
	return ids, nil
}

// FairdebtIDs returns the sorted ids of the rules fairdebt's decision reports.
func FairdebtIDs(d policy.Decision) []string {
	ids := make([]string, len(d.Violations))
	for i, v := range d.Violations {
		ids[i] = v.Rule
	}
	slices.Sort(ids)
	return ids
}
