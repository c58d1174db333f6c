package image

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"syscall"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/klauspost/compress/zstd"
	"github.com/klauspost/pgzip"
)

// fetch is one layer's compressed blob being downloaded to a file.
type fetch struct {
	done chan struct{}
	path string
	err  error
}

// startFetches downloads the layers' compressed blobs into dir,
// s.Downloads at a time (docker's default is 3), while the caller
// unpacks them in order as they arrive. go-containerregistry checks each
// blob's digest as it is read.
func (s *Store) startFetches(layers []v1.Layer, diffIDs []v1.Hash, dir string) []*fetch {
	out := make([]*fetch, len(layers))
	slots := make(chan struct{}, s.Downloads)
	var wg sync.WaitGroup
	for i, l := range layers {
		f := &fetch{done: make(chan struct{}), path: filepath.Join(dir, diffIDs[i].Hex)}
		out[i] = f
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(f.done)
			slots <- struct{}{}
			defer func() { <-slots }()
			f.err = s.download(l, diffIDs[i].Hex[:12], f.path)
		}()
	}
	return out
}

func (s *Store) download(l v1.Layer, short, path string) error {
	rc, err := l.Compressed()
	if err != nil {
		return err
	}
	defer rc.Close()
	size, _ := l.Size()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := io.Writer(f)
	if s.OnDownload != nil {
		w = &counter{w: f, report: func(n int64) { s.OnDownload(short, n, size) }}
	}
	if _, err := io.Copy(w, rc); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// counter reports the bytes written through it.
type counter struct {
	w      io.Writer
	n      int64
	report func(int64)
}

func (c *counter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.report(c.n)
	return n, err
}

// downloadDir makes a directory for one pull's downloads under the
// store's own tmp directory, named after this process, and first removes
// those of pulls whose process is gone (killed with SIGKILL, say).
func (s *Store) downloadDir() (string, error) {
	tmp := filepath.Join(s.Root, "tmp")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return "", err
	}
	ents, _ := os.ReadDir(tmp)
	for _, e := range ents {
		var pid int
		if _, err := fmt.Sscanf(e.Name(), "pull-%d-", &pid); err == nil && syscall.Kill(pid, 0) == syscall.ESRCH {
			os.RemoveAll(filepath.Join(tmp, e.Name()))
		}
	}
	return os.MkdirTemp(tmp, fmt.Sprintf("pull-%d-", os.Getpid()))
}

// openBlob opens a downloaded layer blob as its uncompressed tar: gzip
// (decompressed on several cores), zstd, or a plain tar. The diff_id is
// known from the config and checked while unpacking, so the blob is
// read once.
func openBlob(path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(f, 1<<16)
	magic, _ := br.Peek(4)
	switch {
	case len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b:
		zr, err := pgzip.NewReader(br)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("reading the layer: %w", err)
		}
		return &readCloser{zr, func() error { zr.Close(); return f.Close() }}, nil
	case bytes.Equal(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		zr, err := zstd.NewReader(br)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("reading the layer: %w", err)
		}
		return &readCloser{zr, func() error { zr.Close(); return f.Close() }}, nil
	}
	return &readCloser{br, f.Close}, nil
}

type readCloser struct {
	io.Reader
	close func() error
}

func (r *readCloser) Close() error { return r.close() }
