package sandbox

import "testing"

func TestParsePublish(t *testing.T) {
	for _, c := range []struct {
		in      string
		want    PortMap
		wantErr bool
	}{
		{"8080", PortMap{CtrPort: 8080, Proto: "tcp"}, false},
		{"5000:5000", PortMap{HostPort: 5000, CtrPort: 5000, Proto: "tcp"}, false},
		{"127.0.0.1:8000:80/tcp", PortMap{HostIP: "127.0.0.1", HostPort: 8000, CtrPort: 80, Proto: "tcp"}, false},
		{"127.0.0.1::80", PortMap{HostIP: "127.0.0.1", CtrPort: 80, Proto: "tcp"}, false},
		{"[::1]:8000:80", PortMap{HostIP: "::1", HostPort: 8000, CtrPort: 80, Proto: "tcp"}, false},
		{"5000:abc", PortMap{}, true},
		{"70000:80", PortMap{}, true},
		{"53:53/udp", PortMap{}, true},
		{"host:80:80", PortMap{}, true},
	} {
		got, err := ParsePublish(c.in)
		if (err != nil) != c.wantErr || (err == nil && got != c.want) {
			t.Errorf("ParsePublish(%q) = %+v, %v", c.in, got, err)
		}
	}
}

func TestCheckRestart(t *testing.T) {
	for _, ok := range []string{"", "no", "always", "unless-stopped", "on-failure", "on-failure:3"} {
		if err := CheckRestart(ok); err != nil {
			t.Errorf("CheckRestart(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"sometimes", "always:3", "on-failure:x", "on-failure:-1"} {
		if CheckRestart(bad) == nil {
			t.Errorf("CheckRestart(%q) accepted it", bad)
		}
	}
}

func TestParseMount(t *testing.T) {
	for _, c := range []struct {
		in      string
		want    Mount
		wantErr bool
	}{
		{"type=bind,source=/a,target=/b,readonly", Mount{Source: "/a", Target: "/b", ReadOnly: true}, false},
		{"type=volume,src=data,dst=/d", Mount{Source: "data", Target: "/d", Named: true}, false},
		{"source=data,target=/d", Mount{Source: "data", Target: "/d", Named: true}, false},
		{"type=tmpfs,target=/t,tmpfs-size=1m,tmpfs-mode=1777", Mount{Source: "size=1m,mode=1777", Target: "/t", Tmpfs: true}, false},
		{"type=tmpfs,source=x,target=/t", Mount{}, true},
		{"type=bind,source=a,target=/b", Mount{}, true},
		{"type=volume,source=a/b,target=/b", Mount{}, true},
		{"type=bind,source=/a,target=b", Mount{}, true},
		{"type=bind,source=/a,target=/b,bogus=1", Mount{}, true},
	} {
		got, err := ParseMount(c.in)
		if (err != nil) != c.wantErr || (err == nil && got != c.want) {
			t.Errorf("ParseMount(%q) = %+v, %v", c.in, got, err)
		}
	}
}
