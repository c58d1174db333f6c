package network

import (
	"net"
	"os"
	"regexp"
	"syscall"
	"testing"
	"time"
)

func TestValidNameMatchesDockers(t *testing.T) {
	re := regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)
	for _, name := range []string{"", "a", "A9", "9", "my-net", "my_net.2", "-net", "_net", ".net", "net!", "ne t", "a-", "ünet", "net/x", "x\n"} {
		if got, want := validName(name), re.MatchString(name); got != want {
			t.Errorf("validName(%q) = %v, docker's pattern says %v", name, got, want)
		}
	}
}

// unixPair returns two connected unix stream sockets as *net.UnixConn.
func unixPair(t *testing.T) (*net.UnixConn, *net.UnixConn) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	conn := func(fd int) *net.UnixConn {
		f := os.NewFile(uintptr(fd), "pair")
		defer f.Close()
		c, err := net.FileConn(f)
		if err != nil {
			t.Fatal(err)
		}
		return c.(*net.UnixConn)
	}
	a, b := conn(fds[0]), conn(fds[1])
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

func TestReadLineExactLeavesTheRest(t *testing.T) {
	a, b := unixPair(t)
	b.Write([]byte("ok 10.0.0.2/24 gw\nAFTER"))
	line, err := readLineExact(a)
	if err != nil || string(line) != "ok 10.0.0.2/24 gw" {
		t.Fatalf("line %q, %v", line, err)
	}
	rest := make([]byte, 16)
	a.SetReadDeadline(time.Now().Add(time.Second))
	n, err := a.Read(rest)
	if err != nil || string(rest[:n]) != "AFTER" {
		t.Fatalf("after the line: %q, %v; want AFTER", rest[:n], err)
	}
}

func TestReadLineExactInPieces(t *testing.T) {
	a, b := unixPair(t)
	go func() {
		b.Write([]byte("ok par"))
		time.Sleep(20 * time.Millisecond)
		b.Write([]byte("ts\nnext\n"))
	}()
	line, err := readLineExact(a)
	if err != nil || string(line) != "ok parts" {
		t.Fatalf("line %q, %v; want \"ok parts\"", line, err)
	}
	line, err = readLineExact(a)
	if err != nil || string(line) != "next" {
		t.Fatalf("second line %q, %v; want \"next\"", line, err)
	}
}

func TestReadReplyEndsAtEOFAndDeadline(t *testing.T) {
	a, b := unixPair(t)
	b.Write([]byte("ok no newline"))
	b.Close()
	if _, err := readReplyUntil(a, time.Now().Add(time.Second)); err == nil {
		t.Fatal("a line cut by EOF was taken")
	}
	c, _ := unixPair(t)
	start := time.Now()
	if _, err := readReplyUntil(c, time.Now().Add(50*time.Millisecond)); err == nil {
		t.Fatal("no answer, yet no error")
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("the deadline was not kept")
	}
}
