package check

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"kist/container"
	"kist/image"
	"kist/internal/dirs"
	"kist/sandbox"
	"kist/vm"
	"kist/volume"
)

// cmdKist runs the real kist, as exec would.
func (r *runner) cmdKist(ts *testscript.TestScript, neg bool, args []string) {
	args = scriptArgs(args, r.prefix)
	if l := r.o.Limits; l != nil {
		dir := ts.MkAbs(".")
		var err error
		if l.Allow != nil {
			err = l.Allow(args, dir)
		}
		if err == nil {
			args, err = l.limitArgs(args, dir, r.dir, ts.Getenv("WORK"))
		}
		if err != nil {
			ts.Fatalf("%s: %v", msg(r.o.Lang, "refused"), err)
		}
	}
	stdout, stderr, err := r.execKist(ts, args)
	io.WriteString(ts.Stdout(), stdout)
	io.WriteString(ts.Stderr(), stderr)
	switch {
	case err != nil && !neg:
		// What kist said last is what went wrong (a build's error
		// with Dockerfile:LINE); the whole output is in the log.
		why := err.Error()
		var up *timeUpError
		if errors.As(err, &up) {
			why = up.why
		} else if last := lastWords(stderr); last != "" {
			why = last
		}
		ts.Fatalf("%s: %s", msg(r.o.Lang, "kist-failed"), why)
	case err == nil && neg:
		ts.Fatalf("%s: kist %s", msg(r.o.Lang, "kist-succeeded"), strings.Join(args, " "))
	}
}

// lastWords is the last line of kist's standard error that is not a
// notice or a warning (those come before what went wrong).
func lastWords(stderr string) string {
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimPrefix(strings.TrimSpace(lines[i]), "kist: ")
		if l != "" && !strings.HasPrefix(l, "notice: ") && !strings.HasPrefix(l, "warning: ") {
			return l
		}
	}
	return ""
}

// flags parses a command's flags, failing the script (its author's
// mistake) on a bad one.
func flags(ts *testscript.TestScript, name string, args []string, def func(*flag.FlagSet)) []string {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	def(fs)
	if err := fs.Parse(args); err != nil {
		ts.Fatalf("%s: %v (the check script is wrong)", name, err)
	}
	return fs.Args()
}

// cmdHTTP gets a URL until it answers as wanted or the time is up.
func (r *runner) cmdHTTP(ts *testscript.TestScript, neg bool, args []string) {
	status := 200
	timeout := 10 * time.Second
	rest := flags(ts, "http", args, func(fs *flag.FlagSet) {
		fs.IntVar(&status, "status", 200, "")
		fs.DurationVar(&timeout, "timeout", 10*time.Second, "")
	})
	if len(rest) != 1 {
		ts.Fatalf("usage: http [-status N] [-timeout D] URL")
	}
	url, err := r.publishedURL(rest[0])
	if err != nil {
		ts.Fatalf("%v", err)
	}
	ctx, cancel := context.WithTimeout(r.ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: 5 * time.Second}
	var found string
	for {
		req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
		if err != nil {
			ts.Fatalf("http: %v", err)
		}
		resp, err := client.Do(req)
		if err == nil {
			body, rerr := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
			if resp.StatusCode == status && rerr == nil {
				if neg {
					ts.Fatalf("%s %s", url, msg(r.o.Lang, "http-answered"))
				}
				ts.Stdout().Write(body)
				return
			}
			found = fmt.Sprintf("%s %d", msg(r.o.Lang, "status"), resp.StatusCode)
			if rerr != nil {
				found = rerr.Error()
			}
		} else {
			found = err.Error()
		}
		if neg {
			return
		}
		select {
		case <-ctx.Done():
			ts.Fatalf(msg(r.o.Lang, "http-expected"), url, status, timeout, found)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

var publishedRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\{([a-zA-Z0-9][a-zA-Z0-9_.-]*):(\d+)\}`) })

// publishedURL replaces {NAME:PORT} in url with the host address where
// container NAME publishes its port PORT: a student may choose any free
// host port (on a shared lab machine, 8080 may be another's).
func (r *runner) publishedURL(url string) (string, error) {
	var err error
	out := publishedRE().ReplaceAllStringFunc(url, func(m string) string {
		sm := publishedRE().FindStringSubmatch(m)
		port, _ := strconv.Atoi(sm[2])
		rec, ferr := container.Find(sm[1])
		if ferr != nil {
			err = fmt.Errorf(msg(r.o.Lang, "container-expected"), sm[1], "", msg(r.o.Lang, "none"))
			return m
		}
		for _, p := range rec.Ports {
			if p.CtrPort == port {
				host := p.HostIP
				if host == "" || host == "0.0.0.0" {
					host = "127.0.0.1"
				}
				return net.JoinHostPort(host, strconv.Itoa(p.HostPort))
			}
		}
		err = fmt.Errorf(msg(r.o.Lang, "not-published"), sm[1], port)
		return m
	})
	return out, err
}

// cmdImage prints an image's config, a fact a line.
func (r *runner) cmdImage(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: image NAME")
	}
	in, err := image.InspectImage(r.ctx, args[0])
	if err != nil {
		ts.Fatalf("image %s: %v", args[0], err)
	}
	if in == nil {
		if !neg {
			ts.Fatalf(msg(r.o.Lang, "no-image"), args[0])
		}
		return
	}
	if neg {
		ts.Fatalf(msg(r.o.Lang, "image-exists"), args[0])
	}
	c := in.Config
	w := ts.Stdout()
	fmt.Fprintf(w, "id: %s\n", strings.TrimPrefix(in.ID, "sha256:"))
	fmt.Fprintf(w, "workdir: %s\n", c.WorkingDir)
	fmt.Fprintf(w, "cmd: %s\n", jsonList(c.Cmd))
	fmt.Fprintf(w, "entrypoint: %s\n", jsonList(c.Entrypoint))
	fmt.Fprintf(w, "user: %s\n", c.User)
	for _, e := range c.Env {
		fmt.Fprintf(w, "env: %s\n", e)
	}
	for _, p := range slices.Sorted(maps.Keys(c.ExposedPorts)) {
		fmt.Fprintf(w, "expose: %s\n", p)
	}
	for _, k := range slices.Sorted(maps.Keys(c.Labels)) {
		fmt.Fprintf(w, "label: %s=%s\n", k, c.Labels[k])
	}
	for _, v := range slices.Sorted(maps.Keys(c.Volumes)) {
		fmt.Fprintf(w, "volume: %s\n", v)
	}
	fmt.Fprintf(w, "layers: %d\n", len(in.RootFS.Layers))
}

func jsonList(l []string) string {
	if l == nil {
		return "[]"
	}
	b, _ := json.Marshal(l)
	return string(b)
}

// cmdContainer waits for a container to exist (and reach a state) and
// prints what it is doing.
func (r *runner) cmdContainer(ts *testscript.TestScript, neg bool, args []string) {
	state := ""
	timeout := 10 * time.Second
	rest := flags(ts, "container", args, func(fs *flag.FlagSet) {
		fs.StringVar(&state, "state", "", "")
		fs.DurationVar(&timeout, "timeout", 10*time.Second, "")
	})
	if len(rest) != 1 {
		ts.Fatalf("usage: container [-state S] [-timeout D] NAME")
	}
	name := rest[0]
	rd, err := dirs.Runtime()
	if err != nil {
		ts.Fatalf("%v", err)
	}
	deadline := time.Now().Add(timeout)
	for {
		rec, err := container.Find(name)
		var found string
		if err == nil {
			st := rec.State(rd)
			if state == "" || st.Status == state {
				if neg {
					ts.Fatalf(msg(r.o.Lang, "container-exists"), name, st.Status)
				}
				r.printContainer(ts, rec, st)
				return
			}
			found = st.Status
			if st.Status == container.Exited {
				found += fmt.Sprintf(" (%s %d)", msg(r.o.Lang, "exit-code"), st.ExitCode)
			}
		} else {
			if _, missing := err.(*container.NotFoundError); !missing {
				ts.Fatalf("container %s: %v", name, err)
			}
			found = msg(r.o.Lang, "none")
		}
		// A container that does not exist will not appear by waiting
		// (the student has run their commands); a state can change.
		if neg || err != nil || time.Now().After(deadline) {
			if neg {
				return
			}
			want := ""
			if state != "" {
				want = fmt.Sprintf(msg(r.o.Lang, "in-state"), state)
			}
			ts.Fatalf(msg(r.o.Lang, "container-expected"), name, want, found)
		}
		r.pause(ts)
	}
}

func (r *runner) printContainer(ts *testscript.TestScript, rec *container.Record, st container.State) {
	w := ts.Stdout()
	fmt.Fprintf(w, "state: %s\n", st.Status)
	fmt.Fprintf(w, "exitcode: %d\n", st.ExitCode)
	fmt.Fprintf(w, "image: %s\n", rec.Image)
	for _, p := range rec.Ports {
		fmt.Fprintf(w, "port: %s\n", p.String())
	}
	for _, m := range rec.MountPoints() {
		src := m.Name
		if src == "" {
			src = m.Source
		}
		fmt.Fprintf(w, "mount: %s:%s\n", src, m.Destination)
	}
	fmt.Fprintf(w, "network: %s\n", rec.Network)
	for _, n := range rec.MoreNetworks {
		fmt.Fprintf(w, "network: %s\n", n.Name)
	}
}

// cmdLogs prints a container's log (its output and errors, as kist logs
// shows them); with -match it waits until the log matches.
func (r *runner) cmdLogs(ts *testscript.TestScript, neg bool, args []string) {
	match := ""
	timeout := 10 * time.Second
	rest := flags(ts, "logs", args, func(fs *flag.FlagSet) {
		fs.StringVar(&match, "match", "", "")
		fs.DurationVar(&timeout, "timeout", 10*time.Second, "")
	})
	if len(rest) != 1 {
		ts.Fatalf("usage: logs [-match REGEXP] [-timeout D] NAME")
	}
	var re *regexp.Regexp
	if match != "" {
		var err error
		if re, err = regexp.Compile("(?m)" + match); err != nil {
			ts.Fatalf("logs -match: %v (the check script is wrong)", err)
		}
	}
	rd, err := dirs.Runtime()
	if err != nil {
		ts.Fatalf("%v", err)
	}
	deadline := time.Now().Add(timeout)
	for {
		rec, err := container.Find(rest[0])
		if err != nil {
			ts.Fatalf(msg(r.o.Lang, "container-expected"), rest[0], "", msg(r.o.Lang, "none"))
		}
		var b strings.Builder
		if err := rec.Logs(r.ctx, rd, container.LogOptions{Tail: -1, Stdout: &b, Stderr: &b}); err != nil {
			ts.Fatalf("logs %s: %v", rest[0], err)
		}
		if re == nil || re.MatchString(b.String()) != neg {
			io.WriteString(ts.Stdout(), b.String())
			return
		}
		if time.Now().After(deadline) {
			io.WriteString(ts.Stdout(), b.String())
			if neg {
				ts.Fatalf(msg(r.o.Lang, "log-unexpected"), rest[0], match)
			}
			found := strings.TrimSpace(b.String())
			if found == "" {
				found = msg(r.o.Lang, "empty")
			} else if lines := strings.Split(found, "\n"); len(lines) > 5 {
				found = "... " + strings.Join(lines[len(lines)-5:], " / ")
			} else {
				found = strings.Join(lines, " / ")
			}
			ts.Fatalf(msg(r.o.Lang, "log-expected"), rest[0], match, timeout, found)
		}
		r.pause(ts)
	}
}

// pause waits a little before a command looks again; the end of the
// run (Ctrl-C, its deadline) ends the script.
func (r *runner) pause(ts *testscript.TestScript) {
	select {
	case <-r.ctx.Done():
		ts.Fatalf("%v", r.ctx.Err())
	case <-time.After(100 * time.Millisecond):
	}
}

// cmdVolume checks that a named volume exists.
func (r *runner) cmdVolume(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: volume NAME")
	}
	v, err := volume.Get(args[0])
	if _, missing := err.(*volume.NotFoundError); missing {
		if !neg {
			ts.Fatalf(msg(r.o.Lang, "no-volume"), args[0])
		}
		return
	}
	if err != nil {
		ts.Fatalf("volume %s: %v", args[0], err)
	}
	if neg {
		ts.Fatalf(msg(r.o.Lang, "volume-exists"), args[0])
	}
	fmt.Fprintf(ts.Stdout(), "name: %s\nmountpoint: %s\n", v.Name, v.Mountpoint)
}

// condition answers [image:NAME], [subuid] and [vm].
func (r *runner) condition(cond string) (bool, error) {
	switch cond {
	case "subuid":
		if os.Getuid() == 0 {
			return true, nil
		}
		m := sandbox.CurrentIDMap()
		if m.Helpers {
			return true, nil
		}
		mode, _, err := sandbox.IDEmulation("", &m) // programs can switch users all the same
		return err == nil && mode != "off", nil
	case "vm":
		return vm.Usable("") == nil, nil
	}
	if name, ok := strings.CutPrefix(cond, "image:"); ok {
		id, err := image.ID(r.ctx, name)
		return id != "", err
	}
	return false, fmt.Errorf("unknown condition %q", cond)
}

// cleanup removes what the script created: everything named with its
// prefix. It runs after the script, whatever happened. A kist the
// script's deadline stopped may still be ending its container (which
// holds its image), so what is left is tried again for a few seconds;
// what it still cannot remove it leaves (a later run's prefix differs).
func (r *runner) cleanup() {
	ctx := context.WithoutCancel(r.ctx)
	for try := 0; try < 10; try++ {
		if try > 0 {
			time.Sleep(500 * time.Millisecond)
		}
		if r.removeMine(ctx) == 0 {
			return
		}
	}
}

// removeMine removes what carries the run's prefix and says how many
// of them it could not remove.
func (r *runner) removeMine(ctx context.Context) (left int) {
	mine := func(name string) bool { return strings.HasPrefix(strings.TrimPrefix(name, "/"), r.prefix) }
	recs, err := container.List()
	if err == nil {
		for _, rec := range recs {
			if mine(rec.Name) || mine(rec.Labels["com.docker.compose.project"]) || rec.Labels[CheckLabel] == r.prefix {
				if container.Remove(ctx, rec.ID, true) != nil {
					left++
				}
			}
		}
	}
	imgs, _ := image.List(ctx)
	// A kist killed between creating its container in the store and
	// writing the container's record leaves a container only the store
	// knows: one of the script's images tells it apart. (Only a kist
	// stopped at a deadline can have.)
	ours := map[string]bool{}
	for _, im := range imgs {
		if mine(im.Repository) {
			ours[im.ID] = true
		}
	}
	if len(ours) > 0 && err == nil && r.stopped {
		known := map[string]bool{}
		for _, rec := range recs {
			known[rec.ID] = true
		}
		if scs, err := container.StoreContainers(ctx); err == nil {
			for _, sc := range scs {
				if !known[sc.ID] && ours[strings.TrimPrefix(sc.ImageID, "sha256:")] {
					if container.Remove(ctx, sc.ID, true) != nil {
						left++
					}
				}
			}
		}
	}
	for _, im := range imgs {
		if !mine(im.Repository) {
			continue
		}
		name := im.Repository + ":" + im.Tag
		if d := r.o.Deferred; d != nil {
			if id, err := image.Untag(ctx, name); err != nil {
				left++
			} else {
				d.add(id)
			}
		} else if _, err := image.Remove(ctx, name); err != nil {
			left++
		}
	}
	if vols, err := volume.List(); err == nil {
		var names []string
		for _, v := range vols {
			if mine(v.Name) {
				names = append(names, v.Name)
			}
		}
		if len(names) > 0 && container.RemoveVolumes(ctx, names...) != nil {
			left++
		}
	}
	if nets, err := container.ListNetworks(nil); err == nil {
		for _, n := range nets {
			if mine(n.Name) {
				if container.RemoveNetwork(n.Name) != nil {
					left++
				}
			}
		}
	}
	return left
}

// Deferred holds the images that scripts' clean-ups untagged instead of
// removing (Options.Deferred). It is safe for scripts run at once.
type Deferred struct {
	mu  sync.Mutex
	ids map[string]bool
}

func (d *Deferred) add(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ids == nil {
		d.ids = map[string]bool{}
	}
	d.ids[id] = true
}

// Remove removes the untagged images that have no name now (one may
// have been given one again, by a script or by the user) and that no
// container uses, with their layers; it says how many it could not
// remove. Call it when no script that shared the Deferred runs.
func (d *Deferred) Remove(ctx context.Context) (left int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.ids) == 0 {
		return 0
	}
	imgs, err := image.List(ctx)
	if err != nil {
		return len(d.ids)
	}
	named := map[string]bool{}
	for _, im := range imgs {
		if im.Repository != "<none>" {
			named[im.ID] = true
		}
	}
	present := map[string]bool{}
	for _, im := range imgs {
		present[im.ID] = true
	}
	for id := range d.ids {
		if present[id] && !named[id] {
			if _, err := image.Remove(ctx, id); err != nil {
				left++
				continue
			}
		}
		delete(d.ids, id)
	}
	return left
}

// cmdCheckStart starts a check's own time (Options.CheckTimeouts): the
// command withCheckStarts puts after each heading.
func (r *runner) cmdCheckStart(ts *testscript.TestScript, neg bool, args []string) {
	r.checkDeadline, r.checkTimeout = time.Time{}, 0
	if len(args) == 1 {
		if d := r.o.CheckTimeouts[args[0]]; d > 0 {
			r.checkDeadline, r.checkTimeout = time.Now().Add(d), d
		}
	}
}
