package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"kist/compose"
	"kist/kube/generate"
)

func init() { register("kube", newKubeCmd) }

func newKubeCmd() *cobra.Command {
	g := &kubeGlobals{}
	cmd := &cobra.Command{
		Use:   "kube COMMAND",
		Short: "Run Kubernetes manifests (Pods, Deployments, Services) with kist",
		Long: `Run Kubernetes manifests on this machine with kubectl's commands: kist kube
apply -f stores the objects (Pods, Deployments, ReplicaSets, Jobs,
Services, ConfigMaps, Secrets, PersistentVolumeClaims, Namespaces) and a
controller per namespace runs their pods as kist pods; get, describe,
logs, exec, delete, scale, set image, rollout, create, run, expose,
port-forward, wait, label, annotate and config set-context work as
kubectl's do, with kubectl's output (-o jsonpath, go-template and
custom-columns too). There is no API server: the objects are files
(kist kube cluster-info says where).

kist started under the name kubectl is kist kube: a link named kubectl to
kist makes a course's kubectl commands work as written. kist kube
generate writes manifests for a real cluster from what kist runs.`,
		Example: "  kist kube apply -f web.yaml\n  kist kube get pods -o wide\n  kist kube rollout status deploy/web\n" +
			"  ln -s $(command -v kist) ~/bin/kubectl && kubectl get all\n  kist kube generate web > web.yaml",
	}
	cmd.PersistentFlags().StringVarP(&g.namespace, "namespace", "n", "", "the namespace (default: default)")
	cmd.AddCommand(
		newKubeApplyCmd(g), newKubeCreateCmd(g), newKubeGetCmd(g), newKubeDescribeCmd(g),
		newKubeDeleteCmd(g), newKubeLogsCmd(g), newKubeExecCmd(g), newKubeScaleCmd(g),
		newKubeSetCmd(g), newKubeRolloutCmd(g), newKubeRunCmd(g), newKubeExposeCmd(g),
		newKubePortForwardCmd(g), newKubeVersionCmd(), newKubeAPIResourcesCmd(),
		newKubeClusterInfoCmd(), newKubeConfigCmd(), newKubeWaitCmd(g), newKubeLabelCmd(g),
		newKubeAnnotateCmd(g),
	)
	for _, sub := range cmd.Commands() {
		kubeWrapTree(sub)
	}
	cmd.AddCommand(newKubeGenerateCmd())
	return cmd
}

func newKubeGenerateCmd() *cobra.Command {
	var o generate.Options
	var output string
	var withCompose bool
	cmd := &cobra.Command{
		Use:   "generate CONTAINER... | generate --compose [FILE]",
		Short: "Write Kubernetes manifests for containers or a compose project",
		Long: `Write Kubernetes manifests (YAML, "---" separated; -o json: a kind: List)
for a cluster, from what kist runs:

  - each container becomes a Deployment (1 replica, labels app: NAME) with
    its image, the command, environment and working directory given to
    kist run, its ports, and its volumes: a named volume becomes a
    PersistentVolumeClaim, a bind mount a hostPath (with a warning: a
    cluster's nodes will not have that directory); a container that
    publishes ports gets a Service of the same name;
  - with --compose, each service of the compose file (FILE, or the one
    kist compose would use) becomes a Deployment (deploy.replicas or
    scale), and a Service named as the service when it has ports or
    expose or others depend on it, so that service names still resolve.
    depends_on is dropped with a warning (readiness probes do that job);
    a service with build: but no image: is an error: push an image first.

The order is PersistentVolumeClaims, Deployments, Services. Warnings go
to stderr. Apply the result with kubectl apply -f FILE.`,
		Example: "  kist run -d --name web -p 8080:80 -e MODE=prod -v data:/data nginx\n" +
			"  kist kube generate web > web.yaml\n" +
			"  kist kube generate --compose > app.yaml\n" +
			"  kist kube generate --compose other.yaml --service-type NodePort",
		RunE: func(cmd *cobra.Command, args []string) error {
			if output != "yaml" && output != "json" {
				return fmt.Errorf("-o %q: want yaml or json", output)
			}
			if o.ServiceType != "ClusterIP" && o.ServiceType != "NodePort" {
				return fmt.Errorf("--service-type %q: want ClusterIP or NodePort", o.ServiceType)
			}
			var m *generate.Manifests
			var err error
			if withCompose {
				if len(args) > 1 {
					return fmt.Errorf("--compose takes one compose file at most")
				}
				co := compose.Options{Files: args}
				p, lerr := compose.Load(cmd.Context(), co)
				if lerr != nil {
					return lerr
				}
				m, err = generate.Project(cmd.Context(), p, o)
			} else {
				if len(args) == 0 {
					return fmt.Errorf("name the containers to generate manifests for (kist ps -a lists them), or use --compose")
				}
				m, err = generate.Containers(cmd.Context(), args, o)
			}
			if err != nil {
				return err
			}
			for _, w := range m.Warnings {
				fmt.Fprintln(cmd.ErrOrStderr(), "warning:", w)
			}
			var b []byte
			if output == "json" {
				b, err = m.JSON()
			} else {
				b, err = m.YAML()
			}
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(b)
			return err
		},
	}
	f := cmd.Flags()
	f.BoolVar(&withCompose, "compose", false, "generate from a compose file (the argument, or compose.yaml & co)")
	f.StringVarP(&output, "output", "o", "yaml", "yaml or json (a kind: List)")
	f.StringVar(&o.ServiceType, "service-type", "ClusterIP", "type of the generated Services: ClusterIP or NodePort")
	return cmd
}
