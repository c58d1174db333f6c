package keeper

import (
	"bufio"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// answerWriter is a dns.ResponseWriter that keeps the answer.
type answerWriter struct {
	remote net.Addr
	msg    *dns.Msg
}

func (w *answerWriter) LocalAddr() net.Addr       { return &net.UDPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 53} }
func (w *answerWriter) RemoteAddr() net.Addr      { return w.remote }
func (w *answerWriter) WriteMsg(m *dns.Msg) error { w.msg = m; return nil }
func (w *answerWriter) Write([]byte) (int, error) { return 0, nil }
func (w *answerWriter) Close() error              { return nil }
func (w *answerWriter) TsigStatus() error         { return nil }
func (w *answerWriter) TsigTimersOnly(bool)       {}
func (w *answerWriter) Hijack()                   {}

// peerKeeper answers "resolve NAME" as another network's keeper would,
// from names.
func peerKeeper(t *testing.T, names map[string]string) string {
	sock := filepath.Join(t.TempDir(), "peer.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			line, _ := bufio.NewReader(c).ReadString('\n')
			name := strings.TrimSpace(strings.TrimPrefix(line, "resolve "))
			c.Write([]byte("ok " + names[name] + "\n"))
			c.Close()
		}
	}()
	return sock
}

func ask(d *dnsServer, from net.IP, name string) []string {
	q := new(dns.Msg)
	q.SetQuestion(dns.Fqdn(name), dns.TypeA)
	w := &answerWriter{remote: &net.UDPAddr{IP: from, Port: 40000}}
	d.ServeDNS(w, q)
	var out []string
	if w.msg != nil {
		for _, rr := range w.msg.Answer {
			if a, ok := rr.(*dns.A); ok {
				out = append(out, a.A.String())
			}
		}
	}
	return out
}

// A container on two networks finds the other network's containers
// through that network's keeper; a container on one network does not.
func TestDNSAsksTheContainersOtherNetworks(t *testing.T) {
	sock := peerKeeper(t, map[string]string{"db": "10.1.0.5"})
	both, onlyHere := net.IPv4(10, 0, 0, 2), net.IPv4(10, 0, 0, 3)
	d := &dnsServer{names: map[string][]net.IP{}}
	d.add([]string{"web"}, net.IPv4(10, 0, 0, 4))
	d.peers = func(ip net.IP) []string {
		if ip.Equal(both) {
			return []string{sock}
		}
		return nil
	}
	if got := ask(d, both, "web"); len(got) != 1 || got[0] != "10.0.0.4" {
		t.Errorf("own network's name: got %v, want [10.0.0.4]", got)
	}
	if got := ask(d, both, "DB"); len(got) != 1 || got[0] != "10.1.0.5" {
		t.Errorf("the other network's name: got %v, want [10.1.0.5]", got)
	}
	if got := ask(d, onlyHere, "db"); len(got) != 0 {
		t.Errorf("a container on this network only got %v for the other network's name", got)
	}
}
