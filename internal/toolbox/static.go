package toolbox

import (
	"debug/elf"
	"fmt"
)

// CheckStatic refuses a dynamically linked kist: inside the toolbox rootfs
// there is no dynamic loader, so every applet would fail with "no such
// file or directory". kist is dynamic only when built with cgo (the
// default when a C compiler is installed and CGO_ENABLED is not 0).
func CheckStatic(exe string) error {
	f, err := elf.Open(exe)
	if err != nil {
		return fmt.Errorf("reading %s: %w", exe, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s is dynamically linked, so it cannot run inside a toolbox root filesystem; rebuild kist with CGO_ENABLED=0 go build", exe)
		}
	}
	return nil
}
