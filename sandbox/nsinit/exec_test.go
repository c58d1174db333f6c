package nsinit

import (
	"syscall"
	"testing"
)

// A holder leaves as soon as its table is empty (serveHolder), so an
// empty table must mean every exit line has been sent: the kist run of a
// container that ended just then read EOF instead, and said 137 (seen
// in CI as a rare failure of run_rm_ephemeral).
func TestExitedReportsBeforeTableEmpties(t *testing.T) {
	for i := 0; i < 2000; i++ {
		pair, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		tab := newExecTable()
		tab.conns[1000+i] = pair[0]
		go tab.exited(1000+i, syscall.WaitStatus(3<<8)) // exit status 3
		for tab.busy() {
		}
		var buf [64]byte
		n, _, err := syscall.Recvfrom(pair[1], buf[:], syscall.MSG_DONTWAIT)
		syscall.Close(pair[1])
		if got := string(buf[:max(n, 0)]); err != nil || got != "exit 3\n" {
			t.Fatalf("iteration %d: the table was empty before the exit line was sent: read %q, %v", i, got, err)
		}
	}
}
