package nsinit

import "syscall"

// The seccomp filter of id emulation, assembled from a small classic-BPF
// assembler with labels: jumps name where they go and assemble computes
// the offsets, so adding a call cannot silently break a jump.

type sockFilter struct {
	code uint16
	jt   uint8
	jf   uint8
	k    uint32
}

type sockFprog struct {
	len    uint16
	filter *sockFilter
}

// Classic BPF opcodes (linux/bpf_common.h) and seccomp's return values.
const (
	bpfLdAbsW = 0x20 // BPF_LD|BPF_W|BPF_ABS
	bpfJa     = 0x05 // BPF_JMP|BPF_JA
	bpfJeqK   = 0x15 // BPF_JMP|BPF_JEQ|BPF_K
	bpfJgeK   = 0x35 // BPF_JMP|BPF_JGE|BPF_K
	bpfJsetK  = 0x45 // BPF_JMP|BPF_JSET|BPF_K
	bpfRetK   = 0x06 // BPF_RET|BPF_K

	seccompRetAllow     = 0x7fff0000
	seccompRetUserNotif = 0x7fc00000
	seccompRetErrno     = 0x00050000

	cloneNewNS = 0x20000 // CLONE_NEWNS

	// offsets in struct seccomp_data (little-endian: an argument's low
	// 32 bits come first)
	seccompDataNr   = 0
	seccompDataArch = 4
	seccompDataArg0 = 16

	prSetKeepcaps = 8
)

// bpfAsm collects instructions whose jumps name labels.
type bpfAsm struct {
	prog   []sockFilter
	jumps  []bpfJump
	labels map[string]int
	err    string
}

type bpfJump struct {
	at     int
	jt, jf string // "" is the next instruction
	ja     bool
}

func (a *bpfAsm) emit(code uint16, k uint32) {
	a.prog = append(a.prog, sockFilter{code: code, k: k})
}

// ld loads the 32-bit word at off in struct seccomp_data.
func (a *bpfAsm) ld(off uint32) { a.emit(bpfLdAbsW, off) }

// ret returns k.
func (a *bpfAsm) ret(k uint32) { a.emit(bpfRetK, k) }

// jmp is a conditional jump (jeq, jge, jset with constant k).
func (a *bpfAsm) jmp(code uint16, k uint32, jt, jf string) {
	a.jumps = append(a.jumps, bpfJump{at: len(a.prog), jt: jt, jf: jf})
	a.emit(code, k)
}

// ja jumps to label unconditionally.
func (a *bpfAsm) ja(label string) {
	a.jumps = append(a.jumps, bpfJump{at: len(a.prog), jt: label, ja: true})
	a.emit(bpfJa, 0)
}

// label names the next instruction.
func (a *bpfAsm) label(name string) {
	if a.labels == nil {
		a.labels = map[string]int{}
	}
	if _, dup := a.labels[name]; dup {
		a.err = "label " + name + " defined twice"
	}
	a.labels[name] = len(a.prog)
}

// assemble resolves the jumps. Classic BPF only jumps forward, and a
// conditional jump by at most 255 instructions.
func (a *bpfAsm) assemble() ([]sockFilter, error) {
	if a.err != "" {
		return nil, errorString("bpf: " + a.err)
	}
	off := func(at int, label string) (int, error) {
		if label == "" {
			return 0, nil
		}
		to, ok := a.labels[label]
		if !ok {
			return 0, errorString("bpf: undefined label " + label)
		}
		if to <= at {
			return 0, errorString("bpf: backward jump to " + label)
		}
		return to - at - 1, nil
	}
	for _, j := range a.jumps {
		t, err := off(j.at, j.jt)
		if err != nil {
			return nil, err
		}
		if j.ja {
			a.prog[j.at].k = uint32(t)
			continue
		}
		f, err := off(j.at, j.jf)
		if err != nil {
			return nil, err
		}
		if t > 255 || f > 255 {
			return nil, errorString("bpf: conditional jump too far")
		}
		a.prog[j.at].jt, a.prog[j.at].jf = uint8(t), uint8(f)
	}
	if len(a.prog) == 0 || len(a.prog) > 4096 {
		return nil, errorString("bpf: bad program length")
	}
	return a.prog, nil
}

// filterCase is one system call the filter catches and the label it
// goes to ("notify", or a label that looks at its arguments).
type filterCase struct {
	nr    int
	label string
}

// search emits a binary search over cases (sorted by nr): a call costs
// about log2(n) compares instead of n, which every system call of the
// container pays. Calls not in the list go to "allow".
func (a *bpfAsm) search(cases []filterCase, name string) {
	if len(cases) <= 3 {
		for _, c := range cases {
			a.jmp(bpfJeqK, uint32(c.nr), c.label, "")
		}
		a.ja("allow")
		return
	}
	mid := len(cases) / 2
	right := name + "r"
	a.jmp(bpfJgeK, uint32(cases[mid].nr), right, "")
	a.search(cases[:mid], name+"l")
	a.label(right)
	a.search(cases[mid:], right)
}

// idemuCalls lists the system calls mode catches (numbers of this
// architecture; the negative ones it lacks are left out) and where each
// goes.
func idemuCalls(mode int) []filterCase {
	nrs := []int{nrGetuid, nrGeteuid, nrGetgid, nrGetegid, nrGetresuid, nrGetresgid, nrGetgroups,
		nrSetuid, nrSetgid, nrSetreuid, nrSetregid, nrSetresuid, nrSetresgid, nrSetgroups, nrSetfsuid, nrSetfsgid,
		nrExecve, nrExecveat,
		nrChown, nrFchown, nrLchown, nrFchownat, nrMkdir, nrMkdirat, nrCreat,
		nrChroot, nrPivotRoot, nrSetns}
	if mode == idemuFull {
		nrs = append(nrs, nrStat, nrFstat, nrLstat, nrNewfstatat, nrStatx)
	}
	var cases []filterCase
	for _, nr := range nrs {
		if nr >= 0 {
			cases = append(cases, filterCase{nr, "notify"})
		}
	}
	for _, c := range []filterCase{{nrPrctl, "prctl"}, {nrOpen, "open"}, {nrOpenat, "openat"},
		{nrUnshare, "newns0"}, {nrClone, "newns0"}, {nrClone3, "enosys"}} {
		if c.nr >= 0 {
			cases = append(cases, c)
		}
	}
	// insertion sort: a few dozen entries
	for i := 1; i < len(cases); i++ {
		for j := i; j > 0 && cases[j].nr < cases[j-1].nr; j-- {
			cases[j], cases[j-1] = cases[j-1], cases[j]
		}
	}
	return cases
}

// idemuFilter is the filter of mode: calls of another architecture (and
// amd64's x32 calls) are allowed, since they only bypass the emulation,
// not a boundary (the process is root of its namespace anyway); the
// listed calls notify init; prctl notifies only for PR_SET_KEEPCAPS,
// open and openat only with O_CREAT, unshare and clone only with
// CLONE_NEWNS (BPF can test scalar arguments, not memory); clone3,
// whose flags are in memory, says ENOSYS, so that the C libraries use
// clone (docker's default profile does the same); everything else is
// allowed.
func idemuFilter(mode int) ([]sockFilter, error) {
	var a bpfAsm
	a.ld(seccompDataArch)
	a.jmp(bpfJeqK, idemuArch, "", "allow")
	a.ld(seccompDataNr)
	if idemuX32Bit != 0 {
		a.jmp(bpfJgeK, idemuX32Bit, "allow", "")
	}
	a.search(idemuCalls(mode), "s")
	a.label("prctl")
	a.ld(seccompDataArg0) // option
	a.jmp(bpfJeqK, prSetKeepcaps, "notify", "allow")
	if nrOpen >= 0 {
		a.label("open")
		a.ld(seccompDataArg0 + 8) // flags
		a.jmp(bpfJsetK, syscall.O_CREAT, "notify", "allow")
	}
	a.label("openat")
	a.ld(seccompDataArg0 + 16) // flags
	a.jmp(bpfJsetK, syscall.O_CREAT, "notify", "allow")
	a.label("newns0")
	a.ld(seccompDataArg0) // flags of unshare and clone
	a.jmp(bpfJsetK, cloneNewNS, "notify", "allow")
	a.label("enosys")
	a.ret(seccompRetErrno | uint32(syscall.ENOSYS))
	a.label("allow")
	a.ret(seccompRetAllow)
	a.label("notify")
	a.ret(seccompRetUserNotif)
	return a.assemble()
}

// bpfRun interprets prog on one system call, as the kernel would: the
// filter's unit tests use it.
func bpfRun(prog []sockFilter, nr int, arch uint32, args [6]uint64) uint32 {
	var data [64]byte
	put := func(off int, v uint32) {
		data[off], data[off+1], data[off+2], data[off+3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
	}
	put(0, uint32(nr))
	put(4, arch)
	for i, v := range args {
		put(16+8*i, uint32(v))
		put(20+8*i, uint32(v>>32))
	}
	var acc uint32
	for pc := 0; pc < len(prog); pc++ {
		in := prog[pc]
		switch in.code {
		case bpfLdAbsW:
			o := int(in.k)
			acc = uint32(data[o]) | uint32(data[o+1])<<8 | uint32(data[o+2])<<16 | uint32(data[o+3])<<24
		case bpfJa:
			pc += int(in.k)
		case bpfJeqK, bpfJgeK, bpfJsetK:
			var ok bool
			switch in.code {
			case bpfJeqK:
				ok = acc == in.k
			case bpfJgeK:
				ok = acc >= in.k
			default:
				ok = acc&in.k != 0
			}
			if ok {
				pc += int(in.jt)
			} else {
				pc += int(in.jf)
			}
		case bpfRetK:
			return in.k
		default:
			return 0 // SECCOMP_RET_KILL_THREAD: an opcode this test interpreter does not know
		}
	}
	return 0
}
