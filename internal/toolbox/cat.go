package toolbox

import (
	"bufio"
	"fmt"
	"io"
)

// runCat is cat [-nu] [FILE]...: concatenate files to standard output.
func runCat(p *proc, args []string) int {
	fl, files, err := getopt(args, "nu", nil)
	if err != nil {
		return p.usage(err, "[-nu] [FILE]...")
	}
	if !fl.has('n') {
		return p.eachInput(files, func(_ string, r io.Reader) error {
			_, err := io.Copy(p.stdout, r)
			return err
		})
	}
	w := bufio.NewWriter(p.stdout)
	line := 0
	status := p.eachInput(files, func(_ string, r io.Reader) error {
		return eachLine(r, func(text []byte) error {
			line++
			_, err := fmt.Fprintf(w, "%6d\t%s", line, text)
			return err
		})
	})
	if err := w.Flush(); err != nil {
		status = 1
	}
	return status
}

// runTee is tee [-a] [FILE]...: copy standard input to standard output and
// to files.
func runTee(p *proc, args []string) int {
	fl, files, err := getopt(args, "ai", nil)
	if err != nil {
		return p.usage(err, "[-a] [FILE]...")
	}
	writers := []io.Writer{p.stdout}
	status := 0
	for _, name := range files {
		f, err := createFile(p.path(name), fl.has('a'))
		if err != nil {
			status = p.fileErr(name, err)
			continue
		}
		defer f.Close()
		writers = append(writers, f)
	}
	if _, err := io.Copy(io.MultiWriter(writers...), p.stdin); err != nil {
		return p.fail(1, "%s", describe(err))
	}
	return status
}

// eachLine calls fn with each line of r, including its newline (the last
// line may lack one).
func eachLine(r io.Reader, fn func(line []byte) error) error {
	br := bufio.NewReaderSize(r, 64*1024)
	for {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			long := append([]byte(nil), line...)
			var rest []byte
			rest, err = br.ReadBytes('\n')
			line = append(long, rest...)
		}
		if len(line) > 0 {
			if ferr := fn(line); ferr != nil {
				return ferr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
