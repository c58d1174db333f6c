package toolbox

import (
	"fmt"
	"io/fs"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"mvdan.cc/sh/v3/pattern"
)

// globTest is -name, -iname, -path and -ipath: shell patterns, where "*"
// matches "/" too for paths.
func globTest(name, arg string) (findNode, error) {
	mode := pattern.EntireString | pattern.GlobLeadingDot | pattern.NoGlobStar
	if strings.HasPrefix(name, "-i") {
		mode |= pattern.NoGlobCase
	}
	expr, err := pattern.Regexp(arg, mode)
	if err != nil {
		return nil, err
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, err
	}
	if strings.HasSuffix(name, "name") && name != "-wholename" {
		return func(v *visit) bool { return re.MatchString(v.fi.Name()) }, nil
	}
	return func(v *visit) bool { return re.MatchString(v.path) }, nil
}

func typeTest(arg string) (findNode, error) {
	types := map[string]fs.FileMode{"f": 0, "d": fs.ModeDir, "l": fs.ModeSymlink,
		"p": fs.ModeNamedPipe, "s": fs.ModeSocket, "c": fs.ModeCharDevice | fs.ModeDevice,
		"b": fs.ModeDevice}
	want, ok := types[arg]
	if !ok {
		return nil, fmt.Errorf("unknown argument to -type: %s", arg)
	}
	return func(v *visit) bool { return v.fi.Mode().Type() == want }, nil
}

// compareNum parses "+N", "-N" or "N" and returns a test of a number.
func compareNum(arg string) (func(n float64) bool, float64, error) {
	s := strings.TrimLeft(arg, "+-")
	n, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, 0, fmt.Errorf("invalid argument '%s'", arg)
	}
	switch arg[0] {
	case '+':
		return func(x float64) bool { return x > n }, n, nil
	case '-':
		return func(x float64) bool { return x < n }, n, nil
	}
	return func(x float64) bool { return x == n }, n, nil
}

// timeTest is -mtime (days) and -mmin (minutes), rounded down.
func timeTest(name, arg string) (findNode, error) {
	cmp, _, err := compareNum(arg)
	if err != nil {
		return nil, err
	}
	unit := 24 * time.Hour
	if name == "-mmin" {
		unit = time.Minute
	}
	now := time.Now()
	return func(v *visit) bool {
		return cmp(math.Floor(float64(now.Sub(v.fi.ModTime())) / float64(unit)))
	}, nil
}

// sizeTest is -size [+-]N[bckMG], in units rounded up (512-byte blocks by
// default).
func sizeTest(arg string) (findNode, error) {
	unit, num := int64(512), arg
	if k := strings.IndexAny(arg, "bckwMG"); k > 0 && k == len(arg)-1 {
		unit = map[byte]int64{'b': 512, 'c': 1, 'w': 2, 'k': 1024, 'M': 1 << 20, 'G': 1 << 30}[arg[k]]
		num = arg[:k]
	}
	cmp, _, err := compareNum(num)
	if err != nil {
		return nil, err
	}
	return func(v *visit) bool {
		return cmp(float64((v.fi.Size() + unit - 1) / unit))
	}, nil
}

// permTest is -perm MODE (exactly), -MODE (all of) and /MODE (any of).
func permTest(arg string) (findNode, error) {
	kind, spec := byte(0), arg
	if arg != "" && (arg[0] == '-' || arg[0] == '/') {
		kind, spec = arg[0], arg[1:]
	}
	want, err := parseMode(spec, 0, false)
	if err != nil {
		return nil, err
	}
	return func(v *visit) bool {
		m := unixMode(v.fi)
		switch kind {
		case '-':
			return m&want == want
		case '/':
			return m&want != 0 || want == 0
		}
		return m == want
	}, nil
}

// ownerTest is -user and -group (names or numbers).
func ownerTest(name, arg string) (findNode, error) {
	db, idx := readDB("passwd"), 0
	if name == "-group" {
		db, idx = readDB("group"), 1
	}
	id, ok := resolveID(db, arg)
	if !ok {
		return nil, fmt.Errorf("'%s' is not the name of a known %s", arg, name[1:])
	}
	return func(v *visit) bool {
		uid, gid := ownerOf(v.fi)
		return [2]int{uid, gid}[idx] == id
	}, nil
}
