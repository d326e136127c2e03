package policy

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// LoadError is one problem in a rule pack, with its place in the file.
type LoadError struct {
	File   string
	Line   int
	Column int
	Msg    string
}

func (e *LoadError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
}

// LoadErrors is every problem found in a rule pack.
type LoadErrors []*LoadError

// Unwrap exposes each error, so errors.As finds a *LoadError.
func (es LoadErrors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

func (es LoadErrors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

// nodeReader walks a YAML document by hand, so that every problem, including an
// unknown key, is reported with its file, line and column.
type nodeReader struct {
	file string
	errs LoadErrors
}

func (r *nodeReader) errorf(n *yaml.Node, format string, args ...any) {
	line, col := 1, 1
	if n != nil && n.Line > 0 {
		line, col = n.Line, max(n.Column, 1)
	}
	r.errs = append(r.errs, &LoadError{File: r.file, Line: line, Column: col, Msg: fmt.Sprintf(format, args...)})
}

// fields reads a mapping whose keys must be among allowed. It returns the value node
// of each key present; unknown and repeated keys are reported.
func (r *nodeReader) fields(n *yaml.Node, what string, allowed ...string) map[string]*yaml.Node {
	if n.Kind != yaml.MappingNode {
		r.errorf(n, "%s: want a mapping", what)
		return nil
	}
	out := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			r.errorf(k, "%s: keys must be plain strings", what)
			continue
		}
		known := false
		for _, a := range allowed {
			if a == k.Value {
				known = true
				break
			}
		}
		switch {
		case !known:
			r.errorf(k, "%s: unknown key %q (allowed: %s)", what, k.Value, strings.Join(allowed, ", "))
		case out[k.Value] != nil:
			r.errorf(k, "%s: key %q appears twice", what, k.Value)
		default:
			out[k.Value] = v
		}
	}
	return out
}

// require reports a missing key and says whether it is present.
func (r *nodeReader) require(parent *yaml.Node, f map[string]*yaml.Node, what, key string) bool {
	if f[key] == nil {
		r.errorf(parent, "%s: missing required key %q", what, key)
		return false
	}
	return true
}

func (r *nodeReader) str(n *yaml.Node, what string) string {
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!str" && n.Tag != "!!int" && n.Tag != "!!float" && n.Tag != "!!timestamp") {
		r.errorf(n, "%s: want a string", what)
		return ""
	}
	if strings.TrimSpace(n.Value) == "" {
		r.errorf(n, "%s: must not be empty", what)
	}
	return n.Value
}

func (r *nodeReader) integer(n *yaml.Node, what string, min, max int) int {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
		r.errorf(n, "%s: want a whole number", what)
		return 0
	}
	v, err := strconv.Atoi(n.Value)
	if err != nil || v < min || v > max {
		r.errorf(n, "%s: %s is out of range (%d to %d)", what, n.Value, min, max)
		return 0
	}
	return v
}

func (r *nodeReader) boolean(n *yaml.Node, what string) bool {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		r.errorf(n, "%s: want true or false", what)
		return false
	}
	return n.Value == "true"
}

// list reads a non-empty sequence of strings and hands each to parse.
func (r *nodeReader) list(n *yaml.Node, what string, parse func(item *yaml.Node, s string) error) {
	if n.Kind != yaml.SequenceNode {
		r.errorf(n, "%s: want a list", what)
		return
	}
	if len(n.Content) == 0 {
		r.errorf(n, "%s: must not be empty", what)
	}
	for _, item := range n.Content {
		s := r.str(item, what)
		if s == "" {
			continue
		}
		if err := parse(item, s); err != nil {
			r.errorf(item, "%s: %v", what, err)
		}
	}
}

// bilingual reads a {zh, en} mapping.
func (r *nodeReader) bilingual(n *yaml.Node, what string) Reason {
	f := r.fields(n, what, "zh", "en")
	if f == nil {
		return Reason{}
	}
	var out Reason
	if r.require(n, f, what, "zh") {
		out.ZH = r.str(f["zh"], what+".zh")
	}
	if r.require(n, f, what, "en") {
		out.EN = r.str(f["en"], what+".en")
	}
	return out
}
