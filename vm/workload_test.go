package vm

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestCmdlineRoundTrip(t *testing.T) {
	w := &workload{Args: []string{"sh", "-c", "echo 'a b' \"$X\"; exit 3"}, Env: []string{"X=ü=é", "PATH=/bin"},
		Dir: "/srv", User: "student:1000", Hostname: "kist-vm", Stderr: true}
	param, err := w.param()
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(param, " \t\n\"'") {
		t.Errorf("%q has characters the kernel's parser splits on", param)
	}
	line := qemuConfig{Append: "rdinit=" + initPath + " " + param}.appendLine()
	if err := checkCmdline(line); err != nil {
		t.Fatal(err)
	}
	got, err := parseCmdline("BOOT_IMAGE=x " + line + " other=1\n")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, w) {
		t.Errorf("got %+v, want %+v", got, w)
	}
}

func TestCmdlineErrors(t *testing.T) {
	w := &workload{Args: []string{"echo", strings.Repeat("x", 1500)}}
	param, _ := w.param()
	err := checkCmdline(qemuConfig{Append: param}.appendLine())
	if err == nil || !strings.Contains(err.Error(), "which holds 2047 on x86") {
		t.Errorf("too long: got %v", err)
	}
	for _, line := range []string{"console=ttyS0 quiet", "kist.vm=!!!", "kist.vm=e30"} {
		if _, err := parseCmdline(line); err == nil {
			t.Errorf("%q: no error", line)
		}
	}
}

func TestWorkloadRules(t *testing.T) {
	ic := v1.Config{Entrypoint: []string{"/entry"}, Cmd: []string{"serve"}, Env: []string{"PATH=/bin", "A=1"}, WorkingDir: "/app", User: "app"}
	tests := []struct {
		name string
		o    Options
		want workload
	}{
		{"image's", Options{}, workload{Args: []string{"/entry", "serve"}, Env: []string{"PATH=/bin", "A=1"}, Dir: "/app", User: "app"}},
		{"command replaces cmd", Options{Args: []string{"test", "-v"}}, workload{Args: []string{"/entry", "test", "-v"}, Env: []string{"PATH=/bin", "A=1"}, Dir: "/app", User: "app"}},
		{"entrypoint drops cmd", Options{Entrypoint: []string{"sh"}}, workload{Args: []string{"sh"}, Env: []string{"PATH=/bin", "A=1"}, Dir: "/app", User: "app"}},
		{"flags win", Options{Env: []string{"A=2", "B=3"}, WorkDir: "/tmp", User: "0:0", Hostname: "h"},
			workload{Args: []string{"/entry", "serve"}, Env: []string{"PATH=/bin", "A=2", "B=3"}, Dir: "/tmp", User: "0:0", Hostname: "h"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.o.workload(ic)
			if err != nil {
				t.Fatal(err)
			}
			tt.want.Stderr = true
			if tt.want.Hostname == "" {
				tt.want.Hostname = "kist-vm"
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("got %+v\nwant %+v", *got, tt.want)
			}
		})
	}
	if _, err := (&Options{Image: "scratch"}).workload(v1.Config{}); err == nil || !strings.Contains(err.Error(), "no command specified") {
		t.Errorf("no command: got %v", err)
	}
}

func TestConsole(t *testing.T) {
	stream := "[    0.1] Linux version 6.1\r\nboot noise\r\n" + markerStart +
		"hello\nno newline at the end" + "\x1e not a marker\n" + "\x1ekist-vm-exit 3\n[    2.0] reboot: Restarting system\r\n"
	// whole, and in every split in two
	for i := 0; i <= len(stream); i++ {
		var out bytes.Buffer
		c := newConsole(&out)
		c.Write([]byte(stream[:i]))
		c.Write([]byte(stream[i:]))
		c.Close()
		started, _, exited, code := c.state()
		want := "hello\nno newline at the end\x1e not a marker\n"
		if out.String() != want || !started || !exited || code != 3 {
			t.Fatalf("split at %d: got %q (started %v, exited %v, code %d)", i, out.String(), started, exited, code)
		}
		if log := c.bootLog(); log != "[    0.1] Linux version 6.1\nboot noise\n" {
			t.Fatalf("split at %d: boot log %q", i, log)
		}
	}
	// byte by byte
	var out bytes.Buffer
	c := newConsole(&out)
	for i := range len(stream) {
		c.Write([]byte{stream[i]})
	}
	if _, _, exited, code := c.state(); !exited || code != 3 || out.String() != "hello\nno newline at the end\x1e not a marker\n" {
		t.Errorf("byte by byte: got %q", out.String())
	}
	// the guest's count of processes after the status; a line that only
	// looks like the marker is output
	for _, tc := range []struct {
		exit      string
		processes int
		out       string
	}{
		{"\x1ekist-vm-exit 0 57\n", 57, ""},
		{"\x1ekist-vm-exit 0 57 9\n\x1ekist-vm-exit 1\n", 0, "\x1ekist-vm-exit 0 57 9\n"},
		{"\x1ekist-vm-exit \n\x1ekist-vm-exit 1\n", 0, "\x1ekist-vm-exit \n"},
	} {
		var out bytes.Buffer
		c := newConsole(&out)
		c.Write([]byte(markerStart + tc.exit))
		c.Close()
		if _, _, exited, _ := c.state(); !exited || c.guestProcesses() != tc.processes || out.String() != tc.out {
			t.Errorf("%q: exited %v, processes %d, out %q", tc.exit, exited, c.guestProcesses(), out.String())
		}
	}
}

func TestConsoleNoStart(t *testing.T) {
	var out bytes.Buffer
	c := newConsole(&out)
	c.Write([]byte("Kernel panic - not syncing: VFS\r\n"))
	c.Close()
	if started, _, exited, _ := c.state(); started || exited || out.Len() > 0 || !strings.Contains(c.bootLog(), "Kernel panic") {
		t.Errorf("got out %q, log %q", out.String(), c.bootLog())
	}
	err := &BootError{Msg: "the VM stopped before the workload started", Log: c.bootLog()}
	if !strings.Contains(err.Error(), "the guest's console said:\nKernel panic") || err.ExitCode() != 125 {
		t.Errorf("got %v", err)
	}
}

func TestLookupUser(t *testing.T) {
	passwd := "root:x:0:0:root:/root:/bin/sh\n# comment\nstudent:x:1000:1000:student:/home/student:/bin/sh\n"
	group := "root:x:0:\nstudent:x:1000:\nstaff:x:50:student,other\n"
	tests := []struct {
		spec string
		want guestUser
		err  string
	}{
		{"", guestUser{UID: 0, GID: 0, Home: "/root"}, ""},
		{"student", guestUser{UID: 1000, GID: 1000, Groups: []uint32{50}, Home: "/home/student"}, ""},
		{"1000", guestUser{UID: 1000, GID: 1000, Groups: []uint32{50}, Home: "/home/student"}, ""},
		{"4242", guestUser{UID: 4242, GID: 0, Home: "/"}, ""},
		{"4242:77", guestUser{UID: 4242, GID: 77, Home: "/"}, ""},
		{"student:staff", guestUser{UID: 1000, GID: 50, Home: "/home/student"}, ""},
		{"nosuch", guestUser{}, "unable to find user nosuch: no matching entries in passwd file"},
		{"student:nosuch", guestUser{}, "unable to find group nosuch: no matching entries in group file"},
	}
	for _, tt := range tests {
		got, err := lookupUser(tt.spec, passwd, group)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("%q: got %v, want error %s", tt.spec, err, tt.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q: got %+v, %v; want %+v", tt.spec, got, err, tt.want)
		}
	}
}

func TestGuestEnv(t *testing.T) {
	got := guestEnv([]string{"A=1"}, "/home/student", "kist-vm")
	want := []string{"A=1", "PATH=" + defaultPath, "HOME=/home/student", "HOSTNAME=kist-vm"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q", got)
	}
	got = guestEnv([]string{"PATH=/x", "HOME=/h"}, "/root", "")
	if !reflect.DeepEqual(got, []string{"PATH=/x", "HOME=/h"}) {
		t.Errorf("got %q", got)
	}
}

func TestQEMUArgs(t *testing.T) {
	tcg := qemuConfig{Accel: AccelTCG, Kernel: "K", Initrd: "I", Append: "rdinit=/x", StderrFD: 3, TSCkHz: 2596144}
	want := "-M microvm -accel tcg,tb-size=64 -cpu qemu64,+rdrand -m 256 -smp 1 -nodefaults -no-user-config -nographic -serial stdio -no-reboot " +
		"-chardev file,id=stderr,path=/dev/fd/3 -device isa-serial,chardev=stderr,iobase=0x2f8,irq=3 " +
		"-kernel K -initrd I -append " + baseAppend + " tsc_early_khz=2596144 tsc=reliable rdinit=/x"
	if got := strings.Join(tcg.args(), " "); got != want {
		t.Errorf("TCG:\n got %s\nwant %s", got, want)
	}
	kvm := qemuConfig{Accel: AccelKVM, Kernel: "K", MemoryMiB: 512, CPUs: 2}
	want = "-M microvm,acpi=off,pit=off,pic=off,rtc=off -accel kvm -cpu host -m 512 -smp 2 -nodefaults -no-user-config -nographic -serial stdio -no-reboot " +
		"-kernel K -append " + baseAppend
	if got := strings.Join(kvm.args(), " "); got != want {
		t.Errorf("KVM:\n got %s\nwant %s", got, want)
	}
}

func TestHostTSC(t *testing.T) {
	if !haveTSC {
		t.Skip("no TSC on " + runtime.GOARCH)
	}
	dir := t.TempDir()
	boot := filepath.Join(dir, "boot_id")
	os.WriteFile(boot, []byte("b1\n"), 0o644)
	set(t, &bootIDFile, boot)
	khz := hostTSCkHz(dir)
	t.Logf("host TSC: %d kHz", khz)
	if khz < 100000 || khz > 10000000 {
		t.Errorf("%d kHz is no TSC frequency", khz)
	}
	os.WriteFile(filepath.Join(dir, "host-tsc"), []byte("b1 1234567\n"), 0o600)
	if got := hostTSCkHz(dir); got != 1234567 {
		t.Errorf("cached: got %d", got)
	}
	os.WriteFile(boot, []byte("b2\n"), 0o644)
	if got := hostTSCkHz(dir); got == 1234567 {
		t.Errorf("another boot kept the cached value")
	}
}

func TestStoppedError(t *testing.T) {
	err := &StoppedError{Code: 124, Why: "the workload did not end within " + (5 * time.Second).String()}
	if err.ExitCode() != 124 {
		t.Errorf("got %d", err.ExitCode())
	}
}
