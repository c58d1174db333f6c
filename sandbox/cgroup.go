package sandbox

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// cgroup is a leaf cgroup v2 made for one run. The sandbox is cloned
// straight into it (CLONE_INTO_CGROUP), so no process escapes the limits.
type cgroup struct {
	dir string
	f   *os.File
}

func (c *cgroup) fd() int { return int(c.f.Fd()) }

func (c *cgroup) remove() {
	c.f.Close()
	os.Remove(c.dir)
}

// prepareCgroup makes the cgroup for the run's resource limits, or prints
// a notice saying why they cannot be applied on this machine.
func (p *proc) prepareCgroup() error {
	r := p.cfg.Resources
	if r.IsZero() {
		return nil
	}
	cg, err := newCgroup(r, NewID()[:12])
	if err != nil {
		fmt.Fprintf(p.notices, "kist: notice: --memory, --cpus and --pids-limit are not applied: %v; \"kist doctor\" explains\n", err)
		return nil
	}
	p.cgroup = cg
	return nil
}

// CgroupBase returns the cgroup v2 directory under which kist may create
// cgroups: the highest ancestor of the caller's own cgroup that the
// caller owns (systemd's user@UID.service on a delegating host, the
// hierarchy's root for root). The error says why there is none.
func CgroupBase() (string, error) {
	mnt, err := cgroup2Mount()
	if err != nil {
		return "", err
	}
	own, err := ownCgroup()
	if err != nil {
		return "", err
	}
	base := ""
	for dir := filepath.Join(mnt, own); strings.HasPrefix(dir, mnt); dir = filepath.Dir(dir) {
		st, err := os.Stat(dir)
		if err != nil || !ownedByMe(st) || syscall.Access(dir, 2) != nil {
			break
		}
		base = dir
		if dir == mnt {
			break
		}
	}
	if base == "" {
		return "", fmt.Errorf("your cgroup %s is not delegated to you (it is not yours to write)", own)
	}
	return base, nil
}

func newCgroup(r Resources, id string) (*cgroup, error) {
	base, err := CgroupBase()
	if err != nil {
		return nil, err
	}
	want := neededControllers(r)
	if err := checkControllers(base, want); err != nil {
		return nil, err
	}
	parent := filepath.Join(base, "kist")
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, err
	}
	have := readWords(filepath.Join(parent, "cgroup.controllers"))
	for _, c := range want {
		if !have[c] {
			// Try to enable it one level up (possible at the root, or when
			// the base has no processes of its own).
			os.WriteFile(filepath.Join(base, "cgroup.subtree_control"), []byte("+"+c), 0)
		}
	}
	have = readWords(filepath.Join(parent, "cgroup.controllers"))
	for _, c := range want {
		if !have[c] {
			return nil, fmt.Errorf("the cgroup v2 controller %q is not delegated to %s (its parent does not enable it)", c, parent)
		}
		if err := os.WriteFile(filepath.Join(parent, "cgroup.subtree_control"), []byte("+"+c), 0); err != nil {
			return nil, fmt.Errorf("enabling %s in %s: %v", c, parent, err)
		}
	}
	dir := filepath.Join(parent, id)
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, err
	}
	if err := writeLimits(dir, r); err != nil {
		os.Remove(dir)
		return nil, err
	}
	f, err := os.Open(dir)
	if err != nil {
		os.Remove(dir)
		return nil, err
	}
	return &cgroup{dir: dir, f: f}, nil
}

// checkControllers says which of want the hierarchy cannot give under
// base at all, before anything is created there.
func checkControllers(base string, want []string) error {
	have := readWords(filepath.Join(base, "cgroup.controllers"))
	for _, c := range want {
		if !have[c] {
			return fmt.Errorf("the cgroup v2 controller %q is not available under %s (on a host with a hybrid cgroup layout it runs on cgroup v1)", c, base)
		}
	}
	return nil
}

// CheckLimits reports whether Run can apply r here, and if not why; it
// creates nothing. Tests and kist doctor use it.
func CheckLimits(r Resources) error {
	base, err := CgroupBase()
	if err != nil {
		return err
	}
	return checkControllers(base, neededControllers(r))
}

func neededControllers(r Resources) []string {
	var c []string
	if r.MemoryBytes > 0 {
		c = append(c, "memory")
	}
	if r.PidsLimit > 0 {
		c = append(c, "pids")
	}
	if r.CPUs > 0 {
		c = append(c, "cpu")
	}
	return c
}

func writeLimits(dir string, r Resources) error {
	files := map[string]string{}
	if r.MemoryBytes > 0 {
		files["memory.max"] = strconv.FormatInt(r.MemoryBytes, 10)
	}
	if r.PidsLimit > 0 {
		files["pids.max"] = strconv.FormatInt(r.PidsLimit, 10)
	}
	if r.CPUs > 0 {
		files["cpu.max"] = fmt.Sprintf("%d 100000", int64(r.CPUs*100000))
	}
	for name, v := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(v), 0); err != nil {
			return fmt.Errorf("setting %s: %v", name, err)
		}
	}
	return nil
}

func readWords(path string) map[string]bool {
	b, _ := os.ReadFile(path)
	m := map[string]bool{}
	for _, w := range strings.Fields(string(b)) {
		m[w] = true
	}
	return m
}

// cgroup2Mount finds where the unified hierarchy is mounted: /sys/fs/cgroup
// on a pure v2 host, often /sys/fs/cgroup/unified on a hybrid one.
func cgroup2Mount() (string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		if ok && strings.HasPrefix(post, "cgroup2 ") {
			if f := strings.Fields(pre); len(f) >= 5 {
				return f[4], nil
			}
		}
	}
	return "", fmt.Errorf("no cgroup v2 hierarchy is mounted")
}

// ownCgroup is the caller's cgroup v2 path ("0::/path" in /proc/self/cgroup).
func ownCgroup() (string, error) {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if p, ok := strings.CutPrefix(line, "0::"); ok {
			return p, nil
		}
	}
	return "", fmt.Errorf("this process is in no cgroup v2 group")
}
