package sandbox

import (
	"strings"
	"testing"

	"kist/sandbox/nsinit"
)

func TestIDEmulationMode(t *testing.T) {
	single := &IDMap{Mapping: nsinit.Mapping{UIDs: []IDRange{{ContainerID: 0, HostID: 1002, Size: 1}}, GIDs: []IDRange{{ContainerID: 0, HostID: 1002, Size: 1}}, Missing: "subids", User: "alice"}}
	inner := &IDMap{Mapping: nsinit.Mapping{UIDs: []IDRange{{ContainerID: 0, HostID: 0, Size: 1}}, GIDs: []IDRange{{ContainerID: 0, HostID: 0, Size: 1}}, User: "root"}, Full: true} // kist build's RUN, inside the namespace
	sub := &IDMap{Mapping: nsinit.Mapping{UIDs: []IDRange{{ContainerID: 0, HostID: 1001, Size: 1}, {ContainerID: 1, HostID: 100000, Size: 65536}}, Helpers: true}, Full: true}
	root := &IDMap{Mapping: nsinit.Mapping{UIDs: []IDRange{{ContainerID: 0, HostID: 0, Size: 4294967295}}}, Full: true}
	avail := nsinit.IDEmulationUnavailable() == ""
	for _, tc := range []struct {
		setting, env string
		m            *IDMap
		want         string
	}{
		{"", "", single, "full"},
		{"auto", "", inner, "full"},
		{"ids", "", single, "ids"},
		{"off", "", single, "off"},
		{"", "off", single, "off"},
		{"", "ids", single, "ids"},
		{"full", "off", single, "full"}, // the flag wins over the variable
		{"full", "", sub, "off"},        // real ids: never emulated
		{"", "", root, "off"},
	} {
		t.Setenv(EnvIDEmulation, tc.env)
		mode, why, err := IDEmulation(tc.setting, tc.m)
		want := tc.want
		if !avail && want != "off" {
			want = "off"
			if why == "" {
				t.Errorf("%q on %v: off without a reason", tc.setting, tc.m.UIDs)
			}
		}
		if err != nil || mode != want {
			t.Errorf("setting %q, %s=%q on %v: %q %v, want %q", tc.setting, EnvIDEmulation, tc.env, tc.m.UIDs, mode, err, want)
		}
	}
	t.Setenv(EnvIDEmulation, "")
	if _, _, err := IDEmulation("sometimes", single); err == nil || !strings.Contains(err.Error(), "auto, off, ids or full") {
		t.Errorf("bad value: %v", err)
	}
	t.Setenv(EnvIDEmulation, "yes")
	if _, _, err := IDEmulation("", single); err == nil || !strings.Contains(err.Error(), EnvIDEmulation+"=yes") {
		t.Errorf("bad variable: %v", err)
	}
}

func TestSingleIDNotice(t *testing.T) {
	m := &IDMap{Mapping: nsinit.Mapping{UIDs: []IDRange{{ContainerID: 0, HostID: 1002, Size: 1}}, Missing: "subids", User: "alice"}}
	n := singleIDNotice(m, "full", "")
	for _, want := range []string{"emulates", "not an isolation boundary", "alice:", ":65536 in /etc/subuid and in /etc/subgid"} {
		if !strings.Contains(n, want) {
			t.Errorf("notice lacks %q: %s", want, n)
		}
	}
	if n := singleIDNotice(m, "off", "no seccomp"); !strings.Contains(n, "ids cannot be emulated: no seccomp") || !strings.Contains(n, "usermod --add-subuids") {
		t.Errorf("off notice: %s", n)
	}
}
