package doctor

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// ChooseKernel is the kernel kist vm boots unless told which: in boot,
// vmlinuz-RELEASE (the running kernel's) when it is readable, else the
// newest readable vmlinuz-*. It returns "" when none is readable, and the
// kernels there, newest first.
func ChooseKernel(boot, release string) (path string, all []string) {
	all, _ = filepath.Glob(filepath.Join(boot, "vmlinuz-*"))
	slices.SortFunc(all, func(a, b string) int { return -VersionCompare(a, b) })
	for _, p := range append([]string{filepath.Join(boot, "vmlinuz-"+release)}, all...) {
		if f, err := os.Open(p); err == nil {
			f.Close()
			return p, all
		}
	}
	return "", all
}

// checkVMKernel looks for the kernel kist vm boots (ChooseKernel), which
// it boots to compare a VM with a container.
func checkVMKernel(ctx context.Context) Result {
	p, paths := ChooseKernel(bootDir, kernelRelease())
	if len(paths) == 0 && p == "" {
		return Result{Status: Warn,
			Detail: fmt.Sprintf("no %s/vmlinuz-*, so kist vm has no kernel to boot", bootDir),
			Fix: fmt.Sprintf("sudo apt-get install linux-image-%s (Debian) or linux-image-generic (Ubuntu); "+
				"without sudo: kist vm kernel pull IMAGE (a kernel image from a registry), then kist vm run --kernel IMAGE", goarch)}
	}
	if p != "" {
		return Result{Status: OK, Detail: p + " is readable"}
	}
	mode := "?"
	if fi, err := os.Stat(paths[0]); err == nil {
		mode = fmt.Sprintf("%04o", fi.Mode().Perm())
	}
	return Result{Status: Warn,
		Detail: fmt.Sprintf("%s is not readable by you (mode %s, as Ubuntu installs kernels), so kist vm cannot boot it", paths[0], mode),
		Fix: fmt.Sprintf("sudo chmod 0644 %s/vmlinuz-* (to keep it so across updates: sudo dpkg-statoverride --update --add root root 0644 %s); "+
			"without sudo: kist vm kernel pull IMAGE (a kernel image from a registry), then kist vm run --kernel IMAGE",
			bootDir, paths[0])}
}

// VersionCompare orders strings with embedded numbers naturally, so that
// vmlinuz-6.10.0 sorts after vmlinuz-6.9.0 (kist doctor and kist vm pick
// the newest kernel by it).
func VersionCompare(a, b string) int {
	for a != "" && b != "" {
		ca, ra := leadingChunk(a)
		cb, rb := leadingChunk(b)
		if c := chunkCompare(ca, cb); c != 0 {
			return c
		}
		a, b = ra, rb
	}
	return len(a) - len(b)
}

// leadingChunk splits s after its leading run of digits or of non-digits.
func leadingChunk(s string) (chunk, rest string) {
	digit := isDigit(s[0])
	i := 1
	for i < len(s) && isDigit(s[i]) == digit {
		i++
	}
	return s[:i], s[i:]
}

func chunkCompare(a, b string) int {
	if isDigit(a[0]) && isDigit(b[0]) {
		a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
		if len(a) != len(b) {
			return len(a) - len(b)
		}
	}
	return strings.Compare(a, b)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
