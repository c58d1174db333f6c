package nsinit

import (
	"reflect"
	"testing"
)

func TestSpecRoundTrip(t *testing.T) {
	s := &Spec{
		Rootfs: "/r", Args: []string{"sh", "-c", "echo 'a=b'"}, Env: []string{"A=1", "B=x=y"},
		Cwd: "/w", User: "1000:1000", Hostname: "h", ReadOnly: true, NetNS: true, TTY: true, NoStdin: true, HostRoot: true, Rows: 24, Cols: 80,
		Hosts: "127.0.0.1 localhost\n", Resolv: "nameserver 1.1.1.1\n",
		Mounts:  []Mount{{Source: "/a", Target: "/b", ReadOnly: true}, {Source: "/c:d", Target: "/e"}},
		Overlay: Overlay{Lower: []string{"/l2", "/l1"}, Upper: "/u", Work: "/w"},
		Rlimits: []Rlimit{{Resource: 7, Soft: 10, Hard: ^uint64(0)}},
		MaxUID:  65536, MaxGID: 65536, MapNotice: "n",
		Nets: []NetAttach{
			{Network: "a", Names: []string{"x", "y"}, Socket: "/s/a", Token: "t1", Address: "10.0.0.2/24", Gateway: "10.0.0.1", MAC: "02:42:0a:00:00:02", MTU: 1500, HostIP: "10.0.0.254"},
			{Network: "b", Socket: "/s/b", Token: "t2", Address: "10.1.0.2/24", Gateway: "10.1.0.1", MAC: "02:42:0a:01:00:02", MTU: 1500, HostIP: "10.1.0.254"},
		},
	}
	got, err := Decode(s.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, s) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, s)
	}
}

func TestDecodeErrors(t *testing.T) {
	for name, in := range map[string]string{
		"no command":  "rootfs=/r\x00",
		"no equals":   "rootfs=/r\x00arg=x\x00junk\x00",
		"unknown key": "rootfs=/r\x00arg=x\x00what=1\x00",
		"bad mount":   "rootfs=/r\x00arg=x\x00mount=ro\x00",
		"bad rlimit":  "rootfs=/r\x00arg=x\x00rlimit=7\x01a\x01b\x00",
	} {
		if _, err := Decode([]byte(in)); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
}

func TestLookupPathSplit(t *testing.T) {
	for in, want := range map[string][2]string{"a/b/c": {"a/b", "c"}, "c": {"", "c"}} {
		if d, b := splitPath(in); d != want[0] || b != want[1] {
			t.Errorf("splitPath(%q) = %q, %q", in, d, b)
		}
	}
}

func TestNumbers(t *testing.T) {
	for _, n := range []int{0, 7, 4294967294, -5} {
		if got := itoa(n); n >= 0 {
			if back, err := atoi(got); err != nil || back != n {
				t.Errorf("atoi(itoa(%d)) = %d, %v", n, back, err)
			}
		} else if got != "-5" {
			t.Errorf("itoa(-5) = %q", got)
		}
	}
	for _, bad := range []string{"", "x", "1x", "99999999999999999999999"} {
		if _, err := atoi(bad); err == nil {
			t.Errorf("atoi(%q): want an error", bad)
		}
	}
}
