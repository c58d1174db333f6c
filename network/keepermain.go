package network

import (
	"fmt"
	"os"
)

// A keeper is kist started with these variables set (startKeeper), and
// argv[0] "kist-network" so that ps shows what it is. It is selected
// here, in the package's init, rather than by a kist subcommand: any
// binary that links this package can be a keeper, a test binary too
// (which would otherwise run its tests again, and start keepers again).
const (
	envKeeper       = "_KIST_NETWORK_KEEPER"         // the network's name
	envKeeperRunDir = "_KIST_NETWORK_KEEPER_RUN_DIR" // kist's runtime directory
)

func init() {
	name, ok := os.LookupEnv(envKeeper)
	if !ok {
		return
	}
	runDir := os.Getenv(envKeeperRunDir)
	os.Unsetenv(envKeeper)
	os.Unsetenv(envKeeperRunDir)
	ready := os.NewFile(3, "ready")
	n, err := Get(name)
	if err == nil {
		err = Keep(n, runDir, ready)
	} else {
		fmt.Fprintf(ready, "err %v\n", err)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "kist-network %s: %v\n", name, err)
		os.Exit(1)
	}
	os.Exit(0)
}
