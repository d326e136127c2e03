package evidence

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fairdebt/fairdebt/internal/web/chart"
)

// Input is one export file as read: what it held, its SHA-256 (so the evidence
// can be shown unaltered), and what could not be read.
type Input struct {
	File    string `json:"file"`
	Role    string `json:"role"`
	Label   string `json:"label,omitempty"`
	Format  string `json:"format"`
	Bytes   int64  `json:"bytes"`
	SHA256  string `json:"sha256"`
	Records int    `json:"records"`
	// Skipped counts the records that could not be read; Errors holds the first
	// of their messages.
	Skipped int      `json:"skipped"`
	Errors  []string `json:"errors,omitempty"`
	// Complete is false when the file ended early (truncated or malformed): the
	// records before that point were analysed.
	Complete bool `json:"complete"`
}

// Report is everything the outputs are made of.
type Report struct {
	Tool      string    `json:"tool"`
	Generated time.Time `json:"generated"`
	Lang      string    `json:"lang"`
	Inputs    []Input   `json:"inputs"`
	*Result
}

// WriteJSON writes the report as indented JSON, the findings last, one to a
// line and one at a time: tens of thousands of them are never all encoded in
// memory at once.
func WriteJSON(w io.Writer, r *Report) error {
	head := *r
	res := *r.Result
	res.Findings = nil
	head.Result = &res
	data, err := json.MarshalIndent(&head, "", "  ")
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write(bytes.TrimSuffix(data, []byte("\n}")))
	bw.WriteString(",\n  \"findings\": [")
	for i := range r.Findings {
		if i > 0 {
			bw.WriteString(",")
		}
		data, err := json.Marshal(&r.Findings[i])
		if err != nil {
			return err
		}
		bw.WriteString("\n    ")
		bw.Write(data)
	}
	if len(r.Findings) > 0 {
		bw.WriteString("\n  ")
	}
	bw.WriteString("]\n}\n")
	return bw.Flush()
}

// Manifest returns the inputs' hashes in the format of sha256sum, so that
// `sha256sum -c manifest.sha256` checks them where the report was made.
func Manifest(inputs []Input) string {
	var b strings.Builder
	for _, in := range inputs {
		fmt.Fprintf(&b, "%s  %s\n", in.SHA256, in.File)
	}
	return b.String()
}

//go:embed report.html
var reportHTML string

var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"t": func(lang, key string) string { return tr(lang, key) },
}).Parse(reportHTML))

// reportView is the template's data.
type reportView struct {
	*Report
	Timeline   template.HTML
	Categories []categoryCount
	CapDays    []capDay
	Rows       int // findings, whose rows writeRows writes between "head" and "tail"
	Limits     []string
}

type categoryCount struct {
	Name  string
	Count int
}

// capDay is a day with contacts over a cap.
type capDay struct {
	Date    string
	Rules   []string
	Count   int // contacts over the cap that day
	Reasons []string
}

// WriteHTML writes the report as one self-contained HTML page: styles inline,
// the timeline drawn as inline SVG, no script and nothing fetched.
func WriteHTML(w io.Writer, r *Report) error {
	lang := r.Lang
	v := &reportView{Report: r, Timeline: timeline(r.Result, lang)}
	for _, c := range Observable {
		if n := r.ByCategory[c]; n > 0 {
			v.Categories = append(v.Categories, categoryCount{Name: tr(lang, "cat."+c), Count: n})
		}
	}
	caps := map[string]*capDay{}
	v.Rows = len(r.Findings)
	for _, f := range r.Findings {
		if f.Category == "frequency" {
			day := f.At.Format(time.DateOnly)
			d := caps[day]
			if d == nil {
				d = &capDay{Date: day}
				caps[day] = d
			}
			d.Count += f.OverCap
			if !slices.Contains(d.Rules, f.Rule) {
				d.Rules = append(d.Rules, f.Rule)
				d.Reasons = append(d.Reasons, pick(lang, f.Reason.ZH, f.Reason.EN))
			}
		}
	}
	for _, day := range sortedKeys(caps) {
		v.CapDays = append(v.CapDays, *caps[day])
	}
	for _, a := range r.Assumptions {
		v.Limits = append(v.Limits, tr(lang, "assume."+a))
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	if err := reportTemplate.ExecuteTemplate(bw, "head", v); err != nil {
		return err
	}
	writeRows(bw, lang, r.Findings)
	if err := reportTemplate.ExecuteTemplate(bw, "tail", v); err != nil {
		return err
	}
	return bw.Flush()
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func pick(lang, zh, en string) string {
	if lang == "zh" {
		return zh
	}
	return en
}

// writeRows writes the findings table's rows. A report may hold tens of
// thousands of findings: writing them straight out, with every string escaped,
// is several times faster than a template range over them and holds none of
// the page in memory. Errors are the bufio.Writer's, reported by its Flush.
func writeRows(b *bufio.Writer, lang string, fs []Finding) {
	esc := func(s string) { template.HTMLEscape(b, []byte(s)) }
	owner := tr(lang, "owner")
	for _, f := range fs {
		b.WriteString(`<tr class="finding finding-`)
		esc(f.Category)
		b.WriteString(`"><td>`)
		b.WriteString(f.At.Format("2006-01-02 15:04"))
		b.WriteString(`</td><td>`)
		esc(f.Number)
		if f.Collector != "" {
			b.WriteString(`<div class="muted">`)
			esc(f.Collector)
			b.WriteString(`</div>`)
		}
		b.WriteString(`</td><td>`)
		esc(tr(lang, "ch."+f.Channel))
		if f.Outcome != "" {
			b.WriteString(" (")
			esc(tr(lang, "out."+f.Outcome))
			b.WriteString(")")
		}
		b.WriteString(`</td><td>`)
		if f.Person == "owner" {
			esc(owner)
		} else {
			esc(f.Person)
		}
		b.WriteString(`</td><td class="cat">`)
		esc(tr(lang, "cat."+f.Category))
		b.WriteString(`</td><td><code>`)
		esc(f.Rule)
		b.WriteString(`</code><div>`)
		esc(pick(lang, f.Reason.ZH, f.Reason.EN))
		b.WriteString(`</div>`)
		if f.OverCap > 0 {
			b.WriteString(`<div class="overcap">`)
			esc(fmt.Sprintf(tr(lang, "overcap"), f.OverCap))
			b.WriteString(`</div>`)
		}
		if f.Text != "" {
			b.WriteString(`<blockquote class="text">`)
			b.WriteString(string(mark(f.Text, f.Spans)))
			b.WriteString(`</blockquote>`)
		}
		if f.Assumption != "" {
			b.WriteString(`<div class="muted">`)
			esc(tr(lang, "assume."+f.Assumption))
			b.WriteString(`</div>`)
		}
		b.WriteString(`</td><td>`)
		esc(f.Citation)
		b.WriteString(" [")
		esc(f.Confidence)
		b.WriteString(`]</td><td class="where">`)
		esc(f.File + ":" + strconv.Itoa(f.Line))
		b.WriteString("</td></tr>\n")
	}
}

// mark returns text with the screener's spans in <mark> elements, escaped.
func mark(text string, spans []Span) template.HTML {
	if text == "" {
		return ""
	}
	runes := []rune(text)
	in := make([]bool, len(runes))
	for _, s := range spans {
		for i := max(s.Start, 0); i < min(s.End, len(runes)); i++ {
			in[i] = true
		}
	}
	var b strings.Builder
	for i := 0; i < len(runes); {
		j := i
		for j < len(runes) && in[j] == in[i] {
			j++
		}
		part := template.HTMLEscapeString(string(runes[i:j]))
		if in[i] {
			b.WriteString("<mark>" + part + "</mark>")
		} else {
			b.WriteString(part)
		}
		i = j
	}
	return template.HTML(b.String())
}

// timeline draws the collection contacts with the borrower per day (per week
// over more than 92 days), those with a finding apart.
func timeline(r *Result, lang string) template.HTML {
	if len(r.Days) == 0 {
		return ""
	}
	first, _ := time.Parse(time.DateOnly, r.Days[0].Date)
	last, _ := time.Parse(time.DateOnly, r.Days[len(r.Days)-1].Date)
	span := int(last.Sub(first).Hours()/24) + 1
	step := 1
	if span > 92 {
		step = 7
	}
	n := (span + step - 1) / step
	labels := make([]string, n)
	flagged, other := make([]float64, n), make([]float64, n)
	for i := range labels {
		labels[i] = first.AddDate(0, 0, i*step).Format("01-02")
	}
	for _, d := range r.Days {
		day, _ := time.Parse(time.DateOnly, d.Date)
		i := int(day.Sub(first).Hours()/24) / step
		flagged[i] += float64(d.Flagged)
		other[i] += float64(d.Calls + d.Messages - d.Flagged)
	}
	title := tr(lang, "chart.title")
	if step == 7 {
		title = tr(lang, "chart.title_weekly")
	}
	return chart.Columns(chart.ColumnChart{ID: "timeline", Title: title, XLabels: labels, Width: 900,
		Series: []chart.Series{{Name: tr(lang, "chart.flagged"), Class: "denied", Values: flagged},
			{Name: tr(lang, "chart.other"), Class: "open", Values: other}}})
}
