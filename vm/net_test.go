package vm

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"kist/sandbox"
)

func TestNetModules(t *testing.T) {
	dir := t.TempDir()
	set(t, &modulesDir, dir)
	os.MkdirAll(filepath.Join(dir, "6.1.0-1-test"), 0o755)
	os.WriteFile(filepath.Join(dir, "6.1.0-1-test", "modules.dep"), []byte(`kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/virtio/virtio_ring.ko:
kernel/drivers/virtio/virtio_mmio.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio_pci_legacy_dev.ko kernel/drivers/virtio/virtio_pci_modern_dev.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/virtio/virtio_pci_legacy_dev.ko:
kernel/drivers/virtio/virtio_pci_modern_dev.ko:
kernel/drivers/net/virtio_net.ko: kernel/drivers/net/net_failover.ko kernel/net/core/failover.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/net/net_failover.ko: kernel/net/core/failover.ko
kernel/net/core/failover.ko:
`), 0o644)
	got, err := netModules(dir, "6.1.0-1-test", MachineMicrovm)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range got {
		if !strings.HasPrefix(p, filepath.Join(dir, "6.1.0-1-test", "kernel")) {
			t.Errorf("%s is not in the kernel's modules", p)
		}
		names = append(names, moduleName(p))
	}
	want := []string{"virtio_ring", "virtio", "virtio_mmio", "failover", "net_failover", "virtio_net"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("microvm: got %v, want %v", names, want)
	}
	got, _ = netModules(dir, "6.1.0-1-test", MachineQ35)
	names = nil
	for _, p := range got {
		names = append(names, moduleName(p))
	}
	want = []string{"virtio_ring", "virtio", "virtio_pci_modern_dev", "virtio_pci_legacy_dev", "virtio_pci", "failover", "net_failover", "virtio_net"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("q35: got %v, want %v", names, want)
	}
	if _, err := netModules(dir, "9.9.9", MachineMicrovm); err == nil || !strings.Contains(err.Error(), "install the modules of kernel 9.9.9") {
		t.Errorf("no modules: got %v", err)
	}
}

func TestNetArgs(t *testing.T) {
	maps := []sandbox.PortMap{{HostPort: 8080, CtrPort: 80, Proto: "tcp"}, {HostIP: "127.0.0.1", HostPort: 2222, CtrPort: 22, Proto: "tcp"}}
	got := strings.Join(netArgs(MachineMicrovm, maps), " ")
	want := "-netdev user,id=net0,hostfwd=tcp::8080-:80,hostfwd=tcp:127.0.0.1:2222-:22 -device virtio-net-device,netdev=net0"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if got := netArgs(MachineQ35, maps)[3]; got != "virtio-net-pci,netdev=net0" {
		t.Errorf("q35: %s", got)
	}
	if guestModule("/lib/modules/x/kernel/net/core/failover.ko") != "/.kist/modules/failover.ko" {
		t.Errorf("guestModule")
	}
}
