package toolbox

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// Permission bits of the classes (who) of a symbolic mode.
const (
	whoUser  = 0o4700
	whoGroup = 0o2070
	whoOther = 0o1007
	whoAll   = 0o7777
)

// parseMode returns the mode (permission and setuid/setgid/sticky bits)
// that spec gives a file whose mode is old. spec is an octal number or
// symbolic clauses like "u+x,go-w" or "a=r".
func parseMode(spec string, old uint32, isDir bool) (uint32, error) {
	if spec != "" && strings.Trim(spec, "01234567") == "" {
		n, err := strconv.ParseUint(spec, 8, 32)
		if err != nil || n > 0o7777 {
			return 0, fmt.Errorf("invalid mode: '%s'", spec)
		}
		return uint32(n), nil
	}
	mode := old
	for _, clause := range strings.Split(spec, ",") {
		var ok bool
		if mode, ok = applyClause(clause, mode, isDir); !ok {
			return 0, fmt.Errorf("invalid mode: '%s'", spec)
		}
	}
	return mode, nil
}

// applyClause applies one symbolic clause ("ug+rw-x") to mode.
func applyClause(c string, mode uint32, isDir bool) (uint32, bool) {
	who, i := uint32(0), 0
	for ; i < len(c) && strings.IndexByte("ugoa", c[i]) >= 0; i++ {
		who |= whoBits(c[i])
	}
	if i == len(c) {
		return 0, false
	}
	for i < len(c) {
		op := c[i]
		if strings.IndexByte("+-=", op) < 0 {
			return 0, false
		}
		j := i + 1
		for j < len(c) && strings.IndexByte("+-=", c[j]) < 0 {
			j++
		}
		perm, ok := permBits(c[i+1:j], mode, isDir)
		if !ok {
			return 0, false
		}
		mode = applyOp(mode, op, who, perm)
		i = j
	}
	return mode, true
}

func whoBits(c byte) uint32 {
	switch c {
	case 'u':
		return whoUser
	case 'g':
		return whoGroup
	case 'o':
		return whoOther
	}
	return whoAll
}

// permBits returns the bits that perms ("rwx", "X", "u", ...) name, for
// every class.
func permBits(perms string, mode uint32, isDir bool) (uint32, bool) {
	var bits uint32
	for i := 0; i < len(perms); i++ {
		switch perms[i] {
		case 'r':
			bits |= 0o444
		case 'w':
			bits |= 0o222
		case 'x':
			bits |= 0o111
		case 'X':
			if isDir || mode&0o111 != 0 {
				bits |= 0o111
			}
		case 's':
			bits |= 0o6000
		case 't':
			bits |= 0o1000
		case 'u':
			bits |= (mode >> 6 & 7) * 0o111
		case 'g':
			bits |= (mode >> 3 & 7) * 0o111
		case 'o':
			bits |= (mode & 7) * 0o111
		default:
			return 0, false
		}
	}
	return bits, true
}

// applyOp applies "+", "-" or "=" perm for the classes who (none meaning
// all, except the bits of the umask).
func applyOp(mode uint32, op byte, who, perm uint32) uint32 {
	clear := who
	if who == 0 {
		who = whoAll &^ currentUmask()
		clear = whoAll
	}
	switch op {
	case '+':
		return mode | perm&who
	case '-':
		return mode &^ (perm & who)
	}
	return mode&^clear | perm&who
}

// currentUmask reads the process umask without changing it (changing it
// to read it would race with the other goroutines creating files).
func currentUmask() uint32 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0o022
	}
	_, rest, ok := bytes.Cut(data, []byte("\nUmask:"))
	if !ok {
		return 0o022
	}
	line, _, _ := bytes.Cut(rest, []byte("\n"))
	n, err := strconv.ParseUint(string(bytes.TrimSpace(line)), 8, 32)
	if err != nil {
		return 0o022
	}
	return uint32(n)
}

// umask sets the process umask and returns the previous one.
func umask(m uint32) uint32 { return uint32(syscall.Umask(int(m))) }

// fileMode converts Unix mode bits into an os.FileMode.
func fileMode(bits uint32) os.FileMode {
	m := os.FileMode(bits & 0o777)
	if bits&0o4000 != 0 {
		m |= os.ModeSetuid
	}
	if bits&0o2000 != 0 {
		m |= os.ModeSetgid
	}
	if bits&0o1000 != 0 {
		m |= os.ModeSticky
	}
	return m
}

// unixMode returns the permission and special bits of fi.
func unixMode(fi os.FileInfo) uint32 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Mode & 0o7777
	}
	return uint32(fi.Mode().Perm())
}
