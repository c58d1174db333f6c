package vm

import (
	"fmt"
	"io"
)

// A newc ("070701") cpio writer: the format the kernel unpacks an
// initramfs from (Documentation/driver-api/early-userspace/
// buffer-format.rst). u-root's pkg/cpio writes the same, but needs
// github.com/u-root/uio, which is not among kist's modules; the format
// is thirteen hex fields, a name and the data, each padded to four bytes.

// cpio file types (S_IF*).
const (
	cpioDir     = 0o040000
	cpioReg     = 0o100000
	cpioSymlink = 0o120000
	cpioChar    = 0o020000
	cpioBlock   = 0o060000
	cpioFifo    = 0o010000
)

// cpioHeader is one record's metadata.
type cpioHeader struct {
	Name         string // relative, without a leading slash ("bin/sh"; "." for the root)
	Mode         uint32 // type and permission bits (S_IFREG | 0755)
	UID, GID     uint32
	MTime        int64
	Size         int64  // of the data that follows (a symlink's: its target)
	Major, Minor uint32 // a device node's
}

// cpioWriter writes records one after another; Close writes the trailer.
type cpioWriter struct {
	w   io.Writer
	pos int64
	ino uint32
}

func newCpioWriter(w io.Writer) *cpioWriter { return &cpioWriter{w: w} }

func (c *cpioWriter) write(b []byte) error {
	n, err := c.w.Write(b)
	c.pos += int64(n)
	return err
}

func (c *cpioWriter) pad() error {
	if n := (4 - c.pos%4) % 4; n > 0 {
		return c.write(make([]byte, n))
	}
	return nil
}

// WriteHeader writes h's record header; the caller writes h.Size bytes
// of data after it (Data, or Write), then the next header.
func (c *cpioWriter) WriteHeader(h cpioHeader) error {
	if h.Size < 0 || h.Size > 0xffffffff {
		return fmt.Errorf("%s: %d bytes is too big for a cpio record", h.Name, h.Size)
	}
	if err := c.pad(); err != nil {
		return err
	}
	c.ino++
	nlink := 1
	if h.Mode&0o170000 == cpioDir {
		nlink = 2
	}
	mtime := uint32(max(h.MTime, 0))
	hdr := fmt.Sprintf("070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		c.ino, h.Mode, h.UID, h.GID, nlink, mtime, uint32(h.Size), 0, 0, h.Major, h.Minor, len(h.Name)+1, 0)
	if err := c.write([]byte(hdr + h.Name + "\x00")); err != nil {
		return err
	}
	return c.pad()
}

// Write writes data of the current record.
func (c *cpioWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.pos += int64(n)
	return n, err
}

// Record writes a whole record: header and data.
func (c *cpioWriter) Record(h cpioHeader, data []byte) error {
	h.Size = int64(len(data))
	if err := c.WriteHeader(h); err != nil {
		return err
	}
	return c.write(data)
}

// Close writes the trailer record (it does not close the writer below).
func (c *cpioWriter) Close() error {
	if err := c.Record(cpioHeader{Name: "TRAILER!!!"}, nil); err != nil {
		return err
	}
	return c.pad()
}
