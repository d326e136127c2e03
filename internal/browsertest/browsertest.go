// Package browsertest drives headless Chromium in tests: Debian's
// /usr/bin/chromium, or the browser named by FAIRDEBT_CHROMIUM. A test that
// needs it is skipped, saying why, when there is none; .ci/run installs it.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Start starts a headless browser with a window of width × height and returns
// a context to drive it, cancelled when the test ends; every step must finish
// within a minute.
func Start(t testing.TB, width, height int) context.Context {
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
		chromedp.NoSandbox,        // CI runs as root
		chromedp.IgnoreCertErrors, // a test server's certificate
		chromedp.WindowSize(width, height),
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

// Shot saves a full-page screenshot as dir/name.png and logs its path.
func Shot(t testing.TB, dir, name string) chromedp.Action[chromedp.Void] {
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

// ScreenshotDir makes a directory for a test's screenshots. It is kept after
// the test, so the paths the test prints can be opened.
func ScreenshotDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "fairdebt-screens-")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// Read runs a to read a value, failing the test on error.
func Read[T any](t testing.TB, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
