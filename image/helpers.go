package image

import (
	"fmt"
	"os"
	"strings"

	"go.podman.io/storage/pkg/reexec"

	"kist/internal/role"
)

// The store (go.podman.io/storage) unpacks and packs layers in helper
// processes: itself again, under the program names storage-untar,
// storage-applyLayer, storage-tar, storage-mountfrom and
// storage-chown-by-maps (its pkg/reexec). They are kist's roles too (see
// internal/role): this package owns them.
func init() {
	role.RegisterMatch("the image store's helpers (go.podman.io/storage)", isStoreHelper, storeHelperMain)
}

func isStoreHelper(argv0 string) bool { return strings.HasPrefix(argv0, "storage-") }

func storeHelperMain([]string) int {
	if !reexec.Init() {
		fmt.Fprintf(os.Stderr, "kist: %s is no helper of this image store\n", os.Args[0])
		return 125
	}
	return 0
}

// markHelpersDispatched tells storage's pkg/reexec that this process's
// start looked for its helpers (role.Find did): it refuses to start one
// otherwise. Under kist's own name Init only records that.
func markHelpersDispatched() { reexec.Init() }
