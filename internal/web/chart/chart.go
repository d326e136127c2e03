// Package chart draws the dashboards' charts on the server as inline SVG.
//
// The output suits the site's Content-Security-Policy: no style attributes, no
// <style> elements and no scripts, only SVG presentation attributes (fill,
// stroke, font-size, text-anchor), plus a class on every mark so app.css can
// restyle it. Every string from the caller is escaped for XML; ids, classes and
// colours are validated before they go into attributes. Values that are NaN,
// infinite or negative count as 0 and values above MaxValue are clamped to it,
// so no NaN or Inf ever reaches the output. The functions are pure: the same
// input gives byte-identical output.
//
// Class names on the marks:
//
//	svg:     chart, chart-hbars or chart-columns
//	HBars:   chart-row (a <g> per bar), chart-label, chart-bar, chart-value, chart-axis
//	Columns: chart-grid, chart-tick, chart-axis, chart-col (a <g> per column),
//	         chart-seg chart-series-<Class>, chart-xlabel, chart-legend,
//	         chart-legend-item, chart-swatch chart-series-<Class>, chart-legend-label
package chart

import (
	"encoding/xml"
	"fmt"
	"hash/fnv"
	"html/template"
	"math"
	"strconv"
	"strings"
	"unicode"
)

// MaxValue is the largest value drawn; larger ones are clamped to it, which
// keeps stacked totals and axis maxima finite and exact.
const MaxValue = 1e15

// Layout and colours shared by both chart kinds.
const (
	fontSize   = 12
	pad        = 8
	fontFamily = "system-ui, sans-serif"
	textColor  = "#1d2433"
	mutedColor = "#5b6475"
	gridColor  = "#d9dde5"
	barColor   = "#0969da"
	ellipsis   = "…"
)

// palette colours series in order when neither Series.Color nor a known class gives one.
var palette = []string{"#0969da", "#8250df", "#bc4c00", "#1b7c83", "#6e7781"}

// classColors are the default colours of the series classes the dashboards use.
var classColors = map[string]string{
	"allowed": "#1a7f37", "kept": "#1a7f37",
	"denied": "#cf222e", "broken": "#cf222e",
	"open": "#9a6700",
}

// Bar is one labelled value.
type Bar struct {
	Label string
	Value float64
}

// HBarChart is a horizontal bar chart: one row per bar, the label on the left
// and the value printed at the bar's end. The longest bar spans the plot.
type HBarChart struct {
	ID     string               // element id, [a-z0-9-]+, unique on the page; default: derived from Title
	Title  string               // accessible name (<title>), required
	Desc   string               // longer description (<desc>), optional
	Bars   []Bar                // drawn top to bottom in the given order
	Width  int                  // viewBox width; default 640 (the height follows from the bars)
	Color  string               // bar fill, #rgb, #rgba, #rrggbb or #rrggbbaa; default #0969da
	Format func(float64) string // value label; default: an integer with no decimals
}

// ColumnChart is a stacked column chart over categories on the x axis (such as
// days), with a legend above it and a y axis from 0 to a nice maximum.
type ColumnChart struct {
	ID            string               // element id, [a-z0-9-]+, unique on the page; default: derived from Title
	Title         string               // accessible name (<title>), required
	Desc          string               // longer description (<desc>), optional
	XLabels       []string             // one per column, e.g. "11-02"; only every Nth is shown if they would overlap
	Series        []Series             // stacked bottom-up in the given order
	Width, Height int                  // viewBox; defaults 640 x 240
	Format        func(float64) string // values in the marks' titles; default: an integer with no decimals
}

// Series is one stacked layer of a ColumnChart. Values has one entry per
// XLabel: missing entries count as 0 and extra ones are ignored.
type Series struct {
	Name   string // shown in the legend
	Class  string // [a-z0-9-]+, added to its marks as chart-series-<Class>; default s1, s2, ...
	Color  string // #rgb, #rgba, #rrggbb or #rrggbbaa; default by Class (allowed, kept, denied, broken, open) or a palette
	Values []float64
}

// HBars renders c as an inline SVG element.
func HBars(c HBarChart) template.HTML {
	const rowH, barH = 24, 16
	w := size(c.Width, 640, 160)
	format := orInt(c.Format)
	color := validColor(c.Color, barColor)
	maxRunes := min(max(int(w*0.4/fontSize), 4), 20)

	type row struct {
		label, short, value string
		v                   float64
	}
	rows := make([]row, len(c.Bars))
	var labelW, valueW, top float64
	for i, bar := range c.Bars {
		r := row{label: bar.Label, v: clean(bar.Value)}
		r.short = truncate(r.label, maxRunes)
		r.value = format(r.v)
		labelW, valueW, top = max(labelW, textWidth(r.short)), max(valueW, textWidth(r.value)), max(top, r.v)
		rows[i] = r
	}
	barX := pad + labelW + 6
	area := max(w-pad-valueW-4-barX, 10)
	h := 2*pad + rowH*float64(max(len(rows), 1))

	var b strings.Builder
	open(&b, "hbars", c.ID, c.Title, c.Desc, w, h)
	for i, r := range rows {
		y := pad + rowH*float64(i)
		bw := 0.0
		if top > 0 {
			bw = r.v / top * area
		}
		b.WriteString(`<g class="chart-row">`)
		text(&b, "chart-label", barX-6, y+rowH/2, "end", textColor, r.label, r.short)
		fmt.Fprintf(&b, `<rect class="chart-bar" x="%s" y="%s" width="%s" height="%s" fill="%s"><title>%s</title></rect>`,
			num(barX), num(y+(rowH-barH)/2), num(bw), num(barH), color, esc(r.label+": "+r.value))
		text(&b, "chart-value", barX+bw+4, y+rowH/2, "start", textColor, r.value, r.value)
		b.WriteString(`</g>`)
	}
	fmt.Fprintf(&b, `<line class="chart-axis" x1="%[1]s" y1="%[2]s" x2="%[1]s" y2="%[3]s" stroke="%[4]s"/>`,
		num(barX), num(pad), num(h-pad), mutedColor)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// series is a Series with its class, colour and values resolved.
type series struct {
	name, short, class, color string
	values                    []float64
}

// Columns renders c as an inline SVG element.
func Columns(c ColumnChart) template.HTML {
	const lineH, swatch = fontSize + 6, 10
	w, h := size(c.Width, 640, 160), size(c.Height, 240, 120)
	format := orInt(c.Format)
	n := len(c.XLabels)

	ss := make([]series, len(c.Series))
	totals := make([]float64, n)
	for i, s := range c.Series {
		r := series{name: s.Name, class: s.Class, values: make([]float64, n)}
		if !validName(r.class) {
			r.class = "s" + strconv.Itoa(i+1)
		}
		def, ok := classColors[r.class]
		if !ok {
			def = palette[i%len(palette)]
		}
		r.color = validColor(s.Color, def)
		r.short = truncate(r.name, 24)
		for j := range min(n, len(s.Values)) {
			r.values[j] = clean(s.Values[j])
			totals[j] += r.values[j]
		}
		ss[i] = r
	}

	// Legend: swatch and name per series, wrapping onto more lines when needed.
	type item struct{ x, y float64 }
	items := make([]item, len(ss))
	x, y := float64(pad), float64(pad)
	for i, s := range ss {
		iw := swatch + 4 + textWidth(s.short) + 16
		if x > pad && x+iw > w-pad {
			x, y = pad, y+lineH
		}
		items[i] = item{x, y}
		x += iw
	}
	legendH := 0.0
	if len(ss) > 0 {
		legendH = y + lineH - pad + 6 // 6: a gap above the plot
	}

	// Y axis: a nice maximum over the stacked totals.
	var most float64
	for _, t := range totals {
		most = max(most, t)
	}
	top, intervals := niceMax(most)
	ticks := make([]float64, intervals+1)
	for i := range ticks {
		ticks[i] = top * float64(i) / float64(intervals)
	}
	labels := tickLabels(ticks)
	var tickW float64
	for _, l := range labels {
		tickW = max(tickW, textWidth(l))
	}
	left, right := pad+tickW+6, w-pad
	plotTop := pad + legendH + fontSize/2
	bottomH := float64(pad + fontSize + 6) // room for the x labels
	h = max(h, plotTop+20+bottomH)
	base := h - bottomH
	scale := (base - plotTop) / top

	var b strings.Builder
	open(&b, "columns", c.ID, c.Title, c.Desc, w, h)

	b.WriteString(`<g class="chart-legend">`)
	for i, s := range ss {
		it := items[i]
		fmt.Fprintf(&b, `<g class="chart-legend-item"><rect class="chart-swatch chart-series-%s" x="%s" y="%s" width="%d" height="%d" fill="%s"/>`,
			s.class, num(it.x), num(it.y+(lineH-swatch)/2), swatch, swatch, s.color)
		text(&b, "chart-legend-label", it.x+swatch+4, it.y+lineH/2, "start", textColor, s.name, s.short)
		b.WriteString(`</g>`)
	}
	b.WriteString(`</g>`)

	for i, t := range ticks {
		y := num(base - t*scale)
		class, stroke := "chart-grid", gridColor
		if i == 0 {
			class, stroke = "chart-axis", mutedColor
		}
		fmt.Fprintf(&b, `<line class="%s" x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s"/>`, class, num(left), y, num(right), y, stroke)
		fmt.Fprintf(&b, `<text class="chart-tick" x="%s" y="%s" dy="0.35em" text-anchor="end" fill="%s">%s</text>`,
			num(left-6), y, mutedColor, labels[i])
	}

	slot := 0.0
	if n > 0 {
		slot = (right - left) / float64(n)
	}
	colW := min(slot*0.7, 60)
	for j, label := range c.XLabels {
		x := left + slot*float64(j) + (slot-colW)/2
		b.WriteString(`<g class="chart-col">`)
		var sum float64
		for _, s := range ss {
			v := s.values[j]
			if v == 0 {
				continue
			}
			// Round both edges, so the rounded segments still stack without gaps.
			y0, y1 := round2(base-sum*scale), round2(base-(sum+v)*scale)
			sum += v
			fmt.Fprintf(&b, `<rect class="chart-seg chart-series-%s" x="%s" y="%s" width="%s" height="%s" fill="%s"><title>%s</title></rect>`,
				s.class, num(x), num(y1), num(colW), num(y0-y1), s.color, esc(label+", "+s.name+": "+format(v)))
		}
		b.WriteString(`</g>`)
	}

	// X labels: every step-th one, so that they do not overlap.
	short := make([]string, n)
	var labelW float64
	for j, l := range c.XLabels {
		short[j] = truncate(l, 12)
		labelW = max(labelW, textWidth(short[j]))
	}
	step := 1
	if slot > 0 {
		step = max(int(math.Ceil((labelW+6)/slot)), 1)
	}
	for j := 0; j < n; j += step {
		text(&b, "chart-xlabel", left+slot*(float64(j)+0.5), base+fontSize/2+6, "middle", mutedColor, c.XLabels[j], short[j])
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// niceMax returns the y axis maximum for data whose largest value is v, and the
// number of intervals between gridlines. The maximum is the smallest number of
// the form 1, 2 or 5 × 10^k (k ≥ 0) that is at least v: 0 → 1, 7 → 10, 10 → 10,
// 101 → 200. The floor of 1 suits the counts these charts show, and so does
// every step being a whole number: a maximum of 1 or 2 has one interval per
// unit; otherwise 1 or 5 × 10^k has 5 intervals and 2 × 10^k has 4, so each step
// is itself nice.
func niceMax(v float64) (top float64, intervals int) {
	if !(v > 1) || math.IsInf(v, 0) {
		return 1, 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5} {
		if m*p >= v {
			if m*p <= 2 {
				return m * p, int(m * p)
			}
			return m * p, 4 + int(m)%2 // 1 and 5: five intervals; 2: four
		}
	}
	return 10 * p, 5
}

// tickLabels formats the y axis ticks; from 10 000 up they are shown in the
// unit of the largest (k, M, G, T), e.g. 0, 2k, 4k, ..., 10k.
func tickLabels(ticks []float64) []string {
	top := ticks[len(ticks)-1]
	unit, suffix := 1.0, ""
	if top >= 1e4 {
		for _, u := range []struct {
			f float64
			s string
		}{{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}} {
			if top >= u.f {
				unit, suffix = u.f, u.s
				break
			}
		}
	}
	out := make([]string, len(ticks))
	for i, t := range ticks {
		out[i] = num(t / unit)
		if out[i] != "0" {
			out[i] += suffix
		}
	}
	return out
}

// open writes the root <svg> element with its <title> and <desc>.
func open(b *strings.Builder, kind, id, title, desc string, w, h float64) {
	if title == "" {
		title = "Chart"
	}
	if !validName(id) {
		f := fnv.New32a()
		f.Write([]byte(title))
		id = "chart-" + strconv.FormatUint(uint64(f.Sum32()), 16)
	}
	labelled := id + "-title"
	if desc != "" {
		labelled += " " + id + "-desc"
	}
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" id="%s" class="chart chart-%s" viewBox="0 0 %s %s" width="100%%" role="img" aria-labelledby="%s" font-family="%s" font-size="%d">`,
		id, kind, num(w), num(h), labelled, fontFamily, fontSize)
	fmt.Fprintf(b, `<title id="%s-title">%s</title>`, id, esc(title))
	if desc != "" {
		fmt.Fprintf(b, `<desc id="%s-desc">%s</desc>`, id, esc(desc))
	}
}

// text writes a <text> mark showing short; when short is not the whole of full,
// full goes into its <title> so it shows on hover.
func text(b *strings.Builder, class string, x, y float64, anchor, fill, full, short string) {
	fmt.Fprintf(b, `<text class="%s" x="%s" y="%s" dy="0.35em" text-anchor="%s" fill="%s">`, class, num(x), num(y), anchor, fill)
	if short != full {
		fmt.Fprintf(b, `<title>%s</title>`, esc(full))
	}
	b.WriteString(esc(short))
	b.WriteString(`</text>`)
}

// esc escapes s for XML text and attribute values; invalid UTF-8 and characters
// XML does not allow become U+FFFD.
func esc(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s)) // a strings.Builder never fails
	return b.String()
}

// truncate shortens s to at most n runes, ending it with an ellipsis when cut.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + ellipsis
}

// textWidth estimates the width of s at fontSize: CJK characters take a full em,
// everything else about 0.6 em.
func textWidth(s string) float64 {
	var w float64
	for _, r := range s {
		if wide(r) {
			w += fontSize
		} else {
			w += 0.6 * fontSize
		}
	}
	return w
}

// wide reports whether r is a full-width (CJK) character.
func wide(r rune) bool {
	return r >= 0x1100 && (unicode.In(r, unicode.Han, unicode.Hangul, unicode.Hiragana, unicode.Katakana) ||
		r >= 0x3000 && r <= 0x303f || r >= 0xff00 && r <= 0xff60)
}

// clean makes v drawable: NaN, ±Inf and negatives become 0, values above
// MaxValue become MaxValue.
func clean(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return 0
	}
	return min(v, MaxValue)
}

// round2 rounds f to 2 decimals.
func round2(f float64) float64 { return math.Round(f*100) / 100 }

// num formats a coordinate with at most 2 decimals, independent of locale.
func num(f float64) string {
	f = round2(f)
	if f == 0 || math.IsNaN(f) || math.IsInf(f, 0) {
		return "0" // also turns -0 into 0
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// formatInt is the default value format: an integer with no decimals.
func formatInt(v float64) string { return strconv.FormatFloat(math.Round(v), 'f', 0, 64) }

// orInt returns f, or formatInt when f is nil.
func orInt(f func(float64) string) func(float64) string {
	if f == nil {
		return formatInt
	}
	return f
}

// size returns v as a viewBox dimension: def when v is not positive, at least lo.
func size(v, def, lo int) float64 {
	if v <= 0 {
		v = def
	}
	return float64(max(v, lo))
}

// validName reports whether s is a usable id or class: [a-z0-9-]+, at most 64 bytes.
func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// validColor returns c when it is a hex colour (#rgb, #rgba, #rrggbb or
// #rrggbbaa), else def.
func validColor(c, def string) string {
	if len(c) != 4 && len(c) != 5 && len(c) != 7 && len(c) != 9 || c[0] != '#' {
		return def
	}
	for _, d := range []byte(c[1:]) {
		if !(d >= '0' && d <= '9' || d >= 'a' && d <= 'f' || d >= 'A' && d <= 'F') {
			return def
		}
	}
	return c
}
