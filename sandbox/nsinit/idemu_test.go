package nsinit

import (
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"unsafe"
)

// fakeMem is a caller's memory for idCall: addresses are offsets.
type fakeMem struct{ b []byte }

func (m *fakeMem) read(addr uint64, b []byte) error {
	if int(addr)+len(b) > len(m.b) {
		return syscall.EFAULT
	}
	copy(b, m.b[addr:])
	return nil
}

func (m *fakeMem) write(addr uint64, b []byte) error {
	if int(addr)+len(b) > len(m.b) {
		return syscall.EFAULT
	}
	copy(m.b[addr:], b)
	return nil
}

func (m *fakeMem) u32(addr int) uint32 { return *(*uint32)(unsafe.Pointer(&m.b[addr])) }

const u = unset

var (
	cwdInt = atFdcwd
	cwd64  = uint64(cwdInt)
	cwdPtr = uintptr(cwd64)
)

func args(a ...uint64) [6]uint64 {
	var out [6]uint64
	copy(out[:], a)
	return out
}

// TestIDCallRules checks the kernel's set*id rules as idCall applies them.
func TestIDCallRules(t *testing.T) {
	type step struct {
		nr      int
		a       [6]uint64
		val     int64
		errno   syscall.Errno
		r, e, s uint32
	}
	for _, tc := range []struct {
		name  string
		start creds
		steps []step
	}{
		{"root setuid sets all three and drops privilege", credsFor(0, 0, nil), []step{
			{nrSetuid, args(100), 0, 0, 100, 100, 100},
			{nrSetuid, args(0), 0, syscall.EPERM, 100, 100, 100},
			{nrSetresuid, args(0, 0, 0), 0, syscall.EPERM, 100, 100, 100},
		}},
		{"seteuid keeps the saved root and can come back", credsFor(0, 0, nil), []step{
			{nrSetresuid, args(u, 100, u), 0, 0, 0, 100, 0},
			{nrGeteuid, args(), 100, 0, 0, 100, 0},
			{nrSetresuid, args(u, 0, u), 0, 0, 0, 0, 0},
		}},
		{"unprivileged setuid only to real or saved", credsFor(1000, 1000, nil), []step{
			{nrSetuid, args(0), 0, syscall.EPERM, 1000, 1000, 1000},
			{nrSetuid, args(1000), 0, 0, 1000, 1000, 1000},
			{nrSetuid, args(u), 0, syscall.EINVAL, 1000, 1000, 1000},
		}},
		{"setreuid sets the saved uid to the new effective", credsFor(0, 0, nil), []step{
			{nrSetreuid, args(100, 200), 0, 0, 100, 200, 200},
			// swapping real and effective is allowed, and the saved
			// uid follows the effective one
			{nrSetreuid, args(200, 100), 0, 0, 200, 100, 100},
			{nrSetreuid, args(0, u), 0, syscall.EPERM, 200, 100, 100},
			{nrSetreuid, args(u, 200), 0, 0, 200, 200, 100},
		}},
		{"getters", creds{r: 1, e: 2, s: 3, fs: 2, rg: 4, eg: 5, sg: 6, fsg: 5}, []step{
			{nrGetuid, args(), 1, 0, 1, 2, 3},
			{nrGeteuid, args(), 2, 0, 1, 2, 3},
			{nrGetgid, args(), 4, 0, 1, 2, 3},
			{nrGetegid, args(), 5, 0, 1, 2, 3},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.start
			for i, st := range tc.steps {
				val, errno, _ := idCall(&c, st.nr, st.a, &fakeMem{})
				if val != st.val || errno != st.errno || c.r != st.r || c.e != st.e || c.s != st.s {
					t.Fatalf("step %d: got %d %v uids %d %d %d, want %d %v uids %d %d %d",
						i, val, errno, c.r, c.e, c.s, st.val, st.errno, st.r, st.e, st.s)
				}
			}
		})
	}
}

func TestIDCallCapabilities(t *testing.T) {
	// apt: setgroups, setresgid, setresuid to _apt, then checks that it
	// cannot get root back
	c := credsFor(0, 0, nil)
	mem := &fakeMem{b: make([]byte, 64)}
	*(*uint32)(unsafe.Pointer(&mem.b[0])) = 65534
	if _, e, _ := idCall(&c, nrSetgroups, args(1, 0), mem); e != 0 || len(c.groups) != 1 || c.groups[0] != 65534 {
		t.Fatalf("setgroups: %v %v", e, c.groups)
	}
	idCall(&c, nrSetresgid, args(65534, 65534, 65534), mem)
	idCall(&c, nrSetresuid, args(42, 42, 42), mem)
	if c.capable {
		t.Fatal("still capable after dropping every uid 0")
	}
	for _, a := range [][6]uint64{args(0, u, u), args(u, 0, u), args(u, u, 0)} {
		if _, e, _ := idCall(&c, nrSetresuid, a, mem); e != syscall.EPERM {
			t.Fatalf("setresuid%v: %v, want EPERM", a[:3], e)
		}
	}
	if _, e, _ := idCall(&c, nrSetgroups, args(0, 0), mem); e != syscall.EPERM {
		t.Fatalf("setgroups unprivileged: %v", e)
	}
	if _, e, _ := idCall(&c, nrSetresgid, args(0, u, u), mem); e != syscall.EPERM {
		t.Fatalf("setresgid(0) unprivileged: %v", e)
	}
	// getresuid and getgroups write into the caller's memory
	if _, e, _ := idCall(&c, nrGetresuid, args(8, 12, 16), mem); e != 0 || mem.u32(8) != 42 || mem.u32(12) != 42 || mem.u32(16) != 42 {
		t.Fatalf("getresuid: %v", e)
	}
	if n, e, _ := idCall(&c, nrGetgroups, args(0, 0), mem); e != 0 || n != 1 {
		t.Fatalf("getgroups(0): %d %v", n, e)
	}
	if n, e, _ := idCall(&c, nrGetgroups, args(4, 20), mem); e != 0 || n != 1 || mem.u32(20) != 65534 {
		t.Fatalf("getgroups: %d %v", n, e)
	}
	if _, e, _ := idCall(&c, nrGetresuid, args(1000, 0, 0), mem); e != syscall.EFAULT {
		t.Fatalf("getresuid to a bad address: %v", e)
	}

	// setpriv: keepcaps keeps the capabilities over the uid change,
	// execve takes them from a non-root process
	c = credsFor(0, 0, nil)
	c.keepcaps = true
	idCall(&c, nrSetresuid, args(100, 100, 100), mem)
	if !c.capable {
		t.Fatal("keepcaps: lost the capabilities at the uid change")
	}
	c.afterExec()
	if c.capable || c.keepcaps {
		t.Fatal("execve as uid 100 kept the capabilities")
	}
	if _, e, _ := idCall(&c, nrSetuid, args(0), mem); e != syscall.EPERM {
		t.Fatalf("regaining root after exec: %v", e)
	}
	c = credsFor(0, 0, nil)
	idCall(&c, nrSetresuid, args(u, 100, u), mem)
	c.afterExec()
	if !c.capable {
		t.Fatal("execve with real uid 0 lost the capabilities")
	}

	// setfsuid returns the old value, changes it only when allowed
	c = credsFor(1000, 1000, nil)
	if v, _, _ := idCall(&c, nrSetfsuid, args(0), mem); v != 1000 || c.fs != 1000 {
		t.Fatalf("setfsuid(0) unprivileged: %d, fs %d", v, c.fs)
	}
	c = credsFor(0, 0, nil)
	if v, _, _ := idCall(&c, nrSetfsuid, args(33), mem); v != 0 || c.fs != 33 {
		t.Fatalf("setfsuid(33) as root: %d, fs %d", v, c.fs)
	}
	if v, _, _ := idCall(&c, nrSetfsuid, args(u), mem); v != 33 || c.fs != 33 {
		t.Fatalf("setfsuid(-1): %d, fs %d", v, c.fs)
	}
}

func TestChownAllowed(t *testing.T) {
	bob := credsFor(1000, 1000, []uint32{50})
	root := credsFor(0, 0, nil)
	for _, tc := range []struct {
		c                    creds
		uid, gid, nuid, ngid uint32
		ok                   bool
	}{
		{root, 0, 0, 999, 999, true},
		{bob, 1000, 1000, 1000, 50, true}, // own file, to a group bob is in
		{bob, 1000, 1000, u, 1000, true},  // unchanged
		{bob, 1000, 1000, 0, u, false},    // giving it away
		{bob, 1000, 1000, u, 60, false},   // a group bob is not in
		{bob, 0, 0, u, 50, false},         // not bob's
		{bob, 0, 0, u, u, true},           // chown -1:-1 changes nothing
	} {
		if got := tc.c.chownAllowed(tc.uid, tc.gid, tc.nuid, tc.ngid); got != tc.ok {
			t.Errorf("uid %d chown %d:%d -> %d:%d: %v, want %v", tc.c.r, tc.uid, tc.gid, tc.nuid, tc.ngid, got, tc.ok)
		}
	}
}

func TestOverrideFormat(t *testing.T) {
	if got := formatOverride(999, 42, syscall.S_IFDIR|0o2755); got != "999:42:2755:dir" {
		t.Fatalf("got %q", got)
	}
	if got := formatOverride(1000, 1000, syscall.S_IFREG|0o644); got != "1000:1000:0644:file" {
		t.Fatalf("got %q", got)
	}
	for v, want := range map[string][3]uint32{
		"999:42:2755:dir":        {999, 42, 1},
		"1000:1000:0644":         {1000, 1000, 1}, // containers/storage writes the type only since 1.49
		"0:0:0755:char-1-3":      {0, 0, 1},
		"4294967295:0:0644:file": {0, 0, 0}, // -1 is no owner
		"x:0:0644:file":          {0, 0, 0},
		"12:34":                  {0, 0, 0},
	} {
		uid, gid, ok := parseOverride(v)
		if ok != (want[2] == 1) || ok && (uid != want[0] || gid != want[1]) {
			t.Errorf("parseOverride(%q) = %d %d %v", v, uid, gid, ok)
		}
	}
}

func TestIDEmuFilter(t *testing.T) {
	if idemuArchError != "" {
		t.Skip(idemuArchError)
	}
	const allow, notify = seccompRetAllow, seccompRetUserNotif
	ids, err := idemuFilter(idemuIDs)
	if err != nil {
		t.Fatal(err)
	}
	full, err := idemuFilter(idemuFull)
	if err != nil {
		t.Fatal(err)
	}
	check := func(prog []sockFilter, name string, nr int, arch uint32, a [6]uint64, want uint32) {
		t.Helper()
		if nr < 0 {
			return // not on this architecture
		}
		if got := bpfRun(prog, nr, arch, a); got != want {
			t.Errorf("%s: %#x, want %#x", name, got, want)
		}
	}
	for _, nr := range []int{nrGetuid, nrGeteuid, nrGetgid, nrGetegid, nrGetresuid, nrGetresgid, nrGetgroups,
		nrSetuid, nrSetgid, nrSetreuid, nrSetregid, nrSetresuid, nrSetresgid, nrSetgroups, nrSetfsuid, nrSetfsgid,
		nrExecve, nrExecveat, nrChown, nrFchown, nrLchown, nrFchownat, nrMkdir, nrMkdirat, nrCreat} {
		check(ids, "ids "+itoa(nr), nr, idemuArch, args(), notify)
		check(full, "full "+itoa(nr), nr, idemuArch, args(), notify)
	}
	for _, nr := range []int{nrStat, nrFstat, nrLstat, nrNewfstatat, nrStatx} {
		check(ids, "ids stat "+itoa(nr), nr, idemuArch, args(), allow)
		check(full, "full stat "+itoa(nr), nr, idemuArch, args(), notify)
	}
	for _, nr := range []int{int(syscall.SYS_GETPID), int(syscall.SYS_READ), int(syscall.SYS_WRITE), int(syscall.SYS_CLOSE), 0, 1000} {
		check(full, "other "+itoa(nr), nr, idemuArch, args(), allow)
	}
	check(full, "another architecture", nrGetuid, 0x40000003, args(), allow)
	if idemuX32Bit != 0 {
		check(full, "x32", nrGetuid|idemuX32Bit, idemuArch, args(), allow)
	}
	check(full, "openat O_CREAT", nrOpenat, idemuArch, args(cwd64, 0, syscall.O_CREAT|syscall.O_WRONLY), notify)
	check(full, "openat", nrOpenat, idemuArch, args(cwd64, 0, syscall.O_RDONLY), allow)
	check(full, "open O_CREAT", nrOpen, idemuArch, args(0, syscall.O_CREAT), notify)
	check(full, "open", nrOpen, idemuArch, args(0, syscall.O_RDWR), allow)
	check(full, "prctl keepcaps", nrPrctl, idemuArch, args(prSetKeepcaps, 1), notify)
	check(full, "prctl no_new_privs", nrPrctl, idemuArch, args(prSetNoNewPrivs, 1), allow)
	check(full, "clone3", nrClone3, idemuArch, args(), seccompRetErrno|uint32(syscall.ENOSYS))
	check(full, "clone CLONE_NEWNS", nrClone, idemuArch, args(cloneNewNS|uint64(syscall.SIGCHLD)), notify)
	check(full, "clone a thread", nrClone, idemuArch, args(syscall.CLONE_VM|syscall.CLONE_THREAD|syscall.CLONE_FS), allow)
	check(full, "unshare CLONE_NEWNS", nrUnshare, idemuArch, args(cloneNewNS), notify)
	check(full, "unshare CLONE_NEWNET", nrUnshare, idemuArch, args(syscall.CLONE_NEWNET), allow)
	check(full, "chroot", nrChroot, idemuArch, args(), notify)
	if len(full) > 100 {
		t.Errorf("the filter has %d instructions", len(full))
	}
}

func TestBPFAssembler(t *testing.T) {
	var a bpfAsm
	a.ld(0)
	a.jmp(bpfJeqK, 1, "nowhere", "")
	if _, err := a.assemble(); err == nil {
		t.Error("undefined label assembled")
	}
	a = bpfAsm{}
	a.label("top")
	a.ld(0)
	a.jmp(bpfJeqK, 1, "top", "")
	if _, err := a.assemble(); err == nil {
		t.Error("backward jump assembled")
	}
	a = bpfAsm{}
	a.jmp(bpfJeqK, 1, "far", "")
	for i := 0; i < 300; i++ {
		a.ld(0)
	}
	a.label("far")
	a.ret(seccompRetAllow)
	if _, err := a.assemble(); err == nil {
		t.Error("a conditional jump of 300 assembled")
	}
	a = bpfAsm{}
	a.ja("far")
	for i := 0; i < 300; i++ {
		a.ld(0)
	}
	a.label("far")
	a.ret(seccompRetAllow)
	if prog, err := a.assemble(); err != nil || prog[0].k != 300 {
		t.Errorf("ja 300: %v %v", err, prog)
	}
}

func TestKernelAtLeast(t *testing.T) {
	for rel, want := range map[string]bool{"6.18.44-fc": true, "5.9.0": true, "5.8.19": false, "4.19": false, "5.15-rc1": true, "": false} {
		if got := kernelAtLeast(rel, 5, 9); got != want {
			t.Errorf("%q: %v", rel, got)
		}
	}
}

// TestNotifier runs the filter on a thread of the test (as the
// container's processes have it) against a notifier serving it, on a
// real kernel: ids answered from the table, the kernel's rules, chown
// recorded in the xattr and shown by stat, /proc/self links refused.
func TestNotifier(t *testing.T) {
	if why := idemuNeeds(); why != "" {
		t.Skip(why)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Setxattr(file, "user.kist-test", []byte("x"), 0); err != nil {
		t.Skipf("no user xattrs in %s: %v", dir, err)
	}
	em := &idEmu{mode: idemuFull, def: credsFor(0, 0, nil), mu: make(chan struct{}, 1), procs: map[int]*procEntry{}, sweepAt: 256,
		execCreds: map[int]creds{}, markerDir: -1, pendingChild: -1, self: uint32(syscall.Geteuid()), selfGroup: uint32(syscall.Getegid())}
	type result struct {
		name string
		v    uintptr
		e    syscall.Errno
	}
	results := make(chan []result)
	lfd := make(chan int, 1)
	go func() {
		// this thread gets the filter; it dies with the goroutine
		runtime.LockOSThread()
		var out []result
		if err := prctl(prSetNoNewPrivs, 1); err != nil {
			lfd <- -1
			return
		}
		fd, err := installIDEmu(idemuFull)
		if err != nil {
			lfd <- -1
			return
		}
		lfd <- fd
		call := func(name string, nr int, a ...uintptr) {
			a = append(a, 0, 0, 0, 0, 0, 0)
			v, _, e := syscall.Syscall6(sysno(nr), a[0], a[1], a[2], a[3], a[4], a[5])
			out = append(out, result{name, v, e})
		}
		p, _ := syscall.BytePtrFromString(file)
		var st syscall.Stat_t
		var r, e, s uint32
		call("getuid", nrGetuid)
		call("chown", nrFchownat, cwdPtr, uintptr(unsafe.Pointer(p)), 999, 42, 0)
		call("stat", nrNewfstatat, cwdPtr, uintptr(unsafe.Pointer(p)), uintptr(unsafe.Pointer(&st)), 0)
		out = append(out, result{"stat uid", uintptr(st.Uid), 0}, result{"stat gid", uintptr(st.Gid), 0})
		call("setresuid", nrSetresuid, 1000, 1000, 1000)
		call("getresuid", nrGetresuid, uintptr(unsafe.Pointer(&r)), uintptr(unsafe.Pointer(&e)), uintptr(unsafe.Pointer(&s)))
		out = append(out, result{"resuid", uintptr(r + e + s), 0})
		call("setuid 0", nrSetuid, 0)
		call("chown as 1000", nrFchownat, cwdPtr, uintptr(unsafe.Pointer(p)), 1000, unset, 0)
		results <- out
	}()
	fd := <-lfd
	if fd < 0 {
		t.Skip("cannot install a seccomp filter with a listener here")
	}
	go em.serve(fd, false)
	want := []result{
		{"getuid", 0, 0},
		{"chown", 0, 0},
		{"stat", 0, 0},
		{"stat uid", 999, 0},
		{"stat gid", 42, 0},
		{"setresuid", 0, 0},
		{"getresuid", 0, 0},
		{"resuid", 3000, 0},
		{"setuid 0", 0, syscall.EPERM},
		{"chown as 1000", 0, syscall.EPERM},
	}
	got := <-results
	for i, w := range want {
		g := got[i]
		if g.name != w.name || g.e != w.e || w.e == 0 && g.v != w.v {
			t.Errorf("%s: got %d %v, want %d %v", w.name, g.v, g.e, w.v, w.e)
		}
	}
	var st syscall.Stat_t
	if err := syscall.Stat(file, &st); err != nil || st.Uid != uint32(syscall.Geteuid()) {
		t.Errorf("the file's real owner changed: %v %d", err, st.Uid)
	}
	buf := make([]byte, 64)
	n, err := syscall.Getxattr(file, overrideXattr, buf)
	if err != nil || string(buf[:n]) != "999:42:0644:file" {
		t.Errorf("xattr: %q %v", buf[:max(n, 0)], err)
	}
}
