package toolbox

import (
	"bufio"
	"io"
	"os"
	"time"
)

// followInterval is how often tail -f polls its files.
const followInterval = 200 * time.Millisecond

// runTail is tail [-n [+]N | -c [+]N | -N] [-fF] [-qv] [FILE]...
func runTail(p *proc, args []string) int {
	fl, files, err := getopt(numericShorthand(args), "n:c:fFqvs:", map[string]byte{
		"lines": 'n', "bytes": 'c', "follow": 'f', "quiet": 'q', "verbose": 'v'})
	var spec countSpec
	if err == nil {
		spec, err = parseCount(fl, true)
	}
	if err != nil {
		return p.usage(err, "[-n [+]LINES | -c [+]BYTES] [-f] [-qv] [FILE]...")
	}
	if len(files) == 0 {
		files = []string{"-"}
	}
	w := bufio.NewWriter(p.stdout)
	h := newHeaders(w, files, fl)
	status := 0
	var followed []*followedFile
	for _, name := range files {
		r, err := p.open(name)
		if err != nil {
			status = p.fileErr(name, err)
			continue
		}
		h.print(name)
		if err := tail(w, r, spec); err != nil {
			status = p.fileErr(name, err)
		}
		if f, ok := r.(*os.File); ok && (fl.has('f') || fl.has('F')) {
			followed = append(followed, &followedFile{name: name, f: f})
			continue
		}
		r.Close()
	}
	if err := w.Flush(); err != nil {
		return 1
	}
	if len(followed) > 0 {
		p.follow(followed, h)
	}
	return status
}

// tail copies the last (or, with fromTop, all but the first) lines or
// bytes of r to w.
func tail(w io.Writer, r io.Reader, spec countSpec) error {
	if spec.fromTop {
		return skipHead(w, r, spec)
	}
	if spec.bytes {
		data, err := io.ReadAll(r)
		if int64(len(data)) > spec.n {
			data = data[int64(len(data))-spec.n:]
		}
		w.Write(data)
		return err
	}
	var ring [][]byte
	err := eachLine(r, func(line []byte) error {
		if spec.n == 0 {
			return nil
		}
		if int64(len(ring)) == spec.n {
			ring = ring[1:]
		}
		ring = append(ring, append([]byte(nil), line...))
		return nil
	})
	for _, line := range ring {
		w.Write(line)
	}
	return err
}

// skipHead copies r to w from its Nth line or byte (tail +N).
func skipHead(w io.Writer, r io.Reader, spec countSpec) error {
	skip := max(spec.n-1, 0)
	if spec.bytes {
		if _, err := io.CopyN(io.Discard, r, skip); err != nil {
			return nil
		}
		_, err := io.Copy(w, r)
		return err
	}
	return eachLine(r, func(line []byte) error {
		if skip > 0 {
			skip--
			return nil
		}
		_, err := w.Write(line)
		return err
	})
}

// followedFile is a file that tail -f watches.
type followedFile struct {
	name string
	f    *os.File
}

// follow prints what is appended to files until the context is done. A
// file that shrinks is read again from its start.
func (p *proc) follow(files []*followedFile, h *headers) {
	last := files[len(files)-1]
	ticker := time.NewTicker(followInterval)
	defer ticker.Stop()
	buf := make([]byte, 64*1024)
	for {
		select {
		case <-p.ctx.Done():
			return
		case <-ticker.C:
		}
		for _, ff := range files {
			last = p.poll(ff, last, h, buf)
		}
	}
}

// poll prints what was appended to ff since the last poll, under a header
// when the previous output came from another file, and returns the file
// whose output was printed last.
func (p *proc) poll(ff, last *followedFile, h *headers, buf []byte) *followedFile {
	if fi, err := ff.f.Stat(); err == nil {
		if pos, err := ff.f.Seek(0, io.SeekCurrent); err == nil && fi.Size() < pos {
			ff.f.Seek(0, io.SeekStart)
		}
	}
	for {
		n, _ := ff.f.Read(buf)
		if n == 0 {
			return last
		}
		if ff != last && h.show {
			h.w = p.stdout
			h.print(ff.name)
			last = ff
		}
		p.stdout.Write(buf[:n])
	}
}
