//go:build !amd64 && !arm64

package nsinit

import "syscall"

// sysSetns is setns(2)'s number.
const sysSetns = syscall.SYS_SETNS

// sysRenameat2 is 0 here: kist run's fast path keeps no spare layers
// (package container does, through x/sys/unix).
const sysRenameat2 = 0
