package nsinit

import (
	"bytes"
	"crypto/rand"
	"io"
	"net"
	"syscall"
	"testing"
	"time"
)

// relayThrough returns the client end of a connection whose server end
// the relay forwards to backend's accepted connection.
func relayThrough(t *testing.T, r *relay, backend net.Listener) net.Conn {
	t.Helper()
	front, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer front.Close()
	client, err := net.Dial("tcp", front.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	accepted, err := front.Accept()
	if err != nil {
		t.Fatal(err)
	}
	inner, err := net.Dial("tcp", backend.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	// descriptors of the relay's own (it closes them), not *os.File's
	fd := func(c net.Conn) int {
		f, err := c.(*net.TCPConn).File()
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		defer c.Close()
		n, err := syscall.Dup(int(f.Fd()))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	r.add(fd(accepted), fd(inner))
	return client
}

// The relay forwards small messages both ways, a peer's data that comes
// with its FIN, and bulk data (which moves it to splice).
func TestRelay(t *testing.T) {
	r, err := newRelay()
	if err != nil {
		t.Fatal(err)
	}
	backend, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer backend.Close()
	// the backend echoes what it reads until EOF, then closes
	go func() {
		for {
			c, err := backend.Accept()
			if err != nil {
				return
			}
			go func() {
				io.Copy(c, c)
				c.Close()
			}()
		}
	}()

	t.Run("small", func(t *testing.T) {
		c := relayThrough(t, r, backend)
		defer c.Close()
		buf := make([]byte, 64)
		for i := range 200 {
			msg := []byte("request " + string(rune('a'+i%26)))
			c.Write(msg)
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			if _, err := io.ReadFull(c, buf[:len(msg)]); err != nil || !bytes.Equal(buf[:len(msg)], msg) {
				t.Fatalf("round %d: got %q, %v", i, buf[:len(msg)], err)
			}
		}
	})
	t.Run("data-with-fin", func(t *testing.T) {
		for range 50 {
			c := relayThrough(t, r, backend)
			c.Write([]byte("last words"))
			c.(*net.TCPConn).CloseWrite() // often in the same event as the data
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			got, err := io.ReadAll(c)
			c.Close()
			if err != nil || string(got) != "last words" {
				t.Fatalf("got %q, %v (want the echo, then EOF)", got, err)
			}
		}
	})
	t.Run("bulk", func(t *testing.T) {
		c := relayThrough(t, r, backend)
		defer c.Close()
		data := make([]byte, 8<<20)
		rand.Read(data)
		go func() {
			c.Write(data)
			c.(*net.TCPConn).CloseWrite()
		}()
		c.SetReadDeadline(time.Now().Add(20 * time.Second))
		got, err := io.ReadAll(c)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("bulk: %d of %d bytes came back equal? %v; %v", len(got), len(data), bytes.Equal(got, data), err)
		}
	})
}

func TestTrimWhenIdle(t *testing.T) {
	trims := 0
	tr := &trimmer{every: int64(100 * time.Millisecond), trim: func() { trims++ }}
	tr.begin()
	tr.end()
	if trims != 0 || tr.wait() != -1 {
		t.Fatalf("off: %d trims, wait %d; want none", trims, tr.wait())
	}
	tr.on.Store(true)
	tr.begin()
	tr.begin()
	tr.end()
	if trims != 0 {
		t.Fatalf("a connection still forwarded, yet %d trims", trims)
	}
	tr.end()
	if trims != 1 || tr.wait() != -1 {
		t.Fatalf("the last connection ended: %d trims, wait %d; want 1 and -1", trims, tr.wait())
	}
	// within a second (here 100 ms) of that trim: pending until due
	tr.begin()
	tr.end()
	w := tr.wait()
	if trims != 1 || w <= 0 || w > 101 {
		t.Fatalf("an end right after a trim: %d trims, wait %d ms; want 1 and a timeout up to 101 ms", trims, w)
	}
	tr.due()
	if trims != 1 {
		t.Fatalf("due before its time: %d trims", trims)
	}
	time.Sleep(time.Duration(w) * time.Millisecond)
	tr.due()
	if trims != 2 || tr.wait() != -1 {
		t.Fatalf("due after its time: %d trims, wait %d; want 2 and -1", trims, tr.wait())
	}
	// a connection that begins before the pending trim is due cancels
	// it; its end brings it back
	tr.begin()
	tr.end()
	tr.begin()
	time.Sleep(110 * time.Millisecond)
	tr.due()
	if trims != 2 || tr.wait() != -1 {
		t.Fatalf("due with a connection forwarded: %d trims, wait %d; want 2 and -1", trims, tr.wait())
	}
	tr.end()
	if trims != 3 {
		t.Fatalf("its end, over 100 ms after the last trim: %d trims, want 3", trims)
	}
}
