package cli

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"kist/kube"
	"kist/kube/cluster"
	"kist/kube/printer"
)

// getOptions are kubectl get's flags.
type getOptions struct {
	output        string
	selector      string
	watch         bool
	watchOnly     bool
	showLabels    bool
	allNamespaces bool
	ignoreNF      bool
	sortBy        string
	tf            templateFlags
}

func newKubeGetCmd(g *kubeGlobals) *cobra.Command {
	var o getOptions
	cmd := &cobra.Command{
		Use:   "get KIND[,KIND...] [NAME...] | get KIND/NAME... | get all",
		Short: "List objects as kubectl get does",
		Long: `List objects in kubectl get's tables: pods, deployments, replicasets,
services, jobs, configmaps, secrets, persistentvolumeclaims, namespaces,
by any of kubectl's names for them (po, deploy, rs, svc, cm, pvc, ns),
or all (pods, services, deployments, replicasets, jobs).

-o wide adds columns, -o yaml and -o json write the objects as the API
server would (several: a kind: List), -o name writes KIND/NAME.
-o jsonpath=TEMPLATE, -o go-template=TEMPLATE (or --template) and
-o custom-columns=HEADER:PATH,... write what kubectl's do (with -file
forms that read the template from a file); --sort-by=PATH orders the
objects, --no-headers leaves out the header row. -w goes on printing a
row whenever an object changes, until Ctrl-C.`,
		Example: "  kubectl get pods\n  kubectl get deploy,svc -o wide\n  kubectl get pod web-7d4b9c8f6-x2x9z -o yaml\n" +
			"  kubectl get pods -l app=web -w\n  kubectl get all -A\n" +
			"  kubectl get pods -o jsonpath='{.items[*].metadata.name}'\n" +
			"  kubectl get pods -o go-template --template '{{range .items}}{{.metadata.name}}{{\"\\n\"}}{{end}}'\n" +
			"  kubectl get pods -o custom-columns=NAME:.metadata.name,IP:.status.podIP --sort-by=.metadata.creationTimestamp",
		RunE: func(cmd *cobra.Command, args []string) error {
			return kubeGet(cmd, g, o, args)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.output, "output", "o", "", "wide, yaml, json, name, jsonpath=T, go-template=T, custom-columns=SPEC (and jsonpath-file=F, go-template-file=F, custom-columns-file=F, jsonpath-as-json=T)")
	f.StringVar(&o.tf.template, "template", "", "the template of -o go-template or -o jsonpath (alone: go-template)")
	f.BoolVar(&o.tf.allowMissing, "allow-missing-template-keys", true, "a missing field prints nothing (jsonpath) or <no value> (go-template) instead of failing")
	f.BoolVar(&o.tf.noHeaders, "no-headers", false, "leave out the header row (tables and custom-columns)")
	f.StringVar(&o.sortBy, "sort-by", "", "order the objects by this field (a JSONPath: .metadata.name, {.metadata.creationTimestamp})")
	f.StringVarP(&o.selector, "selector", "l", "", "only objects with these labels (app=web,tier!=db,env in (a,b))")
	f.BoolVarP(&o.watch, "watch", "w", false, "after the list, print a row whenever an object changes")
	f.BoolVar(&o.watchOnly, "watch-only", false, "print only the changes, not the list first")
	f.BoolVar(&o.showLabels, "show-labels", false, "add a LABELS column")
	f.BoolVarP(&o.allNamespaces, "all-namespaces", "A", false, "objects of every namespace (a NAMESPACE column)")
	f.BoolVar(&o.ignoreNF, "ignore-not-found", false, "no error for names that do not exist")
	return cmd
}

// getResult is what kubectl get found for one target.
type getResult struct {
	kind string
	objs []*cluster.Object
}

func kubeGet(cmd *cobra.Command, g *kubeGlobals, o getOptions, args []string) error {
	tp, err := templatePrinter(o.output, o.tf)
	if err != nil {
		return err
	}
	targets, err := parseTargets(args)
	if err != nil {
		return err
	}
	sel, err := kube.ParseSelector(o.selector)
	if err != nil {
		return kubectlErr("%v", err)
	}
	if o.allNamespaces {
		for _, t := range targets {
			if len(t.names) > 0 {
				return kubectlErr("a resource cannot be retrieved by name across all namespaces")
			}
		}
	}
	ns := g.ns()
	results, notFound, err := collect(targets, ns, o.allNamespaces, sel)
	if err != nil {
		return err
	}
	if o.sortBy != "" {
		for _, r := range results {
			if err := printer.SortObjects(r.objs, o.sortBy); err != nil {
				return kubectlErr("%v", err)
			}
		}
	}
	out := cmd.OutOrStdout()
	single := len(targets) == 1 && len(targets[0].names) == 1
	withKind := len(targets) > 1
	popts := printer.Options{Wide: o.output == "wide", ShowLabels: o.showLabels, WithNamespace: o.allNamespaces, WithKind: withKind, Node: hostName(), NoHeaders: o.tf.noHeaders}
	var tables []*printer.TableWriter
	if !o.watchOnly {
		var all []*cluster.Object
		for _, r := range results {
			all = append(all, r.objs...)
		}
		if len(results) > 1 && o.sortBy != "" && tp != nil {
			if err := printer.SortObjects(all, o.sortBy); err != nil {
				return kubectlErr("%v", err)
			}
		}
		switch {
		case tp != nil:
			if len(all) > 0 || !single {
				err = tp.Print(out, all, !single)
			}
		case o.output == "yaml":
			if len(all) > 0 || !single {
				err = printer.YAML(out, all, !single)
			}
		case o.output == "json":
			if len(all) > 0 || !single {
				err = printer.JSON(out, all, !single)
			}
		case o.output == "name":
			err = printer.Names(out, all)
		default:
			tables, err = printTables(out, results, popts)
		}
		if err != nil {
			return err
		}
		if len(all) == 0 && len(notFound) == 0 && o.output != "yaml" && o.output != "json" && tp == nil {
			if o.allNamespaces {
				fmt.Fprintln(cmd.ErrOrStderr(), "No resources found")
			} else if len(targets) == 1 && targets[0].kind == "Namespace" {
				fmt.Fprintln(cmd.ErrOrStderr(), "No resources found")
			} else {
				fmt.Fprintf(cmd.ErrOrStderr(), "No resources found in %s namespace.\n", ns)
			}
		}
	}
	var failed error
	for _, nf := range notFound {
		if o.ignoreNF {
			continue
		}
		fmt.Fprintln(cmd.ErrOrStderr(), kubeErrorText(nf))
		failed = ExitError{Code: 1}
	}
	if !o.watch && !o.watchOnly {
		return failed
	}
	return watchObjects(cmd, targets, ns, o, sel, results, tables, popts, tp)
}

// collect reads the objects of targets.
func collect(targets []kubeTarget, ns string, all bool, sel kube.Selector) ([]getResult, []error, error) {
	var results []getResult
	var notFound []error
	for _, t := range targets {
		r := getResult{kind: t.kind}
		if len(t.names) > 0 {
			for _, n := range t.names {
				obj, err := getObject(t.kind, ns, n)
				if cluster.IsNotFound(err) {
					notFound = append(notFound, notFoundErr(t.kind, n))
					continue
				}
				if err != nil {
					return nil, nil, err
				}
				if sel.Matches(obj.Labels()) {
					r.objs = append(r.objs, obj)
				}
			}
		} else {
			objs, err := listKind(t.kind, ns, all)
			if err != nil {
				return nil, nil, err
			}
			for _, obj := range objs {
				if sel.Matches(obj.Labels()) {
					r.objs = append(r.objs, obj)
				}
			}
		}
		results = append(results, r)
	}
	return results, notFound, nil
}

func notFoundErr(kind, name string) error { return notFound(kind, name) }

// printTables prints a table per kind that has objects, a blank line
// between them, as kubectl does; it returns the table writers, which
// remember their widths for -w.
func printTables(out io.Writer, results []getResult, popts printer.Options) ([]*printer.TableWriter, error) {
	tables := make([]*printer.TableWriter, len(results))
	first := true
	for i, r := range results {
		tables[i] = &printer.TableWriter{W: out}
		if len(r.objs) == 0 {
			continue
		}
		if !first {
			fmt.Fprintln(out)
		}
		first = false
		var rows [][]string
		if !popts.NoHeaders {
			rows = append(rows, printer.Headers(r.kind, popts))
		}
		for _, obj := range r.objs {
			rows = append(rows, printer.Row(obj, popts))
		}
		if err := tables[i].Write(rows...); err != nil {
			return nil, err
		}
	}
	return tables, nil
}

// watchObjects is kubectl get -w: every 250 ms it reads the objects
// again and prints those whose resourceVersion changed (a deleted one
// once more, as it was last seen).
func watchObjects(cmd *cobra.Command, targets []kubeTarget, ns string, o getOptions, sel kube.Selector, results []getResult, tables []*printer.TableWriter, popts printer.Options, tp printer.ObjectPrinter) error {
	out := cmd.OutOrStdout()
	type seen struct {
		rv  string
		obj *cluster.Object
	}
	last := make([]map[string]seen, len(targets))
	key := func(obj *cluster.Object) string { return obj.Namespace() + "/" + obj.Name() }
	for i := range targets {
		last[i] = map[string]seen{}
		if i < len(results) {
			for _, obj := range results[i].objs {
				last[i][key(obj)] = seen{obj.Meta.ResourceVersion, obj}
			}
		}
	}
	if tables == nil {
		tables = make([]*printer.TableWriter, len(targets))
		for i := range tables {
			tables[i] = &printer.TableWriter{W: out}
		}
	}
	headerDone := make([]bool, len(targets))
	for i := range targets {
		headerDone[i] = (i < len(results) && len(results[i].objs) > 0 && !o.watchOnly) || o.tf.noHeaders
	}
	print := func(i int, obj *cluster.Object) error {
		if tp != nil {
			return tp.Print(out, []*cluster.Object{obj}, false)
		}
		switch o.output {
		case "yaml":
			fmt.Fprintln(out, "---")
			return printer.YAML(out, []*cluster.Object{obj}, false)
		case "json":
			return printer.JSON(out, []*cluster.Object{obj}, false)
		case "name":
			return printer.Names(out, []*cluster.Object{obj})
		}
		rows := [][]string{}
		if !headerDone[i] {
			rows = append(rows, printer.Headers(targets[i].kind, popts))
			headerDone[i] = true
		}
		popts.Now = time.Now()
		rows = append(rows, printer.Row(obj, popts))
		return tables[i].Write(rows...)
	}
	for {
		if err := sleepCtx(cmd.Context(), storePoll); err != nil {
			return nil // Ctrl-C ends a watch, as kubectl's
		}
		now, _, err := collect(targets, ns, o.allNamespaces, sel)
		if err != nil {
			return err
		}
		for i, r := range now {
			cur := map[string]bool{}
			for _, obj := range r.objs {
				k := key(obj)
				cur[k] = true
				if s, ok := last[i][k]; ok && s.rv == obj.Meta.ResourceVersion {
					continue
				}
				last[i][k] = seen{obj.Meta.ResourceVersion, obj}
				if err := print(i, obj); err != nil {
					return err
				}
			}
			for k, s := range last[i] {
				if !cur[k] {
					delete(last[i], k)
					if err := print(i, s.obj); err != nil {
						return err
					}
				}
			}
		}
	}
}

// apiResources are kubectl api-resources' rows for kist's kinds.
// (kubectl's order: the core group's, then by group).
var apiResources = sync.OnceValue(func() [][]string {
	var rows [][]string
	for _, k := range []string{"ConfigMap", "Namespace", "PersistentVolumeClaim", "Pod", "Secret", "Service", "Deployment", "ReplicaSet", "Job"} {
		rows = append(rows, []string{cluster.Resource(k), strings.Join(cluster.ShortNames(k), ","), kube.APIVersion(k), fmt.Sprint(kube.Namespaced(k)), k})
	}
	return rows
})

func newKubeAPIResourcesCmd() *cobra.Command {
	var output string
	var namespaced bool
	cmd := &cobra.Command{
		Use:   "api-resources",
		Short: "List the kinds kist kube runs",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			rows := [][]string{}
			for _, r := range apiResources() {
				if cmd.Flags().Changed("namespaced") && r[3] != fmt.Sprint(namespaced) {
					continue
				}
				if output == "name" {
					name := r[0]
					if g, _, ok := strings.Cut(r[2], "/"); ok {
						name += "." + g
					}
					fmt.Fprintln(cmd.OutOrStdout(), name)
					continue
				}
				rows = append(rows, r)
			}
			if output == "name" {
				return nil
			}
			return printer.Table(cmd.OutOrStdout(), []string{"NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"}, rows)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "name: only the names")
	cmd.Flags().BoolVar(&namespaced, "namespaced", true, "with =false: only the kinds that are not namespaced")
	return cmd
}
