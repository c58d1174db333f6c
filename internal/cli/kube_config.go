package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"kist/kube"
	"kist/kube/jsonpath"
	"kist/kube/printer"
)

// kubeContext is the name of kist kube's one context, cluster and user.
const kubeContext = "kist"

// kubeConfig is what kubectl config changes for kist kube: the user's
// current namespace. It is kept in $XDG_CONFIG_HOME/kist/kube.json.
type kubeConfig struct {
	Namespace string `json:"namespace,omitempty"`
}

func kubeConfigFile() string {
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "kist", "kube.json")
}

func loadKubeConfig() (*kubeConfig, error) {
	c := &kubeConfig{}
	b, err := os.ReadFile(kubeConfigFile())
	if errors.Is(err, os.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, c); err != nil {
		return nil, fmt.Errorf("%s: %v (fix or delete the file)", kubeConfigFile(), err)
	}
	return c, nil
}

func (c *kubeConfig) save() error {
	p := kubeConfigFile()
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, p)
}

// view is the config as kubectl config view shows it: one cluster,
// user and context, all named kist.
func (c *kubeConfig) view() map[string]any {
	ctx := map[string]any{"cluster": kubeContext, "user": kubeContext}
	if c.Namespace != "" {
		ctx["namespace"] = c.Namespace
	}
	return map[string]any{
		"apiVersion":      "v1",
		"kind":            "Config",
		"clusters":        []any{map[string]any{"name": kubeContext, "cluster": map[string]any{"server": "kist (no API server: kist kube cluster-info)"}}},
		"contexts":        []any{map[string]any{"name": kubeContext, "context": ctx}},
		"current-context": kubeContext,
		"preferences":     map[string]any{},
		"users":           []any{map[string]any{"name": kubeContext, "user": map[string]any{}}},
	}
}

func newKubeConfigCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config SUBCOMMAND",
		Short: "kubectl config: kist kube has one context, kist, and a current namespace",
		Long: `kist kube has one context, named kist. What kubectl config changes is the
namespace commands use when -n is not given (kubectl config set-context
--current --namespace=NS); it is kept in $XDG_CONFIG_HOME/kist/kube.json.`,
		Example: "  kubectl config set-context --current --namespace=shop\n  kubectl config view --minify -o jsonpath='{..namespace}'\n  kubectl config get-contexts",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "current-context",
		Short: "Print the context's name: kist",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fmt.Fprintln(cmd.OutOrStdout(), kubeContext)
			return nil
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "use-context kist",
		Short: "Switch to the context kist (the only one)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if args[0] != kubeContext {
				return kubectlErr("no context exists with the name: %q", args[0])
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Switched to context %q.\n", kubeContext)
			return nil
		},
	})
	cmd.AddCommand(newKubeConfigGetContextsCmd(), newKubeConfigSetContextCmd(), newKubeConfigViewCmd())
	return cmd
}

func newKubeConfigGetContextsCmd() *cobra.Command {
	var output string
	var noHeaders bool
	cmd := &cobra.Command{
		Use:   "get-contexts",
		Short: "List the contexts: kist, with its namespace",
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, a := range args {
				if a != kubeContext {
					return kubectlErr("context %s not found", a)
				}
			}
			if output == "name" {
				fmt.Fprintln(cmd.OutOrStdout(), kubeContext)
				return nil
			}
			if output != "" {
				return kubectlErr("output must be one of '' or 'name': %v", output)
			}
			c, err := loadKubeConfig()
			if err != nil {
				return err
			}
			var headers []string
			if !noHeaders {
				headers = []string{"CURRENT", "NAME", "CLUSTER", "AUTHINFO", "NAMESPACE"}
			}
			return printer.Table(cmd.OutOrStdout(), headers, [][]string{{"*", kubeContext, kubeContext, kubeContext, c.Namespace}})
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "name: only the names")
	cmd.Flags().BoolVar(&noHeaders, "no-headers", false, "no header row")
	return cmd
}

func newKubeConfigSetContextCmd() *cobra.Command {
	var current bool
	var namespace string
	cmd := &cobra.Command{
		Use:   "set-context --current --namespace=NS",
		Short: "Set the namespace commands use when -n is not given",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 && args[0] != kubeContext {
				return kubectlErr("kist kube has one context, %s: kubectl config set-context --current --namespace=NS changes its namespace", kubeContext)
			}
			if len(args) == 0 && !current {
				return kubectlErr("you must specify a non-empty context name or --current")
			}
			c, err := loadKubeConfig()
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("namespace") {
				if namespace != "" {
					if err := kube.ValidateNamespaceName(namespace); err != nil {
						return kubectlErr("%v", err)
					}
				}
				c.Namespace = namespace
				if err := c.save(); err != nil {
					return err
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Context %q modified.\n", kubeContext)
			return nil
		},
	}
	cmd.Flags().BoolVar(&current, "current", false, "change the current context (kist)")
	cmd.Flags().StringVar(&namespace, "namespace", "", "the namespace commands use when -n is not given (empty: default)")
	for _, f := range []string{"cluster", "user"} {
		cmd.Flags().String(f, "", "accepted for kubectl's sake: kist kube has one "+f)
	}
	return cmd
}

func newKubeConfigViewCmd() *cobra.Command {
	var output string
	var minify, raw, flatten bool
	cmd := &cobra.Command{
		Use:   "view [--minify] [-o yaml|json|jsonpath=TEMPLATE]",
		Short: "Show kist kube's kubeconfig: one context, kist, and its namespace",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := loadKubeConfig()
			if err != nil {
				return err
			}
			v := c.view()
			out := cmd.OutOrStdout()
			kind, tpl := splitOutput(output)
			switch kind {
			case "", "yaml":
				return printer.WriteYAML(out, v)
			case "json":
				return printer.WriteJSON(out, v)
			case "jsonpath", "jsonpath-file":
				if kind == "jsonpath-file" {
					b, err := os.ReadFile(tpl)
					if err != nil {
						return kubectlErr("%v", err)
					}
					tpl = string(b)
				}
				jp := jsonpath.New("config").AllowMissingKeys(true)
				if err := jp.Parse(tpl); err != nil {
					return kubectlErr("error parsing jsonpath %s, %v", tpl, err)
				}
				if err := jp.Execute(out, v); err != nil {
					return kubectlErr("error executing jsonpath %q: %v", tpl, err)
				}
				return nil
			}
			return kubectlErr("unable to match a printer suitable for the output format %q, allowed formats are: json,jsonpath,jsonpath-file,yaml", output)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "yaml", "yaml, json or jsonpath=TEMPLATE")
	cmd.Flags().BoolVar(&minify, "minify", false, "only the current context's (kist kube has one)")
	cmd.Flags().BoolVar(&raw, "raw", false, "accepted for kubectl's sake")
	cmd.Flags().BoolVar(&flatten, "flatten", false, "accepted for kubectl's sake")
	return cmd
}
