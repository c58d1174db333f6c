package toolbox

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

const tarSynopsis = "{-c|-x|-t} [-vzj] [-f ARCHIVE] [-C DIR] [--strip-components=N] [FILE]..."

// tarOpts is a parsed tar command line.
type tarOpts struct {
	mode    byte // 'c', 'x' or 't'
	verbose bool
	gzip    bool
	archive string // "-" for the standard streams
	dir     string // -C
	strip   int
	files   []string
}

// runTar is tar: create (-c), extract (-x) or list (-t) archives, gzip
// compressed with -z (detected when reading). The first argument may be
// a group of letters without "-" ("tar xzf a.tgz").
func runTar(p *proc, args []string) int {
	o, err := parseTarArgs(args)
	if err != nil {
		return p.usage(err, tarSynopsis)
	}
	switch o.mode {
	case 'c':
		err = p.tarCreate(o)
	case 'x':
		err = p.tarRead(o, p.extract)
	default:
		err = p.tarRead(o, p.list)
	}
	if err != nil {
		return p.fail(2, "%v", err)
	}
	return 0
}

// parseTarArgs parses the command line of tar.
func parseTarArgs(args []string) (tarOpts, error) {
	o := tarOpts{archive: "-"}
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		args = append([]string{"-" + args[0]}, args[1:]...)
	}
	var strip string
	args, strip = cutLongValue(args, "--strip-components")
	fl, files, err := getopt(args, "cxtvzjf:C:opmhO", map[string]byte{
		"create": 'c', "extract": 'x', "list": 't', "verbose": 'v', "gzip": 'z',
		"file": 'f', "directory": 'C', "no-same-owner": 'o', "no-same-permissions": 'm'})
	if err != nil {
		return o, err
	}
	for _, m := range "cxt" {
		if fl.has(byte(m)) {
			if o.mode != 0 {
				return o, errors.New("you may not specify more than one of -c, -x, -t")
			}
			o.mode = byte(m)
		}
	}
	if o.mode == 0 {
		return o, errors.New("you must specify one of -c, -x, -t")
	}
	if strip != "" {
		if o.strip, err = strconv.Atoi(strip); err != nil || o.strip < 0 {
			return o, fmt.Errorf("invalid --strip-components '%s'", strip)
		}
	}
	o.verbose, o.gzip, o.files = fl.has('v'), fl.has('z'), files
	o.archive, o.dir = fl.val('f', "-"), fl.val('C', "")
	if o.mode == 'c' && fl.has('j') {
		return o, errors.New("bzip2 compression is only supported when reading")
	}
	if o.mode == 'c' && len(files) == 0 {
		return o, errors.New("cowardly refusing to create an empty archive")
	}
	return o, nil
}

// cutLongValue removes "--name=VALUE" or "--name VALUE" from args.
func cutLongValue(args []string, name string) ([]string, string) {
	var out []string
	value := ""
	for i := 0; i < len(args); i++ {
		if v, ok := strings.CutPrefix(args[i], name+"="); ok {
			value = v
		} else if args[i] == name && i+1 < len(args) {
			value = args[i+1]
			i++
		} else {
			out = append(out, args[i])
		}
	}
	return out, value
}
