package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"github.com/fairdebt/fairdebt/internal/policy"
	"go.yaml.in/yaml/v3"
)

// ruleFilter is what decides whether a rule governs an attempt at all: its
// channels, roles and purposes (empty means all) and its effective dates. It is
// read from the pack's YAML so that coverage can tell a rule that passed from a
// rule that did not apply.
type ruleFilter struct {
	ID       string   `yaml:"id"`
	Channels []string `yaml:"channels"`
	Roles    []string `yaml:"roles"`
	Purposes []string `yaml:"purposes"`
	From     string   `yaml:"from"`
	Until    string   `yaml:"until"`
}

// packsDir finds internal/policy/packs of the repository this module lives in.
func packsDir() string {
	if _, file, _, ok := runtime.Caller(0); ok {
		dir := filepath.Join(filepath.Dir(file), "..", "..", "internal", "policy", "packs")
		if _, err := os.Stat(dir); err == nil {
			return dir
		}
	}
	return filepath.Join("..", "..", "internal", "policy", "packs")
}

// loadFilters reads the rule filters of pack (and of the pack it extends).
func loadFilters(pack string) ([]ruleFilter, error) {
	data, err := os.ReadFile(filepath.Join(packsDir(), pack+".yaml"))
	if err != nil {
		return nil, err
	}
	var doc struct {
		Extends string       `yaml:"extends"`
		Rules   []ruleFilter `yaml:"rules"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s.yaml: %w", pack, err)
	}
	var out []ruleFilter
	if doc.Extends != "" {
		if out, err = loadFilters(doc.Extends); err != nil {
			return nil, err
		}
	}
	return append(out, doc.Rules...), nil
}

// applies reports whether f governs attempt a in snapshot s.
func (f *ruleFilter) applies(s *policy.Snapshot, a *policy.Attempt) bool {
	role := policy.ThirdParty
	for _, p := range s.Parties {
		if p.ID == a.Party {
			role = p.Role
			break
		}
	}
	if !matches(f.Channels, a.Channel.String()) || !matches(f.Roles, role.String()) || !matches(f.Purposes, a.Purpose.String()) {
		return false
	}
	loc := s.Debtor.Location
	if loc == nil {
		loc = time.UTC
	}
	day := a.At.In(loc).Format(time.DateOnly)
	return (f.From == "" || day >= f.From) && (f.Until == "" || day <= f.Until)
}

func matches(list []string, v string) bool { return len(list) == 0 || slices.Contains(list, v) }

// Coverage counts, for each rule of a pack, the requests where it applied and
// was broken, where it applied and passed, and where it did not apply.
type Coverage struct {
	Rules               []ruleFilter
	Violated, Passed    []int
	NotApplied          []int
	Allowed, Denied     int
	ViolatedNotApplying []string // rules reported where their filters say they do not apply: a bug
}

// NewCoverage counts fairdebt's decisions over cases.
func NewCoverage(pack *policy.Pack, cases []Case) (*Coverage, error) {
	rules, err := loadFilters(pack.Name)
	if err != nil {
		return nil, err
	}
	c := &Coverage{Rules: rules, Violated: make([]int, len(rules)), Passed: make([]int, len(rules)), NotApplied: make([]int, len(rules))}
	for i := range cases {
		cs := &cases[i]
		ids := FairdebtIDs(policy.Evaluate(pack, &cs.Snapshot, &cs.Attempt))
		if len(ids) == 0 {
			c.Allowed++
		} else {
			c.Denied++
		}
		for k := range rules {
			r := &rules[k]
			_, violated := slices.BinarySearch(ids, r.ID)
			switch {
			case !r.applies(&cs.Snapshot, &cs.Attempt):
				c.NotApplied[k]++
				if violated {
					c.ViolatedNotApplying = append(c.ViolatedNotApplying, r.ID)
				}
			case violated:
				c.Violated[k]++
			default:
				c.Passed[k]++
			}
		}
	}
	return c, nil
}

// Print writes the coverage table.
func (c *Coverage) Print(pack string, n int) {
	fmt.Fprintf(out, "\ncoverage of pack %s over %d requests: %d allowed, %d denied\n", pack, n, c.Allowed, c.Denied)
	fmt.Fprintf(out, "  %-48s %9s %9s %11s\n", "RULE", "VIOLATED", "PASSED", "NOT APPLIED")
	for k, r := range c.Rules {
		fmt.Fprintf(out, "  %-48s %9d %9d %11d\n", r.ID, c.Violated[k], c.Passed[k], c.NotApplied[k])
	}
}
