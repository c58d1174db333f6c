package container

import (
	"cmp"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"kist/sandbox"
	"kist/sandbox/nsinit"
)

// Inspect is docker's container inspect JSON, the fields kist knows.
type Inspect struct {
	ID      string    `json:"Id"`
	Created time.Time `json:"Created"`
	Path    string    `json:"Path"`
	Args    []string  `json:"Args"`
	State   struct {
		Status     string    `json:"Status"`
		Running    bool      `json:"Running"`
		Paused     bool      `json:"Paused"`
		Dead       bool      `json:"Dead"`
		Pid        int       `json:"Pid"`
		ExitCode   int       `json:"ExitCode"`
		StartedAt  time.Time `json:"StartedAt"`
		FinishedAt time.Time `json:"FinishedAt"`
		Error      string    `json:"Error"` // what is wrong with its files (State.Error)
		Health     *struct {
			Status        string      `json:"Status"`
			FailingStreak int         `json:"FailingStreak"`
			Log           []HealthLog `json:"Log"`
		} `json:"Health,omitempty"`
	} `json:"State"`
	Image           string          `json:"Image"`
	Name            string          `json:"Name"`
	RestartCount    int             `json:"RestartCount"`
	Mounts          []InspectMount  `json:"Mounts"`
	NetworkSettings NetworkSettings `json:"NetworkSettings"`
	HostConfig      HostConfig      `json:"HostConfig"`
	Config          struct {
		Hostname    string            `json:"Hostname"`
		User        string            `json:"User"`
		Env         []string          `json:"Env"`
		Cmd         []string          `json:"Cmd"`
		WorkingDir  string            `json:"WorkingDir"`
		Image       string            `json:"Image"`
		StopSignal  string            `json:"StopSignal,omitempty"`
		StopTimeout *int              `json:"StopTimeout,omitempty"` // seconds
		Labels      map[string]string `json:"Labels"`
	} `json:"Config"`
}

// HostConfig is what docker inspect's HostConfig says of the limits a
// container was started with: its log's bound (--log-opt max-size) and
// its ulimits.
type HostConfig struct {
	LogConfig struct {
		Type   string            `json:"Type"`
		Config map[string]string `json:"Config"`
	} `json:"LogConfig"`
	Ulimits       []InspectUlimit `json:"Ulimits"`
	RestartPolicy struct {
		Name              string `json:"Name"` // no, always, unless-stopped, on-failure
		MaximumRetryCount int    `json:"MaximumRetryCount"`
	} `json:"RestartPolicy"`
	AutoRemove bool `json:"AutoRemove"` // --rm
}

// InspectUlimit is one --ulimit, as docker inspect shows it.
type InspectUlimit struct {
	Name string `json:"Name"`
	Soft int64  `json:"Soft"` // -1: unlimited
	Hard int64  `json:"Hard"`
}

// hostConfig is the limits of the spec the container was started with.
func hostConfig(spec *nsinit.Spec) HostConfig {
	var h HostConfig
	h.LogConfig.Type, h.LogConfig.Config = "json-file", map[string]string{}
	h.Ulimits = []InspectUlimit{}
	if spec == nil {
		return h
	}
	if spec.LogMaxSize > 0 {
		h.LogConfig.Config["max-size"] = logSize(spec.LogMaxSize)
		h.LogConfig.Config["max-file"] = "1"
	}
	signed := func(v uint64) int64 {
		if v == ^uint64(0) {
			return -1
		}
		return int64(v)
	}
	for _, r := range spec.Rlimits {
		h.Ulimits = append(h.Ulimits, InspectUlimit{Name: sandbox.UlimitName(r.Resource), Soft: signed(r.Soft), Hard: signed(r.Hard)})
	}
	return h
}

// logSize writes a log bound as --log-opt takes it: 1m, 64k, 1500.
func logSize(n int) string {
	for _, u := range []struct {
		unit string
		size int
	}{{"g", 1 << 30}, {"m", 1 << 20}, {"k", 1 << 10}} {
		if n%u.size == 0 {
			return strconv.Itoa(n/u.size) + u.unit
		}
	}
	return strconv.Itoa(n)
}

// NetworkSettings are the container's addresses, as docker inspect
// shows them: the top-level fields are its first network's.
type NetworkSettings struct {
	IPAddress   string                      `json:"IPAddress"`
	IPPrefixLen int                         `json:"IPPrefixLen"`
	Gateway     string                      `json:"Gateway"`
	MacAddress  string                      `json:"MacAddress"`
	Networks    map[string]*NetworkEndpoint `json:"Networks"`
}

// NetworkEndpoint is the container on one network.
type NetworkEndpoint struct {
	Aliases     []string `json:"Aliases"`
	IPAddress   string   `json:"IPAddress"`
	IPPrefixLen int      `json:"IPPrefixLen"`
	Gateway     string   `json:"Gateway"`
	MacAddress  string   `json:"MacAddress"`
}

// savedSpec is the spec the container was started with (nil if none
// was kept: a --rm run, or a container of an older kist).
func (r *Record) savedSpec() *nsinit.Spec {
	data, err := os.ReadFile(filepath.Join(Dir(r.ID), nsinit.SuperviseSpec))
	if err != nil {
		return nil
	}
	spec, err := nsinit.Decode(data)
	if err != nil {
		return nil
	}
	return spec
}

// networkSettings fills in what the record says (the networks), and
// the addresses of a running container from its spec.
func (r *Record) networkSettings(spec *nsinit.Spec, running bool) NetworkSettings {
	ns := NetworkSettings{Networks: map[string]*NetworkEndpoint{}}
	if r.Network != "" {
		ns.Networks[r.Network] = &NetworkEndpoint{Aliases: r.Aliases}
	}
	for _, m := range r.MoreNetworks {
		ns.Networks[m.Name] = &NetworkEndpoint{Aliases: m.Aliases}
	}
	if !running || spec == nil {
		return ns
	}
	for i, a := range spec.Nets {
		ip, prefix, _ := strings.Cut(a.Address, "/")
		bits, _ := strconv.Atoi(prefix)
		ep := ns.Networks[a.Network]
		if ep == nil {
			ep = &NetworkEndpoint{}
			ns.Networks[a.Network] = ep
		}
		ep.IPAddress, ep.IPPrefixLen, ep.Gateway, ep.MacAddress = ip, bits, a.Gateway, a.MAC
		if i == 0 {
			ns.IPAddress, ns.IPPrefixLen, ns.Gateway, ns.MacAddress = ip, bits, a.Gateway, a.MAC
		}
	}
	return ns
}

// HealthLog is one health check's result (kist keeps the last one).
type HealthLog struct {
	End      time.Time `json:"End"`
	ExitCode int       `json:"ExitCode"`
	Output   string    `json:"Output"`
}

// Inspect describes the container as docker inspect does.
func (r *Record) Inspect(runDir string) *Inspect {
	st := r.State(runDir)
	in := &Inspect{ID: r.ID, Created: r.Created, Image: "sha256:" + r.ImageID, Name: "/" + r.Name}
	if r.Name == "" {
		in.Name = "/" + r.Short()
	}
	if len(r.Command) > 0 {
		in.Path, in.Args = r.Command[0], r.Command[1:]
	}
	in.State.Status, in.State.Running, in.State.Paused, in.State.Dead = st.Word(), st.Status == Running, st.Paused, st.Status == Dead
	in.State.Pid, in.State.ExitCode = st.Pid, st.ExitCode
	in.State.StartedAt, in.State.FinishedAt, in.State.Error = st.StartedAt, st.FinishedAt, st.Error
	in.RestartCount = st.Restarts
	if h := st.Health; h != nil {
		in.State.Health = &struct {
			Status        string      `json:"Status"`
			FailingStreak int         `json:"FailingStreak"`
			Log           []HealthLog `json:"Log"`
		}{Status: h.Status, FailingStreak: h.FailingStreak}
		if !h.LastEnd.IsZero() {
			in.State.Health.Log = []HealthLog{{End: h.LastEnd, ExitCode: h.LastExitCode, Output: h.LastOutput}}
		}
	}
	spec := r.savedSpec()
	nr := r.netRecord() // a pod's container has its pod's
	in.NetworkSettings = nr.networkSettings(nr.savedSpec(), st.Status == Running)
	in.HostConfig = hostConfig(spec)
	name, max, _ := strings.Cut(cmp.Or(r.Restart, "no"), ":")
	in.HostConfig.RestartPolicy.Name = name
	in.HostConfig.RestartPolicy.MaximumRetryCount, _ = strconv.Atoi(max)
	in.HostConfig.AutoRemove = r.AutoRemove
	in.Config.Cmd, in.Config.Env = r.Command, []string{}
	if spec != nil {
		in.Config.Hostname, in.Config.User, in.Config.WorkingDir = spec.Hostname, spec.User, spec.Cwd
		in.Config.Env = spec.Env
	}
	in.Config.Image, in.Config.StopSignal, in.Config.Labels = r.Image, r.StopSignal, r.Labels
	if in.Config.Labels == nil {
		in.Config.Labels = map[string]string{}
	}
	if r.StopTimeout > 0 {
		secs := int(r.StopTimeout.Seconds())
		in.Config.StopTimeout = &secs
	}
	for _, m := range r.MountPoints() {
		im := InspectMount{Type: "bind", Name: m.Name, Source: m.Source, Destination: m.Destination, RW: !m.ReadOnly}
		if m.Name != "" {
			im.Type, im.Driver = "volume", "local"
		}
		if m.ReadOnly {
			im.Mode = "ro"
		}
		in.Mounts = append(in.Mounts, im)
	}
	return in
}

// InspectMount is one of a container's volumes or bind mounts in docker
// inspect's Mounts.
type InspectMount struct {
	Type        string `json:"Type"` // volume or bind
	Name        string `json:"Name,omitempty"`
	Source      string `json:"Source"`
	Destination string `json:"Destination,omitempty"`
	Driver      string `json:"Driver,omitempty"`
	Mode        string `json:"Mode"`
	RW          bool   `json:"RW"`
}
