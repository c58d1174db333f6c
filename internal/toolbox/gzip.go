package toolbox

import (
	"compress/gzip"
	"errors"
	"io"
	"os"
	"strings"
)

const gzipSynopsis = "[-cdfk1-9] [FILE]..."

// gzipOpts are the options of gzip, gunzip and zcat.
type gzipOpts struct {
	decompress, stdout, force, keep bool
	level                           int
}

func runGzip(p *proc, args []string) int   { return p.gzip(args, gzipOpts{}) }
func runGunzip(p *proc, args []string) int { return p.gzip(args, gzipOpts{decompress: true}) }
func runZcat(p *proc, args []string) int {
	return p.gzip(args, gzipOpts{decompress: true, stdout: true})
}

// gzip compresses or decompresses files (FILE into FILE.gz and back, the
// original being removed unless -k) or standard input to standard output.
func (p *proc) gzip(args []string, o gzipOpts) int {
	fl, files, err := getopt(args, "cdfkntqv123456789", map[string]byte{
		"stdout": 'c', "decompress": 'd', "force": 'f', "keep": 'k'})
	if err != nil {
		return p.usage(err, gzipSynopsis)
	}
	o.level = gzip.DefaultCompression
	for _, opt := range fl {
		switch {
		case opt.c == 'c':
			o.stdout = true
		case opt.c == 'd':
			o.decompress = true
		case opt.c == 'f':
			o.force = true
		case opt.c == 'k':
			o.keep = true
		case opt.c >= '1' && opt.c <= '9':
			o.level = int(opt.c - '0')
		}
	}
	if len(files) == 0 {
		files = []string{"-"}
	}
	status := 0
	for _, name := range files {
		if err := p.gzipFile(name, o); err != nil {
			p.errorf("%s: %s", name, describe(err))
			status = 1
		}
	}
	return status
}

// gzipFile processes one operand.
func (p *proc) gzipFile(name string, o gzipOpts) error {
	if name == "-" || o.stdout {
		in, err := p.open(name)
		if err != nil {
			return err
		}
		defer in.Close()
		return gzipStream(p.stdout, in, o)
	}
	out, err := gzipTarget(name, o.decompress)
	if err != nil {
		return err
	}
	in, err := os.Open(p.path(name))
	if err != nil {
		return err
	}
	defer in.Close()
	if err := p.gzipToFile(p.path(out), in, o); err != nil {
		return err
	}
	if o.keep {
		return nil
	}
	return os.Remove(p.path(name))
}

// gzipTarget is the output file for name.
func gzipTarget(name string, decompress bool) (string, error) {
	if !decompress {
		if strings.HasSuffix(name, ".gz") {
			return "", errors.New("already has .gz suffix")
		}
		return name + ".gz", nil
	}
	for _, suffix := range []string{".gz", ".tgz", ".z"} {
		if base, ok := strings.CutSuffix(name, suffix); ok && base != "" {
			if suffix == ".tgz" {
				base += ".tar"
			}
			return base, nil
		}
	}
	return "", errors.New("unknown suffix -- ignored")
}

// gzipToFile writes the result of processing in to path, which must not
// exist unless -f.
func (p *proc) gzipToFile(path string, in *os.File, o gzipOpts) error {
	flag := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if o.force {
		flag = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	fi, err := in.Stat()
	if err != nil {
		return err
	}
	out, err := os.OpenFile(path, flag, fi.Mode().Perm())
	if err != nil {
		return err
	}
	err = gzipStream(out, in, o)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return err
	}
	return os.Chtimes(path, fi.ModTime(), fi.ModTime())
}

// gzipStream compresses or decompresses r into w.
func gzipStream(w io.Writer, r io.Reader, o gzipOpts) error {
	if o.decompress {
		zr, err := gzip.NewReader(r)
		if err != nil {
			return err
		}
		defer zr.Close()
		_, err = io.Copy(w, zr)
		return err
	}
	zw, err := gzip.NewWriterLevel(w, o.level)
	if err != nil {
		return err
	}
	if _, err := io.Copy(zw, r); err != nil {
		return err
	}
	return zw.Close()
}
