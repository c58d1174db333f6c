// Package testimages makes the real Debian images kist's integration
// tests and benchmarks run: bookworm root filesystems made by mmdebstrap
// (built once per machine and kept as tarballs), turned into layered
// images and pushed to a registry the caller runs (docker-registry on
// loopback):
//
//	debian:bookworm, library/debian:bookworm   minbase, Cmd bash
//	library/python:3.11-slim, :3.8-slim        + python3, pip, flask,
//	                                             psycopg2, requests
//	library/postgres:13, :15                   + Debian's postgresql and
//	                                             an entrypoint like docker's
//
// The python image carries the packages the course's Flask demo lists in
// its requirements.txt (Debian's, as PyPI is not reachable from a lab or
// CI machine): "pip install -r requirements.txt" finds them installed.
// The postgres image is PostgreSQL 15 from Debian under the tag the
// course uses; its entrypoint (PostgresEntrypoint) initialises $PGDATA on
// first start from POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_DB and
// runs the server as the postgres user, as docker's does.
//
// Tarballs are looked up in $KIST_TEST_IMAGES_DIR if set, else in
// ${KIST_CI_CACHE:-/var/cache/kist-ci}/images and then (not as root) in
// ~/.cache/kist-test/images. When missing they are built there with
// mmdebstrap (as root, or as a user with a subordinate id range, where
// mmdebstrap uses --mode=unshare); otherwise Push says which command
// makes them.
package testimages

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"golang.org/x/sys/unix"

	"kist/sandbox"
)

// Tarball is a bookworm root filesystem made by mmdebstrap as a tarball:
// minbase without documentation, manual pages and translations, as
// docker's debian:bookworm-slim (which python:3.x-slim is built on), and
// no /dev nodes, as in docker's images. SOURCE_DATE_EPOCH makes the trees
// reproducible, so a tree with more packages differs from minbase only
// where the packages changed it.
type Tarball struct {
	Name    string   // file name stem
	Options []string // mmdebstrap options besides the slim ones
}

const epoch = 1700000000

var slimOptions = []string{
	"--variant=minbase",
	"--dpkgopt=path-exclude=/usr/share/doc/*",
	"--dpkgopt=path-include=/usr/share/doc/*/copyright",
	"--dpkgopt=path-exclude=/usr/share/man/*",
	"--dpkgopt=path-exclude=/usr/share/info/*",
	"--dpkgopt=path-exclude=/usr/share/groff/*",
	"--dpkgopt=path-exclude=/usr/share/lintian/*",
	"--dpkgopt=path-exclude=/usr/share/locale/*",
	"--dpkgopt=path-include=/usr/share/locale/locale.alias",
}

var (
	Minbase = Tarball{"debian-bookworm-slim", nil}
	// pip and a "python" command as in docker's python images (for the
	// course's "RUN pip install -r requirements.txt" and CMD ["python",
	// ...]), and what the course's programs import; Debian's marker that
	// makes pip refuse to install is removed, as docker's images (python
	// in /usr/local) have none. Debian's psycopg2 is also registered as
	// psycopg2-binary, the name requirements.txt files use with docker's
	// images (which have no compiler for psycopg2's sources).
	Python = Tarball{"debian-bookworm-slim-python3-flask", []string{
		"--include=python3-minimal,python3-pip,python-is-python3,python3-flask,python3-psycopg2,python3-requests",
		`--customize-hook=rm -f "$1"/usr/lib/python3*/EXTERNALLY-MANAGED`,
		`--customize-hook=d="$1"/usr/lib/python3/dist-packages/psycopg2_binary-2.9.5.dist-info && mkdir "$d" && printf 'Metadata-Version: 2.1\nName: psycopg2-binary\nVersion: 2.9.5\n' >"$d"/METADATA`,
	}}
	// Debian's postgresql without the cluster its package creates: the
	// entrypoint makes one in $PGDATA, as docker's image does.
	Postgres = Tarball{"debian-bookworm-slim-postgresql", []string{
		"--include=postgresql",
		`--customize-hook=rm -rf "$1"/etc/postgresql/15 "$1"/var/lib/postgresql/15`,
	}}
)

func (d Tarball) args(out string) []string {
	a := append([]string{"--quiet", "--format=tar", "--skip=output/dev"}, slimOptions...)
	a = append(a, d.Options...)
	return append(a, "bookworm", out, "http://deb.debian.org/debian")
}

// File is the tarball's name, keyed by the mmdebstrap command line.
func (d Tarball) File() string {
	key := fmt.Sprintf("SOURCE_DATE_EPOCH=%d mmdebstrap %s %s", epoch, strings.Join(d.args("OUT"), " "), runtime.GOARCH)
	h := sha256.Sum256([]byte(key))
	return fmt.Sprintf("%s-%s-%x.tar", d.Name, runtime.GOARCH, h[:6])
}

// Command is the shell command that makes the tarball at out.
func (d Tarball) Command(out string) string {
	words := []string{fmt.Sprintf("SOURCE_DATE_EPOCH=%d", epoch), "mmdebstrap"}
	for _, a := range d.args(out) {
		if strings.ContainsAny(a, "*?[ '\"$") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		words = append(words, a)
	}
	return strings.Join(words, " ")
}

// Dirs are where tarballs are looked for, and the one where a missing
// tarball is built ("" if none).
func Dirs() (search []string, build string) {
	if d := os.Getenv("KIST_TEST_IMAGES_DIR"); d != "" {
		return []string{d}, d
	}
	ci := os.Getenv("KIST_CI_CACHE")
	if ci == "" {
		ci = "/var/cache/kist-ci"
	}
	shared := filepath.Join(ci, "images")
	if os.Getuid() == 0 {
		return []string{shared}, shared
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return []string{shared}, ""
	}
	own := filepath.Join(cache, "kist-test", "images")
	return []string{shared, own}, own
}

// Ensure returns the tarball's path, building it if it is missing and
// can be built here; otherwise missing says why and how to make it.
func (d Tarball) Ensure() (p, missing string, err error) {
	search, build := Dirs()
	for _, dir := range search {
		p := filepath.Join(dir, d.File())
		if f, err := os.Open(p); err == nil {
			f.Close()
			return p, "", nil
		}
	}
	target := build
	if target == "" {
		target = search[0]
	}
	how := fmt.Sprintf("no %s in %s; make it (as root, or as a user with a subordinate id range) with: %s",
		d.File(), strings.Join(search, " or "), d.Command(filepath.Join(target, d.File())))
	if _, err := exec.LookPath("mmdebstrap"); err != nil {
		return "", how + " (apt-get install mmdebstrap)", nil
	}
	if build == "" || (os.Getuid() != 0 && !sandbox.CurrentIDMap().Helpers) {
		return "", how, nil
	}
	p, err = d.build(build)
	if err != nil {
		return "", "", fmt.Errorf("%w\n(the command: %s)", err, d.Command(filepath.Join(build, d.File())))
	}
	return p, "", nil
}

// build runs mmdebstrap into dir, once even with several test binaries
// at the same time (a lock file), and makes the result world-readable.
func (d Tarball) build(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	if os.Getuid() == 0 && os.Getenv("KIST_TEST_IMAGES_DIR") == "" {
		os.Chmod(dir, 0o755) // the test users read root's tarballs
	}
	final := filepath.Join(dir, d.File())
	lock, err := os.OpenFile(final+".lock", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", err
	}
	if _, err := os.Stat(final); err == nil {
		return final, nil // built by another test binary meanwhile
	}
	tmp := filepath.Join(dir, fmt.Sprintf(".%s.%d.tar", d.Name, os.Getpid()))
	defer os.Remove(tmp)
	fmt.Fprintf(os.Stderr, "integration tests: building %s with mmdebstrap (once; it is kept in %s)\n", d.File(), dir)
	start := time.Now()
	var out []byte
	for try := 1; ; try++ { // the mirror sometimes fails once
		cmd := exec.Command("mmdebstrap", d.args(tmp)...)
		cmd.Env = append(os.Environ(), fmt.Sprintf("SOURCE_DATE_EPOCH=%d", epoch))
		if out, err = cmd.CombinedOutput(); err == nil || try == 2 {
			break
		}
	}
	if err != nil {
		return "", fmt.Errorf("mmdebstrap failed: %v\n%s", err, tail(out, 3000))
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, final); err != nil {
		return "", err
	}
	fmt.Fprintf(os.Stderr, "integration tests: built %s in %v\n", final, time.Since(start).Round(time.Second))
	return final, nil
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// ---- images ----

const debianPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Push makes sure the tarballs exist (building them when they can be
// built here), makes the images' layers (kept next to the tarballs when
// that directory is writable, else in tmp) and pushes the images listed
// in the package comment to the registry at host (plain HTTP). missing
// says why the images cannot be had here and how to fix that ("" when
// they were pushed).
func Push(host, tmp string) (missing string, err error) {
	tars := []Tarball{Minbase, Python, Postgres}
	paths := make([]string, len(tars))
	missings := make([]string, len(tars))
	errs := make([]error, len(tars))
	var wg sync.WaitGroup
	for i, d := range tars {
		wg.Go(func() { paths[i], missings[i], errs[i] = d.Ensure() })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return "", err
	}
	var why []string
	for _, m := range missings {
		if m != "" {
			why = append(why, m)
		}
	}
	if len(why) > 0 {
		return strings.Join(why, "; "), nil
	}
	return "", pushImages(host, tmp, paths[0], paths[1], paths[2])
}

// The gzipped layers are kept next to the tarballs they are made of,
// named after them and layerVersion.
const layerVersion = "v1" // change when gzipFile or diffLayer change

func pushImages(host, tmp, minbaseTar, pythonTar, pgTar string) error {
	debKey := strings.TrimSuffix(filepath.Base(minbaseTar), ".tar") + ".layer-" + layerVersion + ".tar.gz"
	over := func(tar string) string {
		return strings.TrimSuffix(filepath.Base(tar), ".tar") + ".over-" + strings.TrimSuffix(debKey, ".tar.gz") + ".tar.gz"
	}
	var gz [3]string
	var errs [3]error
	var wg sync.WaitGroup
	wg.Go(func() {
		gz[0], errs[0] = layerFile(debKey, tmp, func(dst string) error { return gzipFile(minbaseTar, dst) })
	})
	for i, full := range []string{pythonTar, pgTar} {
		wg.Go(func() {
			gz[i+1], errs[i+1] = layerFile(over(full), tmp, func(dst string) error { return diffLayer(minbaseTar, full, dst) })
		})
	}
	wg.Wait()
	if err := errors.Join(errs[:]...); err != nil {
		return err
	}
	var layers [3]v1.Layer
	for i, p := range gz {
		var err error
		if layers[i], err = tarball.LayerFromFile(p); err != nil {
			return err
		}
	}
	entry, err := FileLayer("usr/local/bin/docker-entrypoint.sh", 0o755, PostgresEntrypoint)
	if err != nil {
		return err
	}
	cfg := &v1.ConfigFile{
		Architecture: runtime.GOARCH,
		OS:           "linux",
		Created:      v1.Time{Time: time.Unix(epoch, 0).UTC()},
		Config:       v1.Config{Env: []string{debianPath}, Cmd: []string{"bash"}},
		RootFS:       v1.RootFS{Type: "layers"},
	}
	deb, err := mutate.ConfigFile(empty.Image, cfg)
	if err != nil {
		return err
	}
	if deb, err = mutate.AppendLayers(deb, layers[0]); err != nil {
		return err
	}
	push := func(img v1.Image, tags ...string) error {
		for _, t := range tags {
			ref, err := name.ParseReference(host+"/"+t, name.Insecure)
			if err != nil {
				return err
			}
			if err := remote.Write(ref, img); err != nil {
				return fmt.Errorf("pushing %s: %w", ref, err)
			}
		}
		return nil
	}
	if err := push(deb, "library/debian:bookworm", "debian:bookworm"); err != nil {
		return err
	}
	// The pushed image, so that its layer is mounted into other
	// repositories instead of uploaded again.
	ref, err := name.ParseReference(host+"/library/debian:bookworm", name.Insecure)
	if err != nil {
		return err
	}
	base, err := remote.Image(ref)
	if err != nil {
		return err
	}
	py, err := mutate.AppendLayers(base, layers[1])
	if err != nil {
		return err
	}
	if py, err = mutate.Config(py, v1.Config{Env: []string{debianPath, "LANG=C.UTF-8"}, Cmd: []string{"python3"}}); err != nil {
		return err
	}
	if err := push(py, "library/python:3.11-slim", "library/python:3.8-slim"); err != nil {
		return err
	}
	pg, err := mutate.AppendLayers(base, layers[2], entry)
	if err != nil {
		return err
	}
	pg, err = mutate.Config(pg, v1.Config{
		Env:          PostgresEnv,
		Entrypoint:   []string{"docker-entrypoint.sh"},
		Cmd:          []string{"postgres"},
		ExposedPorts: map[string]struct{}{"5432/tcp": {}},
		Volumes:      map[string]struct{}{"/var/lib/postgresql/data": {}},
		StopSignal:   "SIGINT",
	})
	if err != nil {
		return err
	}
	return push(pg, "library/postgres:13", "library/postgres:15")
}

// PostgresEnv is the postgres image's environment.
var PostgresEnv = []string{"PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8", "PGDATA=/var/lib/postgresql/data"}

// PostgresEntrypoint is the postgres image's docker-entrypoint.sh: what
// docker's postgres image does at start, for Debian's postgresql package.
// As root with "postgres" as the command it makes $PGDATA the postgres
// user's, initialises it on first start (superuser $POSTGRES_USER with
// $POSTGRES_PASSWORD, database $POSTGRES_DB, connections from anywhere
// with a password) and runs the server as postgres (setpriv, as gosu).
const PostgresEntrypoint = `#!/bin/sh
set -e
if [ "$1" = postgres ] && [ "$(id -u)" = 0 ]; then
	mkdir -p "$PGDATA" /run/postgresql
	chown postgres:postgres "$PGDATA" /run/postgresql
	chmod 700 "$PGDATA"
	as_postgres="setpriv --reuid=postgres --regid=postgres --init-groups"
	if [ ! -s "$PGDATA/PG_VERSION" ]; then
		if [ -z "$POSTGRES_PASSWORD" ]; then
			echo "error: the database is not initialised and POSTGRES_PASSWORD is not set: set it (environment:)" >&2
			exit 1
		fi
		user=${POSTGRES_USER:-postgres}
		pw=$(mktemp)
		printf '%s
' "$POSTGRES_PASSWORD" >"$pw"
		chown postgres "$pw"
		$as_postgres initdb -D "$PGDATA" -U "$user" --pwfile="$pw" --auth-local=trust --auth-host=scram-sha-256
		rm -f "$pw"
		echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
		echo "listen_addresses = '*'" >>"$PGDATA/postgresql.conf"
		db=${POSTGRES_DB:-$user}
		if [ "$db" != postgres ]; then
			$as_postgres pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start
			$as_postgres psql -v ON_ERROR_STOP=1 -U "$user" -d postgres -c "CREATE DATABASE \"$db\""
			$as_postgres pg_ctl -D "$PGDATA" -m fast -w stop
		fi
		echo "PostgreSQL init process complete; ready for start up."
	fi
	exec $as_postgres "$@"
fi
exec "$@"
`

// FileLayer is a layer of one file (and its parent directories).
func FileLayer(name string, mode int64, content string) (v1.Layer, error) {
	var buf strings.Builder
	tw := tar.NewWriter(&buf)
	mt := time.Unix(epoch, 0)
	if parents := path.Dir(name); parents != "." {
		dir := ""
		for _, part := range strings.Split(parents, "/") {
			dir += part + "/"
			if err := tw.WriteHeader(&tar.Header{Name: dir, Typeflag: tar.TypeDir, Mode: 0o755, ModTime: mt}); err != nil {
				return nil, err
			}
		}
	}
	if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: mode, Size: int64(len(content)), ModTime: mt}); err != nil {
		return nil, err
	}
	io.WriteString(tw, content)
	if err := tw.Close(); err != nil {
		return nil, err
	}
	data := buf.String()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(data)), nil })
}

// layerFile returns the file key from the first images directory that
// has it, else makes it with mk: in the directory where tarballs are
// built, to be kept, or in tmp for this run only.
func layerFile(key, tmp string, mk func(dst string) error) (string, error) {
	search, build := Dirs()
	for _, dir := range search {
		p := filepath.Join(dir, key)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	dir := tmp
	if build != "" && os.MkdirAll(build, 0o755) == nil && unix.Access(build, unix.W_OK) == nil {
		dir = build
	}
	part := filepath.Join(dir, fmt.Sprintf(".%s.%d", key, os.Getpid()))
	defer os.Remove(part)
	if err := mk(part); err != nil {
		return "", err
	}
	if err := os.Chmod(part, 0o644); err != nil {
		return "", err
	}
	final := filepath.Join(dir, key)
	return final, os.Rename(part, final)
}

func gzipFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	zw, _ := gzip.NewWriterLevel(out, gzip.BestSpeed)
	if _, err := io.Copy(zw, bufio.NewReaderSize(in, 1<<20)); err != nil {
		out.Close()
		return err
	}
	if err := zw.Close(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// diffLayer writes to dst (gzipped) the layer that turns the tree in the
// tarball base into the one in full: the entries of full that are new or
// differ (with their parent directories, and both ends of hard links),
// and whiteouts for what full lacks.
func diffLayer(base, full, dst string) error {
	baseSigs := map[string]string{}
	err := scanTar(base, func(h *tar.Header, r io.Reader) error {
		s, err := entrySig(h, r)
		baseSigs[cleanTarName(h.Name)] = s
		return err
	})
	if err != nil {
		return err
	}
	type entry struct {
		typ  byte
		link string
	}
	entries := map[string]entry{}
	include := map[string]bool{}
	err = scanTar(full, func(h *tar.Header, r io.Reader) error {
		s, err := entrySig(h, r)
		n := cleanTarName(h.Name)
		entries[n] = entry{h.Typeflag, cleanTarName(h.Linkname)}
		if baseSigs[n] != s {
			include[n] = true
		}
		return err
	})
	if err != nil {
		return err
	}
	// A hard link needs its target in the same layer, and a changed
	// target changes its links.
	for changed := true; changed; {
		changed = false
		for n, e := range entries {
			if e.typ == tar.TypeLink && include[n] != include[e.link] {
				include[n], include[e.link] = true, true
				changed = true
			}
		}
	}
	var names []string
	for n := range include {
		names = append(names, n)
	}
	for _, n := range names {
		for p := path.Dir(n); p != "." && p != "/"; p = path.Dir(p) {
			if _, ok := entries[p]; ok {
				include[p] = true
			}
		}
	}

	f, err := os.Create(dst)
	if err != nil {
		return err
	}
	defer f.Close()
	zw, _ := gzip.NewWriterLevel(f, gzip.BestSpeed)
	tw := tar.NewWriter(zw)
	err = scanTar(full, func(h *tar.Header, r io.Reader) error {
		if !include[cleanTarName(h.Name)] {
			return nil
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		_, err := io.Copy(tw, r)
		return err
	})
	if err != nil {
		return err
	}
	for n := range baseSigs {
		if _, ok := entries[n]; ok || n == "." {
			continue
		}
		if _, parentGone := baseSigs[path.Dir(n)]; parentGone && path.Dir(n) != "." {
			if _, ok := entries[path.Dir(n)]; !ok {
				continue // the parent's whiteout covers it
			}
		}
		wh := path.Join(path.Dir(n), ".wh."+path.Base(n))
		if err := tw.WriteHeader(&tar.Header{Name: wh, Typeflag: tar.TypeReg, Mode: 0o600, ModTime: time.Unix(epoch, 0)}); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return f.Close()
}

func scanTar(p string, fn func(*tar.Header, io.Reader) error) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	tr := tar.NewReader(bufio.NewReaderSize(f, 1<<20))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading %s: %w", p, err)
		}
		if err := fn(h, tr); err != nil {
			return err
		}
	}
}

func cleanTarName(n string) string {
	if n == "" {
		return ""
	}
	return path.Clean(strings.TrimPrefix(n, "./"))
}

// entrySig is what makes two tar entries the same file: type, metadata,
// link target, extended attributes and content.
func entrySig(h *tar.Header, r io.Reader) (string, error) {
	sum := sha256.New()
	if _, err := io.Copy(sum, r); err != nil {
		return "", err
	}
	var xattrs []string
	for k, v := range h.PAXRecords {
		if strings.HasPrefix(k, "SCHILY.xattr.") {
			xattrs = append(xattrs, k+"="+v)
		}
	}
	return fmt.Sprintf("%c %o %d:%d %d %q %d %d,%d %x %q", h.Typeflag, h.Mode, h.Uid, h.Gid, h.ModTime.Unix(),
		h.Linkname, h.Size, h.Devmajor, h.Devminor, sum.Sum(nil), slices.Sorted(slices.Values(xattrs))), nil
}
