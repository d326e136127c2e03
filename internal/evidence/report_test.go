package evidence

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/fairdebt/fairdebt/internal/catalogue"
	"github.com/fairdebt/fairdebt/internal/evidence/export"
)

// sampleReport is an analysis of a few synthetic contacts under cn: a call in
// quiet hours, four connected calls in a day, a message posing as a court, and
// a colleague told of the debt.
func sampleReport(t *testing.T, lang string) *Report {
	t.Helper()
	a := newAnalyzer(t, "cn", "Asia/Shanghai", Collector{Number: "13800000001", Label: "Synthetic Lender A"})
	owner, _ := a.AddSource(Source{File: "sms.xml", Role: Owner})
	friend, _ := a.AddSource(Source{File: "friend.xml", Role: ThirdParty, Label: "colleague"})
	for i, h := range []int{9, 10, 11, 12} {
		a.Add(owner, call(shanghai(3, h, 0), "13800000001", export.Answered, 10+i))
	}
	a.Add(owner, call(shanghai(5, 22, 30), "13800000001", export.Missed, 20))
	a.Add(owner, sms(shanghai(6, 10, 0), "13800000001", "我们是法院的，明天来抓你 <b>", 21))
	a.Add(friend, sms(shanghai(6, 11, 0), "13800000001", "你同事欠款逾期，请转告他还款", 5))
	return &Report{Tool: "fairdebt test", Generated: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC), Lang: lang,
		Inputs: []Input{{File: "sms.xml", Role: "owner", Format: "sms-xml", SHA256: strings.Repeat("ab", 32), Records: 6, Complete: true},
			{File: "friend.xml", Role: "third_party", Label: "colleague", Format: "sms-xml", SHA256: strings.Repeat("cd", 32), Records: 1}},
		Result: a.Result()}
}

func TestWriteHTML(t *testing.T) {
	for lang, words := range map[string][]string{
		"zh": {"催收证据分析报告", "休息时间联系", "超过频次上限", "借款人本人", "否：文件在此之前的记录已分析"},
		"en": {"Debt collection evidence report", "Contact in quiet hours", "Over a frequency cap", "the borrower", "no: the records before the damage were analysed"},
	} {
		r := sampleReport(t, lang)
		var b bytes.Buffer
		if err := WriteHTML(&b, r); err != nil {
			t.Fatal(err)
		}
		page := b.String()
		for _, w := range append(words, `<svg`, `id="timeline"`, "GB/T 45251—2025", "sms.xml:21", strings.Repeat("ab", 32),
			"<mark>我们是法院</mark>的", "colleague", "&lt;b&gt;") {
			if !strings.Contains(page, w) {
				t.Errorf("%s: the report lacks %q", lang, w)
			}
		}
		if strings.Contains(page, "<script") || strings.Contains(page, "<b>") || strings.Contains(page, "src=") || strings.Contains(page, "href=") {
			t.Errorf("%s: the report has markup from the messages, a script or a link out", lang)
		}
		if n := strings.Count(page, `<tr class="finding `); n != len(r.Findings) {
			t.Errorf("%s: %d finding rows for %d findings", lang, n, len(r.Findings))
		}
	}
}

func TestWriteJSONAndManifest(t *testing.T) {
	r := sampleReport(t, "en")
	var b bytes.Buffer
	if err := WriteJSON(&b, r); err != nil {
		t.Fatal(err)
	}
	var back struct {
		Findings []Finding
		Inputs   []Input
		Pack     string
	}
	if err := json.Unmarshal(b.Bytes(), &back); err != nil || len(back.Findings) != len(r.Findings) || back.Pack != "cn" || len(back.Inputs) != 2 {
		t.Fatalf("findings.json: %v %+v", err, back)
	}
	// Without findings, still valid JSON with an empty list.
	b.Reset()
	if err := WriteJSON(&b, &Report{Lang: "en", Result: newAnalyzer(t, "cn", "Asia/Shanghai").Result()}); err != nil {
		t.Fatal(err)
	}
	var empty map[string]any
	if err := json.Unmarshal(b.Bytes(), &empty); err != nil || empty["findings"] == nil || len(empty["findings"].([]any)) != 0 {
		t.Errorf("an empty report: %v\n%s", err, b.String())
	}
	want := strings.Repeat("ab", 32) + "  sms.xml\n" + strings.Repeat("cd", 32) + "  friend.xml\n"
	if got := Manifest(r.Inputs); got != want {
		t.Errorf("manifest:\n%s\nwant\n%s", got, want)
	}
}

func TestLetters(t *testing.T) {
	for _, lang := range []string{"zh", "en"} {
		ls := Letters(sampleReport(t, lang))
		names := map[string]Letter{}
		for _, l := range ls {
			names[l.Name] = l
		}
		lender, regulator, police := names["letter-lender-1."+lang+".txt"], names["letter-regulator."+lang+".txt"], names["police-report-draft."+lang+".txt"]
		if lender.Text == "" || regulator.Text == "" || police.Text == "" || len(ls) != 3 {
			t.Fatalf("%s: letters %v", lang, ls)
		}
		if !strings.Contains(lender.Text, "Synthetic Lender A") || !strings.Contains(lender.Text, "GB/T 45251—2025") ||
			!strings.Contains(lender.Text, strings.Repeat("ab", 32)) || !strings.Contains(lender.Text, "2026-11-05 22:30") {
			t.Errorf("%s: the lender's letter:\n%s", lang, lender.Text)
		}
		if !strings.Contains(police.Text, "我们是法院的") || !strings.Contains(police.Text, "293-1") || strings.Contains(police.Text, "你同事欠款") {
			t.Errorf("%s: the police draft:\n%s", lang, police.Text)
		}
		if lang == "zh" && !strings.Contains(regulator.Text, "国家金融监督管理总局") || lang == "en" && !strings.Contains(regulator.Text, "NFRA") {
			t.Errorf("%s: the regulator's letter:\n%s", lang, regulator.Text)
		}
	}
	// No threat: no police draft; no finding: no letter.
	a := newAnalyzer(t, "cn", "Asia/Shanghai", Collector{Number: "13800000001"})
	owner, _ := a.AddSource(Source{File: "calls.xml", Role: Owner})
	a.Add(owner, call(shanghai(3, 23, 0), "13800000001", export.Missed, 2))
	ls := Letters(&Report{Lang: "en", Result: a.Result()})
	if len(ls) != 2 || !strings.Contains(ls[0].Text, "[name of the lender]") {
		t.Errorf("letters without threats: %+v", ls)
	}
	a = newAnalyzer(t, "cn", "Asia/Shanghai")
	if ls := Letters(&Report{Lang: "en", Result: a.Result()}); ls != nil {
		t.Errorf("letters without findings: %+v", ls)
	}
}

func TestMarkEscapes(t *testing.T) {
	got := string(mark("a<b>&c", []Span{{Start: 1, End: 4}}))
	if got != "a<mark>&lt;b&gt;</mark>&amp;c" {
		t.Errorf("mark: %q", got)
	}
}

// The citations the letters quote are the catalogue's, verbatim.
func TestLetterCitationsAreInCatalogue(t *testing.T) {
	path, text := catalogue.Read(t)
	for _, c := range []string{citeIllegalDebt, citeHarassment, citeFalseClaims} {
		if !strings.Contains(text, c) {
			t.Errorf("%q does not appear verbatim in %s", c, path)
		}
	}
}

// Every name the report looks up has its words in both languages.
func TestTextsComplete(t *testing.T) {
	keys := []string{}
	for _, c := range Observable {
		keys = append(keys, "cat."+c)
	}
	for _, a := range assumptions {
		keys = append(keys, "assume."+a)
	}
	for _, r := range []Role{Owner, ThirdParty, Designated} {
		keys = append(keys, "role."+r.String())
	}
	for _, o := range []export.Outcome{export.Answered, export.Missed, export.Voicemail, export.Rejected, export.Blocked, export.Outgoing} {
		keys = append(keys, "out."+o.String())
	}
	keys = append(keys, "ch.call", "ch.sms")
	for _, k := range keys {
		if v, ok := texts[k]; !ok || v[0] == "" || v[1] == "" {
			t.Errorf("no zh/en text for %q", k)
		}
	}
}
