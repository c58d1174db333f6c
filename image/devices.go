package image

import (
	"archive/tar"
	"io"
	"path"
)

// deviceCounter reads a copy of a layer's tar stream and notes the
// device files in it, which no user namespace can create: the store
// skips them without a word, so kist says so.
type deviceCounter struct {
	w     *io.PipeWriter
	done  chan []string
	names []string
}

func newDeviceCounter() *deviceCounter {
	r, w := io.Pipe()
	d := &deviceCounter{w: w, done: make(chan []string, 1)}
	go func() {
		var names []string
		tr := tar.NewReader(r)
		for {
			h, err := tr.Next()
			if err != nil {
				break
			}
			if (h.Typeflag == tar.TypeChar || h.Typeflag == tar.TypeBlock) && !(h.Devmajor == 0 && h.Devminor == 0) {
				if len(names) < 5 {
					names = append(names, path.Clean("/"+h.Name))
				}
			}
		}
		io.Copy(io.Discard, r) // never block the unpacking
		d.done <- names
	}()
	return d
}

func (d *deviceCounter) Write(p []byte) (int, error) {
	d.w.Write(p) // the reader drains everything, so this does not fail
	return len(p), nil
}

// finish ends the stream and returns the device files seen (at most 5).
func (d *deviceCounter) finish() []string {
	d.w.Close()
	return <-d.done
}
