package cluster

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"kist/kube"
)

// RemoveNamespace forgets an empty namespace: its folder and its
// Namespace object. It refuses the default namespace, a namespace that
// still has objects (delete them first: kubectl delete namespace marks
// them all deleted and waits), and one whose controller still runs (it
// leaves IdleGrace after its last pod). A namespace that is not there
// is a NotFoundError.
func RemoveNamespace(ns string) error {
	if ns == DefaultNamespace {
		return fmt.Errorf("namespace %s cannot be removed", ns)
	}
	st, err := OpenExisting(ns)
	if err != nil {
		return err
	}
	cs, err := OpenExisting("")
	if err != nil {
		return err
	}
	_, objErr := cs.Get("Namespace", ns)
	if !st.Exists() && IsNotFound(objErr) {
		return &NotFoundError{"Namespace", ns}
	}
	if left := st.objectsLeft(); len(left) > 0 {
		return fmt.Errorf("namespace %s still has %s: delete them first (kubectl delete namespace %s does)", ns, strings.Join(left, ", "), ns)
	}
	if ControllerRunning(ns) {
		return fmt.Errorf("namespace %s's controller still runs: it stops %s after the namespace's last pod", ns, IdleGrace)
	}
	if err := os.RemoveAll(st.dir); err != nil {
		return err
	}
	if objErr == nil {
		if err := cs.Delete("Namespace", ns); err != nil && !IsNotFound(err) {
			return err
		}
	}
	return nil
}

// objectsLeft names the objects the store still has (deployments.apps/web).
func (s *Store) objectsLeft() []string {
	var out []string
	for _, k := range kube.Kinds() {
		if !kube.Namespaced(k) {
			continue
		}
		ents, err := os.ReadDir(filepath.Join(s.dir, Resource(k)))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		for _, e := range ents {
			if n, ok := strings.CutSuffix(e.Name(), ".json"); ok {
				out = append(out, RefName(k, n))
			}
		}
	}
	return out
}
