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

// fetch is one layer's compressed blob being downloaded to a file,
// which can be read while it is written: unpacking a layer starts with
// its first bytes, not after its last.
type fetch struct {
	path string
	done chan struct{} // closed when the download is over

	mu      sync.Mutex
	grown   *sync.Cond // signalled when written or over changes
	written int64      // bytes in the file so far
	over    bool
	err     error // why the download failed, once over
}

// startFetches downloads the layers' compressed blobs into dir,
// s.Downloads at a time (docker's default is 3) and starting in their
// order, while the caller unpacks them in order as they arrive.
// go-containerregistry checks each blob's digest and size as it is read,
// so a download is only good once it is over (see result).
func (s *Store) startFetches(layers []v1.Layer, diffIDs []v1.Hash, dir string) []*fetch {
	out := make([]*fetch, len(layers))
	files := make([]*os.File, len(layers))
	for i := range layers {
		// An image may hold one layer twice: the files are numbered.
		f := &fetch{done: make(chan struct{}), path: filepath.Join(dir, fmt.Sprintf("%d-%s", i, diffIDs[i].Hex))}
		f.grown = sync.NewCond(&f.mu)
		out[i] = f
		// The file exists before its download starts, so a reader can
		// open it and wait for its bytes.
		var err error
		if files[i], err = os.Create(f.path); err != nil {
			f.finish(err)
		}
	}
	slots := make(chan struct{}, s.Downloads)
	go func() {
		for i, f := range out {
			if files[i] == nil {
				continue
			}
			slots <- struct{}{}
			go func() {
				defer func() { <-slots }()
				f.finish(s.download(layers[i], diffIDs[i].Hex[:12], files[i], f))
			}()
		}
	}()
	return out
}

func (s *Store) download(l v1.Layer, short string, file *os.File, f *fetch) error {
	rc, err := l.Compressed()
	if err != nil {
		file.Close()
		return err
	}
	defer rc.Close()
	size, _ := l.Size()
	w := io.Writer(&grower{file, f})
	if s.OnDownload != nil {
		w = &counter{w: w, report: func(n int64) { s.OnDownload(short, n, size) }}
	}
	_, err = io.Copy(w, rc)
	if cerr := file.Close(); err == nil {
		err = cerr
	}
	return err
}

// grower writes a download to its file and tells the readers.
type grower struct {
	file *os.File
	f    *fetch
}

func (g *grower) Write(p []byte) (int, error) {
	n, err := g.file.Write(p)
	g.f.mu.Lock()
	g.f.written += int64(n)
	g.f.mu.Unlock()
	g.f.grown.Broadcast()
	return n, err
}

func (f *fetch) finish(err error) {
	f.mu.Lock()
	f.over, f.err = true, err
	f.mu.Unlock()
	f.grown.Broadcast()
	close(f.done)
}

// result waits for the download to be over and says whether it failed.
func (f *fetch) result() error {
	<-f.done
	return f.err
}

// failed reports a download that is over and failed, without waiting.
func (f *fetch) failed() error {
	select {
	case <-f.done:
		return f.err
	default:
		return nil
	}
}

// open reads the blob as it is downloaded: at the end of what is there
// so far it waits for more; at the end of the download it returns
// io.EOF, or the download's error.
func (f *fetch) open() (io.ReadCloser, error) {
	file, err := os.Open(f.path)
	if err != nil {
		if ferr := f.failed(); ferr != nil {
			return nil, ferr // it could not be created
		}
		return nil, err
	}
	return &follower{f: f, file: file}, nil
}

type follower struct {
	f    *fetch
	file *os.File
	off  int64
}

func (r *follower) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	f := r.f
	f.mu.Lock()
	for r.off >= f.written && !f.over {
		f.grown.Wait()
	}
	avail, over, err := f.written-r.off, f.over, f.err
	f.mu.Unlock()
	if avail <= 0 {
		if over && err != nil {
			return 0, err
		}
		return 0, io.EOF
	}
	n, rerr := r.file.ReadAt(p[:min(int64(len(p)), avail)], r.off)
	r.off += int64(n)
	if rerr == io.EOF && n > 0 {
		rerr = nil
	}
	return n, rerr
}

func (r *follower) Close() error { return r.file.Close() }

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

// openBlob reads a layer blob as its uncompressed tar: gzip
// (decompressed on several cores), zstd, or a plain tar. The diff_id is
// known from the config and checked while unpacking, so the blob is
// read once. It closes f when it fails.
func openBlob(f io.ReadCloser) (io.ReadCloser, error) {
	br := bufio.NewReaderSize(f, 1<<16)
	magic, err := br.Peek(4)
	if err != nil && err != io.EOF {
		f.Close()
		return nil, err
	}
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
