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
	w    *io.PipeWriter
	done chan devices
}

// devices are the device files of a layer: how many, and the first few.
type devices struct {
	n     int
	names []string
}

func newDeviceCounter() *deviceCounter {
	r, w := io.Pipe()
	d := &deviceCounter{w: w, done: make(chan devices, 1)}
	go func() {
		var found devices
		tr := tar.NewReader(r)
		for {
			h, err := tr.Next()
			if err != nil {
				break
			}
			if (h.Typeflag == tar.TypeChar || h.Typeflag == tar.TypeBlock) && !(h.Devmajor == 0 && h.Devminor == 0) {
				if found.n++; found.n <= 3 {
					found.names = append(found.names, path.Clean("/"+h.Name))
				}
			}
		}
		io.Copy(io.Discard, r) // never block the unpacking
		d.done <- found
	}()
	return d
}

func (d *deviceCounter) Write(p []byte) (int, error) {
	d.w.Write(p) // the reader drains everything, so this does not fail
	return len(p), nil
}

// finish ends the stream and returns the device files seen.
func (d *deviceCounter) finish() devices {
	d.w.Close()
	return <-d.done
}
