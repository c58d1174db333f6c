package toolbox

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// runStat is stat [-L] [-c FORMAT] FILE...: without -c, one line per
// file with its name, size, type, mode and owner; with -c, GNU stat's
// %n %s %a %A %u %g %U %G %F %h %i %Y directives.
func runStat(p *proc, args []string) int {
	fl, files, err := getopt(args, "Lc:", map[string]byte{"format": 'c', "dereference": 'L'})
	if err == nil && len(files) == 0 {
		err = errors.New("missing operand")
	}
	if err != nil {
		return p.usage(err, "[-L] [-c FORMAT] FILE...")
	}
	format := fl.val('c', "  File: %n\n  Size: %s\tType: %F\nAccess: (%a/%A)  Uid: (%u/%U)  Gid: (%g/%G)\n")
	if fl.has('c') {
		format += "\n"
	}
	status := 0
	for _, name := range files {
		var fi os.FileInfo
		if fl.has('L') {
			fi, err = os.Stat(p.path(name))
		} else {
			fi, err = os.Lstat(p.path(name))
		}
		if err != nil {
			status = p.fileErr(name, err)
			continue
		}
		p.printf("%s", statFormat(format, name, fi))
	}
	return status
}

func statFormat(format, name string, fi os.FileInfo) string {
	st, _ := fi.Sys().(*syscall.Stat_t)
	if st == nil {
		st = &syscall.Stat_t{}
	}
	var b strings.Builder
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' || i+1 == len(format) {
			b.WriteByte(c)
			continue
		}
		i++
		switch format[i] {
		case 'n':
			b.WriteString(name)
		case 's':
			b.WriteString(strconv.FormatInt(fi.Size(), 10))
		case 'a':
			b.WriteString(strconv.FormatUint(uint64(st.Mode&0o7777), 8))
		case 'A':
			b.WriteString(fi.Mode().String())
		case 'u':
			b.WriteString(strconv.FormatUint(uint64(st.Uid), 10))
		case 'g':
			b.WriteString(strconv.FormatUint(uint64(st.Gid), 10))
		case 'U':
			b.WriteString(nameOr(readDB("passwd"), int(st.Uid)))
		case 'G':
			b.WriteString(nameOr(readDB("group"), int(st.Gid)))
		case 'h':
			b.WriteString(strconv.FormatUint(uint64(st.Nlink), 10))
		case 'i':
			b.WriteString(strconv.FormatUint(st.Ino, 10))
		case 'Y':
			b.WriteString(strconv.FormatInt(fi.ModTime().Unix(), 10))
		case 'F':
			b.WriteString(fileType(fi.Mode()))
		case '%':
			b.WriteByte('%')
		default:
			b.WriteByte('%')
			b.WriteByte(format[i])
		}
	}
	return b.String()
}

func fileType(m os.FileMode) string {
	switch {
	case m.IsRegular():
		return "regular file"
	case m.IsDir():
		return "directory"
	case m&os.ModeSymlink != 0:
		return "symbolic link"
	case m&os.ModeNamedPipe != 0:
		return "fifo"
	case m&os.ModeSocket != 0:
		return "socket"
	case m&os.ModeCharDevice != 0:
		return "character special file"
	case m&os.ModeDevice != 0:
		return "block special file"
	}
	return "unknown"
}

// nameOr is id's name in db, or the number when it has none.
func nameOr(db []account, id int) string {
	if n := nameOf(db, id); n != "" {
		return n
	}
	return strconv.Itoa(id)
}
