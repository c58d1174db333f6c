package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"kist/container"
	"kist/internal/dirs"
	"kist/kube"
	"kist/kube/cluster"
	"kist/kube/printer"
	"kist/network"
	"kist/sandbox"
)

func newKubeDescribeCmd(g *kubeGlobals) *cobra.Command {
	var selector string
	var all bool
	cmd := &cobra.Command{
		Use:   "describe KIND [NAME...] | describe KIND/NAME",
		Short: "Show an object in detail, with its events",
		Long: `Show objects as kubectl describe does: a pod's containers with their
state, probes, environment and mounts, its conditions, volumes and
events; a Deployment's replicas, strategy, template and ReplicaSets; a
Service's ports and endpoints (the ready pods behind it); and so on.
Without a name, every object of the kind (-l: those with the labels).`,
		Example: "  kubectl describe pod web-7d4b9c8f6-x2x9z\n  kubectl describe deploy/web\n  kubectl describe svc web",
		RunE: func(cmd *cobra.Command, args []string) error {
			targets, err := parseTargets(args)
			if err != nil {
				return err
			}
			sel, err := kube.ParseSelector(selector)
			if err != nil {
				return kubectlErr("%v", err)
			}
			results, notFound, err := collect(targets, g.ns(), all, sel)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			n := 0
			for _, r := range results {
				for _, obj := range r.objs {
					if n > 0 {
						fmt.Fprint(out, "\n\n")
					}
					n++
					src, err := storeFor(obj.Kind(), obj.Namespace())
					if err != nil {
						return err
					}
					if err := printer.Describe(out, obj, src, printer.DescribeOptions{Node: hostName()}); err != nil {
						return err
					}
				}
			}
			if n == 0 && len(notFound) == 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "No resources found in %s namespace.\n", g.ns())
			}
			for _, nf := range notFound {
				fmt.Fprintln(cmd.ErrOrStderr(), kubeErrorText(nf))
			}
			if len(notFound) > 0 {
				return ExitError{Code: 1}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&selector, "selector", "l", "", "only objects with these labels")
	cmd.Flags().BoolVarP(&all, "all-namespaces", "A", false, "objects of every namespace")
	return cmd
}

// kistContainer finds the kist container that runs container ctr of
// pod, with kubectl's error when it does not run yet.
func kistContainer(pod *cluster.Object, ctr string) (*container.Record, string, error) {
	rd, err := dirs.Runtime()
	if err != nil {
		return nil, "", err
	}
	r, err := container.Find(cluster.ContainerName(pod.Namespace(), pod.Name(), ctr))
	if err != nil {
		reason := waitingReason(pod, ctr)
		if reason == "" {
			reason = "ContainerCreating"
		}
		return nil, "", serverErr("BadRequest", "container %q in pod %q is waiting to start: %s", ctr, pod.Name(), reason)
	}
	return r, rd, nil
}

func newKubeLogsCmd(g *kubeGlobals) *cobra.Command {
	var o container.LogOptions
	var ctr, selector string
	var allContainers, previous, prefix bool
	var maxRequests int
	cmd := &cobra.Command{
		Use:   "logs [-f] [-c CONTAINER] (POD | TYPE/NAME | -l SELECTOR)",
		Short: "Print what a pod's container wrote",
		Long: `Print the output of a container of a pod (-c; by default the first). For
deploy/NAME, job/NAME, rs/NAME or svc/NAME, one of its pods; with -l,
every pod with the labels (the last 10 lines of each unless --tail says
otherwise, as kubectl; --prefix starts each line with
[pod/NAME/CONTAINER]).

kist keeps one log per container across its restarts: the log has the
lines of every run, so -p (--previous) shows that whole log, the
previous runs' lines with the current one's.`,
		Example: "  kubectl logs web-7d4b9c8f6-x2x9z\n  kubectl logs -f deploy/web\n  kubectl logs job/pi --tail 5\n  kubectl logs -l app=web --prefix",
		RunE: func(cmd *cobra.Command, args []string) error {
			if previous {
				fmt.Fprintln(cmd.ErrOrStderr(), "kist keeps one log per container across its restarts: this is all of it, the previous runs' lines and the current run's")
			}
			var pods []*cluster.Object
			switch {
			case selector != "" && len(args) > 0:
				return kubectlErr("only one of a pod name or a selector (-l) may be given")
			case selector != "":
				sel, err := kube.ParseSelector(selector)
				if err != nil {
					return kubectlErr("%v", err)
				}
				all, err := listKind("Pod", g.ns(), false)
				if err != nil {
					return err
				}
				for _, p := range all {
					if sel.Matches(p.Labels()) && !p.Terminating() {
						pods = append(pods, p)
					}
				}
				if len(pods) == 0 {
					fmt.Fprintf(cmd.ErrOrStderr(), "No resources found in %s namespace.\n", g.ns())
					return nil
				}
				if !cmd.Flags().Changed("tail") {
					o.Tail = 10
				}
			case len(args) == 1:
				_, pod, err := resolvePod(cmd.Context(), cmd.ErrOrStderr(), g.ns(), args[0], true)
				if err != nil {
					return err
				}
				pods = []*cluster.Object{pod}
			default:
				return kubectlErr("expected POD, TYPE/NAME or -l SELECTOR: kubectl logs web-7d4b9c8f6-x2x9z")
			}
			type stream struct {
				pod  *cluster.Object
				ctr  string
				rec  *container.Record
				rdir string
			}
			var streams []stream
			for _, pod := range pods {
				var names []string
				if allContainers {
					for _, c := range pod.Resource.(*kube.Pod).Spec.Containers {
						names = append(names, c.Name)
					}
				} else {
					name, err := pickContainer(cmd.ErrOrStderr(), pod, ctr)
					if err != nil {
						return err
					}
					names = []string{name}
				}
				for _, name := range names {
					r, rd, err := kistContainer(pod, name)
					if err != nil {
						return err
					}
					streams = append(streams, stream{pod, name, r, rd})
				}
			}
			if o.Follow && len(streams) > maxRequests {
				return kubectlErr("you are attempting to follow %d log streams, but maximum allowed concurrency is %d, use --max-log-requests to increase the limit", len(streams), maxRequests)
			}
			out := &lockedWriter{w: cmd.OutOrStdout()}
			logOne := func(s stream) error {
				var w io.Writer = out
				if prefix {
					w = &prefixWriter{out: out, prefix: fmt.Sprintf("[pod/%s/%s] ", s.pod.Name(), s.ctr)}
				}
				lo := o
				lo.Stdout, lo.Stderr = w, w
				err := s.rec.Logs(cmd.Context(), s.rdir, lo)
				if pw, ok := w.(*prefixWriter); ok {
					pw.flush()
				}
				if err != nil && !errors.Is(err, context.Canceled) {
					return err
				}
				return nil
			}
			if !o.Follow || len(streams) == 1 {
				for _, s := range streams {
					if err := logOne(s); err != nil {
						return err
					}
				}
				return nil
			}
			errs := make(chan error, len(streams))
			for _, s := range streams {
				go func() { errs <- logOne(s) }()
			}
			var first error
			for range streams {
				if err := <-errs; err != nil && first == nil {
					first = err
				}
			}
			return first
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.Follow, "follow", "f", false, "keep printing new output until the container stops")
	f.IntVar(&o.Tail, "tail", -1, "show only the last N lines (default: all; with -l: 10)")
	f.BoolVar(&o.Timestamps, "timestamps", false, "start each line with the time it was written")
	f.StringVarP(&ctr, "container", "c", "", "the container (default: the pod's first)")
	f.StringVarP(&selector, "selector", "l", "", "every pod with these labels (app=web)")
	f.BoolVar(&prefix, "prefix", false, "start each line with [pod/NAME/CONTAINER]")
	f.IntVar(&maxRequests, "max-log-requests", 5, "with -l and -f: how many logs to follow at once at most")
	f.BoolVar(&allContainers, "all-containers", false, "every container of the pod, one after the other")
	f.BoolVarP(&previous, "previous", "p", false, "the previous runs' lines: kist keeps one log with every run's, so this shows it all")
	return cmd
}

// lockedWriter lets several logs write whole lines to one output.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// prefixWriter starts every line with prefix (kubectl logs --prefix),
// writing only whole lines (the rest at flush).
type prefixWriter struct {
	out    io.Writer
	prefix string
	buf    []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			break
		}
		line := append([]byte(p.prefix), p.buf[:i+1]...)
		if _, err := p.out.Write(line); err != nil {
			return 0, err
		}
		p.buf = p.buf[i+1:]
	}
	return len(b), nil
}

func (p *prefixWriter) flush() {
	if len(p.buf) > 0 {
		p.out.Write(append(append([]byte(p.prefix), p.buf...), '\n'))
		p.buf = nil
	}
}

func newKubeExecCmd(g *kubeGlobals) *cobra.Command {
	var ctr string
	var interactive, tty, quiet bool
	cmd := &cobra.Command{
		Use:   "exec [-it] POD [-c CONTAINER] -- COMMAND [ARG...]",
		Short: "Run a command in a pod's container",
		Long: `Run a command in a running container of a pod (-c; by default the first):
-i passes standard input, -t gives it a terminal, -it an interactive shell.
POD can also be deploy/NAME or another TYPE/NAME: one of its pods.`,
		Example: "  kubectl exec web-7d4b9c8f6-x2x9z -- ls /\n  kubectl exec -it deploy/web -- sh",
		RunE: func(cmd *cobra.Command, args []string) error {
			dash := cmd.ArgsLenAtDash()
			if len(args) == 0 {
				return kubectlErr("pod, type/name or --filename must be specified")
			}
			var command []string
			switch {
			case dash == 1:
				command = args[1:]
			case dash > 1:
				return kubectlErr("exec takes one pod before --: kubectl exec POD -- COMMAND")
			default:
				command = args[1:]
				if len(command) > 0 {
					fmt.Fprintln(cmd.ErrOrStderr(), "kubectl exec [POD] [COMMAND] is DEPRECATED and will be removed in a future version. Use kubectl exec [POD] -- [COMMAND] instead.")
				}
			}
			if len(command) == 0 {
				return kubectlErr("you must specify at least one command for the container")
			}
			_, pod, err := resolvePod(cmd.Context(), cmd.ErrOrStderr(), g.ns(), args[0], false)
			if err != nil {
				return err
			}
			stderr := cmd.ErrOrStderr()
			if quiet {
				stderr = nil
			}
			name, err := pickContainer(orDiscard(stderr), pod, ctr)
			if err != nil {
				return err
			}
			r, rd, err := kistContainer(pod, name)
			if err != nil {
				return err
			}
			c := &sandbox.ExecConfig{Args: command, TTY: tty, Stdout: os.Stdout, Stderr: os.Stderr}
			if interactive {
				c.Stdin = os.Stdin
			}
			code, err := r.Exec(cmd.Context(), rd, c)
			if err != nil {
				return err
			}
			if code != 0 {
				if !quiet {
					fmt.Fprintf(cmd.ErrOrStderr(), "command terminated with exit code %d\n", code)
				}
				return ExitError{Code: code}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&ctr, "container", "c", "", "the container (default: the pod's first)")
	f.BoolVarP(&interactive, "stdin", "i", false, "pass standard input to the command")
	f.BoolVarP(&tty, "tty", "t", false, "give the command a terminal")
	f.BoolVarP(&quiet, "quiet", "q", false, "print only what the command prints")
	return cmd
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func orDiscard(w interface{ Write([]byte) (int, error) }) interface{ Write([]byte) (int, error) } {
	if w == nil {
		return discard{}
	}
	return w
}

// forwardTarget is where port-forward's connections go: an address on
// the namespace's network.
type forwardTarget struct {
	addr   netip.AddrPort
	remote int // the port kubectl names in "Forwarding from ... -> PORT"
}

func newKubePortForwardCmd(g *kubeGlobals) *cobra.Command {
	var addresses []string
	cmd := &cobra.Command{
		Use:   "port-forward TYPE/NAME [LOCAL:]REMOTE...",
		Short: "Forward local ports to a pod or a Service",
		Long: `Listen on local ports and forward each connection to a pod (pod/NAME,
or a pod of deploy/NAME) at a port, or to a Service (svc/NAME) at one of
its ports, through the namespace's network. 8080:80 listens on 8080 for
port 80; 80 listens on 80; :80 on a free port. Runs until Ctrl-C.`,
		Example: "  kubectl port-forward svc/web 8080:80\n  kubectl port-forward deploy/web 8080:80\n  kubectl port-forward pod/web-7d4b9c8f6-x2x9z 9000:8080",
		Args:    cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return portForward(cmd, g, addresses, args[0], args[1:])
		},
	}
	cmd.Flags().StringSliceVar(&addresses, "address", []string{"localhost"}, "local addresses to listen on (localhost: 127.0.0.1)")
	return cmd
}

func portForward(cmd *cobra.Command, g *kubeGlobals, addresses []string, ref string, ports []string) error {
	ns := g.ns()
	st, err := cluster.Open(ns)
	if err != nil {
		return err
	}
	kind, name := "Pod", ref
	if k, n, ok := strings.Cut(ref, "/"); ok {
		if kind, err = cluster.KindOf(k); err != nil {
			return kubectlErr("%v", err)
		}
		name = n
	}
	obj, err := st.Get(kind, name)
	if err != nil {
		return err
	}
	n, err := network.Get(cluster.NetworkName(ns))
	if err != nil {
		return err
	}
	rd, err := dirs.Runtime()
	if err != nil {
		return err
	}
	type pair struct {
		local  int
		target forwardTarget
	}
	var pairs []pair
	for _, p := range ports {
		ls, rs, ok := strings.Cut(p, ":")
		if !ok {
			rs = ls
		}
		local := 0
		if ls != "" {
			if local, err = strconv.Atoi(ls); err != nil || local < 0 || local > 65535 {
				return kubectlErr("invalid port %q: a number from 0 to 65535", ls)
			}
		}
		t, err := forwardTo(st, obj, rs)
		if err != nil {
			return err
		}
		if ls == "" && ok {
			local = 0
		} else if !ok {
			local = t.remote
			if kind == "Service" {
				local, _ = strconv.Atoi(rs)
			}
		}
		pairs = append(pairs, pair{local, t})
	}
	out := cmd.OutOrStdout()
	ctx := cmd.Context()
	var lns []net.Listener
	defer func() {
		for _, l := range lns {
			l.Close()
		}
	}()
	for _, p := range pairs {
		for _, a := range addresses {
			host := a
			if a == "localhost" {
				host = "127.0.0.1"
			}
			ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(p.local)))
			if err != nil {
				return kubectlErr("unable to listen on port %d: %v", p.local, err)
			}
			lns = append(lns, ln)
			fmt.Fprintf(out, "Forwarding from %s -> %d\n", ln.Addr(), p.target.remote)
			go func(ln net.Listener, p pair) {
				lport := ln.Addr().(*net.TCPAddr).Port
				for {
					c, err := ln.Accept()
					if err != nil {
						return
					}
					fmt.Fprintf(out, "Handling connection for %d\n", lport)
					go func() {
						t, err := forwardTo(st, obj, p.target.addrSpec())
						if err != nil || !t.addr.IsValid() {
							t = p.target
						}
						r, err := network.Dial(ctx, n, rd, t.addr)
						if err != nil {
							fmt.Fprintf(cmd.ErrOrStderr(), "E0000 port-forward: an error occurred forwarding %d -> %d: %v\n", lport, t.remote, err)
							c.Close()
							return
						}
						network.Splice(c, r)
					}()
				}
			}(ln, p)
		}
	}
	<-ctx.Done()
	return nil
}

// addrSpec is the remote port again, to resolve a pod anew per
// connection (a Deployment's pods come and go).
func (t forwardTarget) addrSpec() string { return strconv.Itoa(t.remote) }

// forwardTo is where a connection for remote port spec (a number or a
// container port's name) of obj goes: a Service's cluster IP and port;
// else a pod's IP and the port.
func forwardTo(st *cluster.Store, obj *cluster.Object, spec string) (forwardTarget, error) {
	if svc, ok := obj.Resource.(*kube.Service); ok {
		for _, sp := range svc.Spec.Ports {
			if strconv.Itoa(int(sp.Port)) == spec || (sp.Name != "" && sp.Name == spec) {
				ip, err := netip.ParseAddr(svc.Spec.ClusterIP)
				if err != nil {
					return forwardTarget{}, kubectlErr("service %s has no cluster IP yet: its namespace's controller gives it one (kubectl get svc)", obj.Name())
				}
				remote := int(sp.Port)
				if !sp.TargetPort.IsString && sp.TargetPort.Int != 0 {
					remote = int(sp.TargetPort.Int)
				}
				return forwardTarget{addr: netip.AddrPortFrom(ip, uint16(sp.Port)), remote: remote}, nil
			}
		}
		return forwardTarget{}, kubectlErr("Service %s does not have a service port %s", obj.Name(), spec)
	}
	pod := obj
	if obj.Kind() != "Pod" {
		var err error
		if pod, _, err = pickPod(st, obj); err != nil {
			return forwardTarget{}, err
		}
	}
	port, err := strconv.Atoi(spec)
	if err != nil {
		port = 0
		for _, c := range pod.Resource.(*kube.Pod).Spec.Containers {
			for _, p := range c.Ports {
				if p.Name == spec {
					port = int(p.ContainerPort)
				}
			}
		}
		if port == 0 {
			return forwardTarget{}, kubectlErr("Pod '%s' does not have a named port '%s'", pod.Name(), spec)
		}
	}
	s := pod.PodStatus()
	if s == nil || s.PodIP == "" || s.Phase != cluster.PodRunning {
		phase := cluster.PodPending
		if s != nil && s.Phase != "" {
			phase = s.Phase
		}
		return forwardTarget{}, kubectlErr("unable to forward port because pod is not running. Current status=%s", phase)
	}
	ip, err := netip.ParseAddr(s.PodIP)
	if err != nil {
		return forwardTarget{}, err
	}
	return forwardTarget{addr: netip.AddrPortFrom(ip, uint16(port)), remote: port}, nil
}
