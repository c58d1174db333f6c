package doctor

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// mountEntry is one line of /proc/self/mountinfo (see proc_pid_mountinfo(5)).
type mountEntry struct {
	root, point, fsType string
	superOpts           []string
}

// readMounts parses procRoot/self/mountinfo.
func readMounts() ([]mountEntry, error) {
	f, err := os.Open(procFile("self/mountinfo"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var ms []mountEntry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		a, b := strings.Fields(pre), strings.Fields(post)
		if !ok || len(a) < 5 || len(b) < 3 {
			continue
		}
		ms = append(ms, mountEntry{root: unescapeMount(a[3]), point: unescapeMount(a[4]),
			fsType: b[0], superOpts: strings.Split(b[2], ",")})
	}
	return ms, sc.Err()
}

// unescapeMount undoes mountinfo's octal escapes, e.g. "\040" for a space.
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	if u, err := strconv.Unquote(`"` + strings.ReplaceAll(s, `"`, `\"`) + `"`); err == nil {
		return u
	}
	return s
}

// ownCgroupV2 returns our cgroup v2 path, the "0::/path" line of procRoot/self/cgroup.
func ownCgroupV2() (string, error) {
	b, err := os.ReadFile(procFile("self/cgroup"))
	if err != nil {
		return "", err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if p, ok := strings.CutPrefix(l, "0::"); ok {
			return p, nil
		}
	}
	return "", fmt.Errorf("no cgroup v2 line (0::) in %s", procFile("self/cgroup"))
}

// cgroupDir returns the directory of cgroup path rel under the cgroup2 mount m.
func cgroupDir(m mountEntry, rel string) string {
	if m.root != "/" {
		rel = strings.TrimPrefix(rel, m.root)
	}
	return filepath.Join(m.point, rel)
}

// v1Controllers returns those of want that are mounted as cgroup v1 hierarchies.
func v1Controllers(ms []mountEntry, want []string) []string {
	var on []string
	for _, c := range want {
		for _, m := range ms {
			if m.fsType == "cgroup" && slices.Contains(m.superOpts, c) {
				on = append(on, c)
				break
			}
		}
	}
	return on
}

// missingControllers returns those of want not listed in dir/cgroup.controllers.
func missingControllers(dir string, want []string) []string {
	b, _ := os.ReadFile(filepath.Join(dir, "cgroup.controllers"))
	have := strings.Fields(string(b))
	var missing []string
	for _, c := range want {
		if !slices.Contains(have, c) {
			missing = append(missing, c)
		}
	}
	return missing
}
