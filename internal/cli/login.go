package cli

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"kist/image"
)

func init() { register("login", newLoginCmd); register("logout", newLogoutCmd) }

func newLoginCmd() *cobra.Command {
	var user, password string
	var passwordStdin, tlsVerify bool
	cmd := &cobra.Command{
		Use:   "login [OPTIONS] [REGISTRY]",
		Short: "Log in to a registry (default docker.io)",
		Long: `Check a user name and password against a registry and store them in
docker's config file ($DOCKER_CONFIG or ~/.docker/config.json), where kist
pull and push find them.`,
		Example: `  kist login -u student 127.0.0.1:5000
  echo "$TOKEN" | kist login -u student --password-stdin registry.lab`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			reg := ""
			if len(args) == 1 {
				reg = args[0]
			}
			var err error
			if user == "" {
				if user, err = prompt("Username: ", false); err != nil {
					return err
				}
			}
			switch {
			case passwordStdin:
				b, err := io.ReadAll(os.Stdin)
				if err != nil {
					return err
				}
				password = strings.TrimRight(string(b), "\r\n")
			case password == "":
				if password, err = prompt("Password: ", true); err != nil {
					return err
				}
			}
			r, err := remoteFor(cmd, tlsVerify)
			if err != nil {
				return err
			}
			if err := r.Login(cmd.Context(), reg, user, password); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "Login Succeeded")
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&user, "username", "u", "", "user name")
	f.StringVarP(&password, "password", "p", "", "password (visible to other users in ps: prefer --password-stdin)")
	f.BoolVar(&passwordStdin, "password-stdin", false, "read the password from standard input")
	f.BoolVar(&tlsVerify, "tls-verify", true, "require HTTPS with a valid certificate")
	return cmd
}

// prompt asks on the terminal; without one it says which flag to use.
func prompt(label string, secret bool) (string, error) {
	if !term.IsTerminal(int(os.Stdin.Fd())) {
		return "", fmt.Errorf("no terminal to ask for it: give -u USER and --password-stdin")
	}
	fmt.Fprint(os.Stderr, label)
	if secret {
		b, err := term.ReadPassword(int(os.Stdin.Fd()))
		fmt.Fprintln(os.Stderr)
		return string(b), err
	}
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	return strings.TrimSpace(line), err
}

func newLogoutCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "logout [REGISTRY]",
		Short:   "Forget the credentials of a registry (default docker.io)",
		Example: "  kist logout 127.0.0.1:5000",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			reg := ""
			if len(args) == 1 {
				reg = args[0]
			}
			r, err := remoteFor(cmd, true)
			if err != nil {
				return err
			}
			had, err := r.Logout(reg)
			if err != nil {
				return err
			}
			if !had {
				fmt.Fprintf(cmd.OutOrStdout(), "Not logged in to %s\n", orHub(reg))
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Removing login credentials for %s\n", orHub(reg))
			return nil
		},
	}
}

func orHub(reg string) string {
	if reg == "" {
		return image.DockerHub
	}
	return reg
}
