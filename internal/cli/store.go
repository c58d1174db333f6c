package cli

import (
	"os"

	"github.com/spf13/cobra"

	"kist/image"
	"kist/internal/dirs"
	"kist/sandbox"
)

// inUserNS runs fn inside the user's own user namespace, where the image
// store's files belong to the right ids. Outside it, kist runs its
// command line again inside (sandbox.InUserNSRun) and passes on the exit
// status; fn then runs in that process.
func inUserNS(cmd *cobra.Command, fn func() error) error {
	if dirs.InUserNS() {
		return fn()
	}
	code, err := sandbox.InUserNSRun(cmd.Context(), os.Args)
	if err != nil {
		return err
	}
	if code != 0 {
		return ExitError{Code: code}
	}
	return nil
}

// withStore runs fn inside the user namespace with the image store open.
func withStore(cmd *cobra.Command, fn func(*image.Store) error) error {
	return inUserNS(cmd, func() error { return openAndRun(fn) })
}

func openAndRun(fn func(*image.Store) error) error {
	st, err := image.Open(os.Stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	return fn(st)
}

// remoteFor loads the registry settings; --tls-verify=false applies to all.
func remoteFor(cmd *cobra.Command, tlsVerify bool) (*image.Remote, error) {
	regs, err := image.LoadRegistries()
	if err != nil {
		return nil, err
	}
	return &image.Remote{Registries: regs, NoTLSVerify: !tlsVerify}, nil
}
