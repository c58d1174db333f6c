package doctor

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sys/unix"
)

// cgroupControllers are the controllers behind --cpus, --memory and --pids-limit.
var cgroupControllers = []string{"cpu", "memory", "pids"}

const (
	noLimits    = "--memory, --cpus and --pids-limit cannot be applied"
	unifiedFix  = `sudo sed -i 's/^GRUB_CMDLINE_LINUX="/&systemd.unified_cgroup_hierarchy=1 /' /etc/default/grub && sudo update-grub, then reboot`
	delegateFix = `sudo mkdir -p /etc/systemd/system/user@.service.d && printf '[Service]\nDelegate=cpu cpuset io memory pids\n' | sudo tee /etc/systemd/system/user@.service.d/delegate.conf && sudo systemctl daemon-reload, then log out and in again`
)

// checkCgroup checks that we own a cgroup v2 directory with the cpu,
// memory and pids controllers: our own cgroup, or the user@UID.service
// cgroup that systemd delegates to each logged-in user.
func checkCgroup(ctx context.Context) Result {
	ms, err := readMounts()
	if err != nil {
		return Result{Status: Skip, Detail: "cannot read the mount table: " + err.Error()}
	}
	i := slices.IndexFunc(ms, func(m mountEntry) bool { return m.fsType == "cgroup2" })
	if on := v1Controllers(ms, cgroupControllers); len(on) > 0 {
		layout, are := "a hybrid layout", "controllers are"
		if i < 0 {
			layout = "no cgroup v2 at all"
		}
		if len(on) == 1 {
			are = "controller is"
		}
		return Result{Status: Warn, Fix: unifiedFix, Detail: fmt.Sprintf(
			"the %s %s on cgroup v1 (%s), which cannot be handed to a user, so %s", joinAnd(on), are, layout, noLimits)}
	}
	if i < 0 {
		return Result{Status: Warn, Fix: unifiedFix, Detail: "no cgroup v2 mounted, so " + noLimits}
	}
	own, err := ownCgroupV2()
	if err != nil {
		return Result{Status: Warn, Fix: unifiedFix, Detail: err.Error() + ", so " + noLimits}
	}
	dirs := []string{cgroupDir(ms[i], own)}
	if uid := getuid(); uid != 0 {
		dirs = append(dirs, filepath.Join(ms[i].point, fmt.Sprintf("user.slice/user-%d.slice/user@%d.service", uid, uid)))
	}
	return judgeCgroups(dirs)
}

// judgeCgroups returns OK for the first of dirs that is ours and has all
// controllers; otherwise a Warn about the first one that is ours, or else
// about dirs[0].
func judgeCgroups(dirs []string) Result {
	var lacking *Result
	for _, d := range dirs {
		if !cgroupWritable(d) {
			continue
		}
		missing := missingControllers(d, cgroupControllers)
		if len(missing) == 0 {
			return Result{Status: OK, Detail: d + " is yours, with cpu, memory and pids"}
		}
		if lacking == nil {
			lacking = &Result{Status: Warn, Fix: delegateFixHere(), Detail: fmt.Sprintf(
				"%s is yours but lacks %s, so %s", d, joinAnd(missing), noLimits)}
		}
	}
	if lacking != nil {
		return *lacking
	}
	return Result{Status: Warn, Fix: delegateFixHere(), Detail: fmt.Sprintf(
		"your cgroup %s is not delegated to you (not writable), so %s", dirs[0], noLimits)}
}

// cgroupWritable reports whether we may create child cgroups in dir and
// move processes into it.
func cgroupWritable(dir string) bool {
	return unix.Access(dir, unix.W_OK) == nil && unix.Access(filepath.Join(dir, "cgroup.procs"), unix.W_OK) == nil
}

// delegateFixHere is the delegation fix for systemd hosts, or advice for others.
func delegateFixHere() string {
	if _, err := os.Stat(systemdRunDir); err == nil {
		return delegateFix
	}
	return "this host does not run systemd: ask the administrator to delegate a cgroup v2 subtree to you " +
		"(https://docs.kernel.org/admin-guide/cgroup-v2.html#delegation)"
}

// joinAnd lists words as "a", "a and b" or "a, b and c".
func joinAnd(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}
