package compose

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/types"

	"kist/build"
	"kist/container"
	"kist/internal/dirs"
	"kist/network"
)

// fakeEngine is kist's engine without an image store or containers: it
// notes what compose asks of it, one line a call ("run demo-web-1",
// "stop demo-web-1", "remove ID", ...), and keeps containers as records
// on disk (container.Save) with a run lock while they "run", so that
// what compose reads back (container.List, Record.State) agrees.
type fakeEngine struct {
	t      *testing.T
	rd     string
	mu     sync.Mutex
	calls  []string
	runs   []*container.RunOptions
	images map[string]string   // image ref -> id: imageID's answers
	fail   map[string]error    // a call, as noted -> the error it returns
	locks  map[string]*os.File // run locks of the containers that run
	ids    int
	// onRun, when set, is told of each container run creates, after its
	// record is saved (to give it a state: exited, healthy, ...).
	onRun func(r *container.Record)
}

// useFake replaces kist's engine with a fake for the test, and gives
// the test its own data and runtime directories (where containers'
// records, networks and volumes are).
func useFake(t *testing.T) *fakeEngine {
	t.Helper()
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	rd, err := dirs.Runtime()
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeEngine{t: t, rd: rd, images: map[string]string{}, fail: map[string]error{}, locks: map[string]*os.File{}}
	old := kist
	kist = f
	t.Cleanup(func() {
		kist = old
		for _, l := range f.locks {
			l.Close()
		}
	})
	return f
}

// note records a call and returns the error the test set for it.
func (f *fakeEngine) note(call string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
	return f.fail[call]
}

// took returns the calls so far, and forgets them.
func (f *fakeEngine) took() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.calls
	f.calls = nil
	return c
}

// hold makes r run: its run lock is taken, as a supervisor does (once:
// a container that runs already is left so, as Record.Start does).
func (f *fakeEngine) hold(r *container.Record) {
	f.mu.Lock()
	held := f.locks[r.ID] != nil
	f.mu.Unlock()
	if held {
		return
	}
	l, err := dirs.OpenRunLock(f.rd, r.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	f.mu.Lock()
	f.locks[r.ID] = l
	f.mu.Unlock()
}

// release ends container id's run: its lock goes.
func (f *fakeEngine) release(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if l := f.locks[id]; l != nil {
		os.Remove(dirs.RunLockPath(f.rd, id))
		l.Close()
		delete(f.locks, id)
	}
}

func (f *fakeEngine) run(ctx context.Context, o *container.RunOptions) (*container.Record, int, error) {
	if err := f.note("run " + o.Config.Name); err != nil {
		return nil, 125, err
	}
	f.mu.Lock()
	f.runs = append(f.runs, o)
	f.ids++
	id := fmt.Sprintf("%064x", f.ids)
	f.mu.Unlock()
	r := &container.Record{ID: id, Name: o.Config.Name, Image: o.Image, ImageID: f.images[o.Image], Labels: o.Labels, Created: time.Now(), Detached: o.Detach}
	if err := container.Save(r); err != nil {
		f.t.Fatal(err)
	}
	if f.onRun != nil {
		f.onRun(r)
	}
	return r, 0, nil
}

func (f *fakeEngine) start(r *container.Record) error {
	if err := f.note("start " + r.Name); err != nil {
		return err
	}
	f.hold(r)
	return nil
}

func (f *fakeEngine) stop(r *container.Record, rd string, timeout time.Duration) error {
	if err := f.note(fmt.Sprintf("stop %s %v", r.Name, timeout)); err != nil {
		return err
	}
	f.release(r.ID)
	return nil
}

func (f *fakeEngine) build(ctx context.Context, o *build.Options, warn io.Writer) error {
	return f.note("build " + strings.Join(o.Tags, ","))
}

func (f *fakeEngine) imageID(ctx context.Context, ref string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.images[ref]
}

// removeContainer removes the container's record, as kist rm does.
func (f *fakeEngine) removeContainer(ctx context.Context, id string) error {
	if err := f.note("remove " + id); err != nil {
		return err
	}
	f.release(id)
	return os.RemoveAll(container.Dir(id))
}

func (f *fakeEngine) removeVolumes(ctx context.Context, names []string) error {
	return f.note("remove-volumes " + strings.Join(names, " "))
}

func (f *fakeEngine) removeImage(ctx context.Context, ref string) error {
	return f.note("remove-image " + ref)
}

func (f *fakeEngine) pull(ctx context.Context, ref string, out io.Writer) error {
	return f.note("pull " + ref)
}

func (f *fakeEngine) push(ctx context.Context, ref string, out io.Writer) error {
	return f.note("push " + ref)
}

func (f *fakeEngine) prestartKeeper(*network.Network) {} // no processes in unit tests

// existing saves the record of replica n of service (a container up
// made before) with config hash and image id, and returns it.
func (f *fakeEngine) existing(p *types.Project, service string, n int, hash, imageID string) *container.Record {
	f.mu.Lock()
	f.ids++
	id := fmt.Sprintf("%064x", f.ids)
	f.mu.Unlock()
	r := &container.Record{
		ID: id, Name: fmt.Sprintf("%s-%s-%d", p.Name, service, n), Image: "img", ImageID: imageID, Created: time.Now(),
		Labels: map[string]string{LabelProject: p.Name, LabelService: service, LabelNumber: fmt.Sprint(n), LabelOneoff: "False", LabelConfigHash: hash},
	}
	if err := container.Save(r); err != nil {
		f.t.Fatal(err)
	}
	return r
}

// loadProject loads yaml as compose.yaml of project demo, in a
// directory of its own, with profiles enabled.
func loadProject(t *testing.T, yaml string, profiles ...string) *types.Project {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := Load(context.Background(), Options{WorkDir: dir, Name: "demo", Profiles: profiles})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// hashOf is the config hash up gives service name's containers.
func hashOf(p *types.Project, name string) string {
	s := p.Services[name]
	return configHash(&s)
}
