// Package browsertest opens kist's pages in a real browser for tests:
// headless Chromium (Debian's chromium package), its rendered DOM and a
// screenshot, so that a test sees a page as a person would.
package browsertest

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Width and Height are the window a screenshot shows.
const (
	Width  = 1280
	Height = 900
)

// Find returns headless Chromium's path; it skips the test when there is
// none or under -short.
func Find(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not on PATH, so the page is not checked in a real browser (Debian: apt-get install chromium)")
	}
	if testing.Short() {
		t.Skip("-short: no browser")
	}
	return bin
}

// flags are what headless Chromium needs here: --no-sandbox because its
// sandbox cannot start as root (nor, on many machines, without
// unprivileged user namespaces); a fixed size and scale, sRGB so that a
// colour on the page is that colour on the screenshot; a profile, cache
// and crash reports in dir, never in $HOME.
func flags(dir string) []string {
	return []string{"--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
		"--window-size=1280,900", "--force-device-scale-factor=1", "--force-color-profile=srgb",
		"--user-data-dir=" + filepath.Join(dir, "profile"), "--disk-cache-dir=" + filepath.Join(dir, "cache"),
		"--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-sync",
		"--disable-background-networking", "--disable-component-update", "--disable-breakpad",
		"--disable-dev-shm-usage", "--mute-audio"}
}

// Run runs headless Chromium (bin, from Find) on url with the extra
// flags, its files in dir, and returns what it printed. Its time limit is
// generous: it can be slow to start on a busy machine, and nothing here
// is timed.
func Run(t *testing.T, bin, dir, url string, extra ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := append(flags(dir), extra...)
	cmd := exec.CommandContext(ctx, bin, append(args, url)...)
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_CONFIG_HOME="+filepath.Join(dir, "config"),
		"XDG_CACHE_HOME="+filepath.Join(dir, "cache"), "XDG_DATA_HOME="+filepath.Join(dir, "data"))
	// Chromium's helpers (zygote, renderer, GPU) are its children: end
	// them all, and do not wait for them forever.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	t.Logf("chromium %s: %v", strings.Join(extra, " "), time.Since(start).Round(time.Millisecond))
	if err != nil {
		t.Fatalf("chromium %s: %v (timed out: %v)\nstderr:\n%s", strings.Join(extra, " "), err, ctx.Err() != nil, tail(stderr.String(), 4000))
	}
	return stdout.Bytes()
}

// DOM is the page as the browser rendered it (--dump-dom).
func DOM(t *testing.T, bin, dir, url string) string {
	t.Helper()
	return string(Run(t, bin, dir, url, "--dump-dom"))
}

// Screenshot is the top of the page (Width x Height) as the browser drew
// it. With keep set (an environment variable's name), the PNG is also
// written where that variable says.
func Screenshot(t *testing.T, bin, dir, url, keep string) image.Image {
	t.Helper()
	shot := filepath.Join(dir, "screenshot.png")
	Run(t, bin, dir, url, "--screenshot="+shot)
	data, err := os.ReadFile(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	if p := os.Getenv(keep); keep != "" && p != "" {
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Error(err)
		}
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("the screenshot: %v", err)
	}
	if b := img.Bounds(); b.Dx() != Width || b.Dy() != Height {
		t.Fatalf("the screenshot is %dx%d, want %dx%d", b.Dx(), b.Dy(), Width, Height)
	}
	return img
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}
