package nsinit

import (
	"syscall"
	"unsafe"
)

// A container on kist networks (package network) gets one tap device per
// network, eth0, eth1, ... in the order of Spec.Nets, that its init makes
// inside the container's network namespace and configures with the
// address its parent leased; each tap's fd then goes to its network's
// keeper over a unix socket, which switches frames between the
// network's containers and its gateway. The default route goes through
// the first network's gateway; the others reach their own subnet only.
// The connections to the keepers stay open for the init's life: when
// they end, the keepers close the taps and the namespace can go.

// NetAttach is the container's place on a network, leased by the parent.
type NetAttach struct {
	Network string   // the network's name (kist start leases again by it)
	Names   []string // DNS names: container name, aliases, host name
	Socket  string   // the keeper's unix socket
	Token   string   // the lease, named when attaching
	Address string   // IP/PREFIX
	Gateway string   // default route and nameserver
	MAC     string   // aa:bb:cc:dd:ee:ff
	MTU     int
	HostIP  string // the host's loopback as seen from the network
}

const (
	tunSetIff     = 0x400454ca
	iffTap        = 0x0002
	iffNoPi       = 0x1000
	siocsifhwaddr = 0x8924
	siocsifmtu    = 0x8922
	siocsifaddr   = 0x8916
	siocsifnetmsk = 0x891c
	siocaddrt     = 0x890b
	rtfUp         = 0x1
	rtfGateway    = 0x2
	arphrdEther   = 1
)

// ifreq is struct ifreq: a name and a 24-byte union.
type ifreq struct {
	name [16]byte
	data [24]byte
}

// rtentry is struct rtentry of <linux/route.h> (64-bit layout; Go
// aligns the fields as C does).
type rtentry struct {
	pad1    uintptr
	dst     syscall.RawSockaddrInet4
	gateway syscall.RawSockaddrInet4
	genmask syscall.RawSockaddrInet4
	flags   uint16
	pad2    int16
	pad3    uintptr
	pad4    uintptr
	metric  int16
	dev     uintptr
	mtu     uintptr
	window  uintptr
	irtt    uint16
}

// tapSetup is what the init opens before the mounts, while host paths
// are still visible: the connections to the networks' keepers, and the
// host's /dev, where the thread that makes the taps opens net/tun once
// it is in the container's network namespace (a tun fd belongs to the
// namespace of the thread that opened it; the fd keeps /dev reachable
// after pivot_root detaches the host's tree).
type tapSetup struct {
	keepers []int // by Spec.Nets' index
	dev     int
}

func openTapSetup(nets []NetAttach) *tapSetup {
	t := &tapSetup{}
	for i := range nets {
		n := &nets[i]
		fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
		if err == nil {
			err = syscall.Connect(fd, &syscall.SockaddrUnix{Name: n.Socket})
		}
		if err != nil {
			fail(125, "network "+n.Network+": its keeper ("+n.Socket+") does not answer: "+err.Error())
		}
		t.keepers = append(t.keepers, fd)
	}
	dev, err := syscall.Open("/dev", oPath|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		fail(125, "opening /dev: "+err.Error())
	}
	t.dev = dev
	return t
}

// setupTaps makes eth0, eth1, ... for nets in the calling thread's
// network namespace.
func setupTaps(nets []NetAttach, t *tapSetup) error {
	defer syscall.Close(t.dev)
	for i := range nets {
		if err := setupTap(&nets[i], "eth"+itoa(i), i == 0, t.keepers[i], t.dev); err != nil {
			return err
		}
	}
	return nil
}

// setupTap makes and configures the tap dev in the calling thread's
// network namespace, with the default route through its gateway when
// route is set, and hands it to the keeper connected to conn.
func setupTap(n *NetAttach, dev string, route bool, conn, devDir int) error {
	ip, prefix, ok := parseCIDR(n.Address)
	gw, ok2 := parseIPv4(n.Gateway)
	mac, ok3 := parseMAC(n.MAC)
	if !ok || !ok2 || !ok3 {
		return errorString("network " + n.Network + ": bad lease " + n.Address + " " + n.Gateway + " " + n.MAC)
	}
	tun, err := syscall.Openat(devDir, "net/tun", syscall.O_RDWR|syscall.O_CLOEXEC, 0)
	if err != nil {
		return errorString(tunOpenError(devDir, err))
	}
	defer syscall.Close(tun)
	var r ifreq
	copy(r.name[:], dev)
	*(*uint16)(unsafe.Pointer(&r.data[0])) = iffTap | iffNoPi
	if err := ioctl(tun, tunSetIff, unsafe.Pointer(&r)); err != nil {
		return wrap("creating "+dev+" (a tap device, with /dev/net/tun; kist doctor checks that this works)", err)
	}
	s, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer syscall.Close(s)
	set := func(what string, req uintptr, fill func(d *[24]byte)) error {
		var q ifreq
		copy(q.name[:], dev)
		fill(&q.data)
		return wrap("setting "+dev+"'s "+what, ioctl(s, req, unsafe.Pointer(&q)))
	}
	inet := func(d *[24]byte, a [4]byte) {
		sa := (*syscall.RawSockaddrInet4)(unsafe.Pointer(&d[0]))
		sa.Family, sa.Addr = syscall.AF_INET, a
	}
	if err := set("address", siocsifhwaddr, func(d *[24]byte) {
		*(*uint16)(unsafe.Pointer(&d[0])) = arphrdEther
		copy(d[2:8], mac[:])
	}); err != nil {
		return err
	}
	if err := set("MTU", siocsifmtu, func(d *[24]byte) { *(*int32)(unsafe.Pointer(&d[0])) = int32(n.MTU) }); err != nil {
		return err
	}
	if err := set("IP address", siocsifaddr, func(d *[24]byte) { inet(d, ip) }); err != nil {
		return err
	}
	if err := set("netmask", siocsifnetmsk, func(d *[24]byte) { inet(d, maskOf(prefix)) }); err != nil {
		return err
	}
	if err := set("flags", siocsifflags, func(d *[24]byte) { *(*uint16)(unsafe.Pointer(&d[0])) = iffUp }); err != nil {
		return err
	}
	if route {
		rt := rtentry{flags: rtfUp | rtfGateway}
		rt.dst.Family, rt.genmask.Family = syscall.AF_INET, syscall.AF_INET
		rt.gateway.Family, rt.gateway.Addr = syscall.AF_INET, gw
		if err := ioctl(s, siocaddrt, unsafe.Pointer(&rt)); err != nil {
			return wrap("adding the default route", err)
		}
	}
	trace("sbx.tap-configured")
	if err := syscall.Sendmsg(conn, []byte("attach "+n.Token+"\n"), syscall.UnixRights(tun), nil, 0); err != nil {
		return wrap("network "+n.Network+": handing "+dev+" to its keeper", err)
	}
	reply := trimSpace(readLine(conn))
	if reply != "ok" {
		return errorString("network " + n.Network + ": its keeper refused " + dev + ": " + trimPrefix(reply, "err "))
	}
	return nil
}

// tunOpenError says why opening /dev/net/tun (in devDir) failed with
// err, and what to do. The parent checked that it opens (package
// internal/tun) before it started the container, so this is rare: the
// container's own namespaces see it differently, or it changed since.
func tunOpenError(devDir int, err error) string {
	const alt = "; or run the container with --network host or --network none"
	var st syscall.Stat_t
	fd, serr := syscall.Openat(devDir, "net/tun", oPath|syscall.O_CLOEXEC, 0)
	if serr == nil {
		serr = syscall.Fstat(fd, &st)
		syscall.Close(fd)
	}
	if serr != nil {
		return "opening /dev/net/tun: " + err.Error() + ": kist's networks need it, and it does not exist here " +
			"(is the tun driver loaded? ask the administrator for `sudo modprobe tun`)" + alt
	}
	if st.Mode&0o666 == 0o666 {
		return "opening /dev/net/tun: " + err.Error() + ", although its permissions let everyone read and write it (mode 0" + octal(st.Mode&0o7777) +
			"): something else blocks it, a nodev mount, a device cgroup or a security module (AppArmor, SELinux); kist doctor looks into it" + alt
	}
	return "opening /dev/net/tun: " + err.Error() + ": kist's networks need it readable and writable by you, and its mode is 0" + octal(st.Mode&0o7777) +
		" (owner " + itoa(int(st.Uid)) + "): ask the administrator for `sudo chmod 0666 /dev/net/tun` (udev's default on Debian and Ubuntu)" + alt
}

// octal is n in octal digits.
func octal(n uint32) string {
	if n == 0 {
		return "0"
	}
	var b [12]byte
	i := len(b)
	for ; n > 0; n /= 8 {
		i--
		b[i] = byte('0' + n%8)
	}
	return string(b[i:])
}

func parseIPv4(s string) ([4]byte, bool) {
	var ip [4]byte
	parts := split(s, '.', 0)
	if len(parts) != 4 {
		return ip, false
	}
	for i, p := range parts {
		v, err := atoi(p)
		if err != nil || v < 0 || v > 255 {
			return ip, false
		}
		ip[i] = byte(v)
	}
	return ip, true
}

func parseCIDR(s string) ([4]byte, int, bool) {
	a, p, ok := cut(s, '/')
	ip, ok2 := parseIPv4(a)
	prefix, err := atoi(p)
	return ip, prefix, ok && ok2 && err == nil && prefix >= 0 && prefix <= 32
}

func maskOf(prefix int) [4]byte {
	m := uint32(0xffffffff) << (32 - prefix)
	if prefix == 0 {
		m = 0
	}
	return [4]byte{byte(m >> 24), byte(m >> 16), byte(m >> 8), byte(m)}
}

func parseMAC(s string) ([6]byte, bool) {
	var mac [6]byte
	parts := split(s, ':', 0)
	if len(parts) != 6 {
		return mac, false
	}
	for i, p := range parts {
		if len(p) != 2 {
			return mac, false
		}
		v := 0
		for _, c := range []byte(p) {
			switch {
			case c >= '0' && c <= '9':
				v = v*16 + int(c-'0')
			case c >= 'a' && c <= 'f':
				v = v*16 + int(c-'a'+10)
			case c >= 'A' && c <= 'F':
				v = v*16 + int(c-'A'+10)
			default:
				return mac, false
			}
		}
		mac[i] = byte(v)
	}
	return mac, true
}
