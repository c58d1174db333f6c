package nsinit

// System call numbers and the audit architecture of arm64 for id
// emulation (idemu.go). arm64 has only the *at forms of stat, open,
// mkdir and chown: the others are distinct negative numbers, which no
// system call matches. Compiled and vetted, but not yet run on an arm64
// machine.
const (
	idemuArch      = 0xc00000b7 // AUDIT_ARCH_AARCH64
	idemuX32Bit    = 0          // no x32 ABI
	idemuArchError = ""

	sysSeccomp         = 277
	sysProcessVMReadv  = 270
	sysProcessVMWritev = 271
	sysStatx           = 291

	nrStat       = -1
	nrFstat      = 80
	nrLstat      = -2
	nrNewfstatat = 79
	nrStatx      = 291

	nrChown    = -3
	nrFchown   = 55
	nrLchown   = -4
	nrFchownat = 54

	nrOpen    = -5
	nrCreat   = -6
	nrMkdir   = -7
	nrOpenat  = 56
	nrMkdirat = 34

	nrGetuid    = 174
	nrGetgid    = 176
	nrSetuid    = 146
	nrSetgid    = 144
	nrGeteuid   = 175
	nrGetegid   = 177
	nrSetreuid  = 145
	nrSetregid  = 143
	nrGetgroups = 158
	nrSetgroups = 159
	nrSetresuid = 147
	nrGetresuid = 148
	nrSetresgid = 149
	nrGetresgid = 150
	nrSetfsuid  = 151
	nrSetfsgid  = 152

	nrExecve   = 221
	nrExecveat = 281
	nrPrctl    = 167

	// calls that can give a process another root (idEmu.rootMoved)
	nrChroot    = 51
	nrPivotRoot = 41
	nrUnshare   = 97
	nrSetns     = 268
	nrClone     = 220
	nrClone3    = 435

	nrGetppid = 173
	nrGetsid  = 156
	nrDup     = 23
)
