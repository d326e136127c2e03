package web

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fairdebt/fairdebt/internal/browsertest"
	"github.com/fairdebt/fairdebt/internal/collection"
)

// browser starts headless Chromium the size of a phone (see browsertest.Start).
func browser(t *testing.T) context.Context {
	t.Helper()
	return browsertest.Start(t, 412, 915)
}

// shot saves a screenshot under dir and logs its path.
func shot(t *testing.T, dir, name string) chromedp.Action[chromedp.Void] {
	return browsertest.Shot(t, dir, name)
}

// signInSteps are the browser's steps to sign in at url (a sign-in page, perhaps
// through the language switch) as user.
func signInSteps(url, user, pass string) []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{
		chromedp.Navigate(url),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), user),
		chromedp.SendKeys(chromedp.CSS("#password"), pass),
		chromedp.Click(chromedp.CSS("#login-submit")),
	}
}

// browserTest starts the test server and a browser, and makes the directory the
// test's screenshots go to (kept, so that their printed paths can be opened).
func browserTest(t *testing.T) (*env, context.Context, string) {
	t.Helper()
	e := start(t)
	ctx := browser(t)
	return e, ctx, browsertest.ScreenshotDir(t)
}

// portalCodeSteps are the browser's steps to ask, in English, for a portal
// sign-in code for phone, up to the code form.
func portalCodeSteps(base, phone string) []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{
		chromedp.Navigate(base + "/lang/en?next=/portal/login"),
		chromedp.WaitVisible(id("contact")),
		chromedp.SendKeys(id("contact"), phone),
		chromedp.Click(id("send-code")),
		chromedp.WaitVisible(id("code")),
	}
}

// id selects the element with an id.
func id(s string) chromedp.CSS { return chromedp.CSS("#" + s) }

// get runs a to read a value, failing the test on error.
func get[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	return browsertest.Read(t, ctx, a)
}

func browse(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

// In a real browser on a phone-sized screen: the sign-in page speaks the
// browser's language (headless Chromium asks for English); a wrong password shows
// the reason; the collector, who chose Chinese, sees their role in Chinese, and
// the device keeps Chinese after signing out until the switch says otherwise.
func TestBrowserSignIn(t *testing.T) {
	e, ctx, dir := browserTest(t)
	browse(t, ctx, signInSteps(e.srv.URL+"/login", "collector1", "not the passphrase")...)
	browse(t, ctx,
		chromedp.WaitVisible(id("login-error")),
		shot(t, dir, "1-wrong-password"),
	)
	if text := get(t, ctx, chromedp.Text(id("login-error"))); text != "Wrong username or password." {
		t.Errorf("wrong password shows %q", text)
	}
	browse(t, ctx,
		chromedp.SendKeys(id("password"), collectorPass),
		chromedp.Click(id("login-submit")),
		chromedp.WaitVisible(id("role")),
		shot(t, dir, "2-home"),
	)
	if role := get(t, ctx, chromedp.Text(id("role"))); role != "催收员" {
		t.Errorf("role shown: %q, want 催收员", role)
	}
	browse(t, ctx,
		chromedp.Click(id("logout")),
		chromedp.WaitVisible(id("login-submit")),
	)
	// Signed out, the device keeps the collector's Chinese; the switch goes back.
	if button := get(t, ctx, chromedp.Text(id("login-submit"))); button != "登录" {
		t.Errorf("signed out, the button says %q", button)
	}
	browse(t, ctx,
		chromedp.Click(id("lang-switch")),
		chromedp.WaitVisible(id("login-submit")),
		shot(t, dir, "3-signed-out-english"),
	)
	if button := get(t, ctx, chromedp.Text(id("login-submit"))); button != "Sign in" {
		t.Errorf("after switching to English the button says %q", button)
	}
	if lang := get(t, ctx, chromedp.AttributeValue(chromedp.CSS("html"), "lang")); lang.Value != "en" {
		t.Errorf("after switching to English: lang %q", lang.Value)
	}
}

// In the browser, a collector works a case: at 23:30 the call is denied and the
// page says why, with the rule's citation; the next morning it is allowed and the
// outcome is recorded. A manager of another agency then fails to open the case.
func TestBrowserWorkACase(t *testing.T) {
	e, ctx, dir := browserTest(t)
	e.clk.Set(time.Date(2026, 11, 2, 15, 30, 0, 0, time.UTC)) // 23:30 in Shanghai
	signIn := func(user, pass string) {
		browse(t, ctx, append(signInSteps(e.srv.URL+"/login", user, pass), chromedp.WaitVisible(id("nav-cases")))...)
	}
	signIn("collector1", collectorPass)
	browse(t, ctx,
		chromedp.Click(id("nav-cases")),
		chromedp.WaitVisible(id("worklist")),
		shot(t, dir, "4-worklist"),
		chromedp.Click(chromedp.CSS("a.case-link")),
		chromedp.WaitVisible(id("call-B1")),
		chromedp.Click(id("call-B1")),
		chromedp.WaitVisible(id("decision")),
		shot(t, dir, "5-denied-at-night"),
	)
	if text := get(t, ctx, chromedp.Text(id("decision"))); !strings.Contains(text, "拒绝") || !strings.Contains(text, "自 ") {
		t.Errorf("the denied call shows %q", text)
	}
	if cite := get(t, ctx, chromedp.Text(chromedp.CSS("#decision .citation"))); cite == "" {
		t.Error("the denial shows no citation")
	}
	e.clk.Set(time.Date(2026, 11, 3, 2, 0, 0, 0, time.UTC)) // 10:00 the next morning
	browse(t, ctx,
		chromedp.Click(id("call-B1")),
		chromedp.WaitVisible(chromedp.CSS("#decision.allowed")),
		chromedp.WaitVisible(chromedp.CSS("select[name=result]")),
		chromedp.SetValue(chromedp.CSS("select[name=result]"), "connected"),
		chromedp.Click(chromedp.CSS("button[id^=record-]")),
		chromedp.WaitVisible(chromedp.CSS("span.result")),
		shot(t, dir, "6-outcome-recorded"),
	)
	if result := get(t, ctx, chromedp.Text(chromedp.CSS("#history tbody tr:first-child span.result"))); result != "已接通" {
		t.Errorf("the recorded outcome shows %q", result)
	}
	browse(t, ctx, chromedp.Click(id("logout")), chromedp.WaitVisible(id("login-submit")))
	signIn("manager2", managerPass)
	browse(t, ctx,
		chromedp.Navigate(e.srv.URL+"/cases/CASE1"),
		chromedp.WaitVisible(id("error-message")),
		shot(t, dir, "7-other-agency-refused"),
	)
	if text := get(t, ctx, chromedp.Text(id("error-message"))); !strings.Contains(text, "未找到") && !strings.Contains(text, "Not found") {
		t.Errorf("manager2 on CASE1 sees %q", text)
	}
	if body := get(t, ctx, chromedp.OuterHTML(chromedp.CSS("main"))); strings.Contains(body, "Synthetic Debtor") {
		t.Error("the refusal shows the borrower's name")
	}
}

// In the browser, the lender's administrator uploads a CSV with two bad rows: the
// good ones are imported and the two reported with their lines and reasons.
func TestBrowserImport(t *testing.T) {
	e, ctx, dir := browserTest(t)
	file := filepath.Join(t.TempDir(), "debts.csv")
	if err := os.WriteFile(file, []byte(importCSV), 0o600); err != nil {
		t.Fatal(err)
	}
	browse(t, ctx, signInSteps(e.srv.URL+"/lang/en?next=/login", "admin1", managerPass)...)
	browse(t, ctx,
		chromedp.WaitVisible(id("nav-import")),
		chromedp.Click(id("nav-import")),
		chromedp.WaitVisible(id("import-file")),
		chromedp.SetUploadFiles(id("import-file"), []string{file}),
		chromedp.Click(id("import-submit")),
		chromedp.WaitVisible(id("import-finished")),
		shot(t, dir, "8-import-report"),
	)
	if counts := get(t, ctx, chromedp.Text(id("import-counts"))); counts != "5 of 5 rows: 3 imported, 2 rejected." {
		t.Errorf("import counts %q", counts)
	}
	rows := get(t, ctx, chromedp.Text(id("import-errors")))
	if !strings.Contains(rows, "timezone") || !strings.Contains(rows, "amount") {
		t.Errorf("rejected rows shown: %q", rows)
	}
}

// The composer screens as the collector types: a threat is flagged before it is
// ever sent (the page's script, allowed by the CSP, calls /screen).
func TestBrowserLiveScreening(t *testing.T) {
	e, ctx, dir := browserTest(t)
	browse(t, ctx, signInSteps(e.srv.URL+"/login", "collector1", collectorPass)...)
	browse(t, ctx,
		chromedp.WaitVisible(id("nav-cases")),
		chromedp.Navigate(e.srv.URL+"/cases/CASE1"),
		chromedp.WaitVisible(id("sms-B1")),
		chromedp.Click(id("sms-B1")),
		chromedp.WaitVisible(id("screen-clean")),
		chromedp.Clear(id("message")),
		chromedp.SendKeys(id("message"), threat),
		chromedp.WaitVisible(id("screen-findings")),
		shot(t, dir, "9-live-screening"),
	)
	if text := get(t, ctx, chromedp.Text(id("screen-findings"))); !strings.Contains(text, "threat") {
		t.Errorf("live screening shows %q", text)
	}
}

// In the browser, a manager moves a case from nobody's worklist to a collector's
// on the team page, then reads the dashboard, whose charts are drawn on the
// server and shown under the CSP; the preferences page switches the language.
func TestBrowserTeamAndDashboard(t *testing.T) {
	e, ctx, dir := browserTest(t)
	admin := collection.Principal{Admin: true, Role: collection.RoleAdmin, Name: "test"}
	if _, err := e.svc.Decide(context.Background(), admin, collection.AttemptInput{CaseID: "CASE1", PartyID: "B1", Channel: "call"}); err != nil {
		t.Fatal(err)
	}
	e.clk.Set(time.Date(2026, 11, 2, 15, 30, 0, 0, time.UTC)) // 23:30 in Shanghai: denied
	if _, err := e.svc.Decide(context.Background(), admin, collection.AttemptInput{CaseID: "CASE2", PartyID: "B2", Channel: "call"}); err != nil {
		t.Fatal(err)
	}
	browse(t, ctx, signInSteps(e.srv.URL+"/lang/en?next=/login", "manager1", managerPass)...)
	browse(t, ctx,
		chromedp.WaitVisible(id("nav-team")),
		chromedp.Click(id("nav-team")),
		chromedp.WaitVisible(id("group-unassigned")),
		chromedp.SetValue(id("to-CASE2"), "collector2"),
		chromedp.Click(id("assign-CASE2")),
		chromedp.WaitVisible(chromedp.CSS("#group-collector2 a[href='/cases/CASE2']")),
		shot(t, dir, "10-team"),
	)
	if text := get(t, ctx, chromedp.Text(id("group-unassigned"))); strings.Contains(text, "CASE2") {
		t.Errorf("CASE2 still unassigned: %q", text)
	}
	// The team page has some of the dashboard's ids: wait for the new page itself.
	loaded := func(js string) {
		t.Helper()
		js += " && document.readyState === 'complete'"
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			// During a navigation the page's context may be gone: ask again.
			if ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js)); err == nil && ok {
				return
			}
		}
		t.Fatalf("the page never satisfied %s", js)
	}
	browse(t, ctx, chromedp.Click(id("nav-dashboard")))
	loaded("location.pathname === '/dashboard'")
	browse(t, ctx,
		chromedp.WaitVisible(id("chart-contacts")),
		chromedp.SetValue(id("tz"), "Asia/Shanghai"),
		chromedp.Click(chromedp.CSS("#stats-form button")),
	)
	loaded("location.search.includes('tz=Asia%2FShanghai')")
	browse(t, ctx,
		chromedp.WaitVisible(id("chart-categories")),
		shot(t, dir, "11-dashboard"),
	)
	box := get(t, ctx, chromedp.Dimensions(id("chart-contacts")))
	if box.Width < 300 || box.Height < 100 {
		t.Errorf("the contacts chart is drawn %dx%d", box.Width, box.Height)
	}
	if n := get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("#chart-contacts rect.chart-seg").length`)); n != 2 {
		t.Errorf("%d column segments, want 2 (one allowed, one denied)", n)
	}
	if kpi := get(t, ctx, chromedp.Text(id("kpi-denied"))); kpi != "1 (50.0%)" {
		t.Errorf("denied: %q", kpi)
	}
	browse(t, ctx,
		chromedp.Click(id("whoami")),
		chromedp.WaitVisible(id("settings")),
		chromedp.Click(id("lang-zh")),
		chromedp.Click(id("settings-save")),
	)
	loaded("location.search === '?saved=1'")
	browse(t, ctx,
		chromedp.WaitVisible(id("notice")),
		shot(t, dir, "12-preferences"),
	)
	if text := get(t, ctx, chromedp.Text(id("notice"))); text != "已保存。" {
		t.Errorf("after choosing Chinese the page says %q", text)
	}
}

// In the browser, a borrower asks for a code, reads it in the demo's outbox (in
// another tab), signs in, sees the attempt made to their mother, and withdraws
// her designation; the collector's next attempt to her is denied.
func TestBrowserBorrowerRevokesTheirMother(t *testing.T) {
	e, ctx, dir := browserTest(t)
	e.addMother(t)
	collector, _ := e.signedInPrincipal(t, "collector1")
	if _, err := e.svc.Decide(context.Background(), collector, collection.AttemptInput{CaseID: "CASE1", PartyID: "P1", Channel: "call", Purpose: "locate"}); err != nil {
		t.Fatal(err)
	}
	browse(t, ctx, append(portalCodeSteps(e.srv.URL, "13900000000"), shot(t, dir, "13-portal-code-sent"))...)
	// The outbox, in a second tab.
	tab, cancel := chromedp.NewContext(ctx)
	defer cancel()
	browse(t, tab, chromedp.Navigate(e.srv.URL+"/outbox"), chromedp.WaitVisible(id("outbox")), shot(t, dir, "14-outbox"))
	code := sixDigits.FindString(get(t, tab, chromedp.Text(chromedp.CSS("#outbox tbody tr:first-child .outbox-text"))))
	if code == "" {
		t.Fatal("no code in the outbox")
	}
	browse(t, ctx,
		chromedp.SendKeys(id("code"), code),
		chromedp.Click(id("verify-code")),
		chromedp.WaitVisible(id("people-list")),
		shot(t, dir, "15-portal"),
	)
	if to := get(t, ctx, chromedp.Text(chromedp.CSS("#attempt-list tbody tr:first-child .attempt-to"))); !strings.Contains(to, "Synthetic Mother") {
		t.Errorf("the newest attempt was to %q", to)
	}
	browse(t, ctx,
		chromedp.Click(id("revoke-P1")),
		chromedp.WaitVisible(id("notice")),
		chromedp.WaitVisible(chromedp.CSS("#party-P1 .consent-withdrawn")),
		shot(t, dir, "16-designation-withdrawn"),
	)
	a, err := e.svc.Decide(context.Background(), collector, collection.AttemptInput{CaseID: "CASE1", PartyID: "P1", Channel: "call", Purpose: "locate"})
	if err != nil || a.Allowed {
		t.Fatalf("the collector's next attempt to the mother: %+v, %v", a, err)
	}
	browse(t, ctx, chromedp.Reload(), chromedp.WaitVisible(id("attempt-list")))
	if row := get(t, ctx, chromedp.Text(chromedp.CSS("#attempt-list tbody tr:first-child"))); !strings.Contains(row, "Denied") {
		t.Errorf("the portal shows the new attempt as %q", row)
	}
}

// In the browser, a borrower files a complaint with a screenshot and downloads
// its receipt, which `fairdebt audit verify-receipt` accepts; nobody answers, the
// complaint goes overdue and is escalated, and a regulator finds it.
func TestBrowserComplaintReceiptAndEscalation(t *testing.T) {
	e, ctx, dir := browserTest(t)
	shotFile := filepath.Join(t.TempDir(), "call-log.png")
	if err := os.WriteFile(shotFile, append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), make([]byte, 64)...), 0o600); err != nil {
		t.Fatal(err)
	}
	browse(t, ctx, portalCodeSteps(e.srv.URL, "+8613900000000")...)
	code := e.lastCode(t)
	browse(t, ctx,
		chromedp.SendKeys(id("code"), code),
		chromedp.Click(id("verify-code")),
		chromedp.WaitVisible(id("new-complaint")),
		chromedp.Click(id("new-complaint")),
		chromedp.WaitVisible(id("complaint-form")),
		chromedp.SetValue(id("complaint-category"), "third_party"),
		chromedp.SendKeys(id("complaint-text"), "They called my mother at 23:40 and said I would be arrested."),
		chromedp.SetUploadFiles(id("complaint-evidence"), []string{shotFile}),
		chromedp.Click(id("complaint-submit")),
		chromedp.WaitVisible(id("receipt-link")),
		shot(t, dir, "19-complaint-filed"),
	)
	complaintID := get(t, ctx, chromedp.Text(id("complaint-id")))
	// The receipt, as the borrower's browser downloads it.
	receipt := get(t, ctx, chromedp.Evaluate[string](`fetch("/complaints/`+complaintID+`/receipt").then(r => r.text())`,
		chromedp.EvalAwaitPromise))
	file := filepath.Join(dir, "receipt-"+complaintID+".json")
	if err := os.WriteFile(file, []byte(receipt), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("receipt: %s", file)
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("no go tool to run fairdebt audit verify-receipt: %v", err)
	}
	cmd := exec.Command(goTool, "run", "../../cmd/fairdebt", "audit", "verify-receipt", file, "--key", e.vkey)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), complaintID) {
		t.Fatalf("fairdebt audit verify-receipt: %v\n%s", err, out)
	}

	// Nobody answers: past the deadline, the sweep escalates it.
	c, err := e.svc.Complaint(context.Background(), collection.Principal{Admin: true, Role: collection.RoleAdmin}, complaintID)
	if err != nil {
		t.Fatal(err)
	}
	e.clk.Set(c.DueAt.Add(time.Minute))
	if n, err := e.svc.EscalateOverdue(context.Background()); err != nil || n != 1 {
		t.Fatalf("escalating: %d, %v", n, err)
	}
	browse(t, ctx, append(signInSteps(e.srv.URL+"/login", "reg1", managerPass),
		chromedp.WaitVisible(id("nav-complaints")),
		chromedp.Navigate(e.srv.URL+"/complaints?filter=escalated"),
		chromedp.WaitVisible(id("complaint-list")),
		shot(t, dir, "20-regulator-escalated"),
	)...)
	if list := get(t, ctx, chromedp.Text(id("complaint-list"))); !strings.Contains(list, complaintID) || !strings.Contains(list, "escalated") {
		t.Errorf("the regulator's escalated complaints: %q", list)
	}
}
