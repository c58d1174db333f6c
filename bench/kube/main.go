// Command kube measures kist kube (Kubernetes manifests on kist's own
// containers, with kubectl's commands), whole processes as a student runs
// them, and times a single Pod next to rootless podman's kube play, in one
// run:
//
//  1. kist kube apply -f web.yaml (a Deployment of 3 replicas of the
//     built-in toolbox image serving its host name with httpd on port 8080,
//     a readiness probe httpGet every second, and a Service web, port 80 to
//     the port named http), then kist kube rollout status deployment/web:
//     the time from the start of apply until rollout status returns (3 pods
//     ready). kist kube delete -f web.yaml (which waits until the pods are
//     gone) runs between the rounds, untimed. The first round, in a new
//     store (the namespace's network and controller start), is shown apart.
//  2. 300 GETs of http://web/ from a client pod (kist kube exec client --
//     sh -c 'for ...; do wget ...; done'): how many each replica answered
//     (httpd serves the pod's host name, its name).
//  3. kist kube delete pod (one of web's), then polling kist kube get deploy
//     web -o json and get pods -o json until readyReplicas is 3 and the
//     deleted pod is gone: the time from the start of the delete (which
//     waits until the pod has stopped).
//  4. kist kube set image deployment/web web=web:vN (a tag of the toolbox:
//     a new pod template) and rollout status, while the client pod GETs
//     http://web/ in a loop (wget -T 2, one request after the other, "ok"
//     or "FAIL" per request), started before the set image and stopped 2 s
//     after the rollout finished: failed requests (target: none) and the
//     rollout's time. The loop is a kist kube exec of its own that this
//     program reads, ended by a file it makes in the pod (the toolbox's sh
//     runs its tools in-process: a job started with & ends with the exec).
//  5. one Pod (pod.yaml: the toolbox pushed to a loopback docker-registry
//     and pulled into both stores, imagePullPolicy IfNotPresent, the same
//     httpd command, no probes): podman kube play pod.yaml, which returns
//     once the pod's containers started, against kist kube apply -f pod.yaml
//     followed by kist kube wait --for=condition=Ready pod/solo (when kist
//     has wait; the target is about this one), and followed by polling
//     kist kube get pod solo -o json every 20 ms until status.phase is
//     Running (when the pod runs; wait looks every 250 ms). Rounds
//     alternate, who goes first rotates; teardown (podman kube down, kist
//     kube delete -f) is untimed, and the next round waits until the
//     tools' processes of the pod (conmon, podman's cleanup,
//     kist-supervise) have ended. One untimed round each first: podman
//     builds its pause image and starts its pause process.
//
// kist has its own XDG_DATA_HOME, XDG_CONFIG_HOME and XDG_RUNTIME_DIR,
// podman its own --root, --runroot, --tmpdir, XDG_RUNTIME_DIR and
// REGISTRY_AUTH_FILE, all in a temporary directory removed at the end,
// with --runtime runc --cgroup-manager cgroupfs (as bench/lifecycle);
// podman's pod gets its default rootless network (slirp4netns), kist's the
// namespace's network (kube-default, a kist bridge network and its keeper).
//
// Usage (bench/kube.sh builds it and runs it as the user to measure):
//
//	kube -kist PATH [-n 5] [-rollouts 3] [-requests 300]
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"kist/bench/internal/benchutil"
)

// The manifests. Pods serve their host name (the pod's name) on 8080.
const serve = `'mkdir -p /srv && hostname > /srv/index.html && exec httpd -f -p 8080 -h /srv'`

const webYAML = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: toolbox
        command: [sh, -c, ` + serve + `]
        ports:
        - containerPort: 8080
          name: http
        readinessProbe:
          httpGet:
            path: /
            port: http
          periodSeconds: 1
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
  - port: 80
    targetPort: http
`

const clientYAML = `apiVersion: v1
kind: Pod
metadata:
  name: client
spec:
  containers:
  - name: client
    image: toolbox
    command: [sleep, "100000"]
`

const podYAML = `apiVersion: v1
kind: Pod
metadata:
  name: solo
spec:
  containers:
  - name: server
    image: IMAGE
    imagePullPolicy: IfNotPresent
    command: [sh, -c, ` + serve + `]
    ports:
    - containerPort: 8080
`

// timeout bounds every command (a hang fails the run instead of stalling it).
const timeout = 90 * time.Second

func main() {
	kistBin := flag.String("kist", "", "kist binary")
	n := flag.Int("n", 5, "rounds of 1, 3 and 5 (per tool)")
	rollouts := flag.Int("rollouts", 3, "rolling updates under the request loop (4)")
	requests := flag.Int("requests", 300, "GETs of the Service from the client pod (2)")
	flag.Parse()
	if *kistBin == "" || *n < 1 || *rollouts < 1 || *requests < 1 {
		benchutil.Fail("usage: kube -kist PATH [-n 5] [-rollouts 3] [-requests 300]")
	}
	defer benchutil.Cleanup()
	work := benchutil.Start("kist-bench-kube-")
	workDir = work
	began := time.Now()
	k, p := newKist(*kistBin, filepath.Join(work, "kist")), newPodman(filepath.Join(work, "podman"))
	web, client, pod := filepath.Join(work, "web.yaml"), filepath.Join(work, "client.yaml"), filepath.Join(work, "pod.yaml")

	// images: the toolbox through a loopback registry into both stores
	ref := benchutil.StartRegistry(work) + "/bench/toolbox:1"
	k.must("push", "toolbox", ref)
	k.must("pull", "-q", ref)
	p.must("pull", "-q", "--tls-verify=false", ref)
	for r := 0; r < *rollouts; r++ {
		k.must("tag", "toolbox", fmt.Sprintf("web:v%d", r+2))
	}
	writeFile(web, webYAML)
	writeFile(client, clientYAML)
	writeFile(pod, strings.Replace(podYAML, "IMAGE", ref, 1))
	// kist kube wait, when kist has it (kist kube --help lists it)
	hasWait := regexp.MustCompile(`(?m)^  wait `).MatchString(k.must("kube", "--help"))
	fmt.Printf("kist %s; podman %s, %s\n", k.version(), p.version(), strings.Join(p.pre[6:], " "))
	fmt.Printf("%d CPUs, load average at the start %s\n\n", runtime.NumCPU(), benchutil.Loadavg())

	// 1. apply + rollout status
	var firstApply time.Duration
	var applies, readies []time.Duration
	for r := 0; r <= *n; r++ {
		if r > 0 {
			k.must("kube", "delete", "-f", web)
			settle(0)
		}
		syscall.Sync()
		start := time.Now()
		k.must("kube", "apply", "-f", web)
		apply := time.Since(start)
		k.must("kube", "rollout", "status", "deployment/web")
		d := time.Since(start)
		if ready := k.deploy("web").Status.ReadyReplicas; ready != 3 {
			benchutil.Fail("rollout status returned with %d ready replicas", ready)
		}
		if r == 0 {
			firstApply = d
			continue
		}
		applies, readies = append(applies, apply), append(readies, d)
	}

	// 2. requests to the Service from a pod
	k.must("kube", "apply", "-f", client)
	k.waitRunning("client")
	start := time.Now()
	out := k.must("kube", "exec", "client", "--", "sh", "-c", fmt.Sprintf("for i in $(seq %d); do wget -q -O- http://web/; done", *requests))
	spread := time.Since(start)
	served := map[string]int{}
	for _, l := range strings.Fields(out) {
		served[l]++
	}
	webPods := k.readyPods("app=web")
	if len(webPods) != 3 {
		benchutil.Fail("%d ready pods of web, want 3", len(webPods))
	}

	// 3. a deleted pod replaced
	var replaced, deletes []time.Duration
	for r := 0; r < *n; r++ {
		victim := k.readyPods("app=web")[r%3]
		start := time.Now()
		k.must("kube", "delete", "pod", victim)
		deletes = append(deletes, time.Since(start))
		for {
			if time.Since(start) > timeout {
				benchutil.Fail("web has not 3 ready pods %s after deleting %s", timeout, victim)
			}
			if k.deploy("web").Status.ReadyReplicas == 3 && !slices.Contains(k.podNames(""), victim) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		replaced = append(replaced, time.Since(start))
		settle(4) // web's 3 pods and the client
	}

	// 4. rolling updates under a request loop
	type rollout struct {
		took      time.Duration
		ok, fails int
		failAt    []time.Duration // when each failure was printed, from the set image
		errs      map[string]int  // wget's messages
		perSecond float64
	}
	var rolls []rollout
	for r := 0; r < *rollouts; r++ {
		loop := k.startLoop()
		start := time.Now()
		k.must("kube", "set", "image", "deployment/web", fmt.Sprintf("web=web:v%d", r+2))
		k.must("kube", "rollout", "status", "deployment/web")
		took := time.Since(start)
		time.Sleep(2 * time.Second)
		res := loop.stop()
		ro := rollout{took: took, perSecond: float64(len(res)) / res[len(res)-1].at.Sub(res[0].at).Seconds(), errs: map[string]int{}}
		for _, l := range res {
			if l.ok {
				ro.ok++
			} else {
				ro.fails++
				ro.failAt = append(ro.failAt, l.at.Sub(start))
				ro.errs[l.err]++
			}
		}
		rolls = append(rolls, ro)
		if d := k.deploy("web"); d.Status.UpdatedReplicas != 3 || d.Status.ReadyReplicas != 3 || d.Status.Replicas != 3 {
			benchutil.Fail("after the rollout: %+v", d.Status)
		}
		settle(4)
	}

	// 5. one Pod: kist kube apply against podman kube play
	k.must("kube", "delete", "-f", web, "-f", client)
	settle(0)
	kdown := func() { k.must("kube", "delete", "-f", pod) }
	kistPoll := &contender{name: "kist", how: "apply + polling get pod solo -o json every 20 ms until status.phase is Running", kist: true, down: kdown,
		play: func() time.Duration {
			start := time.Now()
			k.must("kube", "apply", "-f", pod)
			k.waitRunning("solo")
			return time.Since(start)
		}}
	podman := &contender{name: "podman", how: "podman kube play pod.yaml (slirp4netns)", down: func() { p.must("kube", "down", pod) },
		play: func() time.Duration {
			_, d := p.timed("kube", "play", pod)
			return d
		}}
	kistMain := kistPoll // what the target is about
	contenders := []*contender{kistPoll, podman}
	if hasWait {
		kistMain = &contender{name: "kist", how: "apply + kist kube wait --for=condition=Ready pod/solo", kist: true, down: kdown,
			play: func() time.Duration {
				start := time.Now()
				k.must("kube", "apply", "-f", pod)
				k.must("kube", "wait", "--for=condition=Ready", "pod/solo", "--timeout=90s")
				return time.Since(start)
			}}
		contenders = []*contender{kistMain, kistPoll, podman}
	}
	for _, c := range []*contender{kistPoll, podman} { // warm, and both serve the page
		settle(0)
		c.first = c.play()
		var page string
		if c.kist {
			page = k.must("kube", "exec", "solo", "--", "wget", "-q", "-O-", "http://127.0.0.1:8080/")
		} else {
			page = p.retry("exec", "solo-server", "wget", "-q", "-O-", "http://127.0.0.1:8080/")
		}
		if page != "solo" {
			benchutil.Fail("%s's pod solo answered %q, want solo", c.name, page)
		}
		c.down()
	}
	ctlUp, kistRounds := 0, 0
	for r := 0; r < *n; r++ {
		for i := range contenders {
			c := contenders[(i+r)%len(contenders)]
			settle(0)
			syscall.Sync()
			if c.kist {
				kistRounds++
				if controllerRunning() {
					ctlUp++
				}
			}
			c.times = append(c.times, c.play())
			c.down()
		}
	}
	settle(0)

	// report
	fmt.Printf("1. kist kube apply -f web.yaml (Deployment, 3 replicas, readiness probe every 1 s; Service) + rollout status: %d rounds, median (min-max)\n", *n)
	fmt.Printf("   apply + rollout status   %s\n", secs(readies))
	fmt.Printf("   of which apply           %s\n", secs(applies))
	fmt.Printf("   first round, new store   %.2f s (the namespace's network and controller start)\n", firstApply.Seconds())
	fmt.Printf("   target <= 2 s: %s\n\n", met(benchutil.Median(readies) <= 2*time.Second))

	fmt.Printf("2. %d GETs of http://web/ from the client pod (wget one after the other) in %.2f s: answered by\n", *requests, spread.Seconds())
	total := 0
	for _, name := range webPods {
		fmt.Printf("   %-26s %4d\n", name, served[name])
		total += served[name]
	}
	if total != *requests {
		fmt.Printf("   other answers: %d (%v)\n", *requests-total, served)
	}
	fmt.Println()

	fmt.Printf("3. kist kube delete pod (one of web's) until 3 ready pods again and the deleted one gone: %d rounds, median (min-max)\n", *n)
	fmt.Printf("   delete to 3 ready        %s\n", secs(replaced))
	fmt.Printf("   of which delete pod      %s (it waits until the pod stopped)\n", secs(deletes))
	fmt.Printf("   target <= 5 s: %s\n\n", met(benchutil.Median(replaced) <= 5*time.Second))

	fmt.Printf("4. set image deployment/web + rollout status under a request loop in the client pod (wget -T 2 http://web/, until 2 s after the rollout), %d rollouts\n", *rollouts)
	fails := 0
	var tooks []time.Duration
	for i, ro := range rolls {
		at := ""
		if len(ro.failAt) > 0 {
			at = fmt.Sprintf(" (reported %s s after set image)", strings.Join(fmtSecs(ro.failAt), ", "))
		}
		fmt.Printf("   web:v%d  rollout %.2f s  requests %5d ok %3d failed%s, %.0f req/s\n", i+2, ro.took.Seconds(), ro.ok, ro.fails, at, ro.perSecond)
		for msg, c := range ro.errs {
			fmt.Printf("            %dx %s\n", c, msg)
		}
		fails += ro.fails
		tooks = append(tooks, ro.took)
	}
	fmt.Printf("   rollout median %s; target 0 failed: %s\n\n", secs(tooks), met(fails == 0))

	fmt.Printf("5. one Pod (toolbox image from the loopback registry, httpd), until its container runs: %d rounds each, median (min-max)\n", *n)
	for _, c := range contenders {
		fmt.Printf("   %-7s %s   %s\n", c.name, secs(c.times), c.how)
	}
	fmt.Printf("   first (untimed) round: kist %.2f s, podman %.2f s; kist's controller already running in %d of %d kist rounds\n",
		kistPoll.first.Seconds(), podman.first.Seconds(), ctlUp, kistRounds)
	ratio := float64(benchutil.Median(kistMain.times)) / float64(benchutil.Median(podman.times))
	if hasWait {
		fmt.Printf("   kist/podman = %.3f with kist kube wait (%.3f polling get); target <= 1/3: %s\n\n", ratio,
			float64(benchutil.Median(kistPoll.times))/float64(benchutil.Median(podman.times)), met(ratio <= 1.0/3))
	} else {
		fmt.Printf("   kist/podman = %.3f (kist kube has no wait yet); target <= 1/3: %s\n\n", ratio, met(ratio <= 1.0/3))
	}
	fmt.Printf("load average at the end %s; the run took %.0f s (other work on the machine slows every figure)\n", benchutil.Loadavg(), time.Since(began).Seconds())
}

// contender is one way of starting pod.yaml (5).
type contender struct {
	name, how string
	kist      bool
	play      func() time.Duration
	down      func()
	first     time.Duration
	times     []time.Duration
}

// workDir is the temporary directory of this run.
var workDir string

func writeFile(path, s string) {
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		benchutil.Fail("%v", err)
	}
}

// tool is kist or podman with a store of its own.
type tool struct {
	name string
	bin  string
	pre  []string // arguments before the subcommand
	env  []string
}

func (t *tool) cmd(args ...string) *exec.Cmd {
	c := exec.Command(t.bin, append(slices.Clone(t.pre), args...)...)
	c.Env = t.env
	return c
}

// must runs the tool (at most timeout) and returns its standard output,
// trimmed.
func (t *tool) must(args ...string) string {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c := exec.CommandContext(ctx, t.bin, append(slices.Clone(t.pre), args...)...)
	c.Env = t.env
	var stderr bytes.Buffer
	c.Stderr = &stderr
	out, err := c.Output()
	if err != nil {
		benchutil.Fail("%s %s: %v\n%s%s", t.name, strings.Join(args, " "), err, out, stderr.Bytes())
	}
	return strings.TrimSpace(string(out))
}

// retry is must, tried again for a second while it fails.
func (t *tool) retry(args ...string) string {
	for i := 0; i < 20; i++ {
		if out, err := t.cmd(args...).Output(); err == nil {
			return strings.TrimSpace(string(out))
		}
		time.Sleep(50 * time.Millisecond)
	}
	return t.must(args...)
}

func (t *tool) timed(args ...string) (string, time.Duration) {
	start := time.Now()
	out := t.must(args...)
	return out, time.Since(start)
}

func (t *tool) version() string {
	if t.name == "kist" {
		out, _ := t.cmd("version").Output()
		return strings.TrimSpace(strings.TrimPrefix(strings.SplitN(string(out), "\n", 2)[0], "kist version "))
	}
	out, _ := t.cmd("version", "--format", "{{.Client.Version}}").Output()
	return strings.TrimSpace(string(out))
}

func newKist(bin, dir string) *tool {
	k := &tool{name: "kist", bin: bin, env: benchutil.KistEnv(dir)}
	benchutil.AtExit(func() { k.cmd("system", "reset", "--force").Run() })
	return k
}

func newPodman(dir string) *tool {
	os.MkdirAll(filepath.Join(dir, "xdg"), 0o700)
	os.WriteFile(filepath.Join(dir, "auth.json"), []byte(`{"auths":{}}`), 0o600)
	p := &tool{name: "podman", bin: "podman",
		pre: []string{"--root", dir + "/root", "--runroot", dir + "/run", "--tmpdir", dir + "/tmp", "--runtime", "runc", "--cgroup-manager", "cgroupfs"},
		// Without a login session podman looks for credentials in
		// /run/containers/UID and keeps its pause process's pid in
		// /run/user/UID, neither of which may be there.
		env: append(os.Environ(), "REGISTRY_AUTH_FILE="+dir+"/auth.json", "XDG_RUNTIME_DIR="+dir+"/xdg"),
	}
	benchutil.AtExit(func() {
		p.cmd("pod", "rm", "-a", "-f", "-t", "0").Run()
		p.cmd("rm", "-a", "-f", "-t", "0").Run()
		// the store's files belong to ids of the user namespace
		p.cmd("unshare", "rm", "-rf", dir+"/root", dir+"/run").Run()
		// the pause process this podman started for its own XDG_RUNTIME_DIR
		if b, err := os.ReadFile(dir + "/tmp/pause.pid"); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 1 {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	return p
}

// object is what this program reads of kist kube get -o json.
type object struct {
	Metadata struct {
		Name              string            `json:"name"`
		Labels            map[string]string `json:"labels"`
		DeletionTimestamp string            `json:"deletionTimestamp"`
	} `json:"metadata"`
	Status struct {
		Phase           string `json:"phase"`
		Replicas        int    `json:"replicas"`
		ReadyReplicas   int    `json:"readyReplicas"`
		UpdatedReplicas int    `json:"updatedReplicas"`
		Conditions      []struct {
			Type   string `json:"type"`
			Status string `json:"status"`
		} `json:"conditions"`
	} `json:"status"`
}

func (k *tool) getJSON(v any, args ...string) {
	out := k.must(append([]string{"kube", "get"}, append(args, "-o", "json")...)...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		benchutil.Fail("kist kube get %s -o json: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func (k *tool) deploy(name string) object {
	var o object
	k.getJSON(&o, "deployment", name)
	return o
}

// pods lists the pods (with labels matching selector, when not empty).
func (k *tool) pods(selector string) []object {
	var list struct{ Items []object }
	args := []string{"pods"}
	if selector != "" {
		args = append(args, "-l", selector)
	}
	k.getJSON(&list, args...)
	return list.Items
}

func (k *tool) podNames(selector string) (names []string) {
	for _, o := range k.pods(selector) {
		names = append(names, o.Metadata.Name)
	}
	return names
}

// readyPods names the pods that are Ready and not being deleted, sorted.
func (k *tool) readyPods(selector string) (names []string) {
	for _, o := range k.pods(selector) {
		if o.Metadata.DeletionTimestamp != "" {
			continue
		}
		for _, c := range o.Status.Conditions {
			if c.Type == "Ready" && c.Status == "True" {
				names = append(names, o.Metadata.Name)
			}
		}
	}
	slices.Sort(names)
	return names
}

// waitRunning polls the pod until its phase is Running.
func (k *tool) waitRunning(name string) {
	for start := time.Now(); time.Since(start) < timeout; time.Sleep(20 * time.Millisecond) {
		var o object
		k.getJSON(&o, "pod", name)
		if o.Status.Phase == "Running" {
			return
		}
	}
	benchutil.Fail("pod %s is not Running after %s", name, timeout)
}

// loop is the client pod's request loop, run by kist kube exec.
type loop struct {
	k     *tool
	c     *exec.Cmd
	lines chan loopLine
	done  chan []loopLine
}

type loopLine struct {
	at  time.Time
	ok  bool
	err string // wget's message of a failed request
}

// startLoop starts GETs of http://web/ one after the other in the client
// pod, until /tmp/stop exists there, and returns once the first answered.
func (k *tool) startLoop() *loop {
	k.must("kube", "exec", "client", "--", "rm", "-f", "/tmp/stop")
	l := &loop{k: k, lines: make(chan loopLine, 1), done: make(chan []loopLine, 1)}
	l.c = k.cmd("kube", "exec", "client", "--", "sh", "-c",
		`while [ ! -e /tmp/stop ]; do if err=$(wget -q -T 2 -O /dev/null http://web/ 2>&1); then echo ok; else echo "FAIL $err"; fi; done`)
	out, err := l.c.StdoutPipe()
	if err != nil {
		benchutil.Fail("%v", err)
	}
	l.c.Stderr = os.Stderr
	if err := l.c.Start(); err != nil {
		benchutil.Fail("kist kube exec: %v", err)
	}
	benchutil.AtExit(func() {
		if l.c.ProcessState == nil {
			l.c.Process.Kill()
		}
	})
	go func() {
		var all []loopLine
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			ll := loopLine{at: time.Now(), ok: sc.Text() == "ok"}
			if !ll.ok {
				if !strings.HasPrefix(sc.Text(), "FAIL") {
					fmt.Fprintf(os.Stderr, "kube: the request loop said %q\n", sc.Text())
				}
				ll.err = strings.TrimSpace(strings.TrimPrefix(sc.Text(), "FAIL"))
			}
			if len(all) == 0 {
				l.lines <- ll
			}
			all = append(all, ll)
		}
		l.done <- all
	}()
	select {
	case <-l.lines:
	case <-time.After(10 * time.Second):
		benchutil.Fail("the request loop in the client pod printed nothing in 10 s")
	}
	return l
}

// stop ends the loop and returns what it printed.
func (l *loop) stop() []loopLine {
	l.k.must("kube", "exec", "client", "--", "touch", "/tmp/stop")
	select {
	case all := <-l.done:
		if err := l.c.Wait(); err != nil {
			benchutil.Fail("the request loop: %v", err)
		}
		return all
	case <-time.After(10 * time.Second):
		benchutil.Fail("the request loop did not stop")
	}
	return nil
}

// settle waits until this run's container processes are down to those of
// pods kist pods of one container each (two kist-supervise processes a
// pod: its infra container's and its container's) and no podman, conmon
// or runc of this run is left (podman's conmon runs "podman container
// cleanup" after a container ends, which would slow down whatever is
// timed next).
func settle(pods int) {
	keep := 2 * pods
	var left []string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		supervisors, busy := 0, false
		left = nil
		for _, p := range procs() {
			inArgv := slices.ContainsFunc(p.Argv, func(a string) bool { return strings.Contains(a, workDir) })
			switch {
			case p.Arg0() == "kist-supervise" && (inArgv || inWork(p.PID)):
				supervisors++
			case inArgv && (p.Comm == "podman" || p.Comm == "conmon" || p.Comm == "runc"):
				busy = true
			default:
				continue
			}
			left = append(left, fmt.Sprintf("%d %q", p.PID, p.Argv))
		}
		if !busy && supervisors <= keep {
			return
		}
	}
	benchutil.Fail("container processes are still running 20 s after their containers were removed (want at most %d kist-supervise):\n%s", keep, strings.Join(left, "\n"))
}

// inWork reports whether process pid's environment names this run's
// directory (kist's processes do, by XDG_RUNTIME_DIR).
func inWork(pid int) bool {
	env, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	return bytes.Contains(env, []byte(workDir))
}

// controllerRunning reports whether kist kube's controller of this run
// runs.
func controllerRunning() bool {
	for _, p := range procs() {
		if len(p.Argv) > 0 && strings.HasPrefix(p.Arg0(), "kist-kube") && inWork(p.PID) {
			return true
		}
	}
	return false
}

// procs lists this user's processes.
func procs() []benchutil.Proc {
	ents, _ := os.ReadDir("/proc")
	var out []benchutil.Proc
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		var st syscall.Stat_t
		if syscall.Stat("/proc/"+e.Name(), &st) != nil || int(st.Uid) != os.Getuid() {
			continue
		}
		if p, ok := benchutil.ReadProc(pid); ok {
			out = append(out, p)
		}
	}
	return out
}

// secs is "median s (min-max)".
func secs(d []time.Duration) string {
	return fmt.Sprintf("%.2f s (%.2f-%.2f)", benchutil.Median(d).Seconds(), slices.Min(d).Seconds(), slices.Max(d).Seconds())
}

func fmtSecs(d []time.Duration) (s []string) {
	for _, x := range d {
		s = append(s, fmt.Sprintf("%.2f", x.Seconds()))
	}
	return s
}

func met(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}
