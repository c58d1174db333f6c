package sandbox

import (
	"testing"
)

func TestMaxID(t *testing.T) {
	if got := MaxID([]IDRange{{ContainerID: 0, HostID: 1000, Size: 1}, {ContainerID: 1, HostID: 100000, Size: 65536}}); got != 65536 {
		t.Fatalf("got %d", got)
	}
	if got := MaxID([]IDRange{{ContainerID: 0, HostID: 1000, Size: 1}}); got != 0 {
		t.Fatalf("got %d", got)
	}
}
