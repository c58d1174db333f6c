package keeper

import (
	"fmt"
	"os"

	"kist/internal/role"
	"kist/network"
)

// A keeper is kist started as the entry point network.KeeperRole
// (network's startKeeper): argv "kist-network NAME RUNDIR", so that
// ps shows what it is, with the pipe to say it is ready on fd 3. Any
// binary that links this package can be a keeper, a test binary too.
func init() { role.Register(network.KeeperRole, main) }

func main(args []string) int {
	if len(args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: kist-network NAME RUNDIR")
		return 125
	}
	name, runDir := args[0], args[1]
	ready := os.NewFile(3, "ready")
	n, err := network.Get(name)
	if err == nil {
		err = Keep(n, runDir, ready)
	} else {
		fmt.Fprintf(ready, "err %v\n", err)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "kist-network %s: %v\n", name, err)
		return 1
	}
	return 0
}
