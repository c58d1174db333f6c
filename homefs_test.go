package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestHomeOnFUSE is issue 19's home directory on NFS, with a FUSE file
// system standing in for NFS: this machine's kernel has no NFS client or
// server (no CONFIG_NFS_FS, no modules), and FUSE gets the same refusal
// from the kernel (an overlay's upper directory there fails with EINVAL,
// "upper fs missing required features"). bindfs --chown-deny
// --chgrp-deny stands in for an NFS server refusing the ids of a
// subordinate range. What it does not cover: NFS's own magic number
// (dirs.fsKinds lists it), real NFS servers' other refusals (root
// squash, NFSv4 id mapping), and NFSv4.2's user xattrs.
//
// As root, it mounts bindfs in a mount namespace of its own (unshare -m,
// so nobody else sees it; bindfs runs with -f and is killed at the end,
// since a daemonized one would outlive the namespace) and runs kist there
// as kistnosub and kistsub (runuser), with XDG_DATA_HOME on the mount:
// kist keeps the store and containers in /var/tmp/kist-UID, says so once
// per login, kist info and kist doctor show where, and kist system
// reset removes it. Then KIST_STORAGE_ROOT on the mount itself: overlay
// is never used there with a mount program kist does not use
// (fuse-overlayfs, a fake one here), a failed overlay does not pin the
// store, and another store in the same login still gets overlay; and,
// for kistsub on the chown-denying mount, a plain message when unpacking
// cannot give files to the image's owners.
func TestHomeOnFUSE(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root: it mounts a FUSE file system (bindfs) and runs kist as the test users")
	}
	if !usernsOK() {
		t.Skip("user namespaces cannot be created here")
	}
	tools := map[string]string{}
	for _, p := range []string{"bindfs", "unshare", "nsenter", "runuser"} {
		path, err := exec.LookPath(p)
		if err != nil {
			t.Skipf("%s is not installed (apt-get install bindfs util-linux)", p)
		}
		tools[p] = path
	}
	if _, err := os.Stat("/dev/fuse"); err != nil {
		t.Skip("no /dev/fuse")
	}
	var users []string
	for _, u := range []string{"kistnosub", "kistsub"} {
		if _, err := user.Lookup(u); err == nil {
			users = append(users, u)
		}
	}
	if len(users) == 0 {
		t.Skip("no test users (kistnosub, kistsub: scripts/test makes them)")
	}

	base, err := os.MkdirTemp("", "kist-homefs-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// a network keeper may still be leaving (its grace period)
		for i := 0; os.RemoveAll(base) != nil && i < 50; i++ {
			time.Sleep(100 * time.Millisecond)
		}
	})
	os.Chmod(base, 0o755)
	bin := filepath.Join(base, "bin", "kist")
	copyExecutable(t, bin)
	// a fuse-overlayfs storage would find (and record) but never run
	fake := filepath.Join(base, "fakebin", "fuse-overlayfs")
	writeFileMode(t, fake, "#!/bin/sh\nexit 1\n", 0o755)
	writeFileMode(t, filepath.Join(base, "ctx", "Dockerfile"), "FROM toolbox\nRUN echo hi > /hello\n", 0o644)

	// the mount namespace: a process that holds it, entered with nsenter
	holder := exec.Command(tools["unshare"], "-m", "--propagation", "private", "sleep", "infinity")
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { holder.Process.Kill(); holder.Wait() })
	// unshare has made the namespace (and its mounts private) once it
	// runs sleep: entered before, the mount would be everyone's
	for i := 0; ; i++ {
		comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", holder.Process.Pid))
		theirs, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/mnt", holder.Process.Pid))
		ours, _ := os.Readlink("/proc/self/ns/mnt")
		if strings.TrimSpace(string(comm)) == "sleep" && theirs != "" && theirs != ours {
			break
		}
		if i == 200 {
			t.Fatalf("unshare -m did not start (%q, %s)", comm, theirs)
		}
		time.Sleep(10 * time.Millisecond)
	}
	inNS := func(ctx context.Context, args ...string) *exec.Cmd {
		return exec.CommandContext(ctx, tools["nsenter"], append([]string{"-t", strconv.Itoa(holder.Process.Pid), "-m", "--"}, args...)...)
	}
	mount := func(name string, opts ...string) (src, mnt string) {
		src, mnt = filepath.Join(base, name+"-src"), filepath.Join(base, name)
		for _, d := range []string{src, mnt} {
			os.Mkdir(d, 0o755)
		}
		for _, u := range users {
			mkdirOwned(t, filepath.Join(src, u), u)
		}
		cmd := inNS(context.Background(), append(append([]string{tools["bindfs"], "-f", "-o", "allow_other"}, opts...), src, mnt)...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() })
		for i := 0; ; i++ {
			b, _ := inNS(context.Background(), "stat", "-f", "-c", "%t", mnt).Output()
			if strings.TrimSpace(string(b)) == "65735546" {
				return src, mnt
			}
			if i == 200 {
				t.Fatalf("bindfs %v did not mount %s: %s", opts, mnt, out.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	fuseSrc, fuse := mount("fuse")
	_, denying := mount("fuse-chown-deny", "--chown-deny", "--chgrp-deny")

	for _, u := range users {
		t.Run(u, func(t *testing.T) {
			home := filepath.Join(base, "home-"+u)
			mkdirOwned(t, home, u)
			k := &homeUser{t: t, name: u, inNS: inNS, bin: bin, env: []string{
				"HOME=" + home, "USER=" + u, "PATH=" + filepath.Dir(fake) + ":/usr/sbin:/usr/bin:/sbin:/bin",
				"XDG_CACHE_HOME=" + home + "/cache", "XDG_RUNTIME_DIR=" + home + "/run1",
				"XDG_DATA_HOME=" + filepath.Join(fuse, u, "data"), "KIST_KEEPER_GRACE=1s",
			}}
			uid := k.uid()
			localRE := regexp.MustCompile(`(?m)^Store: (/var/tmp/kist-` + uid + `(-[0-9]+)?)/storage$`)

			// a fresh login on the FUSE home
			out, errOut := k.ok("info")
			m := localRE.FindStringSubmatch(out)
			if m == nil {
				t.Fatalf("kist info does not show the store in /var/tmp/kist-%s:\n%s", uid, out)
			}
			local := m[1]
			t.Cleanup(func() { // should reset fail
				if strings.HasPrefix(local, "/var/tmp/kist-") {
					os.RemoveAll(local)
				}
			})
			if !strings.Contains(out, " Location: "+local+", on this computer's own disk") || !strings.Contains(out, "is on FUSE") {
				t.Errorf("kist info does not say why:\n%s", out)
			}
			if n := strings.Count(errOut, "is on FUSE"); n != 1 || !strings.Contains(errOut, "kist: notice: ") {
				t.Errorf("the notice, %d times (want once):\n%s", n, errOut)
			}
			assertPrivate(t, local, u)
			if _, errOut = k.ok("run", "--rm", "toolbox", "true"); strings.Contains(errOut, "is on FUSE") {
				t.Errorf("the notice again in the same login:\n%s", errOut)
			}
			k.ok("build", "-t", "small", filepath.Join(base, "ctx"))
			if out, _ = k.ok("run", "--rm", "small", "cat", "/hello"); strings.TrimSpace(out) != "hi" {
				t.Errorf("run --rm small cat /hello: %q", out)
			}
			k.ok("run", "--name", "keep", "small", "true")
			if out, _ = k.ok("ps", "-a"); !strings.Contains(out, "keep") {
				t.Errorf("kist ps -a:\n%s", out)
			}
			if out, _ = k.ok("images"); !strings.Contains(out, "small") {
				t.Errorf("kist images:\n%s", out)
			}
			for _, d := range []string{"storage", "containers"} {
				if _, err := os.Stat(filepath.Join(local, d)); err != nil {
					t.Errorf("not in the local directory: %v", err)
				}
				if _, err := os.Stat(filepath.Join(fuseSrc, u, "data", "kist", d)); err == nil {
					t.Errorf("%s is in the FUSE data directory too", d)
				}
			}
			out, _, _ = k.run("doctor")
			if !regexp.MustCompile(`(?m)^warn +image store location: .* is on FUSE .*, in ` + regexp.QuoteMeta(local) + ` `).MatchString(out) {
				t.Errorf("kist doctor does not say where:\n%s", out)
			}
			// another login: the notice once more
			if _, errOut = k.ok("XDG_RUNTIME_DIR="+home+"/run2", "images"); strings.Count(errOut, "is on FUSE") != 1 {
				t.Errorf("a new login, no notice:\n%s", errOut)
			}
			if out, _ = k.ok("system", "prune", "-a", "-f"); !strings.Contains(out, "Removed 1 container") {
				t.Errorf("kist system prune:\n%s", out)
			}
			k.ok("system", "reset", "--force")
			if _, err := os.Lstat(local); err == nil {
				t.Errorf("kist system reset left %s", local)
			}
			if _, err := os.Stat(filepath.Join(fuseSrc, u, "data", "kist", "storage-location")); err == nil {
				t.Error("kist system reset left the record")
			}

			// KIST_STORAGE_ROOT on the FUSE mount itself
			over := []string{"KIST_STORAGE_ROOT=" + filepath.Join(fuse, u, "over")}
			_, errOut = k.fails(append(over, "KIST_STORAGE_DRIVER=overlay"), "images")
			if !strings.Contains(errOut, "KIST_STORAGE_DRIVER=overlay, but in "+filepath.Join(fuse, u, "over")+" an overlay cannot keep containers' changes") ||
				!strings.Contains(errOut, "fuse-overlayfs, which kist does not use") {
				t.Errorf("overlay with a mount program:\n%s", errOut)
			}
			out, _ = k.ok(over, "info") // not pinned to overlay
			if !strings.Contains(out, "Store: "+filepath.Join(fuse, u, "over", "storage")+"\n Driver: vfs\n") {
				t.Errorf("KIST_STORAGE_ROOT on FUSE:\n%s", out)
			}
			// the same login, a store on a local disk: overlay (storage's
			// verdict on FUSE stays with that store)
			localData := []string{"XDG_DATA_HOME=" + filepath.Join(home, "data")}
			if out, _ = k.ok(localData, "info"); !strings.Contains(out, " Driver: overlay\n") {
				t.Errorf("a local store after one on FUSE:\n%s", out)
			}
			k.ok(over, "system", "reset", "--force")
			k.ok(localData, "system", "reset", "--force")

			if u != "kistsub" {
				return
			}
			// an NFS-like server refusing the subordinate ids
			k.env = append(k.env, "XDG_DATA_HOME="+filepath.Join(denying, u, "data"), "XDG_RUNTIME_DIR="+home+"/run3")
			k.ok("run", "--rm", "toolbox", "true")
			k.ok("system", "reset", "--force")
			store := []string{"KIST_STORAGE_ROOT=" + filepath.Join(denying, u, "store")}
			_, errOut = k.fails(store, "run", "--rm", "toolbox", "true")
			if !strings.Contains(errOut, "does not let files be given to other owners") || strings.Contains(errOut, "level=") ||
				strings.Contains(errOut, "hostile") {
				t.Errorf("unpacking where chown is refused:\n%s", errOut)
			}
			k.ok(store, "system", "reset", "--force")
		})
	}
}

// homeUser runs kist as a test user in TestHomeOnFUSE's mount namespace.
type homeUser struct {
	t    *testing.T
	name string
	inNS func(ctx context.Context, args ...string) *exec.Cmd
	bin  string
	env  []string
}

func (k *homeUser) uid() string {
	u, err := user.Lookup(k.name)
	if err != nil {
		k.t.Fatal(err)
	}
	return u.Uid
}

// run runs kist with args: []string arguments and NAME=VALUE strings
// before the first other string are more environment.
func (k *homeUser) run(args ...any) (stdout, stderr string, err error) {
	var env []string
	var strs []string
	for _, a := range args {
		switch a := a.(type) {
		case []string:
			env = append(env, a...)
		case string:
			if strings.Contains(a, "=") && len(strs) == 0 {
				env = append(env, a)
			} else {
				strs = append(strs, a)
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmdline := append(append(append([]string{"runuser", "-u", k.name, "--", "env", "-i"}, k.env...), env...), append([]string{k.bin}, strs...)...)
	cmd := k.inNS(ctx, cmdline...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	k.t.Logf("%s kist %s %s: %v\n%s%s", k.name, strings.Join(env, " "), strings.Join(strs, " "), err, o.String(), e.String())
	return o.String(), e.String(), err
}

func (k *homeUser) ok(args ...any) (string, string) {
	k.t.Helper()
	o, e, err := k.run(args...)
	if err != nil {
		k.t.Fatalf("kist %v: %v\n%s%s", args, err, o, e)
	}
	return o, e
}

func (k *homeUser) fails(args ...any) (string, string) {
	k.t.Helper()
	o, e, err := k.run(args...)
	if err == nil {
		k.t.Fatalf("kist %v worked", args)
	}
	return o, e
}

// copyExecutable copies the test binary (it plays kist under that name)
// where every user can run it.
func copyExecutable(t *testing.T, dst string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	in, err := os.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	os.MkdirAll(filepath.Dir(dst), 0o755)
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

func writeFileMode(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	os.MkdirAll(filepath.Dir(path), 0o755)
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	os.Chmod(path, mode)
}

// mkdirOwned makes dir (mode 0700) for user name.
func mkdirOwned(t *testing.T, dir, name string) {
	t.Helper()
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
}

// assertPrivate checks that dir is name's, mode 0700, not a link.
func assertPrivate(t *testing.T, dir, name string) {
	t.Helper()
	fi, err := os.Lstat(dir)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := user.Lookup(name)
	st := fi.Sys().(*syscall.Stat_t)
	if !fi.IsDir() || fi.Mode().Perm() != 0o700 || fmt.Sprint(st.Uid) != u.Uid {
		t.Errorf("%s: %v, uid %d (want %s's, 0700)", dir, fi.Mode(), st.Uid, name)
	}
}
