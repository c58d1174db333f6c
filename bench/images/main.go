// Command images times kist's image work next to its anchors, side by
// side in one run, from the same loopback registry:
//
//   - pull: kist pull against skopeo copy to an OCI directory (blobs
//     only, nothing unpacked), and when podman is installed and works,
//     skopeo copy to podman's store (unpacked, like kist) and podman
//     pull; every round starts from an empty store.
//   - run: kist run --rm IMAGE true against podman run --rm
//     --network=none IMAGE true (kist's default network is none too).
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
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
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
	defer os.RemoveAll(work)
	// Without a login session skopeo and podman look for credentials in
	// /run/containers/UID, which may not be theirs to read.
	os.Setenv("REGISTRY_AUTH_FILE", filepath.Join(work, "auth.json"))
	os.WriteFile(filepath.Join(work, "auth.json"), []byte(`{"auths":{}}`), 0o600)
	kistEnv := append(os.Environ(), "XDG_DATA_HOME="+filepath.Join(work, "kist-data"))
	podman := podmanWorks(ref)

	fmt.Printf("image %s: %.0f MB compressed; %d pull rounds, %d run rounds, interleaved\n\n", ref, float64(size)/1e6, *pulls, *runs)
	pull := map[string][]time.Duration{}
	for i := 0; i < *pulls; i++ {
		must(cmd(kistEnv, *kist, "system", "reset", "--force"))
		pull["kist pull"] = append(pull["kist pull"], timed(cmd(kistEnv, *kist, "pull", "-q", ref)))
		dir := filepath.Join(work, "oci")
		os.RemoveAll(dir)
		pull["skopeo copy (oci dir)"] = append(pull["skopeo copy (oci dir)"], timed(cmd(nil, "skopeo", "copy", "-q", "--src-tls-verify=false", "docker://"+ref, "oci:"+dir+":x")))
		if podman {
			must(cmd(nil, "podman", "system", "reset", "-f"))
			pull["skopeo copy (unpacked)"] = append(pull["skopeo copy (unpacked)"], timed(cmd(nil, "skopeo", "copy", "-q", "--src-tls-verify=false", "docker://"+ref, "containers-storage:"+ref)))
			must(cmd(nil, "podman", "system", "reset", "-f"))
			pull["podman pull"] = append(pull["podman pull"], timed(cmd(nil, "podman", "pull", "-q", "--tls-verify=false", ref)))
		}
	}
	report("pull", pull, "skopeo copy (oci dir)", "kist pull")
	if podman {
		fmt.Printf("kist pull / skopeo copy (unpacked) = %.3f\n\n", float64(median(pull["kist pull"]))/float64(median(pull["skopeo copy (unpacked)"])))
	}
	run := map[string][]time.Duration{}
	if podman {
		must(cmd(nil, "podman", "pull", "-q", "--tls-verify=false", ref))
	}
	for i := 0; i < *runs; i++ {
		run["kist run --rm"] = append(run["kist run --rm"], timed(cmd(kistEnv, *kist, "run", "--rm", ref, "true")))
		if podman {
			run["podman run --rm"] = append(run["podman run --rm"], timed(cmd(nil, "podman", podmanRun(ref)...)))
		}
	}
	report("run", run, "podman run --rm", "kist run --rm")
	cmd(kistEnv, *kist, "system", "reset", "--force").Run()
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
		if img, err = mutate.AppendLayers(empty.Image, layer); err != nil {
			return 0, err
		}
		cfg, _ := img.ConfigFile()
		cfg = cfg.DeepCopy()
		cfg.OS, cfg.Architecture = "linux", "amd64"
		cfg.Config = v1.Config{Cmd: []string{"python3"}, Env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}}
		if img, err = mutate.ConfigFile(img, cfg); err != nil {
			return 0, err
		}
		if err := remote.Write(r, img); err != nil {
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

// podmanWorks reports whether podman is installed and can pull here.
func podmanWorks(ref string) bool {
	if _, err := exec.LookPath("podman"); err != nil {
		fmt.Println("podman: not installed, left out")
		return false
	}
	if out, err := cmd(nil, "podman", "pull", "-q", "--tls-verify=false", ref).CombinedOutput(); err != nil {
		fmt.Printf("podman: does not work here, left out: %s\n", strings.TrimSpace(string(out)))
		return false
	}
	if out, err := cmd(nil, "podman", podmanRun(ref)...).CombinedOutput(); err != nil {
		fmt.Printf("podman: cannot run containers here, left out: %s\n", strings.TrimSpace(string(out)))
		return false
	}
	return true
}

// podmanRun is podman's run of ref with the settings that work on a
// host with a hybrid cgroup layout (crun refuses it; runc with cgroupfs
// works) and no network, like kist's default.
func podmanRun(ref string) []string {
	args := []string{"--cgroup-manager", "cgroupfs"}
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

func timed(c *exec.Cmd) time.Duration {
	t := time.Now()
	if out, err := c.CombinedOutput(); err != nil {
		fail("%s: %v\n%s", strings.Join(c.Args, " "), err, out)
	}
	return time.Since(t)
}

func must(c *exec.Cmd) {
	if out, err := c.CombinedOutput(); err != nil {
		fail("%s: %v\n%s", strings.Join(c.Args, " "), err, out)
	}
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func report(what string, res map[string][]time.Duration, anchor, kist string) {
	fmt.Printf("%-18s %10s %10s\n", what, "median", "min")
	var names []string
	for n := range res {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		fmt.Printf("%-18s %8.1fms %8.1fms\n", n, ms(median(res[n])), ms(slices.Min(res[n])))
	}
	if a, ok := res[anchor]; ok {
		fmt.Printf("%s / %s = %.3f\n", kist, anchor, float64(median(res[kist]))/float64(median(a)))
	}
	fmt.Println()
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func fail(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "images: "+format+"\n", a...)
	os.Exit(1)
}
