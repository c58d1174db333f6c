// Command build times kist build next to buildah bud, side by side in one
// run, with the same Dockerfiles and the same base image from one loopback
// registry (Debian's docker-registry, which this program starts):
//
//   - uncached: kist build --no-cache against buildah bud --layers
//     --no-cache, of an app Dockerfile (WORKDIR, COPY of a small app
//     directory, a RUN that writes 200 small files and a 20 MiB one, ENV,
//     CMD) and of a multi-stage one (COPY --from).
//   - no-change rebuild: both again with their layer caches warm.
//   - touch: one file of the COPY gets a new mtime, same content (both
//     tools key COPY on content, so nothing should run).
//   - one file changed: one file of the COPY gets new content, so the COPY
//     and every RUN after it run again.
//
// Every build is checked: a failing build aborts with the tool's output,
// and a rebuild must run its RUN steps again (or not) as the step says.
// Each tool has a store of its own in a temporary directory, with the base
// image pulled into it before anything is timed. buildah uses the overlay
// driver (native rootless overlay, or what -buildah-driver says) with
// --network host, as kist's RUN uses the host's network; the isolation is
// the first that works of OCI with the default runtime, OCI with runc and
// chroot, and chroot is measured as a second buildah column when it is not
// the first (-buildah-chroot=false leaves it out).
//
// Usage (bench/build.sh sets it up, as the user to measure):
//
//	build -kist PATH -rootfs-tar FILE [-n 5] [-big-mb 20] [-buildah-driver overlay] [-buildah-chroot=false]
//
// The root filesystem tarball is imported with kist and pushed to the
// registry as the base image.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"kist/bench/internal/benchutil"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

// builder is one tool (or one configuration of it) under measurement.
type builder struct {
	name  string
	bin   string
	env   []string
	pre   []string // arguments before the subcommand (buildah's store)
	build func(dockerfile string, noCache bool) []string
	runs  func(out string) (ran, total int) // RUN steps run and RUN steps in all
	res   map[string][]sample
}

type sample struct{ wall, cpu time.Duration }

// A step of the benchmark: what is done before each round, which
// Dockerfile is built, and whether its RUN steps must run.
type step struct {
	name       string
	dockerfile string
	noCache    bool
	prepare    func(round int)
	wantRun    bool
	target     bool // kist <= 0.2 s and <= half of buildah
}

func main() {
	kist := flag.String("kist", "", "kist binary")
	rootfsTar := flag.String("rootfs-tar", "", "root filesystem tarball of the base image")
	n := flag.Int("n", 5, "timed builds per tool and step")
	driver := flag.String("buildah-driver", "overlay", "buildah's storage driver (overlay, vfs)")
	chroot := flag.Bool("buildah-chroot", true, "also measure buildah with --isolation chroot")
	bigMB := flag.Int("big-mb", 20, "size of the big file the app's RUN writes, in MiB")
	flag.Parse()
	if *kist == "" || *rootfsTar == "" {
		fail("usage: build -kist PATH -rootfs-tar FILE [-n 5]")
	}
	defer benchutil.Cleanup()
	work := benchutil.Start("kist-bench-build-")
	reg := benchutil.StartRegistry(work)
	base := reg + "/bench/debian:minbase"
	pushBase(*kist, filepath.Join(work, "push"), *rootfsTar, base)
	ctx := writeContext(filepath.Join(work, "ctx"), base, *bigMB)
	appFile, multiFile := filepath.Join(ctx, "Dockerfile"), filepath.Join(ctx, "Dockerfile.multi")

	k := newKist(*kist, filepath.Join(work, "kist"), ctx)
	must(k.cmd("pull", "-q", base))
	tools := []*builder{k}
	bah, tried := pickBuildah(filepath.Join(work, "buildah"), *driver, base, ctx)
	for _, t := range tried {
		fmt.Println(t)
	}
	if bah == nil {
		fail("buildah does not build here in any configuration")
	}
	tools = append(tools, bah)
	if *chroot && bah.name != "buildah chroot" {
		c, err := tryBuildah(filepath.Join(work, "buildah-chroot"), *driver, "chroot", []string{"--isolation", "chroot"}, base, ctx)
		if err != nil {
			fmt.Printf("buildah, chroot: does not work here, left out: %v\n", err)
		} else {
			fmt.Printf("buildah, chroot, storage driver %s: works, measured as a second column\n", *driver)
			tools = append(tools, c)
		}
	}
	fmt.Printf("base image %s (pulled into every store before timing); %d timed builds per tool and step, interleaved\n\n", base, *n)

	mainPy := filepath.Join(ctx, "app", "main.py")
	steps := []step{
		{name: "uncached build (app)", dockerfile: appFile, noCache: true, wantRun: true},
		{name: "uncached build (multi-stage)", dockerfile: multiFile, noCache: true, wantRun: true},
		{name: "no-change rebuild (app)", dockerfile: appFile, target: true},
		{name: "no-change rebuild (multi-stage)", dockerfile: multiFile, target: true},
		{name: "touch one file, rebuild (app)", dockerfile: appFile, prepare: func(int) {
			now := time.Now()
			os.Chtimes(mainPy, now, now)
		}},
		{name: "one file changed, rebuild (app)", dockerfile: appFile, wantRun: true, prepare: func(r int) {
			appendFile(mainPy, fmt.Sprintf("print('change %d at %d')\n", r, time.Now().UnixNano()))
		}},
		{name: "one file changed, rebuild (multi-stage)", dockerfile: multiFile, wantRun: true, prepare: func(r int) {
			appendFile(mainPy, fmt.Sprintf("print('multi change %d at %d')\n", r, time.Now().UnixNano()))
		}},
	}
	for _, s := range steps {
		if !s.noCache {
			// warm: the cache holds what the context has now
			for _, t := range tools {
				t.timed(s.dockerfile, false)
			}
		}
		for r := 0; r < *n; r++ {
			if s.prepare != nil {
				s.prepare(r)
			}
			for i := range tools {
				t := tools[(i+r)%len(tools)] // rotate who goes first
				out, d := t.timed(s.dockerfile, s.noCache)
				if ran, total := t.runs(out); (ran > 0) != s.wantRun || total == 0 {
					fail("%s, %s: %d of %d RUN steps ran, want %s\n%s", s.name, t.name, ran, total, map[bool]string{true: "all", false: "none"}[s.wantRun], out)
				}
				t.res[s.name] = append(t.res[s.name], d)
			}
		}
	}
	check(k, *bigMB)
	report(steps, tools)
}

func newKist(bin, dir, ctx string) *builder {
	for _, d := range []string{"data", "config", "run"} {
		os.MkdirAll(filepath.Join(dir, d), 0o700)
	}
	env := append(os.Environ(), "XDG_DATA_HOME="+dir+"/data", "XDG_CONFIG_HOME="+dir+"/config", "XDG_RUNTIME_DIR="+dir+"/run")
	k := &builder{name: "kist", bin: bin, env: env, res: map[string][]sample{}}
	k.build = func(dockerfile string, noCache bool) []string {
		a := []string{"build", "-t", tagFor(dockerfile), "-f", dockerfile}
		if noCache {
			a = append(a, "--no-cache")
		}
		return append(a, ctx)
	}
	// "[4/6] RUN ..." ran, "CACHED [4/6] RUN ..." did not
	ranRe, allRe := regexp.MustCompile(`(?m)^\[\d+/\d+\] RUN `), regexp.MustCompile(`(?m)^(CACHED )?\[\d+/\d+\] RUN `)
	k.runs = func(out string) (int, int) {
		return len(ranRe.FindAllString(out, -1)), len(allRe.FindAllString(out, -1))
	}
	benchutil.AtExit(func() { k.cmd("system", "reset", "--force").Run() })
	return k
}

// pickBuildah returns buildah in the first configuration that builds a
// RUN step here, and a line for each one tried.
func pickBuildah(dir, driver, base, ctx string) (*builder, []string) {
	var tried []string
	for i, c := range []struct {
		name, label string
		args        []string
	}{
		{"oci", "oci (default runtime), --network host", []string{"--network", "host"}},
		{"oci/runc", "oci, --runtime runc, --network host", []string{"--runtime", "runc", "--network", "host"}},
		{"chroot", "chroot", []string{"--isolation", "chroot"}},
	} {
		b, err := tryBuildah(fmt.Sprintf("%s-%d", dir, i), driver, c.name, c.args, base, ctx)
		if err != nil {
			tried = append(tried, fmt.Sprintf("buildah, %s: does not work here: %v", c.label, err))
			continue
		}
		return b, append(tried, fmt.Sprintf("buildah, %s, storage driver %s: works, measured", c.label, driver))
	}
	return nil, tried
}

// tryBuildah makes a buildah with a store of its own in dir, pulls base
// into it and builds a one-RUN Dockerfile to see that it works.
func tryBuildah(dir, driver, name string, args []string, base, ctx string) (*builder, error) {
	os.MkdirAll(filepath.Join(dir, "xdg"), 0o700)
	conf := filepath.Join(dir, "storage.conf")
	os.WriteFile(conf, []byte(fmt.Sprintf("[storage]\ndriver = %q\ngraphroot = %q\nrunroot = %q\n", driver, dir+"/root", dir+"/run")), 0o644)
	os.WriteFile(filepath.Join(dir, "auth.json"), []byte(`{"auths":{}}`), 0o600)
	// rootless buildah ignores graphroot in CONTAINERS_STORAGE_CONF (it
	// keeps ~/.local/share/containers), so the store is also given as flags
	env := append(os.Environ(), "CONTAINERS_STORAGE_CONF="+conf, "REGISTRY_AUTH_FILE="+dir+"/auth.json", "XDG_RUNTIME_DIR="+dir+"/xdg")
	b := &builder{name: "buildah " + name, bin: "buildah", env: env, res: map[string][]sample{},
		pre: []string{"--root", dir + "/root", "--runroot", dir + "/run", "--storage-driver", driver}}
	b.build = func(dockerfile string, noCache bool) []string {
		a := append([]string{"bud", "--layers", "--tls-verify=false", "-t", tagFor(dockerfile), "-f", dockerfile}, args...)
		if noCache {
			a = append(a, "--no-cache")
		}
		return append(a, ctx)
	}
	b.runs = buildahRuns
	benchutil.AtExit(func() { exec.Command("buildah", "unshare", "rm", "-rf", dir).Run() })
	if out, err := b.cmd("pull", "-q", "--tls-verify=false", "docker://"+base).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("pull: %v: %s", err, firstLine(out))
	}
	probe := filepath.Join(dir, "Dockerfile.probe")
	os.WriteFile(probe, []byte("FROM "+base+"\nRUN echo probe > /probe\n"), 0o644)
	if out, err := b.cmd(b.build(probe, true)...).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("%v: %s", err, firstLine(out))
	}
	return b, nil
}

// buildahRuns counts the RUN steps in buildah bud's output and those that
// ran: a step that did not run is followed by "--> Using cache".
func buildahRuns(out string) (ran, total int) {
	stepRe := regexp.MustCompile(`^(\[\d+/\d+\] )?STEP \d+/\d+: `)
	inRun := false
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		l := sc.Text()
		switch {
		case stepRe.MatchString(l):
			inRun = strings.HasPrefix(l[len(stepRe.FindString(l)):], "RUN ")
			if inRun {
				total++
			}
		case inRun && strings.HasPrefix(l, "--> "):
			if !strings.HasPrefix(l, "--> Using cache") {
				ran++
			}
			inRun = false
		}
	}
	return ran, total
}

func (b *builder) cmd(args ...string) *exec.Cmd {
	c := exec.Command(b.bin, append(slices.Clone(b.pre), args...)...)
	c.Env = b.env
	return c
}

// timed builds dockerfile and returns the output and the wall and CPU
// time (user+sys of the tool and the children it waited for).
func (b *builder) timed(dockerfile string, noCache bool) (string, sample) {
	c := b.cmd(b.build(dockerfile, noCache)...)
	t := time.Now()
	out, err := c.CombinedOutput()
	d := time.Since(t)
	if err != nil {
		fail("%s: %v\n%s", strings.Join(c.Args, " "), err, out)
	}
	return string(out), sample{d, c.ProcessState.UserTime() + c.ProcessState.SystemTime()}
}

// pushBase imports the tarball with kist (in a store of its own) and
// pushes it as ref.
func pushBase(kist, dir, tarball, ref string) {
	k := newKist(kist, dir, "")
	must(k.cmd("import", tarball, ref))
	must(k.cmd("push", ref))
	must(k.cmd("system", "reset", "--force"))
	os.RemoveAll(dir)
}

// writeContext writes the build context: a small app and two Dockerfiles.
func writeContext(dir, base string, bigMB int) string {
	files := map[string]string{
		"app/main.py":          "from util import greet\n\nprint(greet('bench'))\n",
		"app/util.py":          "def greet(name):\n    return 'hello ' + name\n",
		"app/requirements.txt": "# nothing beyond the standard library\n",
		"app/config.ini":       "[server]\nport = 8080\n",
		"app/static/style.css": "body { font-family: sans-serif; }\n",
		"Dockerfile": `FROM ` + base + `
WORKDIR /app
COPY app/ /app/
RUN mkdir -p /data/small \
 && for i in $(seq 200); do echo "record $i" > /data/small/f$i.txt; done \
 && dd if=/dev/urandom of=/data/blob bs=1M count=` + fmt.Sprint(bigMB) + ` status=none \
 && ls -l /app > /data/app-listing.txt
ENV APP_ENV=bench PORT=8080
CMD ["sh", "-c", "cat /data/app-listing.txt"]
`,
		"Dockerfile.multi": `FROM ` + base + ` AS builder
WORKDIR /src
COPY app/ ./
RUN mkdir -p /out \
 && for i in $(seq 100); do cp main.py /out/part$i.py; done \
 && tar -C /src -cf /out/src.tar .
FROM ` + base + `
COPY --from=builder /out /opt/app
RUN ls /opt/app | wc -l > /opt/count
CMD ["cat", "/opt/count"]
`,
	}
	for name, text := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			fail("%v", err)
		}
	}
	return dir
}

// check runs kist's last app image and looks at what its RUN wrote.
func check(k *builder, bigMB int) {
	out, err := k.cmd("run", "--rm", "bench-app", "sh", "-c", "ls /data/small | wc -l; stat -c %s /data/blob").CombinedOutput()
	if got := strings.Fields(string(out)); err != nil || !slices.Equal(got, []string{"200", fmt.Sprint(bigMB << 20)}) {
		fail("kist's image bench-app has the wrong files: %v\n%s", err, out)
	}
}

func tagFor(dockerfile string) string {
	if strings.HasSuffix(dockerfile, ".multi") {
		return "bench-multi"
	}
	return "bench-app"
}

func appendFile(path, text string) {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err == nil {
		_, err = f.WriteString(text)
		f.Close()
	}
	if err != nil {
		fail("%v", err)
	}
}

func report(steps []step, tools []*builder) {
	fmt.Println("median wall time (min-max), median CPU time (user+sys of the tool and its children)")
	for _, s := range steps {
		fmt.Printf("%s\n", s.name)
		for _, t := range tools {
			r := t.res[s.name]
			fmt.Printf("  %-18s %s (%s-%s)  cpu %s\n", t.name, sec(median(r, wall)), sec(slices.Min(walls(r))), sec(slices.Max(walls(r))), sec(median(r, cpu)))
		}
	}
	fmt.Println()
	head := fmt.Sprintf("| %-39s | %8s |", "step", "kist")
	rule := "|" + strings.Repeat("-", 41) + "|---------:|"
	for _, t := range tools[1:] {
		head += fmt.Sprintf(" %16s | %6s |", t.name, "ratio")
		rule += "-----------------:|-------:|"
	}
	fmt.Println(head + " target: kist <= 0.2 s and <= 1/2 buildah |")
	fmt.Println(rule + "---|")
	for _, s := range steps {
		km := median(tools[0].res[s.name], wall)
		line := fmt.Sprintf("| %-39s | %8s |", s.name, sec(km))
		for _, t := range tools[1:] {
			bm := median(t.res[s.name], wall)
			line += fmt.Sprintf(" %16s | %5.2fx |", sec(bm), float64(km)/float64(bm))
		}
		verdict := ""
		if s.target {
			bm := median(tools[1].res[s.name], wall)
			ok := km <= 200*time.Millisecond && 2*km <= bm
			verdict = map[bool]string{true: "met", false: "NOT met"}[ok]
		}
		fmt.Println(line + " " + verdict + " |")
	}
}

func wall(s sample) time.Duration { return s.wall }
func cpu(s sample) time.Duration  { return s.cpu }

func walls(r []sample) []time.Duration {
	var d []time.Duration
	for _, s := range r {
		d = append(d, s.wall)
	}
	return d
}

func median(r []sample, f func(sample) time.Duration) time.Duration {
	var d []time.Duration
	for _, s := range r {
		d = append(d, f(s))
	}
	slices.Sort(d)
	return d[len(d)/2]
}

func sec(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%.0f ms", float64(d.Microseconds())/1000)
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

func firstLine(b []byte) string {
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if strings.Contains(l, "rror") {
			return strings.TrimSpace(l)
		}
	}
	l, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	return l
}

func must(c *exec.Cmd) {
	if out, err := c.CombinedOutput(); err != nil {
		fail("%s: %v\n%s", strings.Join(c.Args, " "), err, out)
	}
}

// fail reports an error, cleans up and exits.
var fail = benchutil.Fail
