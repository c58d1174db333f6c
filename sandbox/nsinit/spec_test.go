package nsinit

import (
	"os"
	"reflect"
	"syscall"
	"testing"
)

func TestSpecRoundTrip(t *testing.T) {
	s := &Spec{
		Rootfs: "/r", Args: []string{"sh", "-c", "echo 'a=b'"}, Env: []string{"A=1", "B=x=y"},
		Cwd: "/w", User: "1000:1000", Hostname: "h", ReadOnly: true, NetNS: true, TTY: true, NoStdin: true, OpenStdin: true,
		HostRoot: true, Rows: 24, Cols: 80,
		Hosts: "127.0.0.1 localhost\n", Resolv: "nameserver 1.1.1.1\n",
		Mounts: []Mount{{Source: "/a", Target: "/b", ReadOnly: true}, {Source: "/c:d", Target: "/e"}, {Source: "/v", Target: "/data", Volume: true},
			{Source: "size=64m,mode=1777", Target: "/tmp", Tmpfs: true}},
		Overlay: Overlay{Lower: []string{"/l2", "/l1"}, Upper: "/u", Work: "/w", Volatile: true, Discard: true},
		Rlimits: []Rlimit{{Resource: 7, Soft: 10, Hard: ^uint64(0)}},
		MaxUID:  65536, MaxGID: 65537, MapNotice: "n", IDEmulation: "full", LayerDirs: []string{"/s/c", "/s/l1"},
		ExecSocket: "/run/kist/x.sock", Dial: "tcp:8080", LogMaxSize: 1 << 20,
		Nets: []NetAttach{
			{Network: "a", Names: []string{"x", "y"}, Socket: "/s/a", Token: "t1", Address: "10.0.0.2/24", Gateway: "10.0.0.1", MAC: "02:42:0a:00:00:02", MTU: 1500, HostIP: "10.0.0.254"},
			{Network: "b", Socket: "/s/b", Token: "t2", Address: "10.1.0.2/24", Gateway: "10.1.0.1", MAC: "02:42:0a:01:00:02", MTU: 1500, HostIP: "10.1.0.254"},
		},
		Health:   Health{Test: []string{"curl", "-f", "http://localhost/"}, Interval: 30e9, Timeout: 5e9, StartPeriod: 1e9, Retries: 3},
		PodInfra: true, Pod: "/run/kist/x/infra", Spawn: true,
	}
	everyField(t, s)
	got, err := Decode(s.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, s) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, s)
	}
}

// A pod's infra has neither a root filesystem nor a command.
func TestDecodeInfra(t *testing.T) {
	s := &Spec{PodInfra: true, Hostname: "pod", ExecSocket: "/run/x"}
	got, err := Decode(s.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if !got.PodInfra || got.Hostname != "pod" || got.ExecSocket != "/run/x" {
		t.Fatalf("Decode = %+v", got)
	}
}

func TestDecodeErrors(t *testing.T) {
	const ok = "rootfs=/r\x00arg=x\x00"
	for _, c := range []struct{ name, in, want string }{
		{"no command", "rootfs=/r\x00", "spec: rootfs and command are required"},
		{"no rootfs", "arg=x\x00", "spec: rootfs and command are required"},
		{"no equals", ok + "junk\x00", `spec: record without '=': "junk"`},
		{"unknown key", ok + "what=1\x00", `spec: unknown key "what"`},
		{"bad mount", ok + "mount=ro\x00", `spec: bad mount "ro"`},
		{"bad rlimit", ok + "rlimit=7\x01a\x01b\x00", "spec: bad rlimit \"7\x01a\x01b\""},
		{"short rlimit", ok + "rlimit=7\x00", `spec: bad rlimit "7"`},
		{"bad winsize", ok + "winsize=24\x00", `spec: bad winsize "24"`},
		{"bad maxuid", ok + "maxuid=-1\x00", `spec: bad maxuid "-1"`},
		{"bad health", ok + "health=1\x012\x00", "spec: bad health \"1\x012\""},
		{"bad health number", ok + "health=1\x01x\x013\x014\x00", "spec: bad health \"1\x01x\x013\x014\""},
		{"bad net", ok + "net=a\x01b\x00", "spec: bad net \"a\x01b\""},
		{"bad net mtu", ok + "net=a\x01\x01s\x01t\x01ip\x01gw\x01mac\x01big\x01h\x00", "spec: bad net \"a\x01\x01s\x01t\x01ip\x01gw\x01mac\x01big\x01h\""},
	} {
		_, err := Decode([]byte(c.in))
		if err == nil || err.Error() != c.want {
			t.Errorf("%s: Decode(%q) = %v, want %q", c.name, c.in, err, c.want)
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

// A supervisor's log with a bound is emptied when the next record would
// pass it, and a restarted container's goes on from the size it has.
func TestLogFileMaxSize(t *testing.T) {
	path := t.TempDir() + "/container.log"
	fd, err := syscall.Open(path, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	writeFull(fd, []byte("0123456789\n")) // 11 bytes from an earlier start
	lg := &logFile{fd: fd, max: 30}
	lg.write([]byte("aaaaaaaaa\n")) // 21
	lg.write([]byte("bbbbbbbbb\n")) // 31 > 30: emptied first
	lg.write([]byte("ccccccccc\n"))
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != "bbbbbbbbb\nccccccccc\n" {
		t.Fatalf("log %q", data)
	}
}
