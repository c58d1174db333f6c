package sandbox

import (
	"strings"
	"testing"
)

func TestParseVolume(t *testing.T) {
	tests := []struct {
		in      string
		want    Mount
		wantErr string
	}{
		{"/a:/b", Mount{Source: "/a", Target: "/b"}, ""},
		{"/a:/b:ro", Mount{Source: "/a", Target: "/b", ReadOnly: true}, ""},
		{"./a:/b:rw", Mount{Source: "./a", Target: "/b"}, ""},
		{"/a", Mount{}, `invalid volume "/a": want HOSTDIR:CONTAINERDIR[:ro]`},
		{"/a:b", Mount{}, `invalid volume "/a:b": the container path "b" must be absolute`},
		{"/a:/b:bogus", Mount{}, `invalid volume "/a:/b:bogus": unknown option "bogus" (want ro or rw)`},
		{"data:/b", Mount{Source: "data", Target: "/b", Named: true}, ""},
		{"a/b:/b", Mount{}, `invalid volume "a/b:/b": a host path must be absolute or start with ./; a volume name has no slash`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseVolume(tt.in)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestParseUlimit(t *testing.T) {
	tests := []struct {
		in      string
		want    Ulimit
		wantErr string
	}{
		{"nofile=1024:2048", Ulimit{"nofile", 1024, 2048}, ""},
		{"nproc=50", Ulimit{"nproc", 50, 50}, ""},
		{"core=-1", Ulimit{"core", ^uint64(0), ^uint64(0)}, ""},
		{"nofile", Ulimit{}, `invalid ulimit "nofile": want NAME=SOFT[:HARD], e.g. nofile=1024:2048`},
		{"bogus=1", Ulimit{}, `invalid ulimit "bogus=1": unknown name "bogus"`},
		{"nofile=a", Ulimit{}, `invalid ulimit "nofile=a": values must be numbers, -1 or unlimited`},
		{"nofile=3:2", Ulimit{}, `invalid ulimit "nofile=3:2": soft limit 3 is above hard limit 2`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseUlimit(tt.in)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int64{"512": 512, "1k": 1024, "512m": 512 << 20, "1g": 1 << 30, "1.5G": 3 << 29, "64MiB": 64 << 20, "10mb": 10 << 20} {
		if got, err := ParseBytes(in); err != nil || got != want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "x", "-1m", "1q"} {
		if _, err := ParseBytes(in); err == nil {
			t.Errorf("ParseBytes(%q): want an error", in)
		}
	}
}

func TestReadStatus(t *testing.T) {
	pid, err := readStatus(strings.NewReader("ok 42\n"))
	if pid != 42 || err != nil {
		t.Fatalf("ok: got %d, %v", pid, err)
	}
	_, err = readStatus(strings.NewReader("err 127 exec: \"x\": not found\n"))
	if e, ok := err.(*Error); !ok || e.Code != 127 || e.Msg != `exec: "x": not found` {
		t.Fatalf("err: got %#v", err)
	}
	pid, err = readStatus(strings.NewReader(""))
	if pid != 0 || err != nil {
		t.Fatalf("eof: got %d, %v", pid, err)
	}
}

func TestMergeEnv(t *testing.T) {
	got := strings.Join(MergeEnv([]string{"A=1", "B=2", "A=3", "C", "C=4"}), " ")
	if want := "A=3 B=2 C=4"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}
