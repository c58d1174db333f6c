package container

import (
	"testing"
	"time"

	"kist/sandbox"
)

func TestParseFiltersErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		err  string
	}{
		{name: "no equals", args: []string{"running"}, err: `invalid filter "running": want KEY=VALUE, where kist ps takes the keys ancestor, before, expose, exited, health, id, label, name, network, publish, since, status, volume`},
		{name: "unknown key", args: []string{"is-task=true"}, err: `invalid filter "is-task=true": kist ps takes the keys ancestor, before, expose, exited, health, id, label, name, network, publish, since, status, volume`},
		{name: "status", args: []string{"status=up"}, err: `invalid filter "status=up": status is one of created, restarting, running, removing, paused, exited, dead`},
		{name: "health", args: []string{"health=ok"}, err: `invalid filter "health=ok": health is one of starting, healthy, unhealthy, none`},
		{name: "exited", args: []string{"exited=yes"}, err: `invalid filter "exited=yes": exited takes an exit code, a number such as 0 or 137`},
		{name: "publish", args: []string{"publish=http"}, err: `invalid filter "publish=http": publish takes a container port, a range of them or either with a protocol, e.g. 80, 8000-8080 or 53/udp`},
		{name: "expose range", args: []string{"expose=90-80"}, err: `invalid filter "expose=90-80": expose takes a container port, a range of them or either with a protocol, e.g. 80, 8000-8080 or 53/udp`},
		{name: "protocol", args: []string{"publish=80/icmp"}, err: `invalid filter "publish=80/icmp": publish takes a container port, a range of them or either with a protocol, e.g. 80, 8000-8080 or 53/udp`},
		{name: "name", args: []string{"name=[web"}, err: "invalid filter \"name=[web\": not a regular expression (missing closing ]: `[web`)"},
		{name: "label", args: []string{"label="}, err: `invalid filter "label=": name the label, as in label=KEY or label=KEY=VALUE`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseFilters(tc.args)
			if err == nil || err.Error() != tc.err {
				t.Fatalf("err = %v\nwant  %s", err, tc.err)
			}
		})
	}
}

func TestFilterMatch(t *testing.T) {
	created := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	web := &Record{
		ID: "abc123def456abc123def456", Name: "web", Image: "python:3.8", ImageID: "feed0123beef", Created: created,
		Network: "lab", MoreNetworks: []sandbox.NetworkJoin{{Name: "back"}}, Volumes: []string{"data"},
		Ports:   []sandbox.PortMap{{HostPort: 8080, CtrPort: 80, Proto: "tcp"}},
		Exposed: []string{"443/tcp", "53/udp"}, Labels: map[string]string{"env": "test", "tier": "web"},
	}
	running := State{Status: Running}
	healthy := State{Status: Running, Health: &Health{Status: "healthy"}}
	exited := State{Status: Exited, ExitCode: 137}
	for _, tc := range []struct {
		name  string
		args  []string
		st    State
		match bool
	}{
		{name: "no filters", st: running, match: true},
		{name: "name part", args: []string{"name=we"}, st: running, match: true},
		{name: "name anchored", args: []string{"name=^web$"}, st: running, match: true},
		{name: "name with slash", args: []string{"name=^/web$"}, st: running, match: true},
		{name: "other name", args: []string{"name=db"}, st: running, match: false},
		{name: "either name", args: []string{"name=db", "name=web"}, st: running, match: true},
		{name: "id prefix", args: []string{"id=abc123"}, st: running, match: true},
		{name: "other id", args: []string{"id=fff"}, st: running, match: false},
		{name: "label key", args: []string{"label=env"}, st: running, match: true},
		{name: "every label", args: []string{"label=env=test", "label=tier=db"}, st: running, match: false},
		{name: "status", args: []string{"status=running"}, st: running, match: true},
		{name: "either status", args: []string{"status=created", "status=exited"}, st: exited, match: true},
		{name: "other status", args: []string{"status=exited"}, st: running, match: false},
		{name: "exited code", args: []string{"exited=137"}, st: exited, match: true},
		{name: "exited other code", args: []string{"exited=0"}, st: exited, match: false},
		{name: "exited running", args: []string{"exited=0"}, st: running, match: false},
		{name: "healthy", args: []string{"health=healthy"}, st: healthy, match: true},
		{name: "no healthcheck", args: []string{"health=none"}, st: running, match: true},
		{name: "not healthy", args: []string{"health=healthy"}, st: running, match: false},
		{name: "ancestor by name", args: []string{"ancestor=docker.io/library/python:3.8"}, st: running, match: true},
		{name: "ancestor by id", args: []string{"ancestor=sha256:feed01"}, st: running, match: true},
		{name: "ancestor other tag", args: []string{"ancestor=python"}, st: running, match: false},
		{name: "network", args: []string{"network=back"}, st: running, match: true},
		{name: "other network", args: []string{"network=bridge"}, st: running, match: false},
		{name: "volume", args: []string{"volume=data"}, st: running, match: true},
		{name: "other volume", args: []string{"volume=cache"}, st: running, match: false},
		{name: "publish", args: []string{"publish=80"}, st: running, match: true},
		{name: "publish host port", args: []string{"publish=8080"}, st: running, match: false},
		{name: "publish range", args: []string{"publish=70-90/tcp"}, st: running, match: true},
		{name: "publish udp", args: []string{"publish=80/udp"}, st: running, match: false},
		{name: "expose image's", args: []string{"expose=53/udp"}, st: running, match: true},
		{name: "expose published", args: []string{"expose=80"}, st: running, match: true},
		{name: "expose other", args: []string{"expose=22"}, st: running, match: false},
		{name: "keys combine", args: []string{"name=web", "status=exited"}, st: running, match: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := ParseFilters(tc.args)
			if err != nil {
				t.Fatal(err)
			}
			if got := f.Match(web, tc.st); got != tc.match {
				t.Errorf("Match = %v, want %v", got, tc.match)
			}
		})
	}
}

func TestFilterResolved(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	r := &Record{ID: "abc", Image: "mine:v2", ImageID: "0123456789ab", Created: t0, Network: "lab"}
	for _, tc := range []struct {
		name  string
		f     Filter
		match bool
	}{
		{name: "ancestor resolved to the image's id", f: Filter{ancestors: []string{"other:name"}, ancestorIDs: []string{"0123456789ab"}}, match: true},
		{name: "ancestor resolved to another", f: Filter{ancestors: []string{"other:name"}, ancestorIDs: []string{"ffff"}}, match: false},
		{name: "before a later one", f: Filter{beforeT: t0.Add(time.Second)}, match: true},
		{name: "before itself", f: Filter{beforeT: t0}, match: false},
		{name: "since an earlier one", f: Filter{sinceT: t0.Add(-time.Second)}, match: true},
		{name: "since itself", f: Filter{sinceT: t0}, match: false},
		{name: "network by id", f: Filter{networks: []string{"4f3e"}, networkNames: []string{"lab"}}, match: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.f.Match(r, State{Status: Running}); got != tc.match {
				t.Errorf("Match = %v, want %v", got, tc.match)
			}
		})
	}
}
