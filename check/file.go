package check

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/rogpeppe/go-internal/testscript"

	"kist/image"
)

// FileCap is how much of a file filecontent shows (1 MiB); it says on
// its standard error when it cut one.
const FileCap = 1 << 20

// cmdFile looks at a path of an image's filesystem without running it:
// file IMAGE PATH.
func (r *runner) cmdFile(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: file IMAGE PATH")
	}
	name, p := args[0], args[1]
	fi, err := image.StatFile(r.ctx, name, p)
	if err != nil {
		r.imageFileError(ts, name, p, err)
	}
	if fi == nil {
		if !neg {
			ts.Fatalf(msg(r.o.Lang, "no-file"), p, name)
		}
		return
	}
	if neg {
		ts.Fatalf(msg(r.o.Lang, "file-exists"), p, name, fi.Type())
	}
	w := ts.Stdout()
	fmt.Fprintf(w, "type: %s\n", fi.Type())
	fmt.Fprintf(w, "mode: %s\n", fi.Permissions())
	fmt.Fprintf(w, "uid: %d\n", fi.UID)
	fmt.Fprintf(w, "gid: %d\n", fi.GID)
	fmt.Fprintf(w, "size: %d\n", fi.Size)
	if fi.Type() == "symlink" {
		fmt.Fprintf(w, "target: %s\n", fi.Target)
	}
}

// cmdFileContent prints a file of an image: filecontent IMAGE PATH.
func (r *runner) cmdFileContent(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("filecontent does not take !: use ! stdout after it")
	}
	if len(args) != 2 {
		ts.Fatalf("usage: filecontent IMAGE PATH")
	}
	name, p := args[0], args[1]
	data, fi, err := image.ReadFile(r.ctx, name, p, FileCap)
	if err != nil && fi != nil {
		ts.Fatalf(msg(r.o.Lang, "not-file"), p, name, fi.Type())
	}
	if err != nil {
		r.imageFileError(ts, name, p, err)
	}
	ts.Stdout().Write(data)
	if fi.Size > int64(len(data)) {
		fmt.Fprintf(ts.Stderr(), msg(r.o.Lang, "file-cut")+"\n", len(data), fi.Size, p)
	}
}

// imageFileError fails the script for what StatFile or ReadFile said.
func (r *runner) imageFileError(ts *testscript.TestScript, name, p string, err error) {
	var noImage *image.NotFoundError
	switch {
	case errors.As(err, &noImage):
		ts.Fatalf(msg(r.o.Lang, "no-image"), name)
	case errors.Is(err, fs.ErrNotExist):
		ts.Fatalf(msg(r.o.Lang, "no-file"), p, name)
	}
	ts.Fatalf("%s: %v", name, err)
}
