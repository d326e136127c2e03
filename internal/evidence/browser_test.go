package evidence

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/fairdebt/fairdebt/internal/browsertest"
)

// The report as a borrower opens it, from a file, in headless Chromium, in both
// languages and at a desktop's and a phone's width: the title, a row per
// finding, the timeline drawn, the words marked, nothing wider than the
// screen. Screenshots are saved and their paths printed
// (go test ./internal/evidence -run Browser -v).
func TestReportInBrowser(t *testing.T) {
	dir := browsertest.ScreenshotDir(t)
	for _, lang := range []string{"zh", "en"} {
		r := sampleReport(t, lang)
		page := filepath.Join(dir, "report-"+lang+".html")
		f, err := os.Create(page)
		if err != nil {
			t.Fatal(err)
		}
		if err := WriteHTML(f, r); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		for _, size := range []struct {
			name          string
			width, height int
		}{{"desktop", 1280, 900}, {"phone", 412, 915}} {
			ctx := browsertest.Start(t, size.width, size.height)
			if err := chromedp.Do(ctx, chromedp.Navigate("file://"+page), chromedp.WaitVisible(chromedp.CSS("#title")),
				browsertest.Shot(t, dir, "report-"+lang+"-"+size.name)); err != nil {
				t.Fatalf("%s %s: %v", lang, size.name, err)
			}
			title := browsertest.Read(t, ctx, chromedp.Text(chromedp.CSS("#title")))
			rows := browsertest.Read(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("tr.finding").length`))
			marks := browsertest.Read(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("#findings-table mark").length`))
			bars := browsertest.Read(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("#timeline-figure svg .chart-seg").length`))
			overflow := browsertest.Read(t, ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
			want := map[string]string{"zh": "催收证据分析报告", "en": "Debt collection evidence report"}[lang]
			if title != want || rows != len(r.Findings) || marks == 0 || bars == 0 {
				t.Errorf("%s %s: title %q, %d rows for %d findings, %d marks, %d bars", lang, size.name, title, rows, len(r.Findings), marks, bars)
			}
			if overflow {
				t.Errorf("%s %s: the page is wider than the screen", lang, size.name)
			}
		}
	}
}
