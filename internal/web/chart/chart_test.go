package chart

import (
	"encoding/xml"
	"errors"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// node is a parsed SVG element.
type node struct {
	name     string
	attrs    map[string]string
	text     string // its own character data
	children []*node
}

// parse decodes the whole of s as XML and returns its root element.
func parse(t *testing.T, s string) *node {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(s))
	root := &node{}
	stack := []*node{root}
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, s)
		}
		top := stack[len(stack)-1]
		switch tok := tok.(type) {
		case xml.StartElement:
			n := &node{name: tok.Name.Local, attrs: map[string]string{}}
			for _, a := range tok.Attr {
				n.attrs[a.Name.Local] = a.Value
			}
			top.children = append(top.children, n)
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			top.text += string(tok)
		default:
			t.Fatalf("unexpected token %T in output", tok)
		}
	}
	if len(root.children) != 1 || root.children[0].name != "svg" {
		t.Fatalf("want a single <svg> root, got %+v", root.children)
	}
	return root.children[0]
}

// all returns n and its descendants that satisfy keep, in document order.
func (n *node) all(keep func(*node) bool) []*node {
	var out []*node
	if keep(n) {
		out = append(out, n)
	}
	for _, c := range n.children {
		out = append(out, c.all(keep)...)
	}
	return out
}

// hasClass returns a filter for elements carrying class.
func hasClass(class string) func(*node) bool {
	return func(n *node) bool {
		for f := range strings.FieldsSeq(n.attrs["class"]) {
			if f == class {
				return true
			}
		}
		return false
	}
}

// title returns the text of n's <title> child.
func (n *node) title() string {
	for _, c := range n.children {
		if c.name == "title" {
			return c.text
		}
	}
	return ""
}

func (n *node) float(t *testing.T, attr string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(n.attrs[attr], 64)
	if err != nil {
		t.Fatalf("<%s %s=%q>: %v", n.name, attr, n.attrs[attr], err)
	}
	return f
}

var (
	allowedElems = map[string]bool{"svg": true, "title": true, "desc": true, "g": true, "rect": true, "line": true, "text": true}
	rawHandler   = regexp.MustCompile(`(?i)\s(style|on[a-z]+)\s*=\s*["']`)
	coordinate   = regexp.MustCompile(`^-?\d+(\.\d{1,2})?$`)
	numericAttrs = map[string]bool{"x": true, "y": true, "x1": true, "x2": true, "y1": true, "y2": true, "width": true, "height": true}
)

// check parses s and verifies everything every chart must satisfy: well-formed,
// CSP-safe, accessible, no NaN or Inf, coordinates with at most 2 decimals.
func check(t *testing.T, s string) *node {
	t.Helper()
	svg := parse(t, s)
	low := strings.ToLower(s)
	for _, bad := range []string{"<style", "<script", "<foreignobject"} {
		if strings.Contains(low, bad) {
			t.Errorf("output contains %q:\n%s", bad, s)
		}
	}
	// Test labels are lower case, so these can only come from a number.
	for _, bad := range []string{"NaN", "Inf"} {
		if strings.Contains(s, bad) {
			t.Errorf("output contains %q:\n%s", bad, s)
		}
	}
	if m := rawHandler.FindString(s); m != "" {
		t.Errorf("output contains %q:\n%s", m, s)
	}
	for _, n := range svg.all(func(*node) bool { return true }) {
		if !allowedElems[n.name] {
			t.Errorf("unexpected element <%s>", n.name)
		}
		for k, v := range n.attrs {
			if k == "style" || strings.HasPrefix(strings.ToLower(k), "on") || strings.Contains(strings.ToLower(v), "javascript:") {
				t.Errorf("unsafe attribute %s=%q", k, v)
			}
			if numericAttrs[k] && !(k == "width" && n.name == "svg") && !coordinate.MatchString(v) {
				t.Errorf("<%s %s=%q>: not a number with at most 2 decimals", n.name, k, v)
			}
		}
	}
	for k, want := range map[string]string{"xmlns": "http://www.w3.org/2000/svg", "width": "100%", "role": "img", "font-family": "system-ui, sans-serif"} {
		if svg.attrs[k] != want {
			t.Errorf("svg %s=%q, want %q", k, svg.attrs[k], want)
		}
	}
	if vb := strings.Fields(svg.attrs["viewBox"]); len(vb) != 4 {
		t.Errorf("viewBox=%q", svg.attrs["viewBox"])
	}
	ids := map[string]string{}
	for _, n := range svg.children {
		if n.name == "title" || n.name == "desc" {
			ids[n.attrs["id"]] = n.name
		}
	}
	labelled := strings.Fields(svg.attrs["aria-labelledby"])
	if len(labelled) == 0 || ids[labelled[0]] != "title" {
		t.Errorf("aria-labelledby=%q does not start with the <title>'s id (ids %v)", svg.attrs["aria-labelledby"], ids)
	}
	for _, id := range labelled {
		if ids[id] == "" {
			t.Errorf("aria-labelledby names %q, which is not a <title> or <desc>", id)
		}
	}
	if len(labelled) != len(ids) {
		t.Errorf("aria-labelledby=%q, want every one of %v", svg.attrs["aria-labelledby"], ids)
	}
	return svg
}

func TestWellFormedAndSafe(t *testing.T) {
	bad := []float64{math.NaN(), math.Inf(1), math.Inf(-1), -5, 3}
	huge := []float64{math.MaxFloat64, 1e300, MaxValue * 3, 7}
	hbars := map[string]HBarChart{
		"normal": {Title: "Denials by category", Desc: "Last 30 days", Bars: []Bar{{"Time of day", 12}, {"Frequency", 7}, {"Third party", 0}}},
		"empty":  {},
		"single": {Title: "One", Bars: []Bar{{"Only", 1}}},
		"zeros":  {Title: "Zeros", Bars: []Bar{{"a", 0}, {"b", 0}}},
		"huge":   {Title: "Huge", Bars: []Bar{{"max", huge[0]}, {"1e300", huge[1]}, {"big", huge[2]}, {"small", huge[3]}}},
		"bad":    {Title: "Bad", Bars: []Bar{{"nan", bad[0]}, {"+inf", bad[1]}, {"-inf", bad[2]}, {"neg", bad[3]}, {"ok", bad[4]}}},
		"narrow": {Title: "Narrow", Width: 1, Bars: []Bar{{strings.Repeat("很长的名字", 10), 5}}},
		"format": {Title: "Format", Bars: []Bar{{"a", 1}}, Format: func(float64) string { return `<b onclick="x">&` }},
	}
	for name, c := range hbars {
		t.Run("HBars/"+name, func(t *testing.T) { check(t, string(HBars(c))) })
	}
	days := []string{"11-01", "11-02", "11-03", "11-04"}
	columns := map[string]ColumnChart{
		"normal": {Title: "Contacts per day", Desc: "Allowed and denied", XLabels: days, Series: []Series{
			{Name: "allowed", Class: "allowed", Values: []float64{5, 8, 0, 3}},
			{Name: "denied", Class: "denied", Values: []float64{1, 0, 2, 4}}}},
		"empty":      {},
		"no-columns": {Title: "No columns", Series: []Series{{Name: "a", Values: []float64{1, 2}}}},
		"no-series":  {Title: "No series", XLabels: days},
		"zeros":      {Title: "Zeros", XLabels: days, Series: []Series{{Name: "a", Values: []float64{0, 0, 0, 0}}}},
		"single":     {Title: "Single", XLabels: []string{"11-01"}, Series: []Series{{Name: "a", Values: []float64{1}}}},
		"huge":       {Title: "Huge", XLabels: days, Series: []Series{{Name: "a", Values: huge}, {Name: "b", Values: huge}}},
		"bad":        {Title: "Bad", XLabels: []string{"a", "b", "c", "d", "e"}, Series: []Series{{Name: "a", Values: bad}, {Name: "b", Values: bad}}},
		"ragged":     {Title: "Ragged", XLabels: days, Series: []Series{{Name: "short", Values: []float64{1}}, {Name: "long", Values: []float64{1, 2, 3, 4, 5, 6}}}},
		"tiny":       {Title: "Tiny", Width: 1, Height: 1, XLabels: days, Series: []Series{{Name: "one"}, {Name: "two"}, {Name: "three"}, {Name: "four"}, {Name: "five"}, {Name: "six"}}},
		"fraction":   {Title: "Fraction", XLabels: days, Series: []Series{{Name: "a", Values: []float64{0.1, 0.25, 0.3333, 0.7}}}},
	}
	for name, c := range columns {
		t.Run("Columns/"+name, func(t *testing.T) { check(t, string(Columns(c))) })
	}
}

func TestHostileTextEscaped(t *testing.T) {
	hostile := []string{
		`<script>alert(1)</script>`,
		`"&'`,
		`x" onmouseover="alert(1)`,
		`</text><style>*{}</style>`,
		`]]><!-- &amp; <![CDATA[`,
		"bell\x07 nul\x00 bad\xff",
	}
	for _, h := range hostile {
		outs := map[string]string{
			"HBars": string(HBars(HBarChart{Title: h, Desc: h, Bars: []Bar{{h, 1}, {h + strings.Repeat("x", 40), 2}}})),
			"Columns": string(Columns(ColumnChart{Title: h, Desc: h, XLabels: []string{h, h + strings.Repeat("x", 40)},
				Series: []Series{{Name: h, Class: h, Color: h, Values: []float64{1, 2}}, {Name: h + strings.Repeat("y", 40), Values: []float64{3, 4}}}})),
		}
		for kind, out := range outs {
			svg := check(t, out)
			if strings.Contains(out, h) && strings.ContainsAny(h, `<>&"'`) {
				t.Errorf("%s: %q appears unescaped", kind, h)
			}
			// The text round-trips: escaped, not dropped or mangled (XML-illegal bytes become U+FFFD).
			want := strings.ToValidUTF8(strings.NewReplacer("\x07", "\uFFFD", "\x00", "\uFFFD").Replace(h), "\uFFFD")
			texts := svg.all(func(n *node) bool { return n.name == "title" || n.name == "desc" || n.name == "text" })
			found := 0
			for _, n := range texts {
				if strings.Contains(n.text, want) {
					found++
				}
			}
			if found < 5 {
				t.Errorf("%s: %q found in only %d text nodes:\n%s", kind, want, found, out)
			}
		}
	}
}

func TestHBarsProportional(t *testing.T) {
	svg := check(t, string(HBars(HBarChart{Title: "t", Bars: []Bar{{"a", 10}, {"b", 20}, {"c", 40}}})))
	bars := svg.all(hasClass("chart-bar"))
	if len(bars) != 3 {
		t.Fatalf("%d bars, want 3", len(bars))
	}
	w := []float64{bars[0].float(t, "width"), bars[1].float(t, "width"), bars[2].float(t, "width")}
	if w[0] <= 0 || math.Abs(w[1]/w[0]-2) > 0.01 || math.Abs(w[2]/w[0]-4) > 0.01 {
		t.Errorf("widths %v, want in ratio 1:2:4", w)
	}
	for i, want := range []string{"a: 10", "b: 20", "c: 40"} {
		if got := bars[i].title(); got != want {
			t.Errorf("bar %d title %q, want %q", i, got, want)
		}
	}
	values := svg.all(hasClass("chart-value"))
	if len(values) != 3 || values[2].text != "40" {
		t.Errorf("value labels %v", values)
	}
	// The value label sits at the bar's end.
	if x, end := values[2].float(t, "x"), bars[2].float(t, "x")+w[2]; x < end || x > end+10 {
		t.Errorf("value label at x=%v, bar ends at %v", x, end)
	}
}

func TestHBarsFormatAndColor(t *testing.T) {
	svg := check(t, string(HBars(HBarChart{Title: "t", Color: "#cf222e", Bars: []Bar{{"a", 0.125}},
		Format: func(v float64) string { return strconv.FormatFloat(v*100, 'f', 1, 64) + "%" }})))
	bar := svg.all(hasClass("chart-bar"))[0]
	if bar.title() != "a: 12.5%" || bar.attrs["fill"] != "#cf222e" {
		t.Errorf("title %q fill %q", bar.title(), bar.attrs["fill"])
	}
	if v := svg.all(hasClass("chart-value"))[0].text; v != "12.5%" {
		t.Errorf("value label %q", v)
	}
	// A value of 2.6 prints as 3 by default.
	svg = check(t, string(HBars(HBarChart{Title: "t", Color: "red", Bars: []Bar{{"a", 2.6}}})))
	if bar := svg.all(hasClass("chart-bar"))[0]; bar.title() != "a: 3" || bar.attrs["fill"] != barColor {
		t.Errorf("title %q fill %q", bar.title(), bar.attrs["fill"])
	}
}

func TestColumnsStacked(t *testing.T) {
	allowed := []float64{3, 0, 7, 12}
	denied := []float64{2, 5, 1, 1}
	svg := check(t, string(Columns(ColumnChart{Title: "t", XLabels: []string{"11-01", "11-02", "11-03", "11-04"},
		Series: []Series{{Name: "allowed", Class: "allowed", Values: allowed}, {Name: "denied", Class: "denied", Values: denied}}})))

	// The axis: from the baseline ("0") to the nice maximum, with 4-5 intervals.
	lines := svg.all(func(n *node) bool { return n.name == "line" })
	ticks := svg.all(hasClass("chart-tick"))
	if len(lines) != len(ticks) || len(ticks) < 5 || len(ticks) > 6 {
		t.Fatalf("%d gridlines and %d tick labels, want 5-6 each", len(lines), len(ticks))
	}
	if ticks[0].text != "0" || ticks[len(ticks)-1].text != "20" {
		t.Errorf("ticks from %q to %q, want 0 to 20", ticks[0].text, ticks[len(ticks)-1].text)
	}
	base, top := lines[0].float(t, "y1"), lines[len(lines)-1].float(t, "y1")
	scale := (base - top) / 20

	cols := svg.all(hasClass("chart-col"))
	if len(cols) != 4 {
		t.Fatalf("%d columns, want 4", len(cols))
	}
	for j, col := range cols {
		y, sum := base, 0.0
		for _, seg := range col.children {
			// Segments stack without gaps, bottom-up.
			if got := seg.float(t, "y") + seg.float(t, "height"); math.Abs(got-y) > 0.011 {
				t.Errorf("column %d: segment ends at %v, the one below starts at %v", j, got, y)
			}
			y = seg.float(t, "y")
			sum += seg.float(t, "height")
		}
		if want := (allowed[j] + denied[j]) * scale; math.Abs(sum-want) > 0.02 {
			t.Errorf("column %d: segments sum to %v, want %v", j, sum, want)
		}
	}
	// Zero values draw no segment; order is bottom-up as given.
	if n := len(cols[1].children); n != 1 {
		t.Errorf("column 1 has %d segments, want 1", n)
	}
	first := cols[0].children[0]
	if first.attrs["class"] != "chart-seg chart-series-allowed" || first.attrs["fill"] != "#1a7f37" || first.title() != "11-01, allowed: 3" {
		t.Errorf("first segment %v, title %q", first.attrs, first.title())
	}
}

func TestNiceMax(t *testing.T) {
	for _, tc := range []struct {
		in        float64
		top       float64
		intervals int
	}{
		{math.NaN(), 1, 1}, {math.Inf(1), 1, 1}, {-3, 1, 1}, {0, 1, 1}, {0.3, 1, 1}, {1, 1, 1},
		{1.01, 2, 2}, {2, 2, 2}, {3, 5, 5}, {5, 5, 5}, {7, 10, 5}, {8, 10, 5}, {10, 10, 5},
		{11, 20, 4}, {20, 20, 4}, {21, 50, 5}, {51, 100, 5}, {99.5, 100, 5}, {100, 100, 5},
		{101, 200, 4}, {999, 1000, 5}, {1000, 1000, 5}, {1001, 2000, 4}, {4999, 5000, 5},
		{123456, 200000, 4}, {MaxValue, MaxValue, 5}, {MaxValue * 4, MaxValue * 5, 5},
	} {
		top, n := niceMax(tc.in)
		if top != tc.top || n != tc.intervals {
			t.Errorf("niceMax(%v) = %v, %d; want %v, %d", tc.in, top, n, tc.top, tc.intervals)
		}
		// Whatever the input, the maximum is 1, 2 or 5 × 10^k and covers it.
		lead := top / math.Pow(10, math.Floor(math.Log10(top)+1e-9))
		if lead != 1 && lead != 2 && lead != 5 || tc.in > top && !math.IsInf(tc.in, 1) {
			t.Errorf("niceMax(%v) = %v, not a nice maximum over the input", tc.in, top)
		}
		// The charts count things: every gridline is a whole number.
		if step := top / float64(n); step != math.Trunc(step) {
			t.Errorf("niceMax(%v): steps of %v", tc.in, step)
		}
	}
}

func TestTickLabels(t *testing.T) {
	for _, tc := range []struct {
		top  float64
		want string
	}{
		{1, "0 1"},
		{2, "0 1 2"},
		{50, "0 10 20 30 40 50"},
		{5000, "0 1000 2000 3000 4000 5000"},
		{20000, "0 5k 10k 15k 20k"},
		{2e6, "0 0.5M 1M 1.5M 2M"},
		{5e15, "0 1000T 2000T 3000T 4000T 5000T"},
	} {
		_, n := niceMax(tc.top)
		ticks := make([]float64, n+1)
		for i := range ticks {
			ticks[i] = tc.top * float64(i) / float64(n)
		}
		if got := strings.Join(tickLabels(ticks), " "); got != tc.want {
			t.Errorf("ticks up to %v: %q, want %q", tc.top, got, tc.want)
		}
	}
}

func TestColumnsEmptyAxis(t *testing.T) {
	for _, c := range []ColumnChart{{Title: "empty"}, {Title: "zeros", XLabels: []string{"a"}, Series: []Series{{Name: "s", Values: []float64{0}}}}} {
		svg := check(t, string(Columns(c)))
		ticks := svg.all(hasClass("chart-tick"))
		if len(ticks) == 0 || ticks[0].text != "0" {
			t.Errorf("%s: ticks %v, want an axis from 0", c.Title, ticks)
		}
		if segs := svg.all(hasClass("chart-seg")); len(segs) != 0 {
			t.Errorf("%s: %d segments drawn", c.Title, len(segs))
		}
	}
}

func TestColumnsLegendAndColors(t *testing.T) {
	svg := check(t, string(Columns(ColumnChart{Title: "t", XLabels: []string{"w1"}, Series: []Series{
		{Name: "kept", Class: "kept", Values: []float64{1}},
		{Name: "broken", Class: "broken", Color: "#123", Values: []float64{1}},
		{Name: "open", Class: "open", Color: `#fff" onload="x`, Values: []float64{1}},
		{Name: "other", Class: "Not Valid", Values: []float64{1}},
	}})))
	items := svg.all(hasClass("chart-legend-item"))
	if len(items) != 4 {
		t.Fatalf("%d legend items, want 4", len(items))
	}
	for i, want := range []struct{ name, class, fill string }{
		{"kept", "chart-series-kept", "#1a7f37"},
		{"broken", "chart-series-broken", "#123"}, // Series.Color overrides
		{"open", "chart-series-open", "#9a6700"},  // invalid colour: the class's default
		{"other", "chart-series-s4", palette[3]},  // invalid class: by position
	} {
		sw, label := items[i].all(hasClass("chart-swatch")), items[i].all(hasClass("chart-legend-label"))
		if len(sw) != 1 || len(label) != 1 || !hasClass(want.class)(sw[0]) || sw[0].attrs["fill"] != want.fill || label[0].text != want.name {
			t.Errorf("legend item %d: swatch %v, label %v; want %+v", i, sw, label, want)
		}
		if seg := svg.all(hasClass(want.class)); len(seg) != 2 || seg[1].attrs["fill"] != want.fill {
			t.Errorf("series %q: marks %v", want.name, seg)
		}
	}
}

func TestXLabelsThinned(t *testing.T) {
	few := check(t, string(Columns(ColumnChart{Title: "t", XLabels: []string{"11-01", "11-02", "11-03"}})))
	if n := len(few.all(hasClass("chart-xlabel"))); n != 3 {
		t.Errorf("%d of 3 x labels shown", n)
	}
	days := make([]string, 90)
	for i := range days {
		days[i] = "11-" + strconv.Itoa(i+10)
	}
	svg := check(t, string(Columns(ColumnChart{Title: "t", XLabels: days})))
	labels := svg.all(hasClass("chart-xlabel"))
	if len(labels) < 5 || len(labels) >= 90 || labels[0].text != days[0] {
		t.Fatalf("%d of 90 x labels shown, first %q", len(labels), labels[0].text)
	}
	for i := 1; i < len(labels); i++ {
		if gap := labels[i].float(t, "x") - labels[i-1].float(t, "x"); gap < textWidth("11-10") {
			t.Errorf("x labels %d and %d overlap: %v apart", i-1, i, gap)
		}
	}
}

func TestTruncate(t *testing.T) {
	long := "中华人民共和国某某省某某市某某区某某资产管理有限公司催收部"
	got := truncate(long, 12)
	if !utf8.ValidString(got) || !strings.HasSuffix(got, "…") || utf8.RuneCountInString(got) != 12 || !strings.HasPrefix(long, strings.TrimSuffix(got, "…")) {
		t.Errorf("truncate(%q, 12) = %q", long, got)
	}
	if got := truncate("短标签", 12); got != "短标签" {
		t.Errorf("short label changed to %q", got)
	}
	// In a chart: the mark shows the truncated label, its <title> the full one.
	svg := check(t, string(HBars(HBarChart{Title: "t", Bars: []Bar{{long, 3}, {"短", 1}}})))
	labels := svg.all(hasClass("chart-label"))
	if !strings.HasSuffix(labels[0].text, "…") || !utf8.ValidString(labels[0].text) || labels[0].title() != long {
		t.Errorf("long label shown as %q, title %q", labels[0].text, labels[0].title())
	}
	if labels[1].text != "短" || labels[1].title() != "" {
		t.Errorf("short label shown as %q, title %q", labels[1].text, labels[1].title())
	}
	if bar := svg.all(hasClass("chart-bar"))[0]; bar.title() != long+": 3" {
		t.Errorf("bar title %q", bar.title())
	}
}

func TestIDs(t *testing.T) {
	id := func(s string) string { return parse(t, s).attrs["id"] }
	if got := id(string(HBars(HBarChart{ID: "denials-2024", Title: "t"}))); got != "denials-2024" {
		t.Errorf("id %q, want denials-2024", got)
	}
	a := id(string(HBars(HBarChart{ID: `Bad ID"`, Title: "Denials"})))
	b := id(string(Columns(ColumnChart{Title: "Denials"})))
	c := id(string(Columns(ColumnChart{Title: "Contacts"})))
	if !validName(a) || !strings.HasPrefix(a, "chart-") || a != b || a == c {
		t.Errorf("fallback ids %q, %q, %q: want valid, derived from the title", a, b, c)
	}
	svg := parse(t, string(HBars(HBarChart{ID: "x", Title: "t"}))) // no Desc: only the title is referenced
	if svg.attrs["aria-labelledby"] != "x-title" {
		t.Errorf("aria-labelledby=%q", svg.attrs["aria-labelledby"])
	}
}

func TestDeterministic(t *testing.T) {
	h := HBarChart{Title: "t", Desc: "d", Bars: []Bar{{"a", 1.2345}, {"香港", 1e9}, {"c", math.NaN()}}}
	c := ColumnChart{Title: "t", XLabels: []string{"a", "b"}, Series: []Series{{Name: "x", Values: []float64{1.333, 2}}, {Name: "y", Values: []float64{0.5, 9}}}}
	h1, c1 := HBars(h), Columns(c)
	for range 3 {
		if h2, c2 := HBars(h), Columns(c); h1 != h2 || c1 != c2 {
			t.Error("same input, different output")
		}
	}
}

func TestValidators(t *testing.T) {
	for s, want := range map[string]bool{"a": true, "a-1-b": true, "": false, "A": false, "a b": false, "a_b": false, `a"`: false, strings.Repeat("a", 65): false} {
		if validName(s) != want {
			t.Errorf("validName(%q) = %v", s, !want)
		}
	}
	for s, want := range map[string]string{"#abc": "#abc", "#abcd": "#abcd", "#A1B2C3": "#A1B2C3", "#a1b2c3d4": "#a1b2c3d4",
		"#ab": "def", "#abcde": "def", "#ggg": "def", "abc": "def", "": "def", "red": "def", `#fff"`: "def"} {
		if got := validColor(s, "def"); got != want {
			t.Errorf("validColor(%q) = %q, want %q", s, got, want)
		}
	}
}
