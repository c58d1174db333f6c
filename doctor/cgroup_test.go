package doctor

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	sessionCgroup = "/user.slice/user-1001.slice/session-3.scope"
	userService   = "user.slice/user-1001.slice/user@1001.service"
)

// cgroupFixture makes a cgroup tree under root with the given
// directories (relative, each with a cgroup.controllers) and points
// procRoot at a mountinfo with the given mount lines.
func cgroupFixture(t *testing.T, mounts []string, own string, dirs map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for rel, controllers := range dirs {
		writeFile(t, filepath.Join(root, rel, "cgroup.controllers"), controllers+"\n")
		writeFile(t, filepath.Join(root, rel, "cgroup.procs"), "")
	}
	var info []string
	for i, m := range mounts {
		info = append(info, fmt.Sprintf("%d 23 0:%d %s", 30+i, 30+i, strings.ReplaceAll(m, "ROOT", root)))
	}
	fakeProc(t, map[string]string{"self/mountinfo": strings.Join(info, "\n") + "\n", "self/cgroup": own})
	return root
}

func TestCgroup(t *testing.T) {
	v2 := "/ ROOT rw,nosuid - cgroup2 cgroup2 rw,nsdelegate"
	hybrid := []string{"/ ROOT/memory rw - cgroup cgroup rw,memory", "/ ROOT/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct",
		"/ ROOT/unified rw - cgroup2 cgroup2 rw"}
	tests := []struct {
		name    string
		mounts  []string
		own     string
		dirs    map[string]string
		systemd bool
		status  Status
		detail  string // ROOT stands for the fixture's cgroup root
		fix     string
	}{
		{"hybrid", hybrid, "0::/\n", map[string]string{"unified": "hugetlb"}, true, Warn,
			"the cpu and memory controllers are on cgroup v1 (a hybrid layout), which cannot be handed to a user, so " + noLimits, unifiedFix},
		{"v1 only", hybrid[:1], "4:memory:/\n", nil, true, Warn,
			"the memory controller is on cgroup v1 (no cgroup v2 at all), which cannot be handed to a user, so " + noLimits, unifiedFix},
		{"no cgroups", []string{"/ / rw - ext4 /dev/vda rw"}, "", nil, true, Warn, "no cgroup v2 mounted, so " + noLimits, unifiedFix},
		{"own delegated", []string{v2}, "0::/kist\n", map[string]string{"kist": "cpuset cpu io memory pids"}, true, OK,
			"ROOT/kist is yours, with cpu, memory and pids", ""},
		{"user service", []string{v2}, "0::" + sessionCgroup + "\n", map[string]string{userService: "cpu memory pids"}, true, OK,
			"ROOT/" + userService + " is yours, with cpu, memory and pids", ""},
		{"lacks cpu", []string{v2}, "0::" + sessionCgroup + "\n", map[string]string{userService: "memory pids"}, true, Warn,
			"ROOT/" + userService + " is yours but lacks cpu, so " + noLimits, delegateFix},
		{"not delegated", []string{v2}, "0::" + sessionCgroup + "\n", nil, true, Warn,
			"your cgroup ROOT" + sessionCgroup + " is not delegated to you (not writable), so " + noLimits, delegateFix},
		{"not delegated, no systemd", []string{v2}, "0::" + sessionCgroup + "\n", nil, false, Warn,
			"your cgroup ROOT" + sessionCgroup + " is not delegated to you (not writable), so " + noLimits,
			"this host does not run systemd: ask the administrator to delegate a cgroup v2 subtree to you " +
				"(https://docs.kernel.org/admin-guide/cgroup-v2.html#delegation)"},
		{"cgroup namespace root", []string{"/kist ROOT rw - cgroup2 cgroup2 rw"}, "0::/kist/c1\n", map[string]string{"c1": "cpu memory pids"}, true, OK,
			"ROOT/c1 is yours, with cpu, memory and pids", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := cgroupFixture(t, tt.mounts, tt.own, tt.dirs)
			set(t, &getuid, func() int { return 1001 })
			set(t, &systemdRunDir, filepath.Join(root, "no-systemd"))
			if tt.systemd {
				set(t, &systemdRunDir, root)
			}
			check(t, checkCgroup(context.Background()), tt.status, strings.ReplaceAll(tt.detail, "ROOT", root), tt.fix)
		})
	}
}

func TestCgroupNotWritable(t *testing.T) {
	skipIfRoot(t)
	root := cgroupFixture(t, []string{"/ ROOT rw - cgroup2 cgroup2 rw"}, "0::/c\n", map[string]string{"c": "cpu memory pids"})
	set(t, &getuid, func() int { return 0 })
	os.Chmod(filepath.Join(root, "c", "cgroup.procs"), 0o444)
	if r := checkCgroup(context.Background()); r.Status != Warn || !strings.Contains(r.Detail, "not delegated") {
		t.Errorf("got %+v", r)
	}
}

func TestUnescapeMount(t *testing.T) {
	for in, want := range map[string]string{`/sys/fs/cgroup`: "/sys/fs/cgroup", `/mnt/my\040disk`: "/mnt/my disk", `/a\134b`: `/a\b`} {
		if got := unescapeMount(in); got != want {
			t.Errorf("unescapeMount(%q) = %q, want %q", in, got, want)
		}
	}
}
