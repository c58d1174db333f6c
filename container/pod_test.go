package container

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kist/internal/dirs"
	"kist/sandbox"
	"kist/sandbox/nsinit"
)

// A pod's records: found by name, id and prefix; its infra and
// containers; its status from their run locks; what it refuses.
func TestPodRecords(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	rd, err := dirs.Runtime()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	p := &Pod{ID: "feed1111aaaa2222bbbb", Name: "lab", Created: now, InfraID: "0000infra0000infra"}
	q := &Pod{ID: "feed9999cccc", Name: "other", Created: now.Add(time.Second), InfraID: "1111infra"}
	for _, x := range []*Pod{p, q} {
		if err := savePod(x); err != nil {
			t.Fatal(err)
		}
	}
	infra := &Record{ID: p.InfraID, Name: p.infraName(), Created: now, Pod: p.ID, Infra: true}
	web := &Record{ID: "2222web", Name: "web", Created: now, Pod: p.ID}
	db := &Record{ID: "3333db", Name: "db", Created: now, Pod: p.ID}
	alone := &Record{ID: "4444alone", Name: "alone", Created: now}
	for _, r := range []*Record{infra, web, db, alone} {
		if err := Save(r); err != nil {
			t.Fatal(err)
		}
	}

	spec := &nsinit.Spec{PodInfra: true, Hostname: "lab", ExecSocket: "/run/x/0000infra", Hosts: "h", Resolv: "r"}
	if err := os.WriteFile(filepath.Join(Dir(infra.ID), nsinit.SuperviseSpec), spec.Encode(), 0o600); err != nil {
		t.Fatal(err)
	}

	if pods, err := ListPods(); err != nil || len(pods) != 2 || pods[0].Name != "other" {
		t.Fatalf("ListPods = %v, %v; want other, lab", pods, err)
	}
	for _, ref := range []string{"lab", p.ID, "feed1"} {
		if got, err := FindPod(ref); err != nil || got.ID != p.ID {
			t.Errorf("FindPod(%s) = %v, %v", ref, got, err)
		}
	}
	if _, err := FindPod("feed"); err == nil || !strings.Contains(err.Error(), "matches 2 pods") {
		t.Errorf("FindPod(feed) = %v, want ambiguous", err)
	}
	if _, err := FindPod("nope"); err == nil || err.Error() != "no such pod: nope (kist pod ls lists them; kist pod create makes one)" {
		t.Errorf("FindPod(nope) = %v", err)
	}

	gotInfra, members, err := p.Containers()
	if err != nil || gotInfra == nil || gotInfra.ID != infra.ID || len(members) != 2 {
		t.Fatalf("Containers = %v, %v, %v", gotInfra, members, err)
	}
	status := func() string { return p.Status(rd, gotInfra, members) }
	if s := status(); s != PodExited {
		t.Errorf("nothing runs: %s", s)
	}
	if _, err := p.join(rd); err == nil || !strings.Contains(err.Error(), "pod lab is not running") {
		t.Errorf("join of a stopped pod: %v", err)
	}
	if err := web.checkPod(rd); err == nil || !strings.Contains(err.Error(), "pod lab is not running") {
		t.Errorf("start of a container of a stopped pod: %v", err)
	}
	lock := func(id string) {
		l, err := dirs.OpenRunLock(rd, id)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
	}
	lock(infra.ID)
	if s := status(); s != PodDegraded {
		t.Errorf("only the infra runs: %s", s)
	}
	lock(web.ID)
	lock(db.ID)
	if s := status(); s != PodRunning {
		t.Errorf("all run: %s", s)
	}

	if err := RemovePod(context.Background(), "lab", false); err == nil ||
		!strings.Contains(err.Error(), "pod lab has a running container, ") || !strings.Contains(err.Error(), "or use kist pod rm -f lab") {
		t.Errorf("RemovePod of a pod whose containers run: %v", err)
	}
	if err := Remove(context.Background(), p.infraName(), true); err == nil || !strings.Contains(err.Error(), "is the infra of pod lab: kist pod rm lab removes it") {
		t.Errorf("Remove of the infra: %v", err)
	}
	if err := infra.checkPod(rd); err == nil || !strings.Contains(err.Error(), "is the infra of pod lab, which cannot start again") {
		t.Errorf("start of the infra: %v", err)
	}
	if err := web.checkPod(rd); err != nil {
		t.Errorf("start of a container of a running pod: %v", err)
	}
	if sp, err := p.join(rd); err != nil || *sp != (sandbox.Pod{Socket: "/run/x/0000infra", Hostname: "lab", Hosts: "h", Resolv: "r"}) {
		t.Errorf("join = %+v, %v", sp, err)
	}
	if r := web.netRecord(); r.ID != infra.ID {
		t.Errorf("web's network is %s's, want the infra's", r.ID)
	}
	if r := alone.netRecord(); r != alone {
		t.Errorf("a container of no pod has its own network")
	}
}

func TestCheckPodRunOptions(t *testing.T) {
	for _, c := range []struct {
		o    RunOptions
		want string
	}{
		{RunOptions{Config: &sandbox.Config{Network: "lab"}}, "--network and --network-alias do not go with --pod"},
		{RunOptions{Config: &sandbox.Config{NetworkAliases: []string{"a"}}}, "--network and --network-alias do not go with --pod"},
		{RunOptions{Config: &sandbox.Config{}, Publish: []sandbox.PortMap{{CtrPort: 80}}}, "ports belong to the pod"},
		{RunOptions{Config: &sandbox.Config{}, PublishAll: true}, "ports belong to the pod"},
		{RunOptions{Config: &sandbox.Config{Hostname: "h"}}, "--hostname does not go with --pod"},
		{RunOptions{Config: &sandbox.Config{}}, ""},
	} {
		err := checkPodRunOptions(&c.o)
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("checkPodRunOptions(%+v) = %v, want %q", c.o, err, c.want)
		}
	}
}
