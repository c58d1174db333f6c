package image

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// slowLayer is a layer whose compressed blob arrives in the chunks
// sent on its channel; closing the channel ends it with err (or EOF).
type slowLayer struct {
	v1.Layer
	chunks chan string
	err    error
}

func (l *slowLayer) Compressed() (io.ReadCloser, error) { return io.NopCloser(l), nil }
func (l *slowLayer) Size() (int64, error)               { return -1, nil }

func (l *slowLayer) Read(p []byte) (int, error) {
	c, ok := <-l.chunks
	if !ok {
		if l.err != nil {
			return 0, l.err
		}
		return 0, io.EOF
	}
	return copy(p, c), nil
}

// readSome reads from r in the background and returns what it got so far
// when want bytes came; it fails the test after ten seconds.
func readSome(t *testing.T, r io.Reader, want int) string {
	t.Helper()
	got := make(chan string, 1)
	go func() {
		b := make([]byte, want)
		n, _ := io.ReadFull(r, b)
		got <- string(b[:n])
	}()
	select {
	case s := <-got:
		return s
	case <-time.After(10 * time.Second):
		t.Fatalf("no %d bytes to read while the download goes on", want)
		return ""
	}
}

// A blob is read while it downloads: its first bytes come before its
// last are sent, and its end is the download's end, or its error.
func TestFetchFollowsDownload(t *testing.T) {
	for _, fail := range []error{nil, errors.New("digest mismatch")} {
		l := &slowLayer{chunks: make(chan string), err: fail}
		s := &Store{Downloads: 2}
		f := s.startFetches([]v1.Layer{l}, []v1.Hash{{Algorithm: "sha256", Hex: strings.Repeat("a", 64)}}, t.TempDir())[0]
		r, err := f.open()
		if err != nil {
			t.Fatal(err)
		}
		l.chunks <- "first "
		if got := readSome(t, r, 6); got != "first " {
			t.Fatalf("read %q, want the first chunk", got)
		}
		if err := f.failed(); err != nil {
			t.Fatalf("failed() = %v while downloading", err)
		}
		l.chunks <- "second"
		close(l.chunks)
		rest, err := io.ReadAll(r)
		if string(rest) != "second" || err != fail {
			t.Errorf("rest = %q, %v; want \"second\", %v", rest, err, fail)
		}
		if err := f.result(); err != fail {
			t.Errorf("result() = %v, want %v", err, fail)
		}
		r.Close()
	}
}

// An image may hold the same layer twice; each download has its file.
func TestFetchSameLayerTwice(t *testing.T) {
	a, b := &slowLayer{chunks: make(chan string, 1)}, &slowLayer{chunks: make(chan string, 1)}
	a.chunks <- "one"
	b.chunks <- "two"
	close(a.chunks)
	close(b.chunks)
	id := v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("b", 64)}
	s := &Store{Downloads: 1}
	for i, f := range s.startFetches([]v1.Layer{a, b}, []v1.Hash{id, id}, t.TempDir()) {
		r, err := f.open()
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		r.Close()
		if want := []string{"one", "two"}[i]; string(got) != want || err != nil {
			t.Errorf("layer %d: %q, %v; want %q", i, got, err, want)
		}
	}
}
