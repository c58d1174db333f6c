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
