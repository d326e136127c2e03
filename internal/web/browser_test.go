package web

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// browser starts headless Chromium (Debian's /usr/bin/chromium, or the one named
// by FAIRDEBT_CHROMIUM) and returns a context to drive it. The test is skipped,
// saying why, when there is none: .ci/run installs it.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := os.Getenv("FAIRDEBT_CHROMIUM")
	if path == "" {
		for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
			if p, err := exec.LookPath(name); err == nil {
				path = p
				break
			}
		}
	}
	if path == "" {
		t.Skip("no Chromium found (install Debian's chromium, or set FAIRDEBT_CHROMIUM); .ci/run installs it")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,            // CI runs as root
		chromedp.IgnoreCertErrors,     // the test server's certificate
		chromedp.WindowSize(412, 915), // a phone
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(cancel3)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	return ctx
}

// shot saves a screenshot under dir and logs its path.
func shot(t *testing.T, dir, name string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		png, err := chromedp.FullScreenshot(100)(ctx, tg)
		if err != nil {
			return err
		}
		path := filepath.Join(dir, name+".png")
		if err := os.WriteFile(path, png, 0o644); err != nil {
			return err
		}
		t.Logf("screenshot: %s", path)
		return nil
	})
}

// get runs a to read a value, failing the test on error.
func get[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
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
	e := start(t)
	ctx := browser(t)
	dir, err := os.MkdirTemp("", "fairdebt-screens-")
	if err != nil {
		t.Fatal(err)
	}
	id := func(s string) chromedp.CSS { return chromedp.CSS("#" + s) }
	browse(t, ctx,
		chromedp.Navigate(e.srv.URL+"/login"),
		chromedp.WaitVisible(id("username")),
		chromedp.SendKeys(id("username"), "collector1"),
		chromedp.SendKeys(id("password"), "not the passphrase"),
		chromedp.Click(id("login-submit")),
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
