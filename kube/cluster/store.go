package cluster

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"kist/internal/dirs"
	"kist/kube"
)

// DefaultNamespace is the namespace of objects that name none.
const DefaultNamespace = "default"

// Store is one namespace's objects, as files: dirs.Kube()/NAMESPACE/
// RESOURCE/NAME.json (deployments/web.json), each the object as kubectl
// get -o json writes it. Namespaces themselves are in the namespace ""
// (dirs.Kube()/_cluster). Writes go through a temporary file renamed
// over the old, under the namespace's lock (.lock, an flock), so a
// reader never sees half an object and two writers never lose each
// other's change; reads take no lock.
type Store struct {
	Namespace string
	dir       string
}

// Open returns the store of namespace ns ("" for cluster-wide objects:
// Namespaces).
func Open(ns string) (*Store, error) {
	name := ns
	if ns == "" {
		name = "_cluster"
	} else if err := kube.ValidateNamespaceName(ns); err != nil {
		return nil, err
	}
	s := &Store{Namespace: ns, dir: filepath.Join(dirs.Kube(), name)}
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return nil, err
	}
	return s, nil
}

// OpenExisting returns the store of namespace ns for reading, without
// making its folder: a namespace that has none reads as empty (List
// finds nothing, Get answers NotFound), and writes fail. kubectl get -n
// nosuch finds nothing and makes nothing.
func OpenExisting(ns string) (*Store, error) {
	name := ns
	if ns == "" {
		name = "_cluster"
	} else if err := kube.ValidateNamespaceName(ns); err != nil {
		return nil, err
	}
	return &Store{Namespace: ns, dir: filepath.Join(dirs.Kube(), name)}, nil
}

// Exists says whether the store has its folder (Open makes it).
func (s *Store) Exists() bool {
	fi, err := os.Stat(s.dir)
	return err == nil && fi.IsDir()
}

// Dir is the store's folder.
func (s *Store) Dir() string { return s.dir }

// NotFoundError is the answer for an object that does not exist. Its
// message is the API server's, with the resource's group:
// deployments.apps "web" not found.
type NotFoundError struct{ Kind, Name string }

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("%s %q not found", GroupResource(e.Kind), e.Name)
}

// AlreadyExistsError is the answer to Create for an existing object:
// deployments.apps "web" already exists.
type AlreadyExistsError struct{ Kind, Name string }

func (e *AlreadyExistsError) Error() string {
	return fmt.Sprintf("%s %q already exists", GroupResource(e.Kind), e.Name)
}

// IsNotFound says err is (or wraps) a NotFoundError.
func IsNotFound(err error) bool {
	var nf *NotFoundError
	return errors.As(err, &nf)
}

func (s *Store) path(kind, name string) string {
	return filepath.Join(s.dir, Resource(kind), name+".json")
}

// Get reads one object.
func (s *Store) Get(kind, name string) (*Object, error) {
	b, err := os.ReadFile(s.path(kind, name))
	if errors.Is(err, os.ErrNotExist) {
		return nil, &NotFoundError{kind, name}
	}
	if err != nil {
		return nil, err
	}
	o, err := Unmarshal(b)
	if err != nil {
		return nil, fmt.Errorf("%s: damaged (%v): delete the file to forget the object", s.path(kind, name), err)
	}
	return o, nil
}

// List reads every object of kind, sorted by name. A damaged file is
// skipped (Get names it).
func (s *Store) List(kind string) ([]*Object, error) {
	ents, err := os.ReadDir(filepath.Join(s.dir, Resource(kind)))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []*Object
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok {
			continue
		}
		if o, err := s.Get(kind, name); err == nil {
			out = append(out, o)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out, nil
}

// Empty says the namespace has no objects that run something or hold
// an address (pods, their controllers, jobs, services).
func (s *Store) Empty() bool {
	for _, k := range []string{"Pod", "Deployment", "ReplicaSet", "Job", "Service"} {
		if l, _ := s.List(k); len(l) > 0 {
			return false
		}
	}
	return true
}

// lock takes the namespace's write lock; the returned function drops it.
func (s *Store) lock() (func(), error) {
	f, err := os.OpenFile(filepath.Join(s.dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() { f.Close() }, nil
}

// nextVersion counts the namespace's writes: every object written gets
// the next number as its resourceVersion. Called under the lock.
func (s *Store) nextVersion() string {
	p := filepath.Join(s.dir, ".version")
	b, _ := os.ReadFile(p)
	n, _ := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	n++
	writeFile(p, []byte(strconv.FormatUint(n, 10)))
	return strconv.FormatUint(n, 10)
}

func (s *Store) write(o *Object) error {
	b, err := json.MarshalIndent(o, "", "  ")
	if err != nil {
		return err
	}
	p := s.path(o.Kind(), o.Name())
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	return writeFile(p, b)
}

func writeFile(p string, data []byte) error {
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, p)
}

// NewUID is a fresh object uid, in Kubernetes' form (a random UUID).
func NewUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// Create stores a new object: it gets its uid, creation time,
// generation 1 and resourceVersion, and its namespace. With
// metadata.generateName and no name, a name is made from it.
func (s *Store) Create(o *Object) error {
	unlock, err := s.lock()
	if err != nil {
		return err
	}
	defer unlock()
	m := o.GetObjectMeta()
	if m.Name == "" && m.GenerateName != "" {
		for {
			m.Name = m.GenerateName + RandomSuffix()
			if _, err := os.Stat(s.path(o.Kind(), m.Name)); err != nil {
				break
			}
		}
	}
	if _, err := os.Stat(s.path(o.Kind(), m.Name)); err == nil {
		return &AlreadyExistsError{o.Kind(), m.Name}
	}
	if kube.Namespaced(o.Kind()) {
		m.Namespace = s.Namespace
	}
	o.Meta.UID = NewUID()
	o.Meta.CreationTimestamp = Now()
	o.Meta.Generation = 1
	o.Meta.ResourceVersion = s.nextVersion()
	if o.Status == nil {
		o.Status = newStatus(o.Kind())
	}
	return s.write(o)
}

// Update changes an object under the namespace's lock: fn gets the
// stored object and changes it (returning an error leaves it as it
// was). A change of anything but metadata and status bumps the
// generation, as the API server does.
func (s *Store) Update(kind, name string, fn func(*Object) error) (*Object, error) {
	unlock, err := s.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	o, err := s.Get(kind, name)
	if err != nil {
		return nil, err
	}
	before := specJSON(o.Resource)
	if err := fn(o); err != nil {
		return nil, err
	}
	m := o.GetObjectMeta()
	m.Name, m.Namespace = name, s.Namespace
	if !kube.Namespaced(kind) {
		m.Namespace = ""
	}
	if !bytes.Equal(before, specJSON(o.Resource)) {
		o.Meta.Generation++
	}
	o.Meta.ResourceVersion = s.nextVersion()
	return o, s.write(o)
}

// Delete forgets an object (the controller's last step; kist kube
// delete marks it Terminating first).
func (s *Store) Delete(kind, name string) error {
	unlock, err := s.lock()
	if err != nil {
		return err
	}
	defer unlock()
	err = os.Remove(s.path(kind, name))
	if errors.Is(err, os.ErrNotExist) {
		return &NotFoundError{kind, name}
	}
	return err
}

// RandomSuffix is the five characters Kubernetes adds to a generated
// name (web-7d4b9c8f6-x2x9z): letters and digits without vowels or
// look-alikes.
func RandomSuffix() string {
	const alphabet = "bcdfghjklmnpqrstvwxz2456789"
	var b [5]byte
	rand.Read(b[:])
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b[:])
}

// Namespaces lists the namespaces that exist: default, every one with
// a Namespace object, and every one that has objects.
func Namespaces() ([]string, error) {
	seen := map[string]bool{DefaultNamespace: true}
	ents, err := os.ReadDir(dirs.Kube())
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	for _, e := range ents {
		if e.IsDir() && e.Name() != "_cluster" {
			seen[e.Name()] = true
		}
	}
	if cs, err := OpenExisting(""); err == nil {
		nss, _ := cs.List("Namespace")
		for _, n := range nss {
			seen[n.Name()] = true
		}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out, nil
}
