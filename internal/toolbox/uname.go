package toolbox

import (
	"errors"
	"strings"
	"syscall"
)

// utsField converts a field of syscall.Utsname into a string.
func utsField[T int8 | uint8](f [65]T) string {
	var b strings.Builder
	for _, c := range f {
		if c == 0 {
			break
		}
		b.WriteByte(byte(c))
	}
	return b.String()
}

// runUname is uname [-asnrvmo]: print system information.
func runUname(p *proc, args []string) int {
	fl, operands, err := getopt(args, "asnrvmopi", map[string]byte{
		"all": 'a', "kernel-name": 's', "nodename": 'n', "kernel-release": 'r',
		"kernel-version": 'v', "machine": 'm', "operating-system": 'o'})
	if err == nil && len(operands) > 0 {
		err = errors.New("extra operand '" + operands[0] + "'")
	}
	if err != nil {
		return p.usage(err, "[-asnrvmo]")
	}
	var u syscall.Utsname
	if err := syscall.Uname(&u); err != nil {
		return p.fail(1, "%s", describe(err))
	}
	all := fl.has('a')
	fields := []struct {
		c     byte
		value string
	}{
		{'s', utsField(u.Sysname)}, {'n', utsField(u.Nodename)}, {'r', utsField(u.Release)},
		{'v', utsField(u.Version)}, {'m', utsField(u.Machine)}, {'o', "Linux"},
	}
	var out []string
	for _, f := range fields {
		if all || fl.has(f.c) {
			out = append(out, f.value)
		}
	}
	if len(out) == 0 {
		out = append(out, fields[0].value)
	}
	p.printf("%s\n", strings.Join(out, " "))
	return 0
}

// runHostname is hostname [-s] [NAME]: print or set the host name.
func runHostname(p *proc, args []string) int {
	fl, operands, err := getopt(args, "sf", map[string]byte{"short": 's'})
	if err != nil || len(operands) > 1 {
		return p.usage(err, "[-s] [NAME]")
	}
	if len(operands) == 1 {
		if err := syscall.Sethostname([]byte(operands[0])); err != nil {
			return p.fail(1, "%s", describe(err))
		}
		return 0
	}
	var u syscall.Utsname
	if err := syscall.Uname(&u); err != nil {
		return p.fail(1, "%s", describe(err))
	}
	name := utsField(u.Nodename)
	if fl.has('s') {
		name, _, _ = strings.Cut(name, ".")
	}
	p.printf("%s\n", name)
	return 0
}
