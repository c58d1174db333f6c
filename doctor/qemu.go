package doctor

import (
	"context"
	"runtime"
)

// qemuFor maps a GOARCH to its QEMU system emulator and the Debian/Ubuntu
// package that holds it.
var qemuFor = map[string][2]string{
	"amd64":   {"qemu-system-x86_64", "qemu-system-x86"},
	"386":     {"qemu-system-i386", "qemu-system-x86"},
	"arm64":   {"qemu-system-aarch64", "qemu-system-arm"},
	"arm":     {"qemu-system-arm", "qemu-system-arm"},
	"ppc64le": {"qemu-system-ppc64", "qemu-system-ppc"},
	"riscv64": {"qemu-system-riscv64", "qemu-system-misc"},
	"s390x":   {"qemu-system-s390x", "qemu-system-misc"},
}

// goarch is the architecture whose QEMU is wanted; a variable for tests.
var goarch = runtime.GOARCH

// checkQEMU looks for the QEMU that kist vm runs and asks its version.
func checkQEMU(ctx context.Context) Result {
	names, ok := qemuFor[goarch]
	if !ok {
		return Result{Status: Skip, Detail: "kist vm does not support " + goarch}
	}
	bin, pkg := names[0], names[1]
	p, err := lookPath(bin)
	if err != nil {
		return Result{Status: Warn, Detail: bin + " not found (only kist vm needs it)", Fix: "sudo apt-get install " + pkg}
	}
	out, err := runCmd(ctx, p, "--version")
	if err != nil {
		return Result{Status: Warn, Detail: p + " --version failed: " + errText(out, err),
			Fix: "sudo apt-get install --reinstall " + pkg}
	}
	return Result{Status: OK, Detail: p + ": " + firstLine(out)}
}
