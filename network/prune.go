package network

import (
	"errors"

	"kist/internal/prune"
)

// Prune removes the networks, but the default one, that f lets go
// (until: their creation time; label: their labels) and that no
// container is on, and returns their names. Which containers are on
// which network is kept above this package: inUse says (see
// container.PruneNetworks). A network whose keeper still holds leases
// (a container on it runs) stays as well. On an error Prune goes on with
// the next network and returns every error at the end.
func Prune(f prune.Filters, inUse func(*Network) bool, runDir string) ([]string, error) {
	nets, err := List()
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	for _, n := range nets {
		if n.Name == Default || inUse(n) || !f.Match(n.Created, n.Labels) || hasEndpoints(n, runDir) {
			continue
		}
		if err := Remove(n.Name, runDir); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, n.Name)
	}
	return removed, errors.Join(errs...)
}

// hasEndpoints reports whether n's keeper has containers on it.
func hasEndpoints(n *Network, runDir string) bool {
	eps, err := Endpoints(n, runDir)
	return err == nil && len(eps) > 0
}
