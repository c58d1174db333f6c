// Command images times kist's image work next to its anchors, side by
// side in one run, from the same loopback registry:
//
//   - pull: kist pull against skopeo copy to an OCI directory (blobs
//     only, nothing unpacked), and when podman is installed and works,
//     skopeo copy to a containers-storage store (unpacked, like kist)
//     and podman pull. Every round pulls into new, empty stores, and
//     they are only removed at the end: right after many files are
//     deleted, creating files costs far more on some file systems (ext4
//     without a journal skips recently freed inodes one at a time), which
//     would time the file system rather than the tools. Before each
//     timed command the disk is synced, so no tool pays for writing out
//     what the one before it left.
//   - run: kist run --rm IMAGE true against podman run --rm
//     --network=none IMAGE true (kist's default network is none too).
//
// podman and skopeo use stores of their own under the work directory
// (--root, --runroot), never the user's.
//
// Usage (bench/images.sh sets it up):
//
//	images -kist PATH -registry HOST:PORT -image NAME:TAG [-rootfs-tar FILE] [-pulls 5] [-runs 20]
//
// With -rootfs-tar, the image is first pushed to the registry as one
// gzip layer if it is not there yet.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"kist/bench/internal/benchutil"
)

func main() {
	kist := flag.String("kist", "", "kist binary")
	reg := flag.String("registry", "", "registry host:port (plain HTTP on loopback)")
	img := flag.String("image", "bench/python:1", "image name in the registry")
	rootfsTar := flag.String("rootfs-tar", "", "root filesystem tarball to push as the image when it is missing")
	pulls := flag.Int("pulls", 5, "pull rounds per tool")
	runs := flag.Int("runs", 20, "run rounds per tool")
	flag.Parse()
	if *kist == "" || *reg == "" {
		fail("usage: images -kist PATH -registry HOST:PORT [-image NAME] [-rootfs-tar FILE]")
	}
	ref := *reg + "/" + *img
	size, err := ensureImage(ref, *rootfsTar)
	if err != nil {
		fail("preparing %s: %v", ref, err)
	}
	work, _ := os.MkdirTemp("", "kist-bench-images-")
	var kistStores, podmanStores []string
	atExit = func() {
		// The stores' files belong to ids of the user's namespace: each
		// tool removes its own.
		for _, d := range kistStores {
			cmd(kistEnv(d), *kist, "system", "reset", "--force").Run()
		}
		if _, err := exec.LookPath("podman"); err == nil {
			cmd(nil, "podman", append([]string{"unshare", "rm", "-rf"}, podmanStores...)...).Run()
		}
		os.RemoveAll(work)
	}
	defer atExit()
	newStore := func(tool string, round int) string {
		d := filepath.Join(work, fmt.Sprintf("%s-%d", tool, round))
		if tool == "kist" {
			kistStores = append(kistStores, d)
		} else {
			podmanStores = append(podmanStores, d)
		}
		return d
	}
	// Without a login session skopeo and podman look for credentials in
	// /run/containers/UID, which may not be theirs to read.
	os.Setenv("REGISTRY_AUTH_FILE", filepath.Join(work, "auth.json"))
	os.WriteFile(filepath.Join(work, "auth.json"), []byte(`{"auths":{}}`), 0o600)
	runKist, runPodman := newStore("kist", 0), newStore("podman", 0)
	podman := podmanWorks(runPodman, ref)

	fmt.Printf("image %s: %.0f MB compressed; %d pull rounds, %d run rounds, interleaved\n\n", ref, float64(size)/1e6, *pulls, *runs)
	pull := map[string][]time.Duration{}
	for i := 1; i <= *pulls; i++ {
		pull["kist pull"] = append(pull["kist pull"], timed(cmd(kistEnv(newStore("kist", i)), *kist, "pull", "-q", ref)))
		pull["skopeo copy (oci dir)"] = append(pull["skopeo copy (oci dir)"], timed(cmd(nil, "skopeo", "copy", "-q", "--src-tls-verify=false", "docker://"+ref, "oci:"+filepath.Join(work, fmt.Sprintf("oci-%d", i))+":x")))
		if podman {
			d := newStore("skopeo", i)
			dest := "containers-storage:[overlay@" + filepath.Join(d, "root") + "+" + filepath.Join(d, "run") + "]" + ref
			pull["skopeo copy (unpacked)"] = append(pull["skopeo copy (unpacked)"], timed(cmd(nil, "skopeo", "copy", "-q", "--src-tls-verify=false", "docker://"+ref, dest)))
			pull["podman pull"] = append(pull["podman pull"], timed(cmd(nil, "podman", append(podmanStore(newStore("podman", i)), "pull", "-q", "--tls-verify=false", ref)...)))
		}
	}
	report("pull", pull, "kist pull", "skopeo copy (oci dir)", "skopeo copy (unpacked)", "podman pull")
	timed(cmd(kistEnv(runKist), *kist, "pull", "-q", ref)) // podmanWorks pulled podman's
	run := map[string][]time.Duration{}
	for i := 0; i < *runs; i++ {
		run["kist run --rm"] = append(run["kist run --rm"], timed(cmd(kistEnv(runKist), *kist, "run", "--rm", ref, "true")))
		if podman {
			run["podman run --rm"] = append(run["podman run --rm"], timed(cmd(nil, "podman", podmanRun(runPodman, ref)...)))
		}
	}
	report("run", run, "kist run --rm", "podman run --rm")
}

// kistEnv is the environment for kist with its store under dir.
func kistEnv(dir string) []string {
	return append(os.Environ(), "XDG_DATA_HOME="+dir)
}

// podmanStore is podman's options for a store of its own under dir.
// Native overlay, as podman uses in a user's default store: in a new
// --root without a storage.conf podman 4.3 picks vfs here, which copies
// the whole image for every container (8 s for this one).
func podmanStore(dir string) []string {
	return []string{"--root", filepath.Join(dir, "root"), "--runroot", filepath.Join(dir, "run"), "--storage-driver", "overlay"}
}

// ensureImage pushes rootfsTar as ref when the registry lacks it and
// returns the image's compressed size.
func ensureImage(ref, rootfsTar string) (int64, error) {
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		return 0, err
	}
	img, err := remote.Image(r)
	if err != nil {
		if rootfsTar == "" {
			return 0, err
		}
		layer, err := tarball.LayerFromFile(rootfsTar)
		if err != nil {
			return 0, err
		}
		if err := benchutil.PushImage(ref, layer, v1.Config{Cmd: []string{"python3"}, Env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}}); err != nil {
			return 0, err
		}
		if img, err = remote.Image(r); err != nil {
			return 0, err
		}
	}
	layers, err := img.Layers()
	if err != nil {
		return 0, err
	}
	var total int64
	for _, l := range layers {
		n, _ := l.Size()
		total += n
	}
	return total, nil
}

// podmanWorks reports whether podman is installed and can pull and run
// here, with its store under dir (kept for the run rounds).
func podmanWorks(dir, ref string) bool {
	if _, err := exec.LookPath("podman"); err != nil {
		fmt.Println("podman: not installed, left out")
		return false
	}
	if out, err := cmd(nil, "podman", append(podmanStore(dir), "pull", "-q", "--tls-verify=false", ref)...).CombinedOutput(); err != nil {
		fmt.Printf("podman: does not work here, left out: %s\n", strings.TrimSpace(string(out)))
		return false
	}
	if out, err := cmd(nil, "podman", podmanRun(dir, ref)...).CombinedOutput(); err != nil {
		fmt.Printf("podman: cannot run containers here, left out: %s\n", strings.TrimSpace(string(out)))
		return false
	}
	return true
}

// podmanRun is podman's run of ref with its store under dir, with the
// settings that work on a host with a hybrid cgroup layout (crun refuses
// it; runc with cgroupfs works) and no network, like kist's default.
func podmanRun(dir, ref string) []string {
	args := append(podmanStore(dir), "--cgroup-manager", "cgroupfs")
	if _, err := exec.LookPath("runc"); err == nil {
		args = append(args, "--runtime", "runc")
	}
	return append(args, "run", "--rm", "--network=none", ref, "true")
}

func cmd(env []string, name string, args ...string) *exec.Cmd {
	c := exec.Command(name, args...)
	c.Env = env
	return c
}

// timed runs c and returns how long it took. The data the commands
// before it left for the disk is written out first, so that it is not
// counted against c.
func timed(c *exec.Cmd) time.Duration {
	syscall.Sync()
	t := time.Now()
	if out, err := c.CombinedOutput(); err != nil {
		fail("%s: %v\n%s", strings.Join(c.Args, " "), err, out)
	}
	return time.Since(t)
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

// report prints each tool's median and minimum, and kist's median over
// each anchor's that was measured.
func report(what string, res map[string][]time.Duration, kist string, anchors ...string) {
	fmt.Printf("%-24s %10s %10s\n", what, "median", "min")
	var names []string
	for n := range res {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		fmt.Printf("%-24s %8.1fms %8.1fms\n", n, ms(median(res[n])), ms(slices.Min(res[n])))
	}
	for _, a := range anchors {
		if d, ok := res[a]; ok {
			fmt.Printf("%s / %s = %.3f\n", kist, a, float64(median(res[kist]))/float64(median(d)))
		}
	}
	fmt.Println()
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// atExit removes what the run made.
var atExit = func() {}

func fail(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "images: "+format+"\n", a...)
	atExit()
	os.Exit(1)
}
