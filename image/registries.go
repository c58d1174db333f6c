package image

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
)

// Registries holds the registry settings: mirrors per registry and the
// registries reached over plain HTTP. See the package doc for where they
// come from.
type Registries struct {
	// Mirrors maps a registry (docker.io, quay.io, host:port) to mirror
	// URLs tried in order before it: http://host:port or https://host.
	Mirrors map[string][]string `json:"registry-mirrors"`
	// Insecure lists registries (host or host:port) that may be reached
	// over plain HTTP or with an unverified certificate.
	Insecure []string `json:"insecure-registries"`
}

// Files read by LoadRegistries; variables so tests can move them.
var (
	SystemConfigFile = "/etc/kist/config.json"
	UserConfigFile   = func() string {
		dir := os.Getenv("XDG_CONFIG_HOME")
		if dir == "" {
			home, _ := os.UserHomeDir()
			dir = filepath.Join(home, ".config")
		}
		return filepath.Join(dir, "kist", "config.json")
	}
)

// LoadRegistries reads the system and user config files (missing ones
// are fine) and the environment. A broken file is an error naming the
// file and line.
func LoadRegistries() (*Registries, error) {
	r := &Registries{Mirrors: map[string][]string{}}
	for _, file := range []string{SystemConfigFile, UserConfigFile()} {
		if err := r.mergeFile(file); err != nil {
			return nil, err
		}
	}
	if err := r.mergeEnv(os.Getenv("KIST_REGISTRY_MIRRORS"), os.Getenv("KIST_INSECURE_REGISTRIES")); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *Registries) mergeFile(file string) error {
	data, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var f Registries
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return fmt.Errorf("%s: %s", jsonPos(file, data, err), jsonMessage(err))
	}
	for reg, urls := range f.Mirrors {
		for _, u := range urls {
			if err := checkMirror(u); err != nil {
				return fmt.Errorf("%s: registry-mirrors %q: %v", file, reg, err)
			}
		}
		r.Mirrors[canonicalRegistry(reg)] = urls
	}
	r.Insecure = append(r.Insecure, f.Insecure...)
	return nil
}

// mergeEnv adds KIST_REGISTRY_MIRRORS ("reg=url[|url],reg=url") and
// KIST_INSECURE_REGISTRIES ("host[:port],...").
func (r *Registries) mergeEnv(mirrors, insecure string) error {
	for _, item := range splitList(mirrors) {
		reg, urls, ok := strings.Cut(item, "=")
		if !ok || reg == "" || urls == "" {
			return fmt.Errorf("KIST_REGISTRY_MIRRORS: want REGISTRY=URL[|URL],..., e.g. docker.io=http://127.0.0.1:5000, got %q", item)
		}
		list := strings.Split(urls, "|")
		for _, u := range list {
			if err := checkMirror(u); err != nil {
				return fmt.Errorf("KIST_REGISTRY_MIRRORS: %v", err)
			}
		}
		r.Mirrors[canonicalRegistry(reg)] = list
	}
	r.Insecure = append(r.Insecure, splitList(insecure)...)
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func checkMirror(u string) error {
	rest, ok := strings.CutPrefix(u, "http://")
	if !ok {
		rest, ok = strings.CutPrefix(u, "https://")
	}
	if !ok || rest == "" || strings.Contains(strings.TrimSuffix(rest, "/"), "/") {
		return fmt.Errorf("mirror %q: want http://HOST[:PORT] or https://HOST[:PORT]", u)
	}
	return nil
}

// canonicalRegistry spells Docker Hub one way.
func canonicalRegistry(reg string) string {
	switch reg {
	case "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com":
		return DockerHub
	}
	return reg
}

// IsInsecure reports whether host (host or host:port) may be reached
// over plain HTTP: loopback addresses always (docker's rule), others
// when listed. A nil *Registries lists none.
func (r *Registries) IsInsecure(host string) bool {
	h := host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		h = hh
	}
	if h == "localhost" {
		return true
	}
	if ip := net.ParseIP(h); ip != nil && ip.IsLoopback() {
		return true
	}
	if r == nil {
		return false
	}
	for _, i := range r.Insecure {
		if i == host || i == h {
			return true
		}
	}
	return false
}

// jsonPos turns a decoding error's byte offset into file:line:column.
func jsonPos(file string, data []byte, err error) string {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off < 0 || off > int64(len(data)) {
		return file
	}
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := off - int64(bytes.LastIndexByte(data[:off], '\n')) - 1 // Offset is just past the bad byte
	return fmt.Sprintf("%s:%d:%d", file, line, col)
}

func jsonMessage(err error) string {
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if strings.HasPrefix(msg, "unknown field") {
		msg += " (known: registry-mirrors, insecure-registries)"
	}
	return msg
}
