package cli

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"kist/kube"
	"kist/kube/cluster"
)

// metaEdit is what kubectl label and annotate do: which map, the verbs
// of their messages.
type metaEdit struct {
	what     string // "label", "annotation"
	verb     string // "labeled", "annotated"
	unverb   string // "unlabeled" ("" : verb)
	notVerb  string // "not labeled" ("" : verb)
	validate func(k, v string) error
}

func newKubeLabelCmd(g *kubeGlobals) *cobra.Command {
	e := metaEdit{what: "label", verb: "labeled", unverb: "unlabeled", notVerb: "not labeled", validate: validateLabel}
	return newMetaEditCmd(g, e, cobra.Command{
		Use:   "label (KIND NAME... | KIND/NAME... | KIND -l SELECTOR | KIND --all) KEY=VALUE... [KEY-...] [--overwrite]",
		Short: "Add, change or remove objects' labels",
		Long: `Set labels (KEY=VALUE) and remove them (KEY-) on objects, as kubectl label
does. A label that has a value is changed only with --overwrite. On a
Deployment, only its own labels change (metadata.labels), not its pod
template's: its pods keep theirs.`,
		Example: "  kubectl label pod web-7d4b9c8f6-x2x9z tier=frontend\n  kubectl label deploy web env=prod --overwrite\n  kubectl label pods -l app=web tier-",
	})
}

func newKubeAnnotateCmd(g *kubeGlobals) *cobra.Command {
	e := metaEdit{what: "annotation", verb: "annotated", validate: validateAnnotationKey}
	return newMetaEditCmd(g, e, cobra.Command{
		Use:   "annotate (KIND NAME... | KIND/NAME... | KIND -l SELECTOR | KIND --all) KEY=VALUE... [KEY-...] [--overwrite]",
		Short: "Add, change or remove objects' annotations",
		Long: `Set annotations (KEY=VALUE) and remove them (KEY-) on objects, as kubectl
annotate does. An annotation that has a value is changed only with
--overwrite.`,
		Example: "  kubectl annotate deploy web kubernetes.io/change-cause='image 1.1'\n  kubectl annotate pod web-7d4b9c8f6-x2x9z note-",
	})
}

func validateLabel(k, v string) error {
	if _, err := kube.NewRequirement(k, kube.OpEquals, []string{v}); err != nil {
		return kubectlErr("invalid label value: %q: %v", k+"="+v, err)
	}
	return nil
}

func validateAnnotationKey(k, v string) error {
	if _, err := kube.NewRequirement(strings.ToLower(k), kube.OpExists, nil); err != nil {
		return kubectlErr("invalid annotation key %q: %v", k, err)
	}
	return nil
}

func newMetaEditCmd(g *kubeGlobals, e metaEdit, c cobra.Command) *cobra.Command {
	var overwrite, all bool
	var selector string
	cmd := &c
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		var objArgs []string
		set := map[string]string{}
		var remove []string
		for _, a := range args {
			switch {
			case strings.Contains(a, "="):
				k, v, _ := strings.Cut(a, "=")
				if err := e.validate(k, v); err != nil {
					return err
				}
				set[k] = v
			case strings.HasSuffix(a, "-") && len(objArgs) > 0:
				remove = append(remove, strings.TrimSuffix(a, "-"))
			default:
				if len(set) > 0 || len(remove) > 0 {
					return kubectlErr("all resources must be specified before %s changes: %s", e.what, a)
				}
				objArgs = append(objArgs, a)
			}
		}
		if len(set) == 0 && len(remove) == 0 {
			return kubectlErr("at least one %s update is required", e.what)
		}
		for _, k := range remove {
			if _, ok := set[k]; ok {
				return kubectlErr("can not both modify and remove the following %s(s) in the same command: %s", e.what, k)
			}
		}
		targets, err := parseTargets(objArgs)
		if err != nil {
			return err
		}
		ns := g.ns()
		items, err := selectObjects(targets, ns, selector, all)
		if err != nil {
			return err
		}
		if len(items) == 0 {
			fmt.Fprintln(cmd.ErrOrStderr(), "No resources found")
			return nil
		}
		out := cmd.OutOrStdout()
		touched := map[string]bool{}
		for _, it := range items {
			if _, err := getObject(it.kind, ns, it.name); err != nil {
				return err
			}
			st, err := storeFor(it.kind, ns)
			if err != nil {
				return err
			}
			msg := e.verb
			_, err = st.Update(it.kind, it.name, func(o *cluster.Object) error {
				m := o.GetObjectMeta()
				cur := m.Labels
				if e.what == "annotation" {
					cur = m.Annotations
				}
				if !overwrite {
					var clash []string
					for _, k := range sortedSetKeys(set) {
						if old, ok := cur[k]; ok && old != set[k] {
							clash = append(clash, fmt.Sprintf("'%s' already has a value (%s)", k, old))
						}
					}
					if len(clash) > 0 {
						if e.what == "label" {
							return kubectlErr("%s, and --overwrite is false", clash[0])
						}
						return kubectlErr("--overwrite is false but found the following declared annotation(s): %s", strings.Join(clash, "; "))
					}
				}
				next := map[string]string{}
				for k, v := range cur {
					next[k] = v
				}
				for _, k := range remove {
					if _, ok := next[k]; !ok {
						fmt.Fprintf(cmd.ErrOrStderr(), "%s %q not found.\n", e.what, k)
					}
					delete(next, k)
				}
				for k, v := range set {
					next[k] = v
				}
				switch {
				case mapsEqual(cur, next):
					if e.notVerb != "" {
						msg = e.notVerb
					}
				case len(next) < len(cur) && !overwrite && e.unverb != "":
					msg = e.unverb
				}
				if len(next) == 0 {
					next = nil
				}
				if e.what == "label" {
					m.Labels = next
				} else {
					m.Annotations = next
				}
				return nil
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "%s %s\n", cluster.RefName(it.kind, it.name), msg)
			if kube.Namespaced(it.kind) {
				touched[ns] = true
			}
		}
		return syncNamespaces(touched)
	}
	f := cmd.Flags()
	f.BoolVar(&overwrite, "overwrite", false, "change values that are already set")
	f.BoolVar(&all, "all", false, "every object of the kind in the namespace")
	f.StringVarP(&selector, "selector", "l", "", "the objects with these labels (app=web)")
	return cmd
}

func sortedSetKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
