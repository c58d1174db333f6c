package depcheck

import (
	"os/exec"
	"strings"
	"testing"
)

// Heavy dependencies, by what they are.
var (
	storage  = []string{"go.podman.io/storage"}
	registry = []string{"github.com/google/go-containerregistry"}
	gvisor   = []string{"gvisor.dev/gvisor", "github.com/containers/gvisor-tap-vsock"}
	cobra    = []string{"github.com/spf13/cobra", "kist/internal/cli"}
	buildkit = []string{"github.com/moby/buildkit"}
	compose  = []string{"github.com/compose-spec/compose-go"}
	k8s      = []string{"k8s.io"} // k8s.io/api is for kube's tests only: its types would add 7 MiB to kist
)

func join(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// layers says, per package, what it must not depend on, directly or not:
// kist's packages by their exact path (kist/sandbox, not its nsinit),
// other modules by a path prefix.
var layers = []struct {
	pkg    string
	forbid []string
}{
	{"kist/internal/dirs", join(storage, registry, gvisor, cobra, []string{"kist/sandbox", "kist/network", "kist/image", "golang.org/x/sys"})},
	{"kist/internal/role", join(storage, registry, gvisor, cobra, []string{"kist/sandbox", "kist/network", "kist/image", "kist/internal/dirs"})},
	{"kist/internal/filters", join(storage, registry, gvisor, cobra, []string{"kist/sandbox", "kist/internal/dirs", "kist/sandbox/nsinit"})},
	{"kist/internal/prune", join(storage, registry, gvisor, cobra, []string{"kist/sandbox", "kist/internal/dirs", "kist/sandbox/nsinit"})},
	{"kist/internal/subid", join(storage, registry, gvisor, cobra, []string{"kist/sandbox", "kist/internal/dirs"})},
	{"kist/internal/tun", join(storage, registry, gvisor, cobra, []string{"kist/sandbox", "kist/network", "kist/image", "kist/internal/dirs"})},
	{"kist/internal/idemu", join(storage, registry, gvisor, cobra, []string{"kist/sandbox", "kist/network", "kist/image"})},
	{"kist/internal/events", join(storage, registry, gvisor, cobra, []string{"kist/sandbox", "kist/network", "kist/image", "kist/container"})},
	{"kist/network", join(storage, registry, gvisor, cobra, []string{"kist/sandbox", "kist/image", "kist/network/keeper", "github.com/miekg/dns"})},
	{"kist/sandbox", join(storage, registry, gvisor, cobra, buildkit, compose, []string{"kist/image", "kist/container", "kist/network/keeper", "kist/internal/userns", "kist/internal/toolbox"})},
	{"kist/internal/userns", join(storage, registry, gvisor, cobra, []string{"kist/image", "kist/container"})},
	{"kist/doctor", join(storage, registry, gvisor, cobra, buildkit, compose, []string{"kist/sandbox", "kist/image", "kist/network"})},
	{"kist/image", join(gvisor, cobra, buildkit, compose, []string{"kist/container", "kist/build", "kist/volume", "kist/network/keeper"})},
	{"kist/network/keeper", join(storage, registry, cobra, []string{"kist/image", "kist/sandbox", "kist/container"})},
	{"kist/volume", join(gvisor, cobra, buildkit, compose, []string{"kist/container", "kist/build", "kist/network/keeper"})},
	{"kist/container", join(gvisor, cobra, buildkit, compose, []string{"kist/build", "kist/compose", "kist/network/keeper"})},
	{"kist/vm", join(gvisor, cobra, buildkit, compose, []string{"kist/container", "kist/build", "kist/compose", "kist/volume", "kist/network/keeper"})},
	{"kist/vm/compare", join(gvisor, cobra, buildkit, compose, []string{"kist/build", "kist/compose", "kist/network/keeper"})},
	{"kist/build", join(gvisor, cobra, compose, []string{"kist/container", "kist/compose", "kist/network/keeper"})},
	{"kist/compose", join(gvisor, cobra, []string{"kist/network/keeper"})},
	{"kist/kube/cluster", join(gvisor, cobra, buildkit, compose, k8s, []string{"kist/network/keeper", "kist/compose", "kist/build"})},
	{"kist/system", join(gvisor, cobra, compose, []string{"kist/network/keeper", "kist/compose"})},
	{"kist/registry", join(storage, gvisor, cobra, buildkit, compose, []string{"kist/image", "kist/sandbox", "kist/container"})},
	{"kist/lint", join(storage, registry, gvisor, cobra, []string{"kist/sandbox", "kist/image", "kist/container", "kist/build", "kist/compose", "kist/network", "kist/internal/userns"})},
	{"kist/check", join(gvisor, cobra, []string{"kist/network/keeper", "kist/compose", "kist/build", "kist/lessons"})},
	{"kist/grade", join(gvisor, cobra, []string{"kist/network/keeper", "kist/lessons"})},
	{"kist/lessons", join(gvisor, cobra, []string{"kist/network/keeper", "kist/compose"})},
	{"kist/kube", join(storage, registry, gvisor, cobra, buildkit, compose, k8s, []string{"kist/sandbox", "kist/image", "kist/container", "kist/network", "kist/volume", "kist/compose"})},
	// kube generate reads containers and compose projects, writes kube's types; it builds and runs nothing
	{"kist/kube/generate", join(gvisor, cobra, buildkit, k8s, []string{"kist/build", "kist/network/keeper", "kist/vm"})},
}

func TestLayers(t *testing.T) {
	for _, l := range layers {
		t.Run(l.pkg, func(t *testing.T) {
			out, err := exec.Command("go", "list", "-deps", l.pkg).Output()
			if err != nil {
				t.Skipf("go list: %v", err)
			}
			for _, dep := range strings.Fields(string(out)) {
				for _, f := range l.forbid {
					if dep == f || (!strings.HasPrefix(f, "kist/") && strings.HasPrefix(dep, f+"/")) {
						t.Errorf("%s depends on %s (%s is above it or too heavy for it; see package depcheck's doc)", l.pkg, dep, f)
					}
				}
			}
		})
	}
}
