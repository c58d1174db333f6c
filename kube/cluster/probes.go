package cluster

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"kist/container"
	"kist/kube"
	"kist/network"
	"kist/sandbox"
)

// Probes run in the controller, as the kubelet's do: one goroutine per
// probe of a running pod. An HTTP or TCP probe reaches the pod's address
// through its network's keeper (network.Dial: the host has no route to
// a kist network), an exec probe runs in the container as kist exec
// does. A readiness probe's verdict is the container's Ready; a
// liveness probe that fails failureThreshold times in a row kills the
// container's command, and its supervisor starts it again by the pod's
// restartPolicy (a restart, counted).

// podProbes are a pod's running probes.
type podProbes struct {
	cancel context.CancelFunc
	mu     sync.Mutex
	ready  map[string]bool // container -> readiness probe's verdict
}

func (p *podProbes) stop() { p.cancel() }

func (p *podProbes) readiness() map[string]bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]bool{}
	for k, v := range p.ready {
		out[k] = v
	}
	return out
}

func (p *podProbes) set(ctr string, ok bool) (changed bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	old, had := p.ready[ctr]
	p.ready[ctr] = ok
	return !had || old != ok
}

// startProbes starts pod o's probes.
func (c *controller) startProbes(o *Object, run *podRun) {
	pod := o.Resource.(*kube.Pod)
	ctx, cancel := context.WithCancel(context.Background())
	pp := &podProbes{cancel: cancel, ready: map[string]bool{}}
	c.mu.Lock()
	run.probes = pp
	ip := run.ip
	c.mu.Unlock()
	// a pod found again by a new controller keeps the verdicts it had
	// until its probes say otherwise: its Services do not lose it
	was := map[string]bool{}
	if s := o.PodStatus(); s != nil {
		for _, cs := range s.ContainerStatuses {
			was[cs.Name] = cs.Ready
		}
	}
	for _, ct := range pod.Spec.Containers {
		if ct.ReadinessProbe != nil {
			pp.mu.Lock()
			pp.ready[ct.Name] = was[ct.Name]
			pp.mu.Unlock()
			go c.probeLoop(ctx, o, ct, ip, ct.ReadinessProbe, "Readiness", func(ok bool, msg string) {
				if pp.set(ct.Name, ok) {
					if !ok {
						c.event(o, "Warning", "Unhealthy", "Readiness probe failed: "+msg)
					}
					c.poke()
				}
			})
		}
		if ct.LivenessProbe != nil {
			go c.probeLoop(ctx, o, ct, ip, ct.LivenessProbe, "Liveness", func(ok bool, msg string) {
				if ok {
					return
				}
				c.event(o, "Warning", "Unhealthy", "Liveness probe failed: "+msg)
				c.event(o, "Normal", "Killing", fmt.Sprintf("Container %s failed liveness probe, will be restarted", ct.Name))
				if r, err := container.Find(ContainerName(o.Namespace(), o.Name(), ct.Name)); err == nil {
					r.Signal(c.rd, syscall.SIGKILL)
				}
			})
		}
	}
}

// probeLoop runs probe every periodSeconds after initialDelaySeconds and
// calls report with the verdict when it is reached: success after
// successThreshold passes in a row, failure after failureThreshold
// failures in a row (and then again after as many more). While the
// container does not run, a liveness probe waits: a restart begins its
// count anew.
func (c *controller) probeLoop(ctx context.Context, o *Object, ct kube.Container, ip string, p *kube.Probe, what string, report func(ok bool, msg string)) {
	period := time.Duration(max(p.PeriodSeconds, 1)) * time.Second
	timeout := time.Duration(max(p.TimeoutSeconds, 1)) * time.Second
	succeedAfter, failAfter := max(p.SuccessThreshold, 1), max(p.FailureThreshold, 1)
	name := ContainerName(o.Namespace(), o.Name(), ct.Name)
	wait := func(d time.Duration) bool {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
			return true
		}
	}
	var lastStart time.Time
	var passes, fails int32
	everReady := false
	for {
		r, err := container.Find(name)
		if err != nil {
			if !wait(period) {
				return
			}
			continue
		}
		st := r.State(c.rd)
		if st.Status != container.Running {
			passes, fails = 0, 0
			if what == "Readiness" {
				report(false, "container is not running")
			}
			if !wait(200 * time.Millisecond) {
				return
			}
			continue
		}
		if !st.StartedAt.Equal(lastStart) { // started, or restarted
			lastStart = st.StartedAt
			passes, fails, everReady = 0, 0, false
			if d := time.Duration(p.InitialDelaySeconds)*time.Second - time.Since(st.StartedAt); d > 0 && !wait(d) {
				return
			}
		}
		pctx, cancel := context.WithTimeout(ctx, timeout)
		err = c.probeOnce(pctx, o, ct, r, ip, p)
		cancel()
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			passes, fails = passes+1, 0
			if passes == succeedAfter {
				report(true, "")
			}
		} else {
			fails, passes = fails+1, 0
			if fails == failAfter {
				report(false, err.Error())
				fails = 0
				if what == "Liveness" {
					lastStart = time.Time{} // the restart starts the count again
				}
			}
		}
		// until a readiness probe first passes (after a start) it looks
		// four times a second, so a new pod joins its Services soon after
		// it can serve, whatever the period; then every period
		if err == nil && passes >= succeedAfter {
			everReady = true
		}
		next := period
		if what == "Readiness" && !everReady {
			next = min(period, 250*time.Millisecond)
		}
		if !wait(next) {
			return
		}
	}
}

// probeOnce runs probe p of container ct once: nil is a pass.
func (c *controller) probeOnce(ctx context.Context, o *Object, ct kube.Container, r *container.Record, ip string, p *kube.Probe) error {
	switch {
	case p.Exec != nil:
		// the command's output is the failure's message, as the kubelet's
		pr, pw, err := os.Pipe()
		if err != nil {
			return err
		}
		out := make(chan string, 1)
		go func() {
			b, _ := io.ReadAll(io.LimitReader(pr, 1024))
			io.Copy(io.Discard, pr)
			pr.Close()
			out <- strings.TrimSpace(string(b))
		}()
		code, err := r.Exec(ctx, c.rd, &sandbox.ExecConfig{Args: p.Exec.Command, Stdout: pw, Stderr: pw})
		pw.Close()
		msg := <-out
		if err != nil {
			return err
		}
		if code != 0 {
			if msg != "" {
				return fmt.Errorf("command %q exited with %d: %s", strings.Join(p.Exec.Command, " "), code, msg)
			}
			return fmt.Errorf("command %q exited with %d", strings.Join(p.Exec.Command, " "), code)
		}
		return nil
	case p.HTTPGet != nil:
		port, err := probePort(ct, p.HTTPGet.Port)
		if err != nil {
			return err
		}
		client := &http.Client{Transport: &http.Transport{
			DialContext:       func(ctx context.Context, _, _ string) (net.Conn, error) { return c.dialPod(ctx, ip, port) },
			DisableKeepAlives: true,
		}, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		path := p.HTTPGet.Path
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		url := fmt.Sprintf("http://%s%s", net.JoinHostPort(ip, fmt.Sprint(port)), path)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		req.Header.Set("User-Agent", "kube-probe/kist")
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("Get %q: %v", url, unwrapDial(err))
		}
		bufio.NewReader(resp.Body).Peek(1024)
		resp.Body.Close()
		if resp.StatusCode < 200 || resp.StatusCode >= 400 {
			return fmt.Errorf("HTTP probe failed with statuscode: %d", resp.StatusCode)
		}
		return nil
	case p.TCPSocket != nil:
		port, err := probePort(ct, p.TCPSocket.Port)
		if err != nil {
			return err
		}
		conn, err := c.dialPod(ctx, ip, port)
		if err != nil {
			return fmt.Errorf("dial tcp %s: %v", net.JoinHostPort(ip, fmt.Sprint(port)), err)
		}
		conn.Close()
		return nil
	}
	return nil
}

func unwrapDial(err error) error {
	if ue, ok := err.(interface{ Unwrap() error }); ok && ue.Unwrap() != nil {
		return ue.Unwrap()
	}
	return err
}

// probePort is a probe's port: a number, or the name of one of the
// container's ports.
func probePort(ct kube.Container, p kube.IntOrString) (int, error) {
	if !p.IsString {
		return int(p.Int), nil
	}
	for _, cp := range ct.Ports {
		if cp.Name == p.Str {
			return int(cp.ContainerPort), nil
		}
	}
	return 0, fmt.Errorf("port %q is not a port of container %s", p.Str, ct.Name)
}

// dialPod connects to ip:port on the namespace's network through its
// keeper.
func (c *controller) dialPod(ctx context.Context, ip string, port int) (net.Conn, error) {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return nil, fmt.Errorf("the pod has no address yet")
	}
	n, err := network.Get(NetworkName(c.st.Namespace))
	if err != nil {
		return nil, err
	}
	return network.Dial(ctx, n, c.rd, netip.AddrPortFrom(addr, uint16(port)))
}
