package doctor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

// Sysctls (as paths under /proc) that can forbid user namespaces.
const (
	usernsCloneFile = "sys/kernel/unprivileged_userns_clone"
	maxUserNSFile   = "sys/user/max_user_namespaces"
	appArmorNSFile  = "sys/kernel/apparmor_restrict_unprivileged_userns"
)

// usernsProbe creates a user namespace the way kist does; a variable so
// tests can make it fail.
var usernsProbe = probeUserNS

// probeUserNS runs "true" in a new user namespace in which our own uid
// and gid are root: the Go equivalent of "unshare -U -r true".
func probeUserNS(ctx context.Context) error {
	name, args := trueProgram(), []string(nil)
	if name == "" {
		self, err := os.Executable()
		if err != nil {
			return err
		}
		name, args = self, []string{"version"}
	}
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:  syscall.CLONE_NEWUSER,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}},
	}
	return cmd.Run()
}

// trueProgram returns the absolute path of "true", or "" if there is none.
func trueProgram() string {
	if p, err := exec.LookPath("true"); err == nil {
		return p
	}
	if _, err := os.Stat("/bin/true"); err == nil {
		return "/bin/true"
	}
	return ""
}

func checkUserNS(ctx context.Context) Result {
	if err := usernsProbe(ctx); err != nil {
		return diagnoseUserNS(err)
	}
	if r, blocked := appArmorBlocks(); blocked {
		return r
	}
	if max, err := readProcInt(maxUserNSFile); err == nil {
		return Result{Status: OK, Detail: fmt.Sprintf("allowed (max %d)", max)}
	}
	return Result{Status: OK, Detail: "allowed"}
}

// diagnoseUserNS explains why creating a user namespace failed with err.
func diagnoseUserNS(err error) Result {
	fail := func(detail, fix string) Result { return Result{Status: Fail, Detail: detail, Fix: fix} }
	if v, e := readProcInt(usernsCloneFile); e == nil && v == 0 {
		return fail("blocked: kernel.unprivileged_userns_clone = 0 (Debian 10 and older forbid them to non-root users)",
			sysctlFix(sysctlName(usernsCloneFile), 1))
	}
	max, maxErr := readProcInt(maxUserNSFile)
	if maxErr == nil && max == 0 {
		return fail("blocked: user.max_user_namespaces = 0", sysctlFix(sysctlName(maxUserNSFile), 28633))
	}
	if errors.Is(err, syscall.ENOSPC) && maxErr == nil {
		return fail(fmt.Sprintf("all %d user namespaces that user.max_user_namespaces allows are in use", max),
			"stop some containers, or raise the limit: "+sysctlFix(sysctlName(maxUserNSFile), 2*max+28633))
	}
	if v, e := readProcInt(appArmorNSFile); e == nil && v == 1 {
		return fail("blocked by AppArmor: kernel.apparmor_restrict_unprivileged_userns = 1 (Ubuntu 23.10 and later)",
			appArmorFix())
	}
	return fail("cannot create one: "+err.Error(),
		"ask the administrator to allow unprivileged user namespaces (man 7 user_namespaces); "+
			"inside a docker container they are blocked by docker's seccomp profile")
}
