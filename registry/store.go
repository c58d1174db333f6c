package registry

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// The grammar of what a request may name. Paths on disk are made only from
// strings that match these.
var (
	// componentRE is one component of a repository name (distribution's
	// reference grammar): lowercase letters and digits, separated by one
	// period, one or two underscores, or dashes.
	componentRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$`) })
	tagRE       = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`) })
	digestRE    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^sha256:[a-f0-9]{64}$`) })
	uploadRE    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-f0-9]{32}$`) })
)

// validName reports whether n is a repository name: components separated
// by slashes, at most 255 characters in all.
func validName(n string) bool {
	if n == "" || len(n) > 255 {
		return false
	}
	for _, c := range strings.Split(n, "/") {
		if !componentRE().MatchString(c) {
			return false
		}
	}
	return true
}

func isDigest(ref string) bool { return strings.Contains(ref, ":") }

// Ages after which New removes what a crash left.
const (
	staleTemp   = 24 * time.Hour
	staleUpload = 7 * 24 * time.Hour
)

// store is the registry's directory (see the package doc for its layout).
type store struct {
	dir string
}

var (
	errNoRepo     = errors.New("no such repository")
	errNoManifest = errors.New("no such manifest")
)

// openStore makes dir's layout (as needed), checks that it can write there
// and removes leftovers of a crash.
func openStore(dir string) (*store, error) {
	if dir == "" {
		return nil, errors.New("no directory given for the registry")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	s := &store{dir: abs}
	for _, d := range []string{"blobs/sha256", "repositories", "uploads", "tmp"} {
		if err := os.MkdirAll(filepath.Join(abs, d), 0o755); err != nil {
			return nil, fmt.Errorf("cannot use %s for the registry: %w", abs, err)
		}
	}
	f, err := s.tempFile()
	if err != nil {
		return nil, fmt.Errorf("cannot use %s for the registry: %w", abs, err)
	}
	f.Close()
	os.Remove(f.Name())
	s.removeStale("tmp", staleTemp)
	s.removeStale("uploads", staleUpload)
	return s, nil
}

// removeStale removes the files in DIR/sub last changed longer than age ago.
func (s *store) removeStale(sub string, age time.Duration) {
	dir := filepath.Join(s.dir, sub)
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if fi, err := e.Info(); err == nil && fi.Mode().IsRegular() && time.Since(fi.ModTime()) > age {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

func (s *store) blobPath(d string) string {
	hex := strings.TrimPrefix(d, "sha256:")
	return filepath.Join(s.dir, "blobs", "sha256", hex[:2], hex)
}

func (s *store) repoDir(name string) string {
	return filepath.Join(s.dir, "repositories", filepath.FromSlash(name))
}

func (s *store) tagPath(name, tag string) string {
	return filepath.Join(s.repoDir(name), "_tags", tag)
}

func (s *store) linkPath(name, d string) string {
	return filepath.Join(s.repoDir(name), "_manifests", "sha256", strings.TrimPrefix(d, "sha256:"))
}

func (s *store) uploadPath(id string) string { return filepath.Join(s.dir, "uploads", id) }

// tempFile is a new file in DIR/tmp, to be renamed into place.
func (s *store) tempFile() (*os.File, error) {
	return os.CreateTemp(filepath.Join(s.dir, "tmp"), "w-")
}

// hasBlob reports whether the blob d is stored.
func (s *store) hasBlob(d string) bool {
	fi, err := os.Stat(s.blobPath(d))
	return err == nil && fi.Mode().IsRegular()
}

// commitBlob makes f (a temp file or an upload, written in full) the blob
// d: synced, closed and renamed into blobs/.
func (s *store) commitBlob(f *os.File, d string) error {
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	f.Close()
	return s.rename(f.Name(), s.blobPath(d))
}

// rename moves from to to, making to's directory first.
func (s *store) rename(from, to string) error {
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		os.Remove(from)
		return err
	}
	if err := os.Rename(from, to); err != nil {
		os.Remove(from)
		return err
	}
	return nil
}

// writeFile writes data to path atomically: a temp file, synced, renamed.
func (s *store) writeFile(path string, data []byte) error {
	f, err := s.tempFile()
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	return s.rename(f.Name(), path)
}

// putBlob stores data as a blob and returns its digest.
func (s *store) putBlob(data []byte) (string, error) {
	sum := sha256.Sum256(data)
	d := "sha256:" + hex.EncodeToString(sum[:])
	if s.hasBlob(d) {
		return d, nil
	}
	return d, s.writeFile(s.blobPath(d), data)
}

// repoExists reports whether the repository name has a manifest or a tag.
func (s *store) repoExists(name string) bool {
	for _, sub := range []string{"_manifests", "_tags"} {
		if fi, err := os.Stat(filepath.Join(s.repoDir(name), sub)); err == nil && fi.IsDir() {
			return true
		}
	}
	return false
}

// manifest is a stored manifest.
type manifest struct {
	Digest    string
	MediaType string
	Data      []byte
}

// resolve returns the digest ref (a tag or a digest) names in the
// repository name.
func (s *store) resolve(name, ref string) (string, error) {
	if isDigest(ref) {
		return ref, nil
	}
	b, err := os.ReadFile(s.tagPath(name, ref))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			if !s.repoExists(name) {
				return "", errNoRepo
			}
			return "", errNoManifest
		}
		return "", err
	}
	d := strings.TrimSpace(string(b))
	if !digestRE().MatchString(d) {
		return "", fmt.Errorf("tag file %s is damaged", s.tagPath(name, ref))
	}
	return d, nil
}

// manifest returns the manifest ref (a tag or a digest) of the repository
// name: errNoRepo or errNoManifest when there is none.
func (s *store) manifest(name, ref string) (*manifest, error) {
	d, err := s.resolve(name, ref)
	if err != nil {
		return nil, err
	}
	mt, err := os.ReadFile(s.linkPath(name, d))
	if errors.Is(err, fs.ErrNotExist) {
		if !s.repoExists(name) {
			return nil, errNoRepo
		}
		return nil, errNoManifest
	}
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(s.blobPath(d))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errNoManifest
	}
	if err != nil {
		return nil, err
	}
	return &manifest{Digest: d, MediaType: strings.TrimSpace(string(mt)), Data: data}, nil
}

// hasManifest reports whether the manifest d is in the repository name.
func (s *store) hasManifest(name, d string) bool {
	_, err := os.Stat(s.linkPath(name, d))
	return err == nil
}

// putManifest stores data as a manifest of the repository name with media
// type mt, and tags it when tag is not "".
func (s *store) putManifest(name, tag string, data []byte, mt string) (string, error) {
	d, err := s.putBlob(data)
	if err != nil {
		return "", err
	}
	if err := s.writeFile(s.linkPath(name, d), []byte(mt+"\n")); err != nil {
		return "", err
	}
	if tag != "" {
		if err := s.setTag(name, tag, d); err != nil {
			return "", err
		}
	}
	return d, nil
}

// setTag points tag of the repository name at the manifest d.
func (s *store) setTag(name, tag, d string) error {
	if cur, err := os.ReadFile(s.tagPath(name, tag)); err == nil && strings.TrimSpace(string(cur)) == d {
		return nil
	}
	return s.writeFile(s.tagPath(name, tag), []byte(d+"\n"))
}

// deleteManifest removes ref from the repository name: a tag, or a
// manifest by digest with every tag that names it.
func (s *store) deleteManifest(name, ref string) error {
	if !isDigest(ref) {
		err := os.Remove(s.tagPath(name, ref))
		if errors.Is(err, fs.ErrNotExist) {
			return errNoManifest
		}
		return err
	}
	err := os.Remove(s.linkPath(name, ref))
	if errors.Is(err, fs.ErrNotExist) {
		return errNoManifest
	}
	if err != nil {
		return err
	}
	tags, _ := s.tags(name)
	for _, t := range tags {
		if d, err := s.resolve(name, t); err == nil && d == ref {
			os.Remove(s.tagPath(name, t))
		}
	}
	return nil
}

// tags lists the tags of the repository name, sorted.
func (s *store) tags(name string) ([]string, error) {
	if !s.repoExists(name) {
		return nil, errNoRepo
	}
	ents, err := os.ReadDir(filepath.Join(s.repoDir(name), "_tags"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	tags := []string{}
	for _, e := range ents {
		if tagRE().MatchString(e.Name()) && e.Type().IsRegular() {
			tags = append(tags, e.Name())
		}
	}
	slices.Sort(tags)
	return tags, nil
}

// repositories lists the repositories, sorted.
func (s *store) repositories() ([]string, error) {
	root := filepath.Join(s.dir, "repositories")
	repos := []string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) { // removed while we walk
			return nil
		}
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		switch d.Name() {
		case "_manifests", "_tags":
			rel, err := filepath.Rel(root, filepath.Dir(p))
			if err != nil {
				return err
			}
			if n := filepath.ToSlash(rel); validName(n) && (len(repos) == 0 || repos[len(repos)-1] != n) {
				repos = append(repos, n)
			}
			return fs.SkipDir
		}
		return nil
	})
	slices.Sort(repos)
	return repos, err
}

// hashReader returns the sha256 digest of what r reads.
func hashReader(r io.Reader) (string, int64, error) {
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return "", n, err
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), n, nil
}
