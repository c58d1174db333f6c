package doctor

import (
	"context"
	"io/fs"
	"strings"
	"syscall"
	"testing"
)

const appArmorFixWant = `printf '%s\n' 'abi <abi/4.0>,' 'include <tunables/global>' ` +
	`'profile kist /opt/kist/bin/kist flags=(unconfined) {' '  userns,' '  include if exists <local/kist>' '}'` +
	` | sudo tee /etc/apparmor.d/kist && sudo apparmor_parser -r /etc/apparmor.d/kist` +
	`; or, less safe (for every program): sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 && ` +
	`echo 'kernel.apparmor_restrict_unprivileged_userns = 0' | sudo tee /etc/sysctl.d/90-kist-kernel.apparmor_restrict_unprivileged_userns.conf`

func TestDiagnoseUserNS(t *testing.T) {
	eperm := &fs.PathError{Op: "fork/exec", Path: "/usr/bin/true", Err: syscall.EPERM}
	enospc := &fs.PathError{Op: "fork/exec", Path: "/usr/bin/true", Err: syscall.ENOSPC}
	tests := []struct {
		name        string
		proc        map[string]string
		err         error
		detail, fix string
	}{
		{"debian 10", map[string]string{usernsCloneFile: "0\n", maxUserNSFile: "1000\n"}, eperm,
			"blocked: kernel.unprivileged_userns_clone = 0 (Debian 10 and older forbid them to non-root users)",
			"sudo sysctl -w kernel.unprivileged_userns_clone=1 && echo 'kernel.unprivileged_userns_clone = 1' | " +
				"sudo tee /etc/sysctl.d/90-kist-kernel.unprivileged_userns_clone.conf"},
		{"max zero", map[string]string{usernsCloneFile: "1\n", maxUserNSFile: "0\n"}, enospc,
			"blocked: user.max_user_namespaces = 0",
			"sudo sysctl -w user.max_user_namespaces=28633 && echo 'user.max_user_namespaces = 28633' | " +
				"sudo tee /etc/sysctl.d/90-kist-user.max_user_namespaces.conf"},
		{"limit used up", map[string]string{maxUserNSFile: "10\n"}, enospc,
			"all 10 user namespaces that user.max_user_namespaces allows are in use",
			"stop some containers, or raise the limit: sudo sysctl -w user.max_user_namespaces=28653 && " +
				"echo 'user.max_user_namespaces = 28653' | sudo tee /etc/sysctl.d/90-kist-user.max_user_namespaces.conf"},
		{"ubuntu apparmor", map[string]string{maxUserNSFile: "1000\n", appArmorNSFile: "1\n"}, eperm,
			"blocked by AppArmor: kernel.apparmor_restrict_unprivileged_userns = 1 (Ubuntu 23.10 and later)",
			appArmorFixWant},
		{"unknown", map[string]string{maxUserNSFile: "1000\n", appArmorNSFile: "0\n"}, eperm,
			"cannot create one: fork/exec /usr/bin/true: operation not permitted",
			"ask the administrator to allow unprivileged user namespaces (man 7 user_namespaces); " +
				"inside a docker container they are blocked by docker's seccomp profile"},
	}
	set(t, &executable, func() (string, error) { return "/opt/kist/bin/kist", nil })
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fakeProc(t, tt.proc)
			set(t, &usernsProbe, func(context.Context) error { return tt.err })
			check(t, checkUserNS(context.Background()), Fail, tt.detail, tt.fix)
		})
	}
}

func TestCheckUserNSWorks(t *testing.T) {
	tests := []struct {
		name   string
		proc   map[string]string
		uid    int
		status Status
		detail string
	}{
		{"plain", map[string]string{maxUserNSFile: "96364\n"}, 1000, OK, "allowed (max 96364)"},
		{"no limit file", nil, 1000, OK, "allowed"},
		{"apparmor, own profile", map[string]string{maxUserNSFile: "5\n", appArmorNSFile: "1\n",
			"self/attr/apparmor/current": "kist (unconfined)\n"}, 1000, OK, "allowed (max 5)"},
		{"apparmor, as root", map[string]string{maxUserNSFile: "5\n", appArmorNSFile: "1\n",
			"self/attr/current": "unconfined\n"}, 0, OK, "allowed (max 5)"},
		{"apparmor, unconfined", map[string]string{maxUserNSFile: "5\n", appArmorNSFile: "1\n",
			"self/attr/current": "unconfined\n"}, 1000, Fail,
			"created but powerless: kernel.apparmor_restrict_unprivileged_userns = 1 and kist has no AppArmor profile"},
	}
	set(t, &executable, func() (string, error) { return "/opt/kist/bin/kist", nil })
	set(t, &usernsProbe, func(context.Context) error { return nil })
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fakeProc(t, tt.proc)
			set(t, &getuid, func() int { return tt.uid })
			fix := ""
			if tt.status != OK {
				fix = appArmorFixWant
			}
			check(t, checkUserNS(context.Background()), tt.status, tt.detail, fix)
		})
	}
}

func TestAppArmorFixQuotesPath(t *testing.T) {
	set(t, &executable, func() (string, error) { return "/home/o'neil/my bin/kist", nil })
	want := `'profile kist "/home/o'\''neil/my bin/kist" flags=(unconfined) {'`
	if got := appArmorFix(); !strings.Contains(got, want) {
		t.Errorf("fix %q lacks %q", got, want)
	}
}

// TestProbeUserNSReal creates a real user namespace; where the machine
// forbids it, the check must say why and how to fix it.
func TestProbeUserNSReal(t *testing.T) {
	err := probeUserNS(context.Background())
	if err == nil {
		return
	}
	t.Logf("this machine forbids user namespaces: %v", err)
	if r := checkUserNS(context.Background()); r.Status != Fail || r.Fix == "" {
		t.Errorf("probe failed (%v) but check says %+v", err, r)
	}
}

func TestUserNSLimit(t *testing.T) {
	tests := []struct {
		name        string
		proc        map[string]string
		status      Status
		detail, fix string
	}{
		{"missing", nil, Skip, "user.max_user_namespaces does not exist: this kernel has no user namespaces", ""},
		{"low", map[string]string{maxUserNSFile: "15\n"}, Warn,
			"user.max_user_namespaces = 15: each container uses one, so at most 15 can run at once",
			"sudo sysctl -w user.max_user_namespaces=28633 && echo 'user.max_user_namespaces = 28633' | " +
				"sudo tee /etc/sysctl.d/90-kist-user.max_user_namespaces.conf"},
		{"fine", map[string]string{maxUserNSFile: "96364\n"}, OK, "user.max_user_namespaces = 96364", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fakeProc(t, tt.proc)
			check(t, checkUserNSLimit(context.Background()), tt.status, tt.detail, tt.fix)
		})
	}
}

func TestPorts(t *testing.T) {
	const file = "sys/net/ipv4/ip_unprivileged_port_start"
	tests := []struct {
		name   string
		proc   map[string]string
		status Status
		detail string
	}{
		{"old kernel", nil, OK, "this kernel has no net.ipv4.ip_unprivileged_port_start: host ports below 1024 need root, so use e.g. -p 8080:80"},
		{"default", map[string]string{file: "1024\n"}, OK, "net.ipv4.ip_unprivileged_port_start = 1024: publish host ports " +
			"from 1024 up (e.g. -p 8080:80); -p 80:80 needs: sudo sysctl -w net.ipv4.ip_unprivileged_port_start=80"},
		{"lowered", map[string]string{file: "80\n"}, OK, "net.ipv4.ip_unprivileged_port_start = 80: -p 80:80 works without root"},
		{"garbage", map[string]string{file: "x\n"}, Skip, `cannot read net.ipv4.ip_unprivileged_port_start: strconv.Atoi: parsing "x": invalid syntax`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fakeProc(t, tt.proc)
			check(t, checkPorts(context.Background()), tt.status, tt.detail, "")
		})
	}
}
