package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"kist/kube"
	"kist/kube/cluster"
)

// loadManifests reads -f's files as kubectl does, printing the
// warnings; an error means nothing is to be stored.
func loadManifests(cmd *cobra.Command, files []string, recursive bool) ([]*kube.Object, error) {
	if len(files) == 0 {
		return nil, kubectlErr("must specify one of -f and -k")
	}
	objs, warnings, err := (&kube.Loader{Stdin: cmd.InOrStdin(), Recursive: recursive}).Load(files)
	for _, w := range warnings {
		fmt.Fprintf(cmd.ErrOrStderr(), "Warning: %s\n", w)
	}
	if err != nil {
		return nil, err
	}
	if len(objs) == 0 {
		return nil, kubectlErr("no objects passed to %s", cmd.Name())
	}
	return objs, nil
}

// objectNamespace is the namespace obj goes to: its own, else -n. With
// -n given and different, kubectl refuses.
func objectNamespace(cmd *cobra.Command, g *kubeGlobals, obj *kube.Object) (string, error) {
	if !kube.Namespaced(obj.Kind()) {
		return "", nil
	}
	ns := obj.Namespace()
	if ns == "" {
		return g.ns(), nil
	}
	if cmd.Flags().Changed("namespace") && g.namespace != ns {
		return "", kubectlErr("the namespace from the provided object %q does not match the namespace %q. You must pass '--namespace=%s' to perform this operation.", ns, g.namespace, ns)
	}
	return ns, nil
}

// storeObjects stores objs with st.Apply (create: Create), printing a
// line for each as kubectl does; it goes on after an error, as kubectl,
// and returns the first.
func storeObjects(cmd *cobra.Command, g *kubeGlobals, objs []*kube.Object, create bool) error {
	out := cmd.OutOrStdout()
	touched := map[string]bool{}
	made := map[string]bool{} // namespaces created by these objects
	var firstErr error
	fail := func(err error) {
		fmt.Fprintln(cmd.ErrOrStderr(), kubeErrorText(err))
		if firstErr == nil {
			firstErr = ExitError{Code: 1}
		}
	}
	verb := "applying"
	if create {
		verb = "creating"
	}
	for _, o := range objs {
		ns, err := objectNamespace(cmd, g, o)
		if err != nil {
			fail(err)
			continue
		}
		if ns != "" && !made[ns] && !namespaceExists(ns) {
			fail(serverErr("NotFound", "error when %s %q: namespaces %q not found (create it first: kubectl create namespace %s)", verb, o.Source.File, ns, ns))
			continue
		}
		st, err := cluster.Open(ns)
		if err != nil {
			fail(err)
			continue
		}
		var result string
		if create {
			err = st.Create(&cluster.Object{Resource: o.Resource})
			result = cluster.Created
			var ae *cluster.AlreadyExistsError
			if errors.As(err, &ae) {
				err = serverErr("AlreadyExists", "error when creating %q: %s %q already exists", o.Source.File, resourceName(ae.Kind), ae.Name)
			}
		} else {
			result, _, err = st.Apply(o.Resource)
		}
		if err != nil {
			fail(err)
			continue
		}
		if o.Kind() == "Namespace" {
			made[o.Name()] = true
		}
		touched[ns] = true
		fmt.Fprintf(out, "%s %s\n", cluster.RefName(o.Kind(), o.Name()), result)
	}
	if err := syncNamespaces(touched); err != nil {
		return err
	}
	return firstErr
}

func newKubeApplyCmd(g *kubeGlobals) *cobra.Command {
	var files []string
	var recursive bool
	cmd := &cobra.Command{
		Use:   "apply -f FILE|DIR|-",
		Short: "Create or update objects from manifests",
		Long: `Create or update the objects of Kubernetes manifests, as kubectl apply does:
every document of every file (-f DIR: its .yaml, .yml and .json files; -R:
its subdirectories too; -: standard input). The manifests are checked
first; if any has an error, nothing is stored. Fields kist does not apply
are warnings. An object goes to its own metadata.namespace, else to -n.
The namespace's controller then runs what changed.`,
		Example: "  kubectl apply -f deploy.yaml\n  kubectl apply -f k8s/ -R\n  cat pod.yaml | kubectl apply -f -",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			objs, err := loadManifests(cmd, files, recursive)
			if err != nil {
				return err
			}
			return storeObjects(cmd, g, objs, false)
		},
	}
	cmd.Flags().StringArrayVarP(&files, "filename", "f", nil, "a manifest file, a folder of them, or - for standard input")
	cmd.Flags().BoolVarP(&recursive, "recursive", "R", false, "read the subfolders of -f folders too")
	return cmd
}

// deleteOptions are kubectl delete's flags.
type deleteOptions struct {
	files     []string
	recursive bool
	selector  string
	all       bool
	wait      bool
	timeout   time.Duration
	force     bool
	grace     int
	now       bool
	ignoreNF  bool
}

func newKubeDeleteCmd(g *kubeGlobals) *cobra.Command {
	var o deleteOptions
	cmd := &cobra.Command{
		Use:   "delete (-f FILE | KIND NAME... | KIND/NAME... | KIND -l SELECTOR | KIND --all)",
		Short: "Delete objects",
		Long: `Delete objects, as kubectl delete does: a pod stops (Terminating) and then
is gone; a Deployment, ReplicaSet or Job takes its pods with it; a
Namespace everything in it. kubectl waits until the objects are gone
(--wait=false does not).`,
		Example: "  kubectl delete -f deploy.yaml\n  kubectl delete deployment web\n  kubectl delete pod -l app=web\n  kubectl delete namespace shop",
		RunE: func(cmd *cobra.Command, args []string) error {
			return kubeDelete(cmd, g, o, args)
		},
	}
	f := cmd.Flags()
	f.StringArrayVarP(&o.files, "filename", "f", nil, "delete the objects of these manifests")
	f.BoolVarP(&o.recursive, "recursive", "R", false, "read the subfolders of -f folders too")
	f.StringVarP(&o.selector, "selector", "l", "", "delete the objects with these labels (app=web,tier!=db)")
	f.BoolVar(&o.all, "all", false, "delete every object of the kind in the namespace")
	f.BoolVar(&o.wait, "wait", true, "wait until the objects are gone")
	f.DurationVar(&o.timeout, "timeout", 0, "how long to wait (0: as long as it takes)")
	f.BoolVar(&o.force, "force", false, "accepted for kubectl's sake: kist stops the containers at once anyway")
	f.IntVar(&o.grace, "grace-period", -1, "accepted for kubectl's sake")
	f.BoolVar(&o.now, "now", false, "accepted for kubectl's sake")
	f.BoolVar(&o.ignoreNF, "ignore-not-found", false, "no error for objects that do not exist")
	return cmd
}

type deleteItem struct {
	kind, ns, name, file string
}

func kubeDelete(cmd *cobra.Command, g *kubeGlobals, o deleteOptions, args []string) error {
	var items []deleteItem
	switch {
	case len(o.files) > 0:
		if len(args) > 0 {
			return kubectlErr("-f and resource arguments cannot be used together")
		}
		objs, err := loadManifests(cmd, o.files, o.recursive)
		if err != nil {
			return err
		}
		for _, obj := range objs {
			ns, err := objectNamespace(cmd, g, obj)
			if err != nil {
				return err
			}
			items = append(items, deleteItem{obj.Kind(), ns, obj.Name(), obj.Source.File})
		}
	default:
		targets, err := parseTargets(args)
		if err != nil {
			return err
		}
		for _, t := range targets {
			ns := g.ns()
			if !kube.Namespaced(t.kind) {
				ns = ""
			}
			if len(t.names) > 0 {
				if o.all || o.selector != "" {
					return kubectlErr("name cannot be provided when a selector or --all is specified")
				}
				for _, n := range t.names {
					items = append(items, deleteItem{kind: t.kind, ns: ns, name: n})
				}
				continue
			}
			if !o.all && o.selector == "" {
				return kubectlErr("resource(s) were provided, but no name was specified")
			}
			sel, err := kube.ParseSelector(o.selector)
			if err != nil {
				return kubectlErr("%v", err)
			}
			objs, err := listKind(t.kind, g.ns(), false)
			if err != nil {
				return err
			}
			for _, obj := range objs {
				if sel.Matches(obj.Labels()) && !(t.kind == "Namespace" && obj.Name() == cluster.DefaultNamespace) {
					items = append(items, deleteItem{kind: t.kind, ns: ns, name: obj.Name()})
				}
			}
		}
		if len(items) == 0 {
			fmt.Fprintf(cmd.ErrOrStderr(), "No resources found\n")
			return nil
		}
	}
	out := cmd.OutOrStdout()
	var firstErr error
	touched := map[string]bool{}
	var deleted []deleteItem
	for _, it := range items {
		err := markDeleted(it)
		if err != nil {
			if cluster.IsNotFound(err) && o.ignoreNF {
				continue
			}
			if cluster.IsNotFound(err) && it.file != "" {
				err = serverErr("NotFound", "error when deleting %q: %s %q not found", it.file, resourceName(it.kind), it.name)
			}
			fmt.Fprintln(cmd.ErrOrStderr(), kubeErrorText(err))
			firstErr = ExitError{Code: 1}
			continue
		}
		if it.kind == "Namespace" {
			touched[it.name] = true
		} else {
			touched[it.ns] = true
		}
		deleted = append(deleted, it)
		fmt.Fprintf(out, "%s %q deleted\n", strings.TrimSuffix(cluster.RefName(it.kind, ""), "/"), it.name)
	}
	if err := syncNamespaces(touched); err != nil {
		return err
	}
	if o.wait || hasNamespace(deleted) {
		ctx := cmd.Context()
		if o.timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, o.timeout)
			defer cancel()
		}
		for _, it := range deleted {
			if err := waitDeleted(ctx, it, o.wait); err != nil {
				if errors.Is(err, context.DeadlineExceeded) {
					return kubectlErr("timed out waiting for the condition on %s/%s", cluster.Resource(it.kind), it.name)
				}
				return err
			}
		}
	}
	return firstErr
}

func hasNamespace(items []deleteItem) bool {
	for _, it := range items {
		if it.kind == "Namespace" {
			return true
		}
	}
	return false
}

// markDeleted starts the deletion of one object; for a namespace, of
// everything in it.
func markDeleted(it deleteItem) error {
	if it.kind != "Namespace" {
		st, err := cluster.OpenExisting(it.ns)
		if err != nil {
			return err
		}
		if !st.Exists() {
			return &cluster.NotFoundError{Kind: it.kind, Name: it.name}
		}
		return st.MarkDeleted(it.kind, it.name)
	}
	if it.name == cluster.DefaultNamespace {
		return serverErr("Forbidden", "namespaces %q is forbidden: this namespace may not be deleted", it.name)
	}
	if _, err := getObject("Namespace", "", it.name); err != nil {
		return err
	}
	cs, err := cluster.Open("")
	if err != nil {
		return err
	}
	if _, err := cs.Update("Namespace", it.name, func(o *cluster.Object) error {
		if o.Meta.DeletionTimestamp == nil {
			o.Meta.DeletionTimestamp = cluster.TimePtr()
		}
		return nil
	}); err != nil && !cluster.IsNotFound(err) {
		return err
	}
	st, err := cluster.OpenExisting(it.name)
	if err != nil || !st.Exists() {
		return err
	}
	for _, k := range kube.Kinds() {
		if !kube.Namespaced(k) {
			continue
		}
		objs, _ := st.List(k)
		for _, o := range objs {
			if !o.Terminating() {
				if err := st.MarkDeleted(k, o.Name()); err != nil && !cluster.IsNotFound(err) {
					return err
				}
			}
		}
	}
	return nil
}

// waitDeleted waits until the object is gone from the store. A
// namespace is gone when everything in it is: then its controller is
// let go, and its folder and object removed (always, even with
// --wait=false: nothing else would).
func waitDeleted(ctx context.Context, it deleteItem, wait bool) error {
	if it.kind != "Namespace" {
		for {
			if _, err := getObject(it.kind, it.ns, it.name); cluster.IsNotFound(err) {
				return nil
			}
			if err := sleepCtx(ctx, storePoll); err != nil {
				return err
			}
		}
	}
	finish := func(ctx context.Context) error {
		st, err := cluster.OpenExisting(it.name)
		if err != nil {
			return err
		}
		for !st.Empty() || cluster.ControllerRunning(it.name) {
			if err := sleepCtx(ctx, storePoll); err != nil {
				return err
			}
		}
		for {
			err := cluster.RemoveNamespace(it.name)
			if err == nil || cluster.IsNotFound(err) {
				return nil
			}
			// an object or the controller came back (a pod's last
			// write): try again until the timeout
			if serr := sleepCtx(ctx, storePoll); serr != nil {
				return err
			}
		}
	}
	if !wait {
		// finish it in the background of this process? kubectl returns at
		// once; the namespace shows Terminating until a later delete or
		// get finds it empty.
		return nil
	}
	return finish(ctx)
}

// storePoll is how often wait, rollout status, delete and get -w look at
// the store: its files are small, and a student's command should answer
// within a moment of the change.
const storePoll = 50 * time.Millisecond

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
