//go:build !amd64 && !arm64

package nsinit

// Id emulation has system call tables for amd64 and arm64 only: here it
// stays off (idemuArchError says why) and these numbers match nothing.
const (
	idemuArch      = 0
	idemuX32Bit    = 0
	idemuArchError = "id emulation has no system call table for this architecture (amd64 and arm64 only)"

	sysSeccomp         = 0xfff0 // no such call: ENOSYS
	sysProcessVMReadv  = 0xfff1
	sysProcessVMWritev = 0xfff2
	sysStatx           = 0xfff3

	nrStat       = -1
	nrFstat      = -2
	nrLstat      = -3
	nrNewfstatat = -4
	nrStatx      = -5
	nrChown      = -6
	nrFchown     = -7
	nrLchown     = -8
	nrFchownat   = -9
	nrOpen       = -10
	nrCreat      = -11
	nrMkdir      = -12
	nrOpenat     = -13
	nrMkdirat    = -14
	nrGetuid     = -15
	nrGetgid     = -16
	nrSetuid     = -17
	nrSetgid     = -18
	nrGeteuid    = -19
	nrGetegid    = -20
	nrSetreuid   = -21
	nrSetregid   = -22
	nrGetgroups  = -23
	nrSetgroups  = -24
	nrSetresuid  = -25
	nrGetresuid  = -26
	nrSetresgid  = -27
	nrGetresgid  = -28
	nrSetfsuid   = -29
	nrSetfsgid   = -30
	nrExecve     = -31
	nrExecveat   = -32
	nrPrctl      = -33
	nrGetppid    = -34
	nrGetsid     = -35
	nrDup        = -36
	nrChroot     = -37
	nrPivotRoot  = -38
	nrUnshare    = -39
	nrSetns      = -40
	nrClone      = -41
	nrClone3     = -42
)
