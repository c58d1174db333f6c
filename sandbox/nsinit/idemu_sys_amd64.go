package nsinit

// System call numbers and the audit architecture of amd64 for id
// emulation (idemu.go). Calls an architecture lacks are distinct negative
// numbers (see idemu_sys_arm64.go), which no system call matches.
const (
	idemuArch      = 0xc000003e // AUDIT_ARCH_X86_64
	idemuX32Bit    = 0x40000000 // __X32_SYSCALL_BIT: x32 calls are let through (see idemuFilter)
	idemuArchError = ""         // emulation works on this architecture

	sysSeccomp         = 317
	sysProcessVMReadv  = 310
	sysProcessVMWritev = 311
	sysStatx           = 332

	nrStat       = 4
	nrFstat      = 5
	nrLstat      = 6
	nrNewfstatat = 262
	nrStatx      = 332

	nrChown    = 92
	nrFchown   = 93
	nrLchown   = 94
	nrFchownat = 260

	nrOpen    = 2
	nrCreat   = 85
	nrMkdir   = 83
	nrOpenat  = 257
	nrMkdirat = 258

	nrGetuid    = 102
	nrGetgid    = 104
	nrSetuid    = 105
	nrSetgid    = 106
	nrGeteuid   = 107
	nrGetegid   = 108
	nrSetreuid  = 113
	nrSetregid  = 114
	nrGetgroups = 115
	nrSetgroups = 116
	nrSetresuid = 117
	nrGetresuid = 118
	nrSetresgid = 119
	nrGetresgid = 120
	nrSetfsuid  = 122
	nrSetfsgid  = 123

	nrExecve   = 59
	nrExecveat = 322
	nrPrctl    = 157

	// calls that can give a process another root (idEmu.rootMoved)
	nrChroot    = 161
	nrPivotRoot = 155
	nrUnshare   = 272
	nrSetns     = 308
	nrClone     = 56
	nrClone3    = 435

	// for the probe (idemuProbeStage): calls Go's runtime never makes
	nrGetppid = 110
	nrGetsid  = 124
	nrDup     = 32
)
