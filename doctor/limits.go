package doctor

import (
	"context"
	"errors"
	"fmt"

	"kist/internal/tun"
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

// checkTun reports whether containers can have networks of their own:
// each gets a tap device (package network), made with /dev/net/tun. It
// opens the node, as kist run does, then makes a tap device with it in a
// new user and network namespace, as a container's init does
// (tun.Probe); access(2) would say yes for a node that cannot be opened
// (a nodev mount, a device cgroup). Without it kist still runs
// containers, on the host's network, so this is a warning.
func checkTun(ctx context.Context) Result {
	err := tunProbe(ctx)
	var te *tun.Error
	switch {
	case err == nil:
		return Result{Status: OK, Detail: tun.Path + " works: containers get networks of their own"}
	case errors.Is(err, tun.ErrNoProbe):
		return Result{Status: OK, Detail: tun.Path + " opens (making a network device with it was not tried: " + err.Error() + ")"}
	case errors.As(err, &te):
		fix := te.Fix()
		if l := te.Lasting(); l != "" {
			fix += " && " + l
		}
		return Result{Status: Warn, Fix: fix, Detail: te.Error() + ". So kist runs containers on the host's network " +
			"(as --network host: they share its address and ports, and -p cannot move a port), and networks you name " +
			"(--network NAME, compose networks:) cannot be used"}
	}
	return Result{Status: Skip, Detail: "could not check " + tun.Path + ": " + err.Error()}
}
