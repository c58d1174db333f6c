package nsinit

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseFastArgs(t *testing.T) {
	env := func(k string) (string, bool) {
		if k == "FROMHOST" {
			return "yes", true
		}
		return "", false
	}
	for _, c := range []struct {
		line string
		ok   bool
		want fastArgs
	}{
		{"--rootfs R true", true, fastArgs{rootfs: "R", args: []string{"true"}}},
		{"--rm --rootfs=R --network none sh -c x", true, fastArgs{rootfs: "R", network: "none", remove: true, args: []string{"sh", "-c", "x"}}},
		{"--network=bridge --rootfs R true", true, fastArgs{rootfs: "R", args: []string{"true"}}},
		{"-e A=1 --env B=2 -e FROMHOST -e NOTSET --env=C=3 --rootfs R env", true,
			fastArgs{rootfs: "R", env: []string{"A=1", "B=2", "FROMHOST=yes", "C=3"}, args: []string{"env"}}},
		{"-w /w -u 1:2 -h box -i --read-only --rootfs R -- -x", true,
			fastArgs{rootfs: "R", workdir: "/w", user: "1:2", hostname: "box", interactive: true, readOnly: true, args: []string{"-x"}}},
		{"--rootfs R echo -e a", true, fastArgs{rootfs: "R", args: []string{"echo", "-e", "a"}}}, // the command's own flags
		// an image, with or without a command (imageSpec wants --rm)
		{"--rm img", true, fastArgs{image: "img", remove: true}},
		{"--rm -e A=1 --network none reg.example:5000/a/b:1 sh -c x", true,
			fastArgs{image: "reg.example:5000/a/b:1", remove: true, network: "none", env: []string{"A=1"}, args: []string{"sh", "-c", "x"}}},
		{"true", true, fastArgs{image: "true"}},
		{"--rm -- img -x", true, fastArgs{image: "img", remove: true, args: []string{"-x"}}},
		// left to the ordinary path
		{"--rootfs R", false, fastArgs{}}, // no command
		{"--rm", false, fastArgs{}},       // no image
		{"--rm --name x img", false, fastArgs{}},
		{"--rm --pull never img", false, fastArgs{}},
		{"--rm --entrypoint sh img", false, fastArgs{}},
		{"--rootfs= true", false, fastArgs{}},                  // no root filesystem
		{"-it --rootfs R sh", false, fastArgs{}},               // combined, and a tty
		{"-e=A=1 --rootfs R env", false, fastArgs{}},           // pflag's reading of -e=
		{"--rm=true --rootfs R true", false, fastArgs{}},       // a bool's value
		{"--network host --rootfs R true", false, fastArgs{}},  // the host's network
		{"--network mynet --rootfs R true", false, fastArgs{}}, // a network by name
		{"--network none --network none --rootfs R true", false, fastArgs{}},
		{"--net none --rootfs R true", false, fastArgs{}}, // not one of kist's flags
		{"-v /a:/b --rootfs R true", false, fastArgs{}},   // mounts
		{"-w rel --rootfs R true", false, fastArgs{}},     // the ordinary path says what is wrong
		{"--name x --rootfs R true", false, fastArgs{}},
		{"--rootfs R -p 80:80 true", false, fastArgs{}},
		{"--rootfs", false, fastArgs{}},
	} {
		got, ok := parseFastArgs(strings.Fields(c.line), env)
		if ok != c.ok || ok && !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q: got %+v, %v; want %+v, %v", c.line, got, ok, c.want, c.ok)
		}
	}
}

func TestCleanPath(t *testing.T) {
	for in, want := range map[string]string{
		"/a/b": "/a/b", "/a//b/": "/a/b", "/a/./b/../c": "/a/c", "/../a": "/a", "/": "/", "/a/..": "/",
	} {
		if got := cleanPath(in); got != want {
			t.Errorf("cleanPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNetworkID(t *testing.T) {
	dir := t.TempDir()
	for name, c := range map[string]struct{ data, want string }{
		"indented": {"{\n  \"Name\": \"bridge\",\n  \"Id\": \"0123456789abcdef\",\n  \"Driver\": \"bridge\"\n}", "0123456789abcdef"},
		"compact":  {`{"Name":"bridge","Id":"abcdef012345678"}`, "abcdef012345678"},
		"not hex":  {`{"Id":"../../x"}`, ""},
		"no id":    {`{"Name":"bridge"}`, ""},
	} {
		p := filepath.Join(dir, name+".json")
		os.WriteFile(p, []byte(c.data), 0o600)
		if got := networkID(p); got != c.want {
			t.Errorf("%s: networkID = %q, want %q", name, got, c.want)
		}
	}
	if got := networkID(filepath.Join(dir, "missing.json")); got != "" {
		t.Errorf("a missing file: %q", got)
	}
}

// fastSpec fills in what package sandbox's buildSpec and prepare do for
// the same flags (the script test run_fastpath compares the containers).
func TestFastSpec(t *testing.T) {
	dir := t.TempDir()
	rootfs := filepath.Join(dir, "r")
	os.Mkdir(rootfs, 0o755)
	m := Mapping{UIDs: []IDRange{{0, 1000, 1}, {1, 100000, 65536}}, GIDs: []IDRange{{0, 1000, 1}, {1, 100000, 65536}}, Helpers: true}
	a := fastArgs{rootfs: "r/./", env: []string{"A=1", "B=2", "A=3"}, workdir: "/w", args: []string{"true"}}
	s, ok := fastSpec(a, m, dir)
	if !ok {
		t.Fatal("fastSpec refused")
	}
	if s.Rootfs != rootfs || !reflect.DeepEqual(s.Env, []string{"A=3", "B=2"}) || s.Cwd != "/w" || !s.NetNS || !s.NoStdin ||
		s.MaxUID != 65536 || s.MaxGID != 65536 || s.HostRoot || s.MapNotice != DefaultMapNotice {
		t.Errorf("spec: %+v", s)
	}
	if len(s.Hostname) != 12 || s.Hosts != PrivateHosts(s.Hostname) {
		t.Errorf("host name %q, hosts %q", s.Hostname, s.Hosts)
	}
	a.interactive, a.hostname = true, "box"
	if s, _ = fastSpec(a, m, dir); s.NoStdin || s.Hostname != "box" {
		t.Errorf("-i -h box: %+v", s)
	}
	a.rootfs = "missing"
	if _, ok := fastSpec(a, m, dir); ok {
		t.Error("a missing root filesystem: the ordinary path says so")
	}
	os.WriteFile(filepath.Join(dir, "file"), nil, 0o600)
	a.rootfs = filepath.Join(dir, "file")
	if _, ok := fastSpec(a, m, dir); ok {
		t.Error("a file as the root filesystem: the ordinary path says so")
	}
}

func TestPrivateResolv(t *testing.T) {
	p := filepath.Join(t.TempDir(), "resolv.conf")
	os.WriteFile(p, []byte("nameserver 127.0.0.53\nnameserver 10.0.0.1\nsearch lab.example\noptions edns0\n"), 0o600)
	defer func(old string) { hostResolvConf = old }(hostResolvConf)
	hostResolvConf = p
	if got, want := PrivateResolv(), "nameserver 10.0.0.1\nsearch lab.example\noptions edns0\n"; got != want {
		t.Errorf("PrivateResolv = %q, want %q", got, want)
	}
	if got, want := NetworkResolv("10.88.0.1"), "nameserver 10.88.0.1\nsearch lab.example\noptions edns0\n"; got != want {
		t.Errorf("NetworkResolv = %q, want %q", got, want)
	}
}

// dataDir is package dirs' Data() where that is an absolute path.
func TestDataDir(t *testing.T) {
	for _, c := range []struct{ xdg, home, want string }{
		{"/x/data/", "/h", "/x/data/kist"},
		{"", "/h//u", "/h/u/.local/share/kist"},
		{"rel", "/h", ""},
		{"", "", ""},
	} {
		t.Setenv("XDG_DATA_HOME", c.xdg)
		t.Setenv("HOME", c.home)
		if got := dataDir(); got != c.want {
			t.Errorf("XDG_DATA_HOME=%q HOME=%q: %q, want %q", c.xdg, c.home, got, c.want)
		}
	}
}
