package cli

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"kist/kube"
	"kist/kube/cluster"
	"kist/kube/printer"
)

// genOptions are the flags of the commands that make an object
// (kubectl create deployment, run, expose): --dry-run and -o.
type genOptions struct {
	dryRun string
	output string
}

func (o *genOptions) flags(f *pflag.FlagSet) {
	f.StringVar(&o.dryRun, "dry-run", "none", `"client": print the object instead of storing it (with -o yaml: a manifest to edit)`)
	f.Lookup("dry-run").NoOptDefVal = "client"
	f.StringVarP(&o.output, "output", "o", "", "yaml, json or name: print the object so")
}

// newObject makes r as the API server would take it (checked, defaults
// set), then stores it, or with --dry-run prints it.
func newObject(cmd *cobra.Command, g *kubeGlobals, r kube.Resource, o genOptions, verb string) error {
	tm := r.GetTypeMeta()
	tm.APIVersion = kube.APIVersion(tm.Kind)
	switch o.dryRun {
	case "none", "client", "server":
	default:
		return kubectlErr(`Invalid dry-run value (%s). Must be "none", "server", or "client".`, o.dryRun)
	}
	switch o.output {
	case "", "yaml", "json", "name":
	default:
		return kubectlErr("unable to match a printer suitable for the output format %q, allowed formats are: json,name,yaml", o.output)
	}
	raw, err := json.Marshal(r)
	if err != nil {
		return err
	}
	ns := g.ns()
	if !kube.Namespaced(tm.Kind) {
		ns = ""
	} else if cmd.Flags().Changed("namespace") {
		r.GetObjectMeta().Namespace = ns
	}
	dry := o.dryRun != "none"
	ref := cluster.RefName(tm.Kind, r.GetObjectMeta().Name)
	if dry && o.dryRun == "client" {
		// the manifest as written, without the defaults: what kubectl
		// create --dry-run=client -o yaml prints for a file to edit
		return printGenerated(cmd, r, o, ref, verb+" (dry run)")
	}
	objs, _, err := kube.Decode(tm.Kind+" "+r.GetObjectMeta().Name, raw)
	if err != nil {
		var le kube.Errors
		if errors.As(err, &le) {
			var lines []string
			for _, p := range le {
				if p.Path != "" {
					lines = append(lines, p.Path+": "+p.Message)
				} else {
					lines = append(lines, p.Message)
				}
			}
			return kubectlErr("%s %q is invalid: %s", tm.Kind, r.GetObjectMeta().Name, strings.Join(lines, "; "))
		}
		return err
	}
	obj := objs[0].Resource
	if kube.Namespaced(tm.Kind) {
		obj.GetObjectMeta().Namespace = ns
		if !namespaceExists(ns) {
			return serverErr("NotFound", "namespaces %q not found", ns)
		}
	}
	if dry {
		return printGenerated(cmd, obj, o, ref, verb+" (server dry run)")
	}
	st, err := cluster.Open(ns)
	if err != nil {
		return err
	}
	co := &cluster.Object{Resource: obj}
	if err := st.Create(co); err != nil {
		return err
	}
	if o.output == "" {
		fmt.Fprintf(cmd.OutOrStdout(), "%s %s\n", ref, verb)
	} else if err := printObject(cmd, co, o.output); err != nil {
		return err
	}
	if ns != "" {
		return cluster.Sync(ns)
	}
	return nil
}

func printGenerated(cmd *cobra.Command, r kube.Resource, o genOptions, ref, verb string) error {
	if o.output == "" {
		fmt.Fprintf(cmd.OutOrStdout(), "%s %s\n", ref, verb)
		return nil
	}
	return printObject(cmd, &cluster.Object{Resource: r}, o.output)
}

func printObject(cmd *cobra.Command, obj *cluster.Object, output string) error {
	out := cmd.OutOrStdout()
	switch output {
	case "yaml":
		if obj.Meta.UID == "" {
			return printer.YAML(out, []*cluster.Object{{Resource: obj.Resource}}, false)
		}
		return printer.YAML(out, []*cluster.Object{obj}, false)
	case "json":
		return printer.JSON(out, []*cluster.Object{obj}, false)
	}
	return printer.Names(out, []*cluster.Object{obj})
}

func newKubeCreateCmd(g *kubeGlobals) *cobra.Command {
	var files []string
	var recursive bool
	cmd := &cobra.Command{
		Use:   "create -f FILE | create deployment|namespace|configmap|secret|job NAME ...",
		Short: "Create objects from manifests or from flags",
		Long: `Create the objects of manifests (-f), as kubectl create does: an object
that exists already is an error (kubectl apply updates it). Or make one
object from flags: kubectl create deployment, namespace, configmap,
secret generic, job. --dry-run=client -o yaml prints the manifest instead,
to edit and apply.`,
		Example: "  kubectl create -f deploy.yaml\n  kubectl create deployment web --image nginx --replicas 3 --port 80\n" +
			"  kubectl create deployment web --image nginx --dry-run=client -o yaml > web.yaml",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return kubectlErr("unknown command %q for \"create\": it makes deployment, namespace, configmap, secret, job (or -f FILE)", args[0])
			}
			if len(files) == 0 {
				return cmd.Help()
			}
			objs, err := loadManifests(cmd, files, recursive)
			if err != nil {
				return err
			}
			return storeObjects(cmd, g, objs, true)
		},
	}
	cmd.Flags().StringArrayVarP(&files, "filename", "f", nil, "a manifest file, a folder of them, or - for standard input")
	cmd.Flags().BoolVarP(&recursive, "recursive", "R", false, "read the subfolders of -f folders too")
	cmd.AddCommand(newCreateDeploymentCmd(g), newCreateNamespaceCmd(g), newCreateConfigMapCmd(g), newCreateSecretCmd(g), newCreateJobCmd(g))
	return cmd
}

// containerNameOf is the container name kubectl create deployment gives
// an image: its last path component without tag or digest, with _ and .
// as -.
func containerNameOf(image string) string {
	name := image[strings.LastIndex(image, "/")+1:]
	name, _, _ = strings.Cut(name, "@")
	name, _, _ = strings.Cut(name, ":")
	return strings.NewReplacer("_", "-", ".", "-").Replace(name)
}

// deploymentFor is kubectl create deployment's object.
func deploymentFor(name string, images []string, replicas int32, port int32, command []string) *kube.Deployment {
	labels := map[string]string{"app": name}
	var cs []kube.Container
	seen := map[string]int{}
	for _, img := range images {
		cn := containerNameOf(img)
		if n := seen[cn]; n > 0 {
			seen[cn]++
			cn = fmt.Sprintf("%s-%d", cn, n+1)
		} else {
			seen[cn] = 1
		}
		c := kube.Container{Name: cn, Image: img}
		if len(images) == 1 {
			c.Command = command
			if port > 0 {
				c.Ports = []kube.ContainerPort{{ContainerPort: port}}
			}
		}
		cs = append(cs, c)
	}
	return &kube.Deployment{
		TypeMeta:   kube.TypeMeta{Kind: "Deployment", APIVersion: "apps/v1"},
		ObjectMeta: kube.ObjectMeta{Name: name, Labels: labels},
		Spec: kube.DeploymentSpec{
			Replicas: &replicas,
			Selector: &kube.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: kube.PodTemplateSpec{
				ObjectMeta: kube.ObjectMeta{Labels: map[string]string{"app": name}},
				Spec:       kube.PodSpec{Containers: cs},
			},
		},
	}
}

// splitDash is a command's arguments before --, and after.
func splitDash(cmd *cobra.Command, args []string) ([]string, []string) {
	if d := cmd.ArgsLenAtDash(); d >= 0 {
		return args[:d], args[d:]
	}
	return args, nil
}

func newCreateDeploymentCmd(g *kubeGlobals) *cobra.Command {
	var images []string
	var replicas, port int32
	var o genOptions
	cmd := &cobra.Command{
		Use:     "deployment NAME --image IMAGE [--replicas N] [--port P] [-- COMMAND [ARG...]]",
		Aliases: []string{"deploy"},
		Short:   "Create a Deployment (labels app: NAME) of an image",
		Example: "  kubectl create deployment web --image nginx --replicas 3 --port 80\n  kubectl create deployment clock --image toolbox -- sh -c 'while true; do date; sleep 5; done'",
		RunE: func(cmd *cobra.Command, args []string) error {
			names, command := splitDash(cmd, args)
			if len(names) != 1 {
				return kubectlErr("exactly one NAME is required, got %d", len(names))
			}
			if len(images) == 0 {
				return kubectlErr("required flag(s) \"image\" not set")
			}
			if len(images) > 1 && len(command) > 0 {
				return kubectlErr("cannot specify multiple --image options and command")
			}
			return newObject(cmd, g, deploymentFor(names[0], images, replicas, port, command), o, "created")
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&images, "image", nil, "the image of the container (several: a container each)")
	f.Int32VarP(&replicas, "replicas", "r", 1, "the number of pods")
	f.Int32Var(&port, "port", -1, "the port the container listens on")
	o.flags(f)
	return cmd
}

func newCreateNamespaceCmd(g *kubeGlobals) *cobra.Command {
	var o genOptions
	cmd := &cobra.Command{
		Use:     "namespace NAME",
		Aliases: []string{"ns"},
		Short:   "Create a namespace",
		Example: "  kubectl create namespace shop",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return kubectlErr("exactly one NAME is required, got %d", len(args))
			}
			if err := kube.ValidateNamespaceName(args[0]); err != nil {
				return kubectlErr("%v", err)
			}
			ns := &kube.Namespace{TypeMeta: kube.TypeMeta{Kind: "Namespace"}, ObjectMeta: kube.ObjectMeta{Name: args[0]}}
			return newObject(cmd, g, ns, o, "created")
		},
	}
	o.flags(cmd.Flags())
	return cmd
}

// configData reads --from-literal, --from-file and --from-env-file into
// a ConfigMap's or Secret's keys.
func configData(literals, files, envFiles []string) (map[string]string, error) {
	data := map[string]string{}
	add := func(k, v string) error {
		if _, dup := data[k]; dup {
			return kubectlErr("cannot add key %s, another key by that name already exists in data", k)
		}
		data[k] = v
		return nil
	}
	for _, l := range literals {
		k, v, ok := strings.Cut(l, "=")
		if !ok || k == "" {
			return nil, kubectlErr("invalid literal source %s, expected key=value", l)
		}
		if err := add(k, v); err != nil {
			return nil, err
		}
	}
	for _, f := range files {
		key, path, ok := strings.Cut(f, "=")
		if !ok {
			key, path = "", f
		}
		fi, err := os.Stat(path)
		if err != nil {
			return nil, kubectlErr("error reading %s: no such file or directory", path)
		}
		if fi.IsDir() {
			if key != "" {
				return nil, kubectlErr("cannot give a key name for a directory path")
			}
			ents, err := os.ReadDir(path)
			if err != nil {
				return nil, err
			}
			for _, e := range ents {
				if !e.Type().IsRegular() {
					continue
				}
				b, err := os.ReadFile(filepath.Join(path, e.Name()))
				if err != nil {
					return nil, err
				}
				if err := add(e.Name(), string(b)); err != nil {
					return nil, err
				}
			}
			continue
		}
		if key == "" {
			key = filepath.Base(path)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		if err := add(key, string(b)); err != nil {
			return nil, err
		}
	}
	for _, ef := range envFiles {
		f, err := os.Open(ef)
		if err != nil {
			return nil, kubectlErr("error reading %s: no such file or directory", ef)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				k, v = line, os.Getenv(line)
			}
			if err := add(k, v); err != nil {
				f.Close()
				return nil, err
			}
		}
		f.Close()
	}
	return data, nil
}

type dataFlags struct {
	literals, files, envFiles []string
}

func (d *dataFlags) add(f *pflag.FlagSet) {
	f.StringArrayVar(&d.literals, "from-literal", nil, "a key and its value: KEY=VALUE")
	f.StringArrayVar(&d.files, "from-file", nil, "a file's content under its name, or [KEY=]PATH; a folder: each of its files")
	f.StringArrayVar(&d.envFiles, "from-env-file", nil, "a file of KEY=VALUE lines")
}

func newCreateConfigMapCmd(g *kubeGlobals) *cobra.Command {
	var d dataFlags
	var o genOptions
	cmd := &cobra.Command{
		Use:     "configmap NAME [--from-literal KEY=VALUE] [--from-file [KEY=]PATH]",
		Aliases: []string{"cm"},
		Short:   "Create a ConfigMap from values and files",
		Example: "  kubectl create configmap app --from-literal MODE=prod --from-file nginx.conf",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return kubectlErr("exactly one NAME is required, got %d", len(args))
			}
			data, err := configData(d.literals, d.files, d.envFiles)
			if err != nil {
				return err
			}
			cm := &kube.ConfigMap{TypeMeta: kube.TypeMeta{Kind: "ConfigMap"}, ObjectMeta: kube.ObjectMeta{Name: args[0]}}
			if len(data) > 0 {
				cm.Data = data
			}
			return newObject(cmd, g, cm, o, "created")
		},
	}
	d.add(cmd.Flags())
	o.flags(cmd.Flags())
	return cmd
}

func newCreateSecretCmd(g *kubeGlobals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "secret generic NAME ...",
		Short: "Create a Secret",
	}
	var d dataFlags
	var typ string
	var o genOptions
	generic := &cobra.Command{
		Use:     "generic NAME [--from-literal KEY=VALUE] [--from-file [KEY=]PATH]",
		Short:   "Create a Secret (type Opaque) from values and files",
		Example: "  kubectl create secret generic db --from-literal PASSWORD=s3cret",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return kubectlErr("exactly one NAME is required, got %d", len(args))
			}
			data, err := configData(d.literals, d.files, d.envFiles)
			if err != nil {
				return err
			}
			s := &kube.Secret{TypeMeta: kube.TypeMeta{Kind: "Secret"}, ObjectMeta: kube.ObjectMeta{Name: args[0]}, Type: typ}
			if len(data) > 0 {
				s.Data = map[string][]byte{}
				for k, v := range data {
					s.Data[k] = []byte(v)
				}
			}
			return newObject(cmd, g, s, o, "created")
		},
	}
	d.add(generic.Flags())
	generic.Flags().StringVar(&typ, "type", "", "the Secret's type (default Opaque)")
	o.flags(generic.Flags())
	cmd.AddCommand(generic)
	return cmd
}

func newCreateJobCmd(g *kubeGlobals) *cobra.Command {
	var image string
	var o genOptions
	cmd := &cobra.Command{
		Use:     "job NAME --image IMAGE [-- COMMAND [ARG...]]",
		Short:   "Create a Job that runs an image once",
		Example: "  kubectl create job hello --image toolbox -- echo hello",
		RunE: func(cmd *cobra.Command, args []string) error {
			names, command := splitDash(cmd, args)
			if len(names) != 1 {
				return kubectlErr("exactly one NAME is required, got %d", len(names))
			}
			if image == "" {
				return kubectlErr("required flag(s) \"image\" not set")
			}
			j := &kube.Job{
				TypeMeta:   kube.TypeMeta{Kind: "Job"},
				ObjectMeta: kube.ObjectMeta{Name: names[0]},
				Spec: kube.JobSpec{Template: kube.PodTemplateSpec{Spec: kube.PodSpec{
					RestartPolicy: kube.RestartNever,
					Containers:    []kube.Container{{Name: names[0], Image: image, Command: command}},
				}}},
			}
			return newObject(cmd, g, j, o, "created")
		},
	}
	cmd.Flags().StringVar(&image, "image", "", "the image to run")
	o.flags(cmd.Flags())
	return cmd
}

func newKubeRunCmd(g *kubeGlobals) *cobra.Command {
	var image, restart string
	var port int32
	var env, labelArgs []string
	var useCommand bool
	var o genOptions
	cmd := &cobra.Command{
		Use:   "run NAME --image IMAGE [--port P] [--env K=V] [--restart Never] [-- ARG...]",
		Short: "Run an image in a pod",
		Long: `Create a pod (labels run: NAME) with one container of the image, as
kubectl run does; the words after -- are its arguments (--command: its
command). kubectl run -it (attach) is not there: kubectl exec -it POD -- sh
runs a shell in it once it runs.`,
		Example: "  kubectl run web --image nginx --port 80\n  kubectl run once --image toolbox --restart Never -- echo hi",
		RunE: func(cmd *cobra.Command, args []string) error {
			names, rest := splitDash(cmd, args)
			if len(names) < 1 {
				return kubectlErr("NAME is required for run")
			}
			if len(names) > 1 {
				rest = append(names[1:], rest...)
			}
			if image == "" {
				return kubectlErr("required flag(s) \"image\" not set")
			}
			name := names[0]
			labels := map[string]string{"run": name}
			if len(labelArgs) > 0 {
				labels = map[string]string{}
				for _, l := range labelArgs {
					for _, kv := range strings.Split(l, ",") {
						k, v, _ := strings.Cut(kv, "=")
						labels[k] = v
					}
				}
			}
			c := kube.Container{Name: name, Image: image}
			if useCommand {
				c.Command = rest
			} else {
				c.Args = rest
			}
			if port > 0 {
				c.Ports = []kube.ContainerPort{{ContainerPort: port}}
			}
			for _, e := range env {
				k, v, _ := strings.Cut(e, "=")
				c.Env = append(c.Env, kube.EnvVar{Name: k, Value: v})
			}
			p := &kube.Pod{
				TypeMeta:   kube.TypeMeta{Kind: "Pod"},
				ObjectMeta: kube.ObjectMeta{Name: name, Labels: labels},
				Spec:       kube.PodSpec{Containers: []kube.Container{c}, RestartPolicy: restart},
			}
			return newObject(cmd, g, p, o, "created")
		},
	}
	f := cmd.Flags()
	f.StringVar(&image, "image", "", "the image to run")
	f.Int32Var(&port, "port", -1, "the port the container listens on")
	f.StringArrayVar(&env, "env", nil, "an environment variable K=V")
	f.StringArrayVarP(&labelArgs, "labels", "l", nil, "the pod's labels (default run=NAME)")
	f.StringVar(&restart, "restart", "Always", "the pod's restart policy: Always, OnFailure or Never")
	f.BoolVar(&useCommand, "command", false, "the words after -- are the command, not its arguments")
	o.flags(f)
	return cmd
}

func newKubeExposeCmd(g *kubeGlobals) *cobra.Command {
	var port int32
	var targetPort, typ, name, protocol, selector string
	var o genOptions
	cmd := &cobra.Command{
		Use:   "expose (deploy/NAME | deployment NAME | pod NAME | ...) --port P [--target-port T] [--type NodePort]",
		Short: "Make a Service for a Deployment's or a pod's pods",
		Long: `Make a Service that selects what a Deployment, ReplicaSet, Service or pod
selects (a pod: its labels), named as it (--name to change that), on
--port (default: the container's ports), forwarding to --target-port
(default: the same).`,
		Example: "  kubectl expose deploy/web --port 80\n  kubectl expose deployment web --port 8080 --target-port 80 --type NodePort",
		RunE: func(cmd *cobra.Command, args []string) error {
			kind, oname, rest, err := parseRef(args, "")
			if err != nil {
				return err
			}
			if len(rest) > 0 {
				return kubectlErr("expose takes one object: %s", strings.Join(rest, " "))
			}
			obj, err := getObject(kind, g.ns(), oname)
			if err != nil {
				return err
			}
			sel := map[string]string{}
			var ports []kube.ContainerPort
			switch v := obj.Resource.(type) {
			case *kube.Pod:
				sel = v.Labels
				for _, c := range v.Spec.Containers {
					ports = append(ports, c.Ports...)
				}
			case *kube.Service:
				sel = v.Spec.Selector
				for _, p := range v.Spec.Ports {
					ports = append(ports, kube.ContainerPort{Name: p.Name, ContainerPort: p.Port, Protocol: p.Protocol})
				}
			default:
				t := templateOf(obj)
				var ls *kube.LabelSelector
				switch v := obj.Resource.(type) {
				case *kube.Deployment:
					ls = v.Spec.Selector
				case *kube.ReplicaSet:
					ls = v.Spec.Selector
				}
				if t == nil || ls == nil {
					return kubectlErr("cannot expose a %s", kind)
				}
				if len(ls.MatchExpressions) > 0 {
					return kubectlErr("couldn't retrieve selectors via --selector flag or introspection: the %s's selector has matchExpressions, which a Service cannot have", strings.ToLower(kind))
				}
				sel = ls.MatchLabels
				for _, c := range t.Spec.Containers {
					ports = append(ports, c.Ports...)
				}
			}
			if selector != "" {
				sel = map[string]string{}
				for _, kv := range strings.Split(selector, ",") {
					k, v, _ := strings.Cut(kv, "=")
					sel[k] = v
				}
			}
			if len(sel) == 0 {
				return kubectlErr("couldn't retrieve selectors via --selector flag or introspection: the %s has no labels", strings.ToLower(kind))
			}
			if name == "" {
				name = oname
			}
			svc := &kube.Service{
				TypeMeta:   kube.TypeMeta{Kind: "Service"},
				ObjectMeta: kube.ObjectMeta{Name: name, Labels: obj.Labels()},
				Spec:       kube.ServiceSpec{Selector: sel, Type: typ},
			}
			if port > 0 {
				sp := kube.ServicePort{Port: port, Protocol: protocol}
				if targetPort != "" {
					sp.TargetPort = intOrString(targetPort)
				}
				svc.Spec.Ports = []kube.ServicePort{sp}
			} else {
				if len(ports) == 0 {
					return kubectlErr("couldn't find port via --port flag or introspection")
				}
				for i, p := range ports {
					sp := kube.ServicePort{Port: p.ContainerPort, Protocol: p.Protocol}
					if len(ports) > 1 {
						sp.Name = fmt.Sprintf("port-%d", i+1)
					}
					if targetPort != "" {
						sp.TargetPort = intOrString(targetPort)
					}
					svc.Spec.Ports = append(svc.Spec.Ports, sp)
				}
			}
			return newObject(cmd, g, svc, o, "exposed")
		},
	}
	f := cmd.Flags()
	f.Int32Var(&port, "port", -1, "the Service's port")
	f.StringVar(&targetPort, "target-port", "", "the pods' port the Service forwards to (a number or a port's name)")
	f.StringVar(&typ, "type", "", "ClusterIP (the default) or NodePort")
	f.StringVar(&name, "name", "", "the Service's name (default: the object's)")
	f.StringVar(&protocol, "protocol", "", "TCP or UDP")
	f.StringVar(&selector, "selector", "", "the Service's selector (default: the object's)")
	o.flags(f)
	return cmd
}

func intOrString(s string) kube.IntOrString {
	var n int32
	if _, err := fmt.Sscan(s, &n); err == nil && fmt.Sprint(n) == s {
		return kube.FromInt(n)
	}
	return kube.FromString(s)
}
