package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"kist/internal/dirs"
	"kist/kube"
	"kist/kube/cluster"
)

// kubeGlobals are kubectl's flags every kist kube command takes.
type kubeGlobals struct {
	namespace string // -n
}

// ns is the namespace the command works in: -n, else the one kubectl
// config set-context --current --namespace chose, else default.
func (g *kubeGlobals) ns() string {
	if g.namespace != "" {
		return g.namespace
	}
	if c, err := loadKubeConfig(); err == nil && c.Namespace != "" {
		return c.Namespace
	}
	return cluster.DefaultNamespace
}

// kubeError is an error printed as kubectl prints it: the whole line,
// without kist's "kist: " (Error from server (NotFound): ..., error: ...).
type kubeError struct{ msg string }

func (e *kubeError) Error() string { return e.msg }

// kubectlErr is an error of the client, as kubectl words it.
func kubectlErr(format string, a ...any) error {
	return &kubeError{"error: " + fmt.Sprintf(format, a...)}
}

// serverErr is an error kubectl would get from the API server.
func serverErr(reason, format string, a ...any) error {
	return &kubeError{fmt.Sprintf("Error from server (%s): ", reason) + fmt.Sprintf(format, a...)}
}

// resourceName is a kind's resource with its API group, as the API
// server names it in errors: deployments.apps, pods.
func resourceName(kind string) string { return cluster.GroupResource(kind) }

func notFound(kind, name string) error {
	return serverErr("NotFound", "%s %q not found", resourceName(kind), name)
}

// kubeErrorText is err as kubectl would print it.
func kubeErrorText(err error) string {
	var ke *kubeError
	var nf *cluster.NotFoundError
	var ae *cluster.AlreadyExistsError
	var le kube.Errors
	switch {
	case errors.As(err, &ke):
		return ke.msg
	case errors.As(err, &nf):
		return serverErr("NotFound", "%s", nf.Error()).Error()
	case errors.As(err, &ae):
		return serverErr("AlreadyExists", "%s", ae.Error()).Error()
	case errors.As(err, &le):
		return "error: the manifests have errors, nothing was applied:\n" + le.Error()
	case errors.Is(err, context.Canceled):
		return ""
	}
	return "error: " + err.Error()
}

// printKubeError prints err as kubectl does and turns it into exit
// status 1.
func printKubeError(w io.Writer, err error) error {
	if err == nil {
		return nil
	}
	var ee ExitError
	if errors.As(err, &ee) {
		return err
	}
	if t := kubeErrorText(err); t != "" {
		fmt.Fprintln(w, t)
	}
	return ExitError{Code: 1}
}

// kubeRun wraps a kist kube command's RunE: errors come out as kubectl
// prints them, with exit status 1.
func kubeRun(fn func(cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		return printKubeError(cmd.ErrOrStderr(), fn(cmd, args))
	}
}

// kubeWrapTree makes every runnable command under c print its errors
// as kubectl does, and its flag errors too.
func kubeWrapTree(c *cobra.Command) {
	if c.RunE != nil {
		c.RunE = kubeRun(c.RunE)
	}
	c.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		fmt.Fprintf(cmd.ErrOrStderr(), "error: %v\nSee '%s --help' for usage.\n", err, cmd.CommandPath())
		return ExitError{Code: 1}
	})
	for _, sub := range c.Commands() {
		kubeWrapTree(sub)
	}
}

// storeFor opens the store kind's objects of namespace ns are in
// (Namespaces: the cluster's).
func storeFor(kind, ns string) (*cluster.Store, error) {
	if !kube.Namespaced(kind) {
		ns = ""
	}
	return cluster.Open(ns)
}

// namespaceExists says whether ns has a store already, without making
// one (cluster.Open creates the folder).
func namespaceExists(ns string) bool {
	if ns == cluster.DefaultNamespace {
		return true
	}
	if st, err := cluster.OpenExisting(ns); err == nil && st.Exists() {
		return true
	}
	if cs, err := cluster.OpenExisting(""); err == nil {
		if _, err := cs.Get("Namespace", ns); err == nil {
			return true
		}
	}
	return false
}

// listKind lists kind's objects in ns ("" and all: every namespace).
func listKind(kind, ns string, all bool) ([]*cluster.Object, error) {
	if kind == "Namespace" {
		return listNamespaces()
	}
	nss := []string{ns}
	if all {
		var err error
		if nss, err = cluster.Namespaces(); err != nil {
			return nil, err
		}
	}
	var out []*cluster.Object
	for _, n := range nss {
		st, err := cluster.OpenExisting(n)
		if err != nil {
			return nil, err
		}
		l, err := st.List(kind)
		if err != nil {
			return nil, err
		}
		out = append(out, l...)
	}
	return out, nil
}

// getObject reads one object of kind in ns.
func getObject(kind, ns, name string) (*cluster.Object, error) {
	if kind == "Namespace" {
		all, err := listNamespaces()
		if err != nil {
			return nil, err
		}
		for _, o := range all {
			if o.Name() == name {
				return o, nil
			}
		}
		return nil, &cluster.NotFoundError{Kind: kind, Name: name}
	}
	if !kube.Namespaced(kind) {
		ns = ""
	}
	st, err := cluster.OpenExisting(ns)
	if err != nil {
		return nil, err
	}
	return st.Get(kind, name)
}

// listNamespaces are the namespaces as objects: those with a Namespace
// object as stored, the others (default, and any that only has objects)
// made up, with their folder's age.
func listNamespaces() ([]*cluster.Object, error) {
	names, err := cluster.Namespaces()
	if err != nil {
		return nil, err
	}
	stored := map[string]*cluster.Object{}
	if cs, err := cluster.OpenExisting(""); err == nil {
		l, _ := cs.List("Namespace")
		for _, o := range l {
			stored[o.Name()] = o
		}
	}
	var out []*cluster.Object
	for _, n := range names {
		if o := stored[n]; o != nil {
			out = append(out, o)
			continue
		}
		o := &cluster.Object{Resource: &kube.Namespace{
			TypeMeta:   kube.TypeMeta{Kind: "Namespace", APIVersion: "v1"},
			ObjectMeta: kube.ObjectMeta{Name: n, Labels: map[string]string{"kubernetes.io/metadata.name": n}},
		}}
		dir := filepath.Join(dirs.Kube(), n)
		for _, p := range []string{filepath.Join(dir, ".lock"), dir} {
			if fi, err := os.Stat(p); err == nil {
				o.Meta.CreationTimestamp = cluster.Time{Time: fi.ModTime().UTC().Truncate(time.Second)}
				break
			}
		}
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out, nil
}

// kubeTarget is one kind and the names asked for of it (none: all).
type kubeTarget struct {
	kind  string
	names []string
}

// allKinds are what kubectl get all shows, in its order.
var allKinds = []string{"Pod", "Service", "Deployment", "ReplicaSet", "Job"}

// parseTargets reads kubectl's ways of naming objects: KIND [NAME...],
// KIND,KIND [NAME...], KIND/NAME... and all.
func parseTargets(args []string) ([]kubeTarget, error) {
	if len(args) == 0 {
		return nil, kubectlErr(`you must specify the type of resource. Use "kubectl api-resources" for a complete list of supported resources`)
	}
	if strings.Contains(args[0], "/") {
		var out []kubeTarget
		for _, a := range args {
			k, n, ok := strings.Cut(a, "/")
			if !ok || k == "" || n == "" {
				return nil, kubectlErr("there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'kubectl get resource/<resource_name>' instead of 'kubectl get resource resource/<resource_name>'")
			}
			kind, err := cluster.KindOf(k)
			if err != nil {
				return nil, kubectlErr("%v", err)
			}
			if len(out) > 0 && out[len(out)-1].kind == kind {
				out[len(out)-1].names = append(out[len(out)-1].names, n)
			} else {
				out = append(out, kubeTarget{kind: kind, names: []string{n}})
			}
		}
		return out, nil
	}
	var out []kubeTarget
	for _, k := range strings.Split(args[0], ",") {
		if k == "" {
			continue
		}
		if strings.EqualFold(k, "all") {
			for _, ak := range allKinds {
				out = append(out, kubeTarget{kind: ak})
			}
			continue
		}
		kind, err := cluster.KindOf(k)
		if err != nil {
			return nil, kubectlErr("%v", err)
		}
		out = append(out, kubeTarget{kind: kind})
	}
	for _, n := range args[1:] {
		if strings.Contains(n, "/") {
			return nil, kubectlErr("there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'kubectl get resource/<resource_name>' instead of 'kubectl get resource resource/<resource_name>'")
		}
	}
	if len(args) > 1 {
		if len(out) > 1 {
			return nil, kubectlErr("arguments in resource/name form must have a single resource and name")
		}
		out[0].names = args[1:]
	}
	return out, nil
}

// parseRef reads one object as kubectl's commands take it: KIND/NAME,
// or KIND NAME (the second argument consumed); def is the kind of a
// bare NAME ("" if a kind is needed).
func parseRef(args []string, def string) (kind, name string, rest []string, err error) {
	if len(args) == 0 {
		return "", "", nil, kubectlErr("a resource must be named (KIND/NAME or KIND NAME)")
	}
	if k, n, ok := strings.Cut(args[0], "/"); ok {
		kind, err = cluster.KindOf(k)
		if err != nil {
			return "", "", nil, kubectlErr("%v", err)
		}
		return kind, n, args[1:], nil
	}
	if def != "" {
		return def, args[0], args[1:], nil
	}
	if len(args) < 2 {
		return "", "", nil, kubectlErr("a resource must be named (KIND/NAME or KIND NAME)")
	}
	kind, err = cluster.KindOf(args[0])
	if err != nil {
		return "", "", nil, kubectlErr("%v", err)
	}
	return kind, args[1], args[2:], nil
}

// syncNamespaces has the controllers of nss act on what was stored.
func syncNamespaces(nss map[string]bool) error {
	var names []string
	for n := range nss {
		if n != "" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		if err := cluster.Sync(n); err != nil {
			return fmt.Errorf("the objects are stored, but namespace %s's controller does not run: %w", n, err)
		}
	}
	return nil
}

// podsOf are the pods obj runs (itself for a pod): a Deployment's
// through its ReplicaSets; a Service's, those it selects.
func podsOf(st *cluster.Store, obj *cluster.Object) ([]*cluster.Object, error) {
	if obj.Kind() == "Pod" {
		return []*cluster.Object{obj}, nil
	}
	pods, err := st.List("Pod")
	if err != nil {
		return nil, err
	}
	var owners []*cluster.Object
	var sel kube.Selector
	switch v := obj.Resource.(type) {
	case *kube.Deployment:
		rss, err := cluster.DeploymentReplicaSets(st, obj)
		if err != nil {
			return nil, err
		}
		owners = rss
	case *kube.ReplicaSet, *kube.Job:
		owners = []*cluster.Object{obj}
	case *kube.Service:
		if len(v.Spec.Selector) == 0 {
			return nil, nil
		}
		sel = kube.SelectorFromSet(v.Spec.Selector)
	default:
		return nil, kubectlErr("cannot find the pods of a %s", obj.Kind())
	}
	var out []*cluster.Object
	for _, p := range pods {
		if owners == nil {
			if sel.Matches(p.Labels()) {
				out = append(out, p)
			}
			continue
		}
		for _, o := range owners {
			if p.OwnedBy(o) {
				out = append(out, p)
				break
			}
		}
	}
	return out, nil
}

// pickPod is the pod of obj that kubectl logs, exec and port-forward
// use: a running one first, else the first. found says how many there
// were.
func pickPod(st *cluster.Store, obj *cluster.Object) (pod *cluster.Object, found int, err error) {
	pods, err := podsOf(st, obj)
	if err != nil {
		return nil, 0, err
	}
	var live []*cluster.Object
	for _, p := range pods {
		if !p.Terminating() {
			live = append(live, p)
		}
	}
	if len(live) == 0 {
		return nil, 0, kubectlErr("no pods of %s: kist kube get pods shows what runs", obj.Ref())
	}
	sort.SliceStable(live, func(i, j int) bool {
		return podRank(live[i]) < podRank(live[j])
	})
	return live[0], len(live), nil
}

func podRank(p *cluster.Object) int {
	switch {
	case cluster.PodReady(p):
		return 0
	case p.PodStatus() != nil && p.PodStatus().Phase == cluster.PodRunning:
		return 1
	}
	return 2
}

// resolvePod reads POD, pod/NAME, deploy/NAME, job/NAME, svc/NAME ...
// as kubectl logs and exec do, and says which pod it is (with tell, on
// stderr, as kubectl logs does when there are several).
func resolvePod(ctx context.Context, stderr io.Writer, ns, ref string, tell bool) (*cluster.Store, *cluster.Object, error) {
	st, err := cluster.Open(ns)
	if err != nil {
		return nil, nil, err
	}
	kind, name := "Pod", ref
	if k, n, ok := strings.Cut(ref, "/"); ok {
		if kind, err = cluster.KindOf(k); err != nil {
			return nil, nil, kubectlErr("%v", err)
		}
		name = n
	}
	obj, err := st.Get(kind, name)
	if err != nil {
		return nil, nil, err
	}
	if kind == "Pod" {
		return st, obj, nil
	}
	pod, n, err := pickPod(st, obj)
	if err != nil {
		return nil, nil, err
	}
	if n > 1 && tell {
		fmt.Fprintf(stderr, "Found %d pods, using pod/%s\n", n, pod.Name())
	}
	return st, pod, nil
}

// pickContainer is the container of pod that -c names, or by default the
// first (with kubectl's notice when there are several).
func pickContainer(stderr io.Writer, pod *cluster.Object, name string) (string, error) {
	p := pod.Resource.(*kube.Pod)
	var names []string
	for _, c := range p.Spec.Containers {
		names = append(names, c.Name)
	}
	if name != "" {
		for _, n := range names {
			if n == name {
				return n, nil
			}
		}
		for _, c := range p.Spec.InitContainers {
			if c.Name == name {
				return name, nil
			}
		}
		return "", kubectlErr("container %s is not valid for pod %s", name, pod.Name())
	}
	if len(names) == 0 {
		return "", kubectlErr("pod %s has no containers", pod.Name())
	}
	if d := p.Annotations["kubectl.kubernetes.io/default-container"]; d != "" {
		for _, n := range names {
			if n == d {
				return n, nil
			}
		}
	}
	if len(names) > 1 {
		fmt.Fprintf(stderr, "Defaulted container %q out of: %s\n", names[0], strings.Join(names, ", "))
	}
	return names[0], nil
}

// waitingReason is why container ctr of pod does not run yet, "" if it
// runs or ran.
func waitingReason(pod *cluster.Object, ctr string) string {
	s := pod.PodStatus()
	if s == nil {
		return "ContainerCreating"
	}
	for _, cs := range append(append([]cluster.ContainerStatus(nil), s.InitContainerStatuses...), s.ContainerStatuses...) {
		if cs.Name == ctr {
			if cs.State.Waiting != nil {
				return cs.State.Waiting.Reason
			}
			return ""
		}
	}
	return "ContainerCreating"
}

// hostName is the NODE kist's pods run on.
func hostName() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "kist"
	}
	return h
}

// objRef is one object by kind and name.
type objRef struct{ kind, name string }

// selectObjects is what targets name in ns: the names given, or, with
// -l SELECTOR or --all (and no names), the objects of each kind that
// match. kubectl's errors for a mix of both, or neither.
func selectObjects(targets []kubeTarget, ns, selector string, all bool) ([]objRef, error) {
	sel, err := kube.ParseSelector(selector)
	if err != nil {
		return nil, kubectlErr("%v", err)
	}
	var items []objRef
	for _, t := range targets {
		if len(t.names) > 0 {
			if all || selector != "" {
				return nil, kubectlErr("name cannot be provided when a selector or --all is specified")
			}
			for _, n := range t.names {
				items = append(items, objRef{t.kind, n})
			}
			continue
		}
		if !all && selector == "" {
			return nil, kubectlErr("resource(s) were provided, but no name was specified")
		}
		objs, err := listKind(t.kind, ns, false)
		if err != nil {
			return nil, err
		}
		for _, o := range objs {
			if sel.Matches(o.Labels()) {
				items = append(items, objRef{t.kind, o.Name()})
			}
		}
	}
	return items, nil
}
