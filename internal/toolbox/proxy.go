package toolbox

import (
	"net"
	"net/http"
	"net/url"
	"strings"
)

// proxy chooses the proxy of a request like http.ProxyFromEnvironment but
// from p's environment (which, in the shell, is not the process's):
// HTTP_PROXY, HTTPS_PROXY (or lowercase) and NO_PROXY.
func (p *proc) proxy(req *http.Request) (*url.URL, error) {
	name := "http_proxy"
	if req.URL.Scheme == "https" {
		name = "https_proxy"
	}
	raw := p.envAnyCase(name)
	if raw == "" || noProxy(p.envAnyCase("no_proxy"), req.URL.Hostname()) {
		return nil, nil
	}
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	return url.Parse(raw)
}

// envAnyCase returns the lowercase variable name, else the uppercase one.
func (p *proc) envAnyCase(name string) string {
	if v := p.getenv(name); v != "" {
		return v
	}
	return p.getenv(strings.ToUpper(name))
}

// noProxy reports whether host matches the NO_PROXY list: "*", a host or
// domain (".example.com" or "example.com" match subdomains too) or an IP
// address. Requests to localhost never use a proxy.
func noProxy(list, host string) bool {
	if host == "localhost" || net.ParseIP(host).IsLoopback() {
		return true
	}
	for _, entry := range strings.Split(list, ",") {
		entry = strings.ToLower(strings.TrimSpace(entry))
		if h, _, err := net.SplitHostPort(entry); err == nil {
			entry = h
		}
		switch {
		case entry == "":
		case entry == "*":
			return true
		case strings.HasPrefix(entry, "."):
			if strings.HasSuffix(host, entry) || host == entry[1:] {
				return true
			}
		case host == entry || strings.HasSuffix(host, "."+entry):
			return true
		}
	}
	return false
}

// cutHeader splits "Name: value".
func cutHeader(h string) (name, value string, ok bool) {
	name, value, ok = strings.Cut(h, ":")
	return strings.TrimSpace(name), strings.TrimSpace(value), ok && strings.TrimSpace(name) != ""
}
