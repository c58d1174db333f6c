package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"kist/kube/cluster"
	"kist/kube/jsonpath"
	"kist/kube/printer"
)

// waitFor is kubectl wait's --for: create, delete, condition=NAME[=VALUE]
// or jsonpath=EXPR[=VALUE].
type waitFor struct {
	what      string // "create", "delete", "condition", "jsonpath"
	condition string
	status    string // the condition's wanted status (true by default)
	jp        *jsonpath.JSONPath
	value     string // jsonpath's wanted value; "" with !hasValue: that it exists
	hasValue  bool
}

func parseWaitFor(s string) (*waitFor, error) {
	switch l := strings.ToLower(s); {
	case l == "delete" || l == "create":
		return &waitFor{what: l}, nil
	case strings.HasPrefix(l, "condition="):
		name := s[len("condition="):]
		status := "true"
		if i := strings.Index(name, "="); i >= 0 {
			name, status = name[:i], name[i+1:]
		}
		if name == "" {
			return nil, kubectlErr("unrecognized condition: %q", s)
		}
		return &waitFor{what: "condition", condition: name, status: status}, nil
	case strings.HasPrefix(l, "jsonpath="):
		expr, value, hasValue := splitJSONPathFor(s[len("jsonpath="):])
		rel, err := jsonpath.RelaxedJSONPathExpression(expr)
		if err != nil {
			return nil, kubectlErr("%v", err)
		}
		if hasValue && value == "" {
			return nil, kubectlErr("jsonpath wait has to have a value after equal sign")
		}
		jp := jsonpath.New("wait").AllowMissingKeys(true)
		if err := jp.Parse(rel); err != nil {
			return nil, kubectlErr("error parsing jsonpath %s, %v", rel, err)
		}
		return &waitFor{what: "jsonpath", jp: jp, value: value, hasValue: hasValue}, nil
	}
	if s == "" {
		return nil, kubectlErr("--for is required: --for=condition=Ready, --for=delete, --for=create or --for=jsonpath='{.status.phase}'=Running")
	}
	return nil, kubectlErr("unrecognized condition: %q", s)
}

// splitJSONPathFor splits {EXPR}=VALUE after the expression's closing
// brace, so that a filter's == stays in it; EXPR=VALUE (no braces) at
// the first =.
func splitJSONPathFor(s string) (expr, value string, hasValue bool) {
	if strings.HasPrefix(s, "{") {
		if i := strings.LastIndex(s, "}"); i >= 0 {
			rest := s[i+1:]
			if v, ok := strings.CutPrefix(rest, "="); ok {
				return s[:i+1], v, true
			}
			return s, "", false
		}
	}
	expr, value, hasValue = strings.Cut(s, "=")
	return expr, value, hasValue
}

// met says whether obj (nil: it does not exist) is as wanted.
func (w *waitFor) met(obj *cluster.Object) (bool, error) {
	switch w.what {
	case "delete":
		return obj == nil, nil
	case "create":
		return obj != nil, nil
	}
	if obj == nil {
		return false, nil
	}
	data, err := printer.Generic([]*cluster.Object{obj}, false, true)
	if err != nil {
		return false, err
	}
	if w.what == "jsonpath" {
		groups, err := w.jp.FindResults(data)
		if err != nil {
			return false, err
		}
		var vals []any
		for _, g := range groups {
			vals = append(vals, g...)
		}
		if len(vals) == 0 {
			return false, nil
		}
		if !w.hasValue {
			return true, nil
		}
		if len(vals) > 1 {
			return false, kubectlErr("given jsonpath expression matches more than one value")
		}
		switch vals[0].(type) {
		case map[string]any, []any:
			return false, kubectlErr("jsonpath leads to a nested object or list which is not supported")
		}
		return jsonpath.Text(vals[0]) == w.value, nil
	}
	// a condition, as kubectl checks it: status.conditions[type=NAME],
	// the names and statuses compared case-insensitively, and not before
	// the controller has seen the object's latest generation
	m, _ := data.(map[string]any)
	status, _ := m["status"].(map[string]any)
	conds, _ := status["conditions"].([]any)
	for _, c := range conds {
		cm, _ := c.(map[string]any)
		typ, _ := cm["type"].(string)
		if !strings.EqualFold(typ, w.condition) {
			continue
		}
		st, ok := cm["status"].(string)
		if !ok {
			continue
		}
		if obj.Meta.Generation > 0 {
			og, found := cm["observedGeneration"]
			if !found {
				og, found = status["observedGeneration"]
			}
			if n, ok := og.(interface{ Int64() (int64, error) }); found && ok {
				if g, err := n.Int64(); err == nil && g < obj.Meta.Generation {
					return false, nil
				}
			}
		}
		return strings.EqualFold(st, w.status), nil
	}
	return false, nil
}

// waitItem is an object to wait for.
type waitItem = objRef

func newKubeWaitCmd(g *kubeGlobals) *cobra.Command {
	var forCond, selector string
	var all bool
	var timeout time.Duration
	var files []string
	cmd := &cobra.Command{
		Use:   "wait --for=CONDITION (KIND/NAME... | KIND NAME... | KIND -l SELECTOR | KIND --all)",
		Short: "Wait until objects have a condition, a field's value, or are gone",
		Long: `Wait, as kubectl wait does, until every object named has what --for asks:

  --for=condition=Ready          a condition of status.conditions is True
                                 (=false, =unknown: that status; names and
                                 statuses in any case: Ready, Available,
                                 Complete, Failed, Progressing, Initialized,
                                 ContainersReady, PodScheduled)
  --for=jsonpath='{.status.phase}'=Running
                                 a field has the value (without =VALUE:
                                 that the field is there)
  --for=delete                   the object is gone
  --for=create                   the object exists

Each object met prints KIND/NAME condition met; after --timeout (30s;
0: look once) it is an error.`,
		Example: "  kubectl wait --for=condition=Ready pod -l app=web\n  kubectl wait --for=condition=Available deploy/web --timeout=60s\n" +
			"  kubectl wait --for=jsonpath='{.status.phase}'=Running pod/web-7d4b9c8f6-x2x9z\n  kubectl wait --for=delete pod/web-7d4b9c8f6-x2x9z",
		RunE: func(cmd *cobra.Command, args []string) error {
			w, err := parseWaitFor(forCond)
			if err != nil {
				return err
			}
			ns := g.ns()
			var items []waitItem
			if len(files) > 0 {
				if len(args) > 0 {
					return kubectlErr("-f and resource arguments cannot be used together")
				}
				objs, err := loadManifests(cmd, files, false)
				if err != nil {
					return err
				}
				for _, o := range objs {
					items = append(items, waitItem{o.Kind(), o.Name()})
				}
			} else {
				targets, err := parseTargets(args)
				if err != nil {
					return err
				}
				if items, err = selectObjects(targets, ns, selector, all); err != nil {
					return err
				}
			}
			if len(items) == 0 {
				if w.what == "delete" {
					return nil
				}
				return kubectlErr("no matching resources found")
			}
			return runWait(cmd, ns, w, items, timeout)
		},
	}
	f := cmd.Flags()
	f.StringVar(&forCond, "for", "", "what to wait for: condition=NAME[=VALUE], jsonpath=EXPR[=VALUE], delete or create")
	f.DurationVar(&timeout, "timeout", 30*time.Second, "how long to wait (0: look once; negative: a week)")
	f.StringVarP(&selector, "selector", "l", "", "the objects with these labels (app=web)")
	f.BoolVar(&all, "all", false, "every object of the kind in the namespace")
	f.StringArrayVarP(&files, "filename", "f", nil, "the objects of these manifests")
	return cmd
}

func runWait(cmd *cobra.Command, ns string, w *waitFor, items []waitItem, timeout time.Duration) error {
	if timeout < 0 {
		timeout = 7 * 24 * time.Hour
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
	defer cancel()
	out := cmd.OutOrStdout()
	if w.what == "delete" {
		// kubectl skips what is not there to begin with
		var there []waitItem
		for _, it := range items {
			if _, err := getObject(it.kind, ns, it.name); !cluster.IsNotFound(err) {
				there = append(there, it)
			}
		}
		items = there
	}
	for _, it := range items {
		for {
			obj, err := getObject(it.kind, ns, it.name)
			if cluster.IsNotFound(err) {
				obj, err = nil, nil
				if w.what == "condition" || w.what == "jsonpath" {
					return notFound(it.kind, it.name)
				}
			}
			if err != nil {
				return err
			}
			ok, err := w.met(obj)
			if err != nil {
				return err
			}
			if ok {
				fmt.Fprintf(out, "%s condition met\n", cluster.RefName(it.kind, it.name))
				break
			}
			if err := sleepCtx(ctx, storePoll); err != nil {
				if errors.Is(err, context.DeadlineExceeded) {
					return kubectlErr("timed out waiting for the condition on %s/%s", cluster.Resource(it.kind), it.name)
				}
				return err
			}
		}
	}
	return nil
}
