package vm

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakePulled stores a kernel as kist vm kernel pull would have pulled it
// from ref at time at.
func fakePulled(t *testing.T, ref, release string, at time.Time, modules bool) *PulledKernel {
	t.Helper()
	p := &PulledKernel{Ref: fullRef(ref), ImageID: "0123", File: "/kernel", Version: release, Modules: modules, Pulled: at}
	p.Dir = filepath.Join(kernelsDir(), kernelKey(p.Ref))
	os.MkdirAll(p.Dir, 0o700)
	if err := os.WriteFile(p.Path(), fakeBzImage(t, "gzip", release), 0o644); err != nil {
		t.Fatal(err)
	}
	meta, _ := json.Marshal(p)
	os.WriteFile(filepath.Join(p.Dir, "pulled.json"), meta, 0o644)
	return p
}

func TestFindKernelPulled(t *testing.T) {
	fakeBoot(t, "6.1.0-9-amd64", nil)
	fakePulled(t, "linuxkit/kernel:6.6.13", "6.6.13-linuxkit", time.Unix(1700000000, 0), true)
	last := fakePulled(t, "127.0.0.1:5000/kernels/host:1", "6.1.0-57-amd64", time.Unix(1700000100, 0), false)

	// /boot has none: the one pulled last
	k, err := FindKernel("")
	if err != nil {
		t.Fatal(err)
	}
	if k.Path != last.Path() || k.Version != "6.1.0-57-amd64" || k.Pulled != "127.0.0.1:5000/kernels/host:1" || k.ModulesDir != "" ||
		!strings.Contains(k.Why, "pulled last, from 127.0.0.1:5000/kernels/host:1 (kist vm kernel pull), as ") {
		t.Errorf("got %+v", k)
	}
	if _, err := k.networkModules(MachineMicrovm); err == nil || !strings.Contains(err.Error(), "has no /kernel.tar with them") {
		t.Errorf("-p without modules: got %v", err)
	}

	// --kernel REF, as pulled (docker's short names work)
	k, err = FindKernel("linuxkit/kernel:6.6.13")
	if err != nil {
		t.Fatal(err)
	}
	if k.Version != "6.6.13-linuxkit" || k.Why != "--kernel linuxkit/kernel:6.6.13, pulled with kist vm kernel pull" ||
		k.ModulesDir != filepath.Join(filepath.Dir(k.Path), "lib", "modules") {
		t.Errorf("got %+v", k)
	}
	// a reference not pulled says how to pull it
	_, err = FindKernel("linuxkit/kernel:5.10")
	if err == nil || !strings.HasSuffix(err.Error(), "fetch that image first with kist vm kernel pull linuxkit/kernel:5.10") {
		t.Errorf("not pulled: got %v", err)
	}
	list, err := PulledKernels()
	if err != nil || len(list) != 2 || list[0].Ref != "127.0.0.1:5000/kernels/host:1" || list[1].Ref != "docker.io/linuxkit/kernel:6.6.13" {
		t.Errorf("PulledKernels: got %v, %v", list, err)
	}
}

// TestFindKernelBootFirst: a readable kernel in /boot wins over a pulled
// one, which --kernel REF still picks.
func TestFindKernelBootFirst(t *testing.T) {
	boot := fakeBoot(t, "6.1.0-9-amd64", map[string]os.FileMode{"vmlinuz-6.1.0-9-amd64": 0o644})
	fakePulled(t, "linuxkit/kernel:6.6.13", "6.6.13-linuxkit", time.Now(), true)
	if k, err := FindKernel(""); err != nil || k.Path != filepath.Join(boot, "vmlinuz-6.1.0-9-amd64") || k.ModulesDir != modulesDir {
		t.Errorf("got %+v, %v", k, err)
	}
	if k, err := FindKernel("docker.io/linuxkit/kernel:6.6.13"); err != nil || k.Version != "6.6.13-linuxkit" {
		t.Errorf("--kernel REF: got %+v, %v", k, err)
	}
}

func TestUntarModules(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	add := func(name string, typ byte, data string) {
		tw.WriteHeader(&tar.Header{Name: name, Typeflag: typ, Mode: 0o644, Size: int64(len(data)), Linkname: "/usr/src/x"})
		tw.Write([]byte(data))
	}
	add("boot/vmlinuz-6.6.13", tar.TypeReg, "kernel again")
	add("lib/", tar.TypeDir, "")
	add("lib/modules/", tar.TypeDir, "")
	add("lib/modules/6.6.13/", tar.TypeDir, "")
	add("lib/modules/6.6.13/modules.dep", tar.TypeReg, "kernel/virtio_net.ko:\n")
	add("./lib/modules/6.6.13/kernel/virtio_net.ko", tar.TypeReg, "\x7fELF")
	add("lib/modules/6.6.13/build", tar.TypeSymlink, "")
	add("lib/modules/../../../escape", tar.TypeReg, "out")
	tw.Close()
	dir := t.TempDir()
	found, err := untarModules(&buf, dir)
	if err != nil || !found {
		t.Fatalf("found %v, %v", found, err)
	}
	var files []string
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			files = append(files, rel)
		}
		return nil
	})
	if want := "lib/modules/6.6.13/kernel/virtio_net.ko lib/modules/6.6.13/modules.dep"; strings.Join(files, " ") != want {
		t.Errorf("got %v, want %s", files, want)
	}
}

// TestPullKernelBadName: a file name or a bad image name is refused
// before anything is fetched.
func TestPullKernelBadName(t *testing.T) {
	for ref, want := range map[string]string{
		"./vmlinuz": "./vmlinuz is a file name, not an image: kist vm run --kernel ./vmlinuz boots a kernel file as it is",
		"Foo/Bar":   "repository names must be lowercase",
	} {
		if _, err := PullKernel(context.Background(), ref, io.Discard); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %q", ref, err, want)
		}
	}
}
