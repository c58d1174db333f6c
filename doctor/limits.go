package doctor

import (
	"context"
	"fmt"
	"os"
	"syscall"
)

// checkUserNSLimit reports user.max_user_namespaces: every container and
// every build step uses one user namespace while it runs.
func checkUserNSLimit(ctx context.Context) Result {
	key := sysctlName(maxUserNSFile)
	v, err := readProcInt(maxUserNSFile)
	switch {
	case notExist(err):
		return Result{Status: Skip, Detail: key + " does not exist: this kernel has no user namespaces"}
	case err != nil:
		return Result{Status: Skip, Detail: "cannot read " + key + ": " + err.Error()}
	case v < 100:
		return Result{Status: Warn,
			Detail: fmt.Sprintf("%s = %d: each container uses one, so at most %d can run at once", key, v, v),
			Fix:    sysctlFix(key, 28633)}
	}
	return Result{Status: OK, Detail: fmt.Sprintf("%s = %d", key, v)}
}

// checkPorts reports the lowest port an ordinary user may listen on,
// which bounds the host side of -p.
func checkPorts(ctx context.Context) Result {
	const rel = "sys/net/ipv4/ip_unprivileged_port_start"
	key := sysctlName(rel)
	v, err := readProcInt(rel)
	switch {
	case notExist(err):
		return Result{Status: OK, Detail: "this kernel has no " + key + ": host ports below 1024 need root, so use e.g. -p 8080:80"}
	case err != nil:
		return Result{Status: Skip, Detail: "cannot read " + key + ": " + err.Error()}
	case v > 80:
		return Result{Status: OK, Detail: fmt.Sprintf(
			"%s = %d: publish host ports from %d up (e.g. -p 8080:80); -p 80:80 needs: sudo sysctl -w %s=80", key, v, v, key)}
	}
	return Result{Status: OK, Detail: fmt.Sprintf("%s = %d: -p 80:80 works without root", key, v)}
}

// checkTun reports whether containers can have a network: each gets a
// tap device (package network), made from /dev/net/tun.
func checkTun(ctx context.Context) Result {
	const dev = "/dev/net/tun"
	if _, err := os.Stat(dev); err != nil {
		return Result{Status: Fail, Detail: dev + " is missing, so containers can only run with --network host or none",
			Fix: "sudo modprobe tun"}
	}
	if err := syscall.Access(dev, 6); err != nil { // R_OK|W_OK
		return Result{Status: Fail, Detail: dev + " is not readable and writable by you, so containers can only run with --network host or none",
			Fix: "sudo chmod 0666 " + dev + " (udev's default on Debian and Ubuntu)"}
	}
	return Result{Status: OK, Detail: dev + " is usable: containers get private networks"}
}
