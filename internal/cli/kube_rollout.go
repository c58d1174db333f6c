package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"kist/kube"
	"kist/kube/cluster"
	"kist/kube/printer"
)

func newKubeScaleCmd(g *kubeGlobals) *cobra.Command {
	var replicas int
	cmd := &cobra.Command{
		Use:     "scale deploy/NAME --replicas N | scale deployment NAME --replicas N",
		Short:   "Change the number of a Deployment's or ReplicaSet's pods",
		Example: "  kubectl scale deploy/web --replicas 3\n  kubectl scale rs web-7d4b9c8f6 --replicas=0",
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("replicas") || replicas < 0 {
				return kubectlErr("The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0")
			}
			kind, name, rest, err := parseRef(args, "")
			if err != nil {
				return err
			}
			if len(rest) > 0 {
				return kubectlErr("scale takes one object: %s", strings.Join(rest, " "))
			}
			if kind != "Deployment" && kind != "ReplicaSet" {
				return kubectlErr("cannot scale a %s: kubectl scales deployments and replicasets", kind)
			}
			st, err := cluster.Open(g.ns())
			if err != nil {
				return err
			}
			n := int32(replicas)
			if _, err := st.Update(kind, name, func(o *cluster.Object) error {
				switch v := o.Resource.(type) {
				case *kube.Deployment:
					v.Spec.Replicas = &n
				case *kube.ReplicaSet:
					v.Spec.Replicas = &n
				}
				return nil
			}); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s scaled\n", cluster.RefName(kind, name))
			return cluster.Sync(g.ns())
		},
	}
	cmd.Flags().IntVar(&replicas, "replicas", 0, "the number of pods wanted")
	return cmd
}

// templateOf is the pod template of a Deployment, ReplicaSet or Job.
func templateOf(o *cluster.Object) *kube.PodTemplateSpec {
	switch v := o.Resource.(type) {
	case *kube.Deployment:
		return &v.Spec.Template
	case *kube.ReplicaSet:
		return &v.Spec.Template
	case *kube.Job:
		return &v.Spec.Template
	}
	return nil
}

func newKubeSetCmd(g *kubeGlobals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "set image",
		Short: "Change an object's pod template (set image)",
	}
	image := &cobra.Command{
		Use:   "image TYPE/NAME CONTAINER=IMAGE...",
		Short: "Change the images of a Deployment's containers (a rolling update)",
		Long: `Change the image of containers of a Deployment's (or ReplicaSet's, Pod's)
pod template; a Deployment then replaces its pods by its strategy (kubectl
rollout status follows it). *=IMAGE changes every container.`,
		Example: "  kubectl set image deploy/web web=nginx:1.25\n  kubectl set image deployment web '*=toolbox'",
		RunE: func(cmd *cobra.Command, args []string) error {
			kind, name, rest, err := parseRef(args, "")
			if err != nil {
				return err
			}
			if len(rest) == 0 {
				return kubectlErr("at least one image update is required")
			}
			images := map[string]string{}
			var order []string
			for _, a := range rest {
				c, img, ok := strings.Cut(a, "=")
				if !ok || c == "" || img == "" {
					return kubectlErr("%q is not CONTAINER=IMAGE", a)
				}
				images[c] = img
				order = append(order, c)
			}
			st, err := cluster.Open(g.ns())
			if err != nil {
				return err
			}
			if _, err := st.Update(kind, name, func(o *cluster.Object) error {
				var cs []kube.Container
				var set func(i int, img string)
				if p, ok := o.Resource.(*kube.Pod); ok {
					cs = p.Spec.Containers
					set = func(i int, img string) { p.Spec.Containers[i].Image = img }
				} else if t := templateOf(o); t != nil {
					cs = t.Spec.Containers
					set = func(i int, img string) { t.Spec.Containers[i].Image = img }
				} else {
					return kubectlErr("a %s has no containers", kind)
				}
				for _, c := range order {
					found := false
					for i := range cs {
						if c == "*" || cs[i].Name == c {
							set(i, images[c])
							found = true
						}
					}
					if !found {
						return kubectlErr("unable to find container named %q", c)
					}
				}
				return nil
			}); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s image updated\n", cluster.RefName(kind, name))
			return cluster.Sync(g.ns())
		},
	}
	cmd.AddCommand(image)
	return cmd
}

func newKubeRolloutCmd(g *kubeGlobals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rollout (status|history|undo|restart) deploy/NAME",
		Short: "Follow, list, undo or restart a Deployment's rollouts",
	}
	cmd.AddCommand(newRolloutStatusCmd(g), newRolloutHistoryCmd(g), newRolloutUndoCmd(g), newRolloutRestartCmd(g))
	return cmd
}

// deploymentRef reads deploy/NAME or deployment NAME.
func deploymentRef(args []string) (string, error) {
	kind, name, rest, err := parseRef(args, "")
	if err != nil {
		return "", err
	}
	if len(rest) > 0 {
		return "", kubectlErr("one deployment at a time: %s", strings.Join(rest, " "))
	}
	if kind != "Deployment" {
		return "", kubectlErr("no rollouts for a %s: kist kube rolls out deployments", kind)
	}
	return name, nil
}

// rolloutMessage is kubectl rollout status's line for d, and whether the
// rollout is done.
func rolloutMessage(d *cluster.Object) (string, bool) {
	spec := d.Resource.(*kube.Deployment).Spec
	s := d.DeploymentStatus()
	if s == nil {
		s = &cluster.DeploymentStatus{}
	}
	if d.Meta.Generation > s.ObservedGeneration {
		return "Waiting for deployment spec update to be observed...", false
	}
	want := int32(1)
	if spec.Replicas != nil {
		want = *spec.Replicas
	}
	name := d.Name()
	switch {
	case s.UpdatedReplicas < want:
		return fmt.Sprintf("Waiting for deployment %q rollout to finish: %d out of %d new replicas have been updated...", name, s.UpdatedReplicas, want), false
	case s.Replicas > s.UpdatedReplicas:
		return fmt.Sprintf("Waiting for deployment %q rollout to finish: %d old replicas are pending termination...", name, s.Replicas-s.UpdatedReplicas), false
	case s.AvailableReplicas < s.UpdatedReplicas:
		return fmt.Sprintf("Waiting for deployment %q rollout to finish: %d of %d updated replicas are available...", name, s.AvailableReplicas, s.UpdatedReplicas), false
	}
	return fmt.Sprintf("deployment %q successfully rolled out", name), true
}

func newRolloutStatusCmd(g *kubeGlobals) *cobra.Command {
	var timeout time.Duration
	var watch bool
	cmd := &cobra.Command{
		Use:     "status deploy/NAME",
		Short:   "Wait until a Deployment's pods are all updated and available",
		Example: "  kubectl rollout status deploy/web\n  kubectl rollout status deployment web --timeout 60s",
		RunE: func(cmd *cobra.Command, args []string) error {
			st, name, err := deploymentStore(g, args)
			if err != nil {
				return err
			}
			if _, err := st.Get("Deployment", name); err != nil {
				return err
			}
			if err := cluster.Sync(g.ns()); err != nil {
				return err
			}
			ctx := cmd.Context()
			if timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, timeout)
				defer cancel()
			}
			last := ""
			for {
				d, err := st.Get("Deployment", name)
				if err != nil {
					return err
				}
				msg, done := rolloutMessage(d)
				if msg != last {
					fmt.Fprintln(cmd.OutOrStdout(), msg)
					last = msg
				}
				if done || !watch {
					return nil
				}
				if err := sleepCtx(ctx, storePoll); err != nil {
					if errors.Is(err, context.DeadlineExceeded) {
						return kubectlErr("timed out waiting for the condition")
					}
					return err
				}
			}
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", 0, "give up after this long (0: wait as long as it takes)")
	cmd.Flags().BoolVarP(&watch, "watch", "w", true, "wait until the rollout is done (=false: say where it is)")
	return cmd
}

// revisions are a Deployment's ReplicaSets by revision.
// deploymentStore is the name of the Deployment args name and the
// store of the namespace it is in.
func deploymentStore(g *kubeGlobals, args []string) (*cluster.Store, string, error) {
	name, err := deploymentRef(args)
	if err != nil {
		return nil, "", err
	}
	st, err := cluster.Open(g.ns())
	return st, name, err
}

// deploymentRevisions finds the Deployment args name and its
// ReplicaSets, oldest revision first (rollout history and undo).
func deploymentRevisions(g *kubeGlobals, args []string) (*cluster.Store, *cluster.Object, []*cluster.Object, error) {
	st, name, err := deploymentStore(g, args)
	if err != nil {
		return nil, nil, nil, err
	}
	d, err := st.Get("Deployment", name)
	if err != nil {
		return nil, nil, nil, err
	}
	rss, err := revisions(st, d)
	return st, d, rss, err
}

func revisions(st *cluster.Store, d *cluster.Object) ([]*cluster.Object, error) {
	rss, err := cluster.DeploymentReplicaSets(st, d)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(rss, func(i, j int) bool { return cluster.Revision(rss[i]) < cluster.Revision(rss[j]) })
	return rss, nil
}

func newRolloutHistoryCmd(g *kubeGlobals) *cobra.Command {
	var revision int
	cmd := &cobra.Command{
		Use:     "history deploy/NAME",
		Short:   "List a Deployment's revisions",
		Example: "  kubectl rollout history deploy/web\n  kubectl rollout history deploy/web --revision 2",
		RunE: func(cmd *cobra.Command, args []string) error {
			_, d, rss, err := deploymentRevisions(g, args)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if revision > 0 {
				for _, rs := range rss {
					if cluster.Revision(rs) == revision {
						fmt.Fprintf(out, "%s with revision #%d\n", d.Ref(), revision)
						tpl := rs.Resource.(*kube.ReplicaSet).Spec.Template
						return printer.DescribePodTemplate(out, tpl)
					}
				}
				return kubectlErr("unable to find the specified revision")
			}
			fmt.Fprintf(out, "%s \n", d.Ref())
			if len(rss) == 0 {
				fmt.Fprintln(out, "No rollout history found.")
				return nil
			}
			tw := tabwriter.NewWriter(out, 0, 8, 2, ' ', 0)
			fmt.Fprintf(tw, "REVISION\tCHANGE-CAUSE\n")
			for _, rs := range rss {
				cause := rs.GetObjectMeta().Annotations[cluster.AnnotationChangeCause]
				if cause == "" {
					cause = "<none>"
				}
				fmt.Fprintf(tw, "%d\t%s\n", cluster.Revision(rs), cause)
			}
			tw.Flush()
			fmt.Fprintln(out)
			return nil
		},
	}
	cmd.Flags().IntVar(&revision, "revision", 0, "show this revision's pod template")
	return cmd
}

func newRolloutUndoCmd(g *kubeGlobals) *cobra.Command {
	var to int
	cmd := &cobra.Command{
		Use:     "undo deploy/NAME [--to-revision N]",
		Short:   "Go back to a Deployment's previous revision (or revision N)",
		Example: "  kubectl rollout undo deploy/web\n  kubectl rollout undo deploy/web --to-revision 1",
		RunE: func(cmd *cobra.Command, args []string) error {
			st, d, rss, err := deploymentRevisions(g, args)
			if err != nil {
				return err
			}
			var target *cluster.Object
			if to > 0 {
				for _, rs := range rss {
					if cluster.Revision(rs) == to {
						target = rs
					}
				}
				if target == nil {
					return kubectlErr("unable to find specified revision %d in history", to)
				}
			} else {
				if len(rss) < 2 {
					return kubectlErr("no rollout history found for deployment %q", d.Name())
				}
				target = rss[len(rss)-2]
			}
			tpl := rs2template(target)
			cur := d.Resource.(*kube.Deployment).Spec.Template
			if templatesEqual(tpl, cur) {
				fmt.Fprintf(cmd.OutOrStdout(), "%s skipped rollback (current template already matches revision %d)\n", d.Ref(), cluster.Revision(target))
				return nil
			}
			if _, err := st.Update("Deployment", d.Name(), func(o *cluster.Object) error {
				o.Resource.(*kube.Deployment).Spec.Template = tpl
				return nil
			}); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s rolled back\n", d.Ref())
			return cluster.Sync(g.ns())
		},
	}
	cmd.Flags().IntVar(&to, "to-revision", 0, "the revision to go back to (0: the previous one)")
	return cmd
}

// rs2template is a ReplicaSet's template as its Deployment had it:
// without the pod-template-hash label.
func rs2template(rs *cluster.Object) kube.PodTemplateSpec {
	c := rs.DeepCopy()
	tpl := c.Resource.(*kube.ReplicaSet).Spec.Template
	delete(tpl.Labels, cluster.LabelTemplateHash)
	return tpl
}

func templatesEqual(a, b kube.PodTemplateSpec) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func newRolloutRestartCmd(g *kubeGlobals) *cobra.Command {
	return &cobra.Command{
		Use:     "restart deploy/NAME",
		Short:   "Replace a Deployment's pods with new ones (a rollout of the same template)",
		Example: "  kubectl rollout restart deploy/web",
		RunE: func(cmd *cobra.Command, args []string) error {
			st, name, err := deploymentStore(g, args)
			if err != nil {
				return err
			}
			d, err := st.Update("Deployment", name, func(o *cluster.Object) error {
				t := &o.Resource.(*kube.Deployment).Spec.Template
				if t.Annotations == nil {
					t.Annotations = map[string]string{}
				}
				t.Annotations["kubectl.kubernetes.io/restartedAt"] = time.Now().Format(time.RFC3339)
				return nil
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s restarted\n", d.Ref())
			return cluster.Sync(g.ns())
		},
	}
}
