package vm

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"kist/sandbox"
)

// Published ports (-p): QEMU's user-mode network (slirp) forwards a host
// port to the guest's eth0, a virtio network card. Debian's kernel has
// virtio as modules, so the initramfs gets them from
// /lib/modules/VERSION and the guest's init loads them (finit_module)
// before it gives eth0 slirp's usual address.

// Slirp's network, as QEMU sets it up by default.
var (
	guestIP   = [4]byte{10, 0, 2, 15}
	guestMask = [4]byte{255, 255, 255, 0}
)

// modulesDir is where a kernel's modules are; a variable for tests.
var modulesDir = "/lib/modules"

// networkModules are the module files k's guest of machine needs for a
// network card (netModules), from k's modules.
func (k *Kernel) networkModules(machine string) ([]string, error) {
	if k.ModulesDir == "" {
		return nil, fmt.Errorf("-p needs the guest kernel's network modules, and %s, where kist vm kernel pull got it, has no /kernel.tar with them: "+
			"pull a kernel image that has them (LinuxKit's do), or leave out -p", k.Pulled)
	}
	return netModules(k.ModulesDir, k.Version, machine)
}

// netModules returns the module files a guest of machine needs for a
// virtio network card, dependencies first: virtio_net and the virtio
// transport (virtio_mmio on microvm, virtio_pci on q35), from the kernel
// release's modules.dep in root (/lib/modules).
func netModules(root, release, machine string) ([]string, error) {
	dir := filepath.Join(root, release)
	f, err := os.Open(filepath.Join(dir, "modules.dep"))
	if err != nil {
		return nil, fmt.Errorf("-p needs the guest kernel's network modules, and %s has none (%v): install the modules of kernel %s (the linux-image package has them), or boot a kernel with virtio built in",
			dir, unwrapPath(err), release)
	}
	defer f.Close()
	deps := map[string][]string{}
	byName := map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		mod, list, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		deps[mod] = strings.Fields(list)
		byName[moduleName(mod)] = mod
	}
	transport := "virtio_mmio"
	if machine == MachineQ35 {
		transport = "virtio_pci"
	}
	var order []string
	seen := map[string]bool{}
	var add func(mod string)
	add = func(mod string) {
		if seen[mod] {
			return
		}
		seen[mod] = true
		d := deps[mod]
		for i := len(d) - 1; i >= 0; i-- { // modprobe loads the last first
			add(d[i])
		}
		order = append(order, filepath.Join(dir, mod))
	}
	for _, name := range []string{transport, "virtio_net"} {
		mod, ok := byName[name]
		if !ok {
			return nil, fmt.Errorf("-p needs module %s of kernel %s, and %s/modules.dep does not list it (built into the kernel? then kist cannot tell)", name, release, dir)
		}
		add(mod)
	}
	return order, nil
}

// moduleName is a module's name from its path: kernel/drivers/net/virtio_net.ko is virtio_net.
func moduleName(path string) string {
	base := filepath.Base(path)
	base, _, _ = strings.Cut(base, ".ko")
	return strings.ReplaceAll(base, "-", "_")
}

// guestModule is where the initramfs has module file p.
func guestModule(p string) string { return "/.kist/modules/" + filepath.Base(p) }

// publishPorts reads -p specs and checks that their host ports are free;
// a free one is picked where a spec gives none (picked says which).
func publishPorts(specs []string) (maps []sandbox.PortMap, picked []bool, err error) {
	for _, s := range specs {
		m, err := sandbox.ParsePublish(s)
		if err != nil {
			return nil, nil, err
		}
		maps = append(maps, m)
		picked = append(picked, m.HostPort == 0)
	}
	ls, err := sandbox.Listen(maps) // QEMU listens itself; this checks and picks
	if err != nil {
		return nil, nil, err
	}
	sandbox.ClosePublished(ls)
	for i, l := range ls {
		maps[i] = l.PortMap
	}
	return maps, picked, nil
}

// netArgs are QEMU's arguments for a virtio network card on slirp with
// maps forwarded.
func netArgs(machine string, maps []sandbox.PortMap) []string {
	netdev := "user,id=net0"
	for _, m := range maps {
		netdev += fmt.Sprintf(",hostfwd=%s:%s:%d-:%d", m.Proto, m.HostIP, m.HostPort, m.CtrPort)
	}
	dev := "virtio-net-device,netdev=net0"
	if machine == MachineQ35 {
		dev = "virtio-net-pci,netdev=net0"
	}
	return []string{"-netdev", netdev, "-device", dev}
}

// setupNet is the guest's side: load the modules (paths in the
// initramfs, in order) and bring up eth0 with slirp's address.
func setupNet(modules []string) error {
	cmdline, _ := os.ReadFile("/proc/cmdline")
	for _, p := range modules {
		if err := loadModule(p, string(cmdline)); err != nil {
			return err
		}
	}
	deadline := time.Now().Add(3 * time.Second)
	for {
		if _, err := os.Stat("/sys/class/net/eth0"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no eth0 appeared after loading %s", strings.Join(modules, ", "))
		}
		time.Sleep(10 * time.Millisecond)
	}
	s, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(s)
	for _, step := range []struct {
		req  uint
		addr [4]byte
	}{{unix.SIOCSIFADDR, guestIP}, {unix.SIOCSIFNETMASK, guestMask}} {
		ifr, err := unix.NewIfreq("eth0")
		if err != nil {
			return err
		}
		if err := ifr.SetInet4Addr(step.addr[:]); err != nil {
			return err
		}
		if err := unix.IoctlIfreq(s, step.req, ifr); err != nil {
			return fmt.Errorf("configuring eth0: %w", err)
		}
	}
	ifr, err := unix.NewIfreq("eth0")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(s, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(s, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("bringing up eth0: %w", err)
	}
	return nil
}

// loadModule loads module file p with the parameters the kernel command
// line gives it (NAME.PARAM=VALUE, what modprobe would pass: QEMU's
// microvm describes its virtio devices so).
func loadModule(p, cmdline string) error {
	name := moduleName(p)
	var params []string
	for _, f := range strings.Fields(cmdline) {
		if v, ok := strings.CutPrefix(f, name+"."); ok {
			params = append(params, v)
		}
	}
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	flags := 0
	if !strings.HasSuffix(p, ".ko") {
		// .ko.xz, .ko.zst: the kernel decompresses it (Linux 5.17
		// and later, CONFIG_MODULE_DECOMPRESS)
		flags = unix.MODULE_INIT_COMPRESSED_FILE
	}
	if err := unix.FinitModule(int(f.Fd()), strings.Join(params, " "), flags); err != nil && err != unix.EEXIST {
		return fmt.Errorf("loading module %s: %w", name, err)
	}
	return nil
}
