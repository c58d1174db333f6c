package vm

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeQEMU is a QEMU that runs script (sh).
func fakeQEMU(t *testing.T, script string) string {
	p := filepath.Join(t.TempDir(), "qemu")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+script+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestChooseAccel(t *testing.T) {
	dir := t.TempDir()
	kvm := filepath.Join(dir, "kvm")
	os.WriteFile(kvm, nil, 0o666) // opens, as /dev/kvm does for a member of group kvm
	set(t, &devKVM, kvm)
	bootID := filepath.Join(dir, "boot_id")
	os.WriteFile(bootID, []byte("boot-1\n"), 0o644)
	set(t, &bootIDFile, bootID)
	set(t, &probeTimeout, 500*time.Millisecond)
	ctx := context.Background()

	works := fakeQEMU(t, "exit 0")
	accel, why, err := chooseAccel(ctx, "", works, "K", dir)
	if err != nil || accel != AccelKVM || !strings.HasPrefix(why, "/dev/kvm works (a probe boot took") {
		t.Errorf("works: %s, %q, %v", accel, why, err)
	}
	// cached for this boot: a QEMU that now fails is not asked
	os.WriteFile(works, []byte("#!/bin/sh\nexit 1\n"), 0o755)
	if accel, _, _ := chooseAccel(ctx, "", works, "K", dir); accel != AccelKVM {
		t.Errorf("cached: got %s", accel)
	}
	// another boot: probed again
	os.WriteFile(bootID, []byte("boot-2\n"), 0o644)
	if accel, why, _ := chooseAccel(ctx, "", works, "K", dir); accel != AccelTCG || !strings.HasPrefix(why, "/dev/kvm opens, but QEMU fails with it") {
		t.Errorf("new boot: got %s, %q", accel, why)
	}

	hangs := fakeQEMU(t, "exec sleep 30")
	start := time.Now()
	accel, why, _ = chooseAccel(ctx, "", hangs, "K", dir)
	if accel != AccelTCG || !strings.Contains(why, "a probe boot did not end within 500ms") || time.Since(start) > 5*time.Second {
		t.Errorf("hangs: %s, %q after %v", accel, why, time.Since(start))
	}

	fails := fakeQEMU(t, "echo 'qemu-system-x86_64: error: failed to set MSR 0x10a' >&2; exit 1")
	os.Remove(filepath.Join(dir, "kvm-probe"))
	if accel, why, _ := chooseAccel(ctx, "", fails, "K2", dir); accel != AccelTCG || why != "/dev/kvm opens, but QEMU fails with it: qemu-system-x86_64: error: failed to set MSR 0x10a" {
		t.Errorf("fails: %s, %q", accel, why)
	}

	if accel, why, _ := chooseAccel(ctx, "tcg", works, "K", dir); accel != AccelTCG || why != "asked for" {
		t.Errorf("tcg: %s, %q", accel, why)
	}
	if _, _, err := chooseAccel(ctx, "xen", works, "K", dir); err == nil {
		t.Errorf("--accel xen: no error")
	}
	set(t, &devKVM, filepath.Join(dir, "nokvm"))
	if accel, why, _ := chooseAccel(ctx, "", works, "K", dir); accel != AccelTCG || !strings.HasPrefix(why, filepath.Join(dir, "nokvm")+" cannot be opened (no such file or directory)") {
		t.Errorf("no /dev/kvm: %s, %q", accel, why)
	}
	if _, _, err := chooseAccel(ctx, "kvm", works, "K", dir); err == nil {
		t.Errorf("--accel kvm without /dev/kvm: no error")
	}
}

func TestFindQEMU(t *testing.T) {
	set(t, &lookPathFn, func(string) (string, error) { return "", os.ErrNotExist })
	_, err := findQEMU()
	if err == nil || !strings.HasSuffix(err.Error(), ": sudo apt-get install qemu-system-x86") {
		t.Errorf("got %v", err)
	}
}

// TestRunQEMU runs runQEMU with a QEMU that plays a guest: its console
// on stdout, the workload's stderr on fd 3 (the second serial port).
func TestRunQEMU(t *testing.T) {
	guest := fakeQEMU(t, `printf 'kernel noise\r\n\036kist-vm-start\nhello\n'; echo oops >&3; printf '\036kist-vm-exit 7\n[ 1.0] reboot: Restarting system\r\n'`)
	var out, errOut strings.Builder
	res := &Result{}
	err := runQEMU(context.Background(), guest, Options{Stdout: &out, Stderr: &errOut}, res)
	if err != nil || res.ExitCode != 7 || out.String() != "hello\n" || errOut.String() != "oops\n" || res.BootToWorkload <= 0 || res.Total < res.BootToWorkload {
		t.Errorf("got %v, %+v, stdout %q, stderr %q", err, res, out.String(), errOut.String())
	}

	// a kernel that panics: its messages come with the error
	panics := fakeQEMU(t, `printf 'Kernel panic - not syncing: VFS\r\n'`)
	err = runQEMU(context.Background(), panics, Options{Stdout: &out, Stderr: &errOut}, &Result{})
	if be, ok := err.(*BootError); !ok || be.ExitCode() != 125 || !strings.Contains(be.Error(), "before the workload started; the guest's console said:\nKernel panic") {
		t.Errorf("panic: got %v", err)
	}

	// a guest that hangs before the workload starts is stopped
	set(t, &bootTimeout, 300*time.Millisecond)
	hangs := fakeQEMU(t, `printf 'early boot\r\n'; exec sleep 30`)
	start := time.Now()
	err = runQEMU(context.Background(), hangs, Options{Stdout: &out, Stderr: &errOut}, &Result{})
	if be, ok := err.(*BootError); !ok || !strings.Contains(be.Error(), "did not start the workload within 300ms") || time.Since(start) > 5*time.Second {
		t.Errorf("hang: got %v after %v", err, time.Since(start))
	}

	// --timeout, once the workload runs
	sleeps := fakeQEMU(t, `printf '\036kist-vm-start\n'; exec sleep 30`)
	res = &Result{}
	err = runQEMU(context.Background(), sleeps, Options{Stdout: &out, Stderr: &errOut, Timeout: 500 * time.Millisecond}, res)
	if se, ok := err.(*StoppedError); !ok || se.ExitCode() != 124 || res.ExitCode != 124 {
		t.Errorf("timeout: got %v, %+v", err, res)
	}

	// Ctrl-C
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	err = runQEMU(ctx, sleeps, Options{Stdout: &out, Stderr: &errOut}, &Result{})
	if se, ok := err.(*StoppedError); !ok || se.ExitCode() != 130 {
		t.Errorf("interrupted: got %v", err)
	}
}
