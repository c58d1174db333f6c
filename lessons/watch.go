package lessons

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Watch checks the current step again whenever a file in the lesson's
// folder changes, until the lesson is done or ctx ends (Ctrl-C). It polls
// the folder (every interval; 0: half a second) instead of asking the
// kernel (inotify), so it works on NFS homes and wherever inotify's
// limits are used up.
func (s *Session) Watch(ctx context.Context, interval time.Duration) error {
	if interval <= 0 {
		interval = 500 * time.Millisecond
	}
	l, err := s.current()
	if err != nil {
		return err
	}
	dir := s.Folder(l)
	s.sayf("", "watching", dir)
	last := ""
	for {
		snap, err := snapshot(dir)
		if err != nil {
			return errors.New(t(s.Lang, "missing-folder", dir, l.Number))
		}
		// A step without a check has nothing to wait for: watch
		// shows it (Check did) and goes on.
		if step := s.Progress.Of(l.Name).Current(l); step != "" && l.CheckFile(step) == "" && last != "" {
			if err := s.Check(ctx); err != nil {
				return err
			}
			if s.Progress.Of(l.Name).Complete(l) {
				return nil
			}
			continue
		}
		if snap != last {
			// Wait for the editor to finish writing: two looks alike.
			if !sleep(ctx, interval) {
				return nil
			}
			if again, _ := snapshot(dir); again != snap {
				continue
			}
			last = snap
			if s.Progress.Of(l.Name).Complete(l) {
				return s.showStep(l)
			}
			fmt.Fprintln(s.out)
			s.sayf(dim, "checking", time.Now().Format("15:04:05"))
			err := s.Check(ctx)
			if ctx.Err() != nil {
				return nil
			}
			if err != nil && !errors.Is(err, ErrNotPassed) {
				return err
			}
			if s.Progress.Of(l.Name).Complete(l) {
				return nil
			}
		}
		if !sleep(ctx, interval) {
			return nil
		}
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

// snapshot sums up the folder's files: names, sizes and times, so that
// any change (a save, a new file, a removed one) changes it.
func snapshot(dir string) (string, error) {
	if _, err := os.Stat(dir); err != nil {
		return "", err
	}
	var b []byte
	n := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // a file removed while we look: the next look sees it
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return fs.SkipDir
		}
		if n++; n > 10000 {
			return fs.SkipAll
		}
		fi, err := d.Info()
		if err != nil {
			return nil
		}
		b = fmt.Appendf(b, "%s %d %d %o\n", p, fi.Size(), fi.ModTime().UnixNano(), fi.Mode())
		return nil
	})
	return string(b), err
}
