package doctor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

const (
	kvmGetAPIVersion = 0xAE00 // KVM_GET_API_VERSION, _IO(KVMIO, 0x00)
	kvmAPIVersion    = 12     // the only version Linux has ever reported
	noKVM            = "kist vm falls back to TCG emulation (much slower)"
)

// checkKVM checks that we may open /dev/kvm and that it answers as KVM.
// It does not boot a guest: kist vm does that itself, with a timeout,
// because under nested virtualisation /dev/kvm may open but guests hang.
func checkKVM(ctx context.Context) Result {
	fi, err := os.Stat(devKVM)
	if err != nil {
		return Result{Status: Warn, Detail: devKVM + " does not exist, so " + noKVM, Fix: kvmModuleFix()}
	}
	f, err := os.OpenFile(devKVM, os.O_RDWR, 0)
	if errors.Is(err, os.ErrPermission) {
		uid, gid := ownerOf(fi)
		return Result{Status: Warn, Fix: kvmAccessFix(fi.Mode().Perm(), gid), Detail: fmt.Sprintf(
			"%s (%s %s:%s) is not open to you, so %s", devKVM, strings.TrimPrefix(fi.Mode().String(), "D"), userName(uid), groupName(gid), noKVM)}
	}
	if err != nil {
		return Result{Status: Warn, Detail: fmt.Sprintf("cannot open %s (%v), so %s", devKVM, unwrapPath(err), noKVM),
			Fix: kvmModuleFix()}
	}
	defer f.Close()
	v, err := unix.IoctlRetInt(int(f.Fd()), kvmGetAPIVersion)
	answer := fmt.Sprintf("gives %d, not %d", v, kvmAPIVersion)
	if err != nil {
		answer = "fails: " + err.Error()
	}
	if err != nil || v != kvmAPIVersion {
		return Result{Status: Warn, Fix: "check that " + devKVM + " is the KVM device (character device 10:232)",
			Detail: fmt.Sprintf("%s opens but KVM_GET_API_VERSION %s, so %s", devKVM, answer, noKVM)}
	}
	return Result{Status: OK, Detail: fmt.Sprintf("opens (API version %d); kist vm probes it with a timeout", v)}
}

// kvmAccessFix gives the user access to a /dev/kvm with permissions perm
// owned by group gid.
func kvmAccessFix(perm os.FileMode, gid int) string {
	name, group := userName(getuid()), groupName(gid)
	if perm&0o060 != 0o060 || gid == 0 {
		return fmt.Sprintf(`(getent group kvm >/dev/null || sudo groupadd -r kvm) && `+
			`echo 'KERNEL=="kvm", GROUP="kvm", MODE="0660"' | sudo tee /etc/udev/rules.d/60-kist-kvm.rules `+
			"&& sudo udevadm trigger %s && sudo usermod -aG kvm %s, then log out and in again", devKVM, name)
	}
	if inGroup(name, gid) && !slices.Contains(processGroups(), gid) {
		return fmt.Sprintf("you are in group %s but this login predates it: log out and in again (or run: newgrp %s)", group, group)
	}
	return fmt.Sprintf("sudo usermod -aG %s %s, then log out and in again", group, name)
}

// kvmModuleFix says how to get a /dev/kvm, from the CPU's flags.
func kvmModuleFix() string {
	b, _ := os.ReadFile(procFile("cpuinfo"))
	flags := strings.Fields(string(b))
	switch {
	case slices.Contains(flags, "vmx"):
		return "sudo modprobe kvm_intel"
	case slices.Contains(flags, "svm"):
		return "sudo modprobe kvm_amd"
	}
	return "none possible here: the CPU shows no virtualisation support (switched off in the firmware, " +
		"or this machine is itself a VM without nested virtualisation)"
}

func groupName(gid int) string {
	if g, err := user.LookupGroupId(strconv.Itoa(gid)); err == nil {
		return g.Name
	}
	return strconv.Itoa(gid)
}

// inGroup reports whether the group database lists user name in group gid.
func inGroup(name string, gid int) bool {
	u, err := user.Lookup(name)
	if err != nil {
		return false
	}
	ids, _ := u.GroupIds()
	return slices.Contains(ids, strconv.Itoa(gid))
}

// processGroups returns the groups this process runs with.
func processGroups() []int {
	gs, _ := os.Getgroups()
	return append(gs, os.Getgid())
}

// unwrapPath drops the path from an *os.PathError.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
