package network

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"kist/internal/dirs"
	"kist/internal/role"
)

// Lease is a container's place on a network, held while File is open
// (pass it to whatever outlives the caller: a supervisor).
type Lease struct {
	File    *os.File // the connection to the keeper; closing it ends the lease
	Network string
	Socket  string // the keeper's socket, where the container's init attaches its tap
	Token   string // names the lease when attaching
	Address string // IP/PREFIX, e.g. 10.88.0.2/24
	Gateway string // also the nameserver
	MAC     string
	MTU     int
	HostIP  string // the host's 127.0.0.1 seen from the network (host.kist.internal)
}

// IP is the lease's address without its prefix length.
func (l *Lease) IP() string { ip, _, _ := strings.Cut(l.Address, "/"); return ip }

// Close ends the lease.
func (l *Lease) Close() error {
	if l == nil || l.File == nil {
		return nil
	}
	return l.File.Close()
}

// LeaseAddress takes an address on n for a container known by names
// (its name, aliases, host name, short id), starting n's keeper when
// none runs. runDir is kist's runtime directory. also are the other
// networks the container is on: n's DNS answers the container with
// their containers' names too (each network's keeper knows only its
// own, and a container has one nameserver).
func LeaseAddress(n *Network, runDir string, names []string, also []*Network) (*Lease, error) {
	for _, name := range names {
		if strings.ContainsAny(name, ", \t\n") {
			return nil, fmt.Errorf("invalid name %q on network %s", name, n.Name)
		}
	}
	req := "lease " + strings.Join(names, ",")
	for _, o := range also {
		sock, _ := KeeperPaths(o, runDir)
		if strings.ContainsAny(sock, "\t\n") {
			return nil, fmt.Errorf("kist's runtime directory %s has a tab or newline in its path: set XDG_RUNTIME_DIR to a plain one", runDir)
		}
		req += "\t" + sock
	}
	c, err := dialKeeper(n, runDir)
	if err != nil {
		return nil, err
	}
	if _, err := c.Write([]byte(req + "\n")); err != nil {
		c.Close()
		return nil, fmt.Errorf("network %s: %v", n.Name, err)
	}
	line, err := readReply(c)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("network %s: %v", n.Name, err)
	}
	f := strings.Fields(line)
	if len(f) != 6 {
		c.Close()
		return nil, fmt.Errorf("network %s: unexpected answer from its keeper: %q", n.Name, line)
	}
	mtu, _ := strconv.Atoi(f[4])
	file, err := c.File() // a dup that keeps the lease; c goes
	c.Close()
	if err != nil {
		return nil, err
	}
	sock, _ := KeeperPaths(n, runDir)
	return &Lease{File: file, Network: n.Name, Socket: sock, Token: f[0], Address: f[1], Gateway: f[2], MAC: f[3], MTU: mtu, HostIP: f[5]}, nil
}

// readReply reads a keeper's "ok ..." line and returns what follows ok.
// Nothing after the line may be consumed (see readLineExact).
func readReply(c *net.UnixConn) (string, error) {
	return readReplyUntil(c, time.Now().Add(10*time.Second))
}

// readReplyUntil is readReply waiting until deadline at most.
func readReplyUntil(c *net.UnixConn, deadline time.Time) (string, error) {
	c.SetReadDeadline(deadline)
	defer c.SetReadDeadline(time.Time{})
	line, err := readLineExact(c)
	if err != nil {
		return "", fmt.Errorf("its keeper ended the connection (%v)", err)
	}
	s := string(line)
	if rest, ok := strings.CutPrefix(s, "ok"); ok {
		return strings.TrimSpace(rest), nil
	}
	if msg, ok := strings.CutPrefix(s, "err "); ok {
		return "", errors.New(msg)
	}
	return "", fmt.Errorf("unexpected answer %q", s)
}

// readLineExact reads one line from c, without its newline, and nothing
// after it (a lease's connection goes on to its container as it is):
// it looks at what has arrived with MSG_PEEK and takes the line alone.
// (Reading a byte per call cost a kist run 60 system calls and 0.15 ms.)
func readLineExact(c *net.UnixConn) ([]byte, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	var line []byte
	buf := make([]byte, 512)
	for {
		var n int
		var rerr error
		done := false
		err := rc.Read(func(fd uintptr) bool {
			m, _, e := syscall.Recvfrom(int(fd), buf, syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
			if e == syscall.EAGAIN || e == syscall.EINTR {
				return false // wait until more arrives
			}
			if e != nil || m == 0 {
				n, rerr, done = 0, e, true
				if rerr == nil {
					rerr = io.EOF
				}
				return true
			}
			take := m
			if i := bytes.IndexByte(buf[:m], '\n'); i >= 0 {
				take, done = i+1, true
			}
			n, rerr = syscall.Read(int(fd), buf[:take])
			return true
		})
		if err != nil {
			return nil, err
		}
		if rerr != nil {
			return nil, rerr
		}
		line = append(line, buf[:n]...)
		if done {
			return bytes.TrimSuffix(line, []byte("\n")), nil
		}
	}
}

// prestarts are the keepers PrestartKeeper is starting in this
// process, by socket: a channel closed when the start is over.
var prestarts sync.Map

// PrestartKeeper starts n's keeper in the background when none answers,
// so that it is ready when the first container needs it: kist compose
// up makes its networks before it prepares the containers (about 13 ms
// of a keeper's start overlap a container's preparation that way).
// dialKeeper waits for such a start rather than making a second keeper.
func PrestartKeeper(n *Network) {
	runDir, err := dirs.Runtime()
	if err != nil {
		return
	}
	sock, _ := KeeperPaths(n, runDir)
	if c, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: sock, Net: "unix"}); err == nil {
		c.Close() // one runs
		return
	}
	done := make(chan struct{})
	if _, started := prestarts.LoadOrStore(sock, done); started {
		return
	}
	go func() {
		defer close(done)
		startKeeper(n, runDir) // an error shows again when dialKeeper starts one
	}()
}

// dialKeeper connects to n's keeper, starting one if none answers.
func dialKeeper(n *Network, runDir string) (*net.UnixConn, error) {
	sock, _ := KeeperPaths(n, runDir)
	if done, ok := prestarts.Load(sock); ok {
		<-done.(chan struct{})
	}
	c, err := role.DialDaemon(sock, func() error { return startKeeper(n, runDir) })
	if _, silent := err.(*role.NoAnswerError); silent {
		return nil, fmt.Errorf("network %s: its keeper does not answer on %s: %v", n.Name, sock, err)
	}
	return c, err
}

// startKeeper runs kist as n's keeper (entry point KeeperRole, package
// network/keeper) in a session of its own and waits until it listens (or says why it cannot).
func startKeeper(n *Network, runDir string) error {
	sock, _ := KeeperPaths(n, runDir)
	if err := os.MkdirAll(filepath.Dir(sock), 0o700); err != nil {
		return err
	}
	logPath := strings.TrimSuffix(sock, ".sock") + ".log"
	err := role.StartDaemon(KeeperRole, "kist-network", logPath, n.Name, runDir)
	if errors.Is(err, role.ErrSilent) {
		return fmt.Errorf("network %s: its keeper ended without a word (see %s)", n.Name, logPath)
	}
	if err != nil && !strings.HasPrefix(err.Error(), "network ") {
		return fmt.Errorf("network %s: starting its keeper: %v", n.Name, err)
	}
	return err
}

// ResolvePeer asks the keeper listening on sock for name's addresses
// on its network ("resolve NAME"; nil when it knows none or does not
// run).
func ResolvePeer(sock, name string) []net.IP {
	c, err := askKeeper(sock, "resolve "+name, 2*time.Second)
	if err != nil {
		return nil
	}
	defer c.Close()
	line, err := readReply(c)
	if err != nil {
		return nil
	}
	var ips []net.IP
	for _, f := range strings.Fields(line) {
		if ip := net.ParseIP(f); ip != nil {
			ips = append(ips, ip)
		}
	}
	return ips
}

// Endpoints lists the containers on n while its keeper runs (none
// otherwise).
func Endpoints(n *Network, runDir string) ([]Endpoint, error) {
	sock, _ := KeeperPaths(n, runDir)
	c, err := askKeeper(sock, "list", 5*time.Second)
	if err != nil {
		return nil, nil // no keeper (or one on its way out): nothing runs on it
	}
	defer c.Close()
	var eps []Endpoint
	if err := json.NewDecoder(c).Decode(&eps); err != nil {
		return nil, fmt.Errorf("network %s: reading its containers: %v", n.Name, err)
	}
	return eps, nil
}

// KeeperPaths are a keeper's socket and lock, by network id (a network
// removed and made again under the same name gets a new keeper).
func KeeperPaths(n *Network, runDir string) (sock, lock string) {
	base := filepath.Join(runDir, "n", n.ID[:12])
	return base + ".sock", base + ".lock"
}

// Endpoint is one container on a running network, as network inspect
// shows it.
type Endpoint struct {
	Name        string `json:"Name"`
	Names       []string
	IPv4Address string `json:"IPv4Address"`
	MacAddress  string `json:"MacAddress"`
}

// quitKeeper asks n's keeper, if one runs, to end now (n was removed):
// it does unless something still uses it; else it ends after its grace.
func quitKeeper(n *Network, runDir string) {
	sock, _ := KeeperPaths(n, runDir)
	c, err := askKeeper(sock, "quit", 2*time.Second)
	if err != nil {
		return
	}
	defer c.Close()
	io.Copy(io.Discard, c) // until it ends, or answers it is in use
}

// askKeeper sends one request line to the keeper listening on sock,
// when one runs (it does not start one), and returns the connection for
// its answer, which must come within d.
func askKeeper(sock, request string, d time.Duration) (*net.UnixConn, error) {
	c, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		return nil, err
	}
	c.SetDeadline(time.Now().Add(d))
	if _, err := c.Write([]byte(request + "\n")); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// KeeperRole is the entry point (package internal/role) a network's
// keeper runs as; package network/keeper registers it.
const KeeperRole = "network-keeper"

// StopKeepers ends every network keeper of runDir at once (kist system
// reset, after it killed the containers).
func StopKeepers(runDir string) {
	for _, l := range liveKeepers(runDir) {
		b, _ := os.ReadFile(l)
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid <= 1 {
			continue
		}
		if cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); strings.HasPrefix(string(cmd), "kist-network\x00") {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// KeepersRunning counts the keepers of runDir that run now.
func KeepersRunning(runDir string) int { return len(liveKeepers(runDir)) }

// liveKeepers returns the lock files of runDir's keepers that some
// keeper holds.
func liveKeepers(runDir string) []string {
	locks, _ := filepath.Glob(filepath.Join(runDir, "n", "*.lock"))
	var out []string
	for _, l := range locks {
		if dirs.Locked(l) {
			out = append(out, l)
		}
	}
	return out
}
