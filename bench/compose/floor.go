package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"kist/bench/internal/benchutil"
	"kist/internal/testimages"
)

// The floor of compose-demo's fresh-volume figure: PostgreSQL
// initialising an empty data directory and starting, with no container
// tool at all. The postgres image's root filesystem (the same tarball)
// is unpacked once; each round runs the image's entrypoint on it with
// the demo's environment under util-linux unshare (a user namespace with
// the user's subordinate ids, as PostgreSQL runs as its own user, plus
// mount, pid and network namespaces) and chroot, and is timed from the
// start until the server, after "PostgreSQL init process complete",
// says it accepts connections: no image store, no layers, no network to
// reach. Both tools' fresh-volume figures contain this; the target of a
// third of podman-compose's figure cannot be met when this alone is
// more than that third.
//
// Most of initdb's time here is the kernel's, in ext4 allocating inodes
// (perf: find_inode_bit, recently_deleted, find_get_block_common: a
// filesystem with much creating and deleting, as rounds of down -v and
// up make): it depends on where the data directory is. The same initdb
// in a chroot took 1.52 s with its data in one directory and 1.70 s in
// kist's volume directory (kist itself 1.66 s there), so the floor's
// data directory is in this run's temporary directory, next to the
// tools' stores; figures within about 10% of each other are equal.

// pgFloorSetup unpacks the floor's root filesystem in dir (made if
// missing) and returns it for pgFloorRound; why not when it cannot (no
// unshare with --map-auto, no subordinate ids).
func pgFloorSetup(dir string) (string, error) {
	if _, err := exec.LookPath("unshare"); err != nil {
		return "", fmt.Errorf("no unshare (util-linux) in PATH")
	}
	tarball, missing, err := testimages.Postgres.Ensure()
	if err != nil {
		return "", err
	}
	if missing != "" {
		return "", fmt.Errorf("%s", missing)
	}
	root := filepath.Join(dir, "root")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	// its files belong to subordinate ids: removed the way they were made
	benchutil.AtExit(func() { exec.Command("unshare", "--map-auto", "--map-root-user", "rm", "-rf", root).Run() })
	ep := filepath.Join(dir, "docker-entrypoint.sh")
	if err := os.WriteFile(ep, []byte(testimages.PostgresEntrypoint), 0o755); err != nil {
		return "", err
	}
	// unpacked as root of a user namespace with the subordinate ids, so
	// the files keep their owners (postgres's among them)
	unpack := fmt.Sprintf(`mkdir -p %[1]s && tar -xf %[2]s -C %[1]s && mkdir -p %[1]s/dev %[1]s/proc && cp %[3]s %[1]s/usr/local/bin/docker-entrypoint.sh`,
		shq(root), shq(tarball), shq(ep))
	if out, err := exec.Command("unshare", "--map-auto", "--map-root-user", "sh", "-c", unpack).CombinedOutput(); err != nil {
		return "", fmt.Errorf("unpacking %s with unshare --map-auto: %v: %s", tarball, err, tail(string(out), 500))
	}
	return root, nil
}

// pgFloorRound runs the entrypoint once on an empty data directory and
// returns how long PostgreSQL took to accept connections.
func pgFloorRound(root, logPath string) (time.Duration, error) {
	if out, err := exec.Command("unshare", "--map-auto", "--map-root-user", "rm", "-rf", filepath.Join(root, "var/lib/postgresql/data")).CombinedOutput(); err != nil {
		return 0, fmt.Errorf("emptying the data directory: %v: %s", err, out)
	}
	script := fmt.Sprintf(`mount --rbind /dev %[1]s/dev && mount -t proc proc %[1]s/proc && exec chroot %[1]s env -i %[2]s POSTGRES_PASSWORD=password POSTGRES_DB=mydatabase /usr/local/bin/docker-entrypoint.sh postgres`,
		shq(root), strings.Join(quoteAll(testimages.PostgresEnv), " "))
	c := exec.Command("unshare", "--map-auto", "--map-root-user", "--mount", "--net", "--pid", "--fork", "--kill-child=SIGINT", "sh", "-c", script)
	r, w, err := os.Pipe()
	if err != nil {
		return 0, err
	}
	logf, err := os.Create(logPath)
	if err != nil {
		return 0, err
	}
	defer logf.Close()
	c.Stdout, c.Stderr = w, w
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	start := time.Now()
	if err := c.Start(); err != nil {
		w.Close()
		return 0, err
	}
	w.Close()
	ready := make(chan time.Duration, 1)
	go func() {
		sc := bufio.NewScanner(io.TeeReader(r, logf))
		initDone := false
		for sc.Scan() {
			line := sc.Text()
			if strings.Contains(line, "PostgreSQL init process complete") {
				initDone = true
			}
			if initDone && strings.Contains(line, "ready to accept connections") {
				ready <- time.Since(start)
				break
			}
		}
		io.Copy(logf, r)
		close(ready)
	}()
	var d time.Duration
	var ok bool
	select {
	case d, ok = <-ready:
	case <-time.After(upLimit):
	}
	// unshare --fork ignores SIGINT and SIGTERM itself: the server (its
	// child) gets SIGINT, PostgreSQL's fast shutdown
	syscall.Kill(-c.Process.Pid, syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
		<-done
	}
	r.Close()
	if !ok {
		return 0, fmt.Errorf("PostgreSQL did not accept connections within %v (see %s)", upLimit, logPath)
	}
	return d, nil
}

// shq quotes s for sh.
func shq(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func quoteAll(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = shq(s)
	}
	return out
}
