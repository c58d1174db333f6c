package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"kist/internal/role"
	"kist/internal/toolbox"
	"kist/internal/tun"
	"kist/sandbox"
	"kist/vm"
)

// TestMain makes the test binary play kist: testscript runs it as "kist"
// from $PATH, and "kist toolbox export" copies it into root filesystems,
// where it runs as the toolbox applets (sh, ls, ...) and as the test-only
// helpers in testhelpers_test.go (roles, by their program names).
func TestMain(m *testing.M) {
	if main, ok := role.Find(os.Args); ok { // as main does
		os.Exit(main(os.Args[1:]))
	}
	if exe, _ := os.Executable(); toolbox.CheckStatic(exe) != nil {
		fmt.Fprintln(os.Stderr, "kist's tests copy the test binary into containers, so it must be static: run CGO_ENABLED=0 go test ./... (./scripts/test does)")
		os.Exit(1)
	}
	testscript.Main(m, map[string]func(){
		"kist":           func() { os.Exit(kistMain()) },
		"docker-compose": func() { os.Exit(kistMain()) }, // kist under compose v1's name
		"kubectl":        func() { os.Exit(kistMain()) }, // kist under kubectl's name: kist kube
	})
}

// TestScript runs the CLI scripts in testdata/script. Conditions:
//
//	[userns]   user namespaces can be created here
//	[subuid]   kist maps a subordinate id range (newuidmap and /etc/subuid)
//	[root]     the tests run as root
//	[cgroup]   --memory, --pids-limit and --cpus can be applied (cgroup v2)
//	[vmkernel] kist vm run has a kernel it can read (kist vm kernel)
//	[kvm]      kist vm run uses KVM here (/dev/kvm works: vm.Accelerator)
//	[notun]    /dev/net/tun cannot be used here (tun.Check: it does not
//	           open for reading and writing), so containers run on the
//	           host's network; with KIST_TEST_NOTUN set (scripts/test's
//	           no-tun step) a /dev/net/tun that works fails the script,
//	           and scripts other than notun_* skip.
//	           [notun-denied], [notun-blocked], [notun-missing] say why
//	           (tun.Denied, tun.Blocked, tun.Missing)
//	[idemu]    ids are emulated here (a single-id mapping, and the kernel can)
//	[debian-mirror] http://deb.debian.org answers (apt-get in RUN steps)
func TestScript(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup: func(e *testscript.Env) error {
			if os.Getenv("KIST_TEST_NOTUN") != "" { // scripts/test's step without /dev/net/tun
				if n, ok := e.T().(interface{ Name() string }); ok && !strings.Contains(n.Name(), "/notun_") {
					e.T().Skip("KIST_TEST_NOTUN is set: only the notun_ scripts run where /dev/net/tun cannot be used")
				}
			}
			e.Setenv("XDG_RUNTIME_DIR", e.WorkDir+"/.run")
			e.Setenv("HOME", e.WorkDir+"/.home")
			e.Setenv("XDG_DATA_HOME", e.WorkDir+"/.data")
			e.Setenv("KIST_KEEPER_GRACE", "3s") // keepergone waits for them
			e.Setenv("KIST_HOLDER_GRACE", "1s") // user namespace holders: gone soon after a script
			e.Setenv("REGISTRY", testRegistry())
			integSetup(e) // integ_* scripts: $DOCKER_REGISTRY, $AUTH_REGISTRY, ... (integration_test.go)
			e.Defer(func() {
				// The store's files belong to the user namespace's ids;
				// only kist can remove them.
				cmd := kistCmd("system", "reset", "--force")
				cmd.Env = append(cmd.Env, "XDG_DATA_HOME="+e.WorkDir+"/.data", "XDG_RUNTIME_DIR="+e.WorkDir+"/.run")
				cmd.Run()
			})
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"pushimage":  cmdPushImage,
			"httpserve":  cmdHTTPServe,
			"httpget":    cmdHTTPGet,
			"keepergone": cmdKeeperGone,
			"example":    cmdExample,
			"freeport":   cmdFreePort,
			"jsonfield":  cmdJSONField,
			"tarowner":   cmdTarOwner,
		},
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "userns":
				return usernsOK(), nil
			case "subuid":
				return sandbox.CurrentIDMap().Helpers || os.Getuid() == 0, nil
			case "root":
				return os.Getuid() == 0, nil
			case "docker-registry", "debian-images": // integration_test.go
				return integCondition(cond)
			case "cgroup":
				return sandbox.CheckLimits(sandbox.Resources{MemoryBytes: 1, PidsLimit: 1, CPUs: 1}) == nil, nil
			case "vmkernel":
				_, err := vm.FindKernel("")
				return err == nil, nil
			case "kvm":
				return kvmWorks(), nil
			case "notun", "notun-denied", "notun-blocked", "notun-missing":
				return noTun(cond)
			case "idemu":
				m := sandbox.CurrentIDMap()
				mode, _, err := sandbox.IDEmulation("", &m)
				return mode != "off", err
			case "debian-mirror":
				return debianMirror(), nil
			}
			return false, errUnknownCond(cond)
		},
	})
}

// noTun is [notun] and its causes: /dev/net/tun cannot be used here.
func noTun(cond string) (bool, error) {
	err := tun.Check()
	if err == nil && os.Getenv("KIST_TEST_NOTUN") != "" {
		return false, fmt.Errorf("KIST_TEST_NOTUN=%s, yet %s opens: this should run in the mount namespace scripts/test makes for it", os.Getenv("KIST_TEST_NOTUN"), tun.Path)
	}
	var te *tun.Error
	if !errors.As(err, &te) {
		return false, nil
	}
	want := map[string]tun.Cause{"notun-denied": tun.Denied, "notun-blocked": tun.Blocked, "notun-missing": tun.Missing}
	return cond == "notun" || want[cond] == te.Cause, nil
}

// kvmWorks is [kvm]: kist vm run --accel auto picks KVM here.
var kvmWorks = sync.OnceValue(func() bool {
	accel, _, err := vm.Accelerator(context.Background(), "")
	return err == nil && accel == vm.AccelKVM
})

type errUnknownCond string

func (e errUnknownCond) Error() string { return "unknown condition " + string(e) }

var usernsOK = sync.OnceValue(func() bool {
	cmd := exec.Command("/proc/self/exe", "-test.run=^$")
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:  syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}},
	}
	return cmd.Run() == nil
})
