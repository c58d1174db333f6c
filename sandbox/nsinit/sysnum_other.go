//go:build !amd64 && !arm64

package nsinit

import "syscall"

// sysSetns is setns(2)'s number.
const sysSetns = syscall.SYS_SETNS
