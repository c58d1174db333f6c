package sandbox

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/docker/go-units"

	"kist/internal/dirs"
	"kist/sandbox/nsinit"
)

func absPath(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	return filepath.Clean(abs), nil
}

// ParseVolume parses a -v HOSTDIR:CTRDIR[:ro|rw] flag. Like docker, a
// missing host directory is created when the mount is made.
func ParseVolume(spec string) (Mount, error) {
	parts := strings.Split(spec, ":")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return Mount{}, fmt.Errorf("invalid volume %q: want HOSTDIR:CONTAINERDIR[:ro]", spec)
	}
	m := Mount{Source: parts[0], Target: parts[1]}
	if len(parts) == 3 {
		for _, o := range strings.Split(parts[2], ",") {
			switch o {
			case "ro", "readonly":
				m.ReadOnly = true
			case "rw", "z", "Z":
			default:
				return Mount{}, fmt.Errorf("invalid volume %q: unknown option %q (want ro or rw)", spec, o)
			}
		}
	}
	if !strings.HasPrefix(m.Target, "/") {
		return Mount{}, fmt.Errorf("invalid volume %q: the container path %q must be absolute", spec, m.Target)
	}
	if !strings.HasPrefix(m.Source, "/") && !strings.HasPrefix(m.Source, ".") {
		if strings.Contains(m.Source, "/") {
			return Mount{}, fmt.Errorf("invalid volume %q: a host path must be absolute or start with ./; a volume name has no slash", spec)
		}
		m.Named = true // the caller turns the name into the volume's directory
	}
	return m, nil
}

func checkMounts(ms []Mount) ([]nsinit.Mount, error) {
	out := make([]nsinit.Mount, 0, len(ms))
	for _, m := range ms {
		if m.Tmpfs {
			if !strings.HasPrefix(m.Target, "/") {
				return nil, errorf("tmpfs %q: the container path must be absolute", m.Target)
			}
			out = append(out, nsinit.Mount{Source: m.Source, Target: m.Target, Tmpfs: true})
			continue
		}
		if m.Named {
			return nil, errorf("volume %s: a named volume must be resolved to its directory first", m.Source)
		}
		src, err := absPath(m.Source)
		if err != nil {
			return nil, errorf("volume %s: %v", m.Source, err)
		}
		if _, err := os.Stat(src); os.IsNotExist(err) {
			if err := os.MkdirAll(src, 0o755); err != nil {
				return nil, errorf("creating volume directory %s: %v", src, err)
			}
		} else if err != nil {
			return nil, errorf("volume %s: %v", src, err)
		}
		if !strings.HasPrefix(m.Target, "/") {
			return nil, errorf("volume target %q must be an absolute path", m.Target)
		}
		vol := strings.HasPrefix(src, dirs.Volumes()+string(filepath.Separator)) // kist's own: id emulation records owners there
		out = append(out, nsinit.Mount{Source: src, Target: filepath.Clean(m.Target), ReadOnly: m.ReadOnly, Volume: vol})
	}
	return out, nil
}

// rlimitNames maps docker's --ulimit names to RLIMIT_* numbers (Linux).
var rlimitNames = map[string]int{
	"cpu": 0, "fsize": 1, "data": 2, "stack": 3, "core": 4, "rss": 5, "nproc": 6, "nofile": 7,
	"memlock": 8, "as": 9, "locks": 10, "sigpending": 11, "msgqueue": 12, "nice": 13, "rtprio": 14, "rttime": 15,
}

// UlimitName is docker's name for an RLIMIT_* number ("nproc").
func UlimitName(resource int) string {
	for name, n := range rlimitNames {
		if n == resource {
			return name
		}
	}
	return strconv.Itoa(resource)
}

// ParseUlimit parses --ulimit NAME=SOFT[:HARD]; -1 or "unlimited" mean no limit.
func ParseUlimit(spec string) (Ulimit, error) {
	name, val, ok := strings.Cut(spec, "=")
	if !ok {
		return Ulimit{}, fmt.Errorf("invalid ulimit %q: want NAME=SOFT[:HARD], e.g. nofile=1024:2048", spec)
	}
	if _, ok := rlimitNames[name]; !ok {
		return Ulimit{}, fmt.Errorf("invalid ulimit %q: unknown name %q", spec, name)
	}
	softS, hardS, hasHard := strings.Cut(val, ":")
	if !hasHard {
		hardS = softS
	}
	soft, err1 := parseLimit(softS)
	hard, err2 := parseLimit(hardS)
	if err1 != nil || err2 != nil {
		return Ulimit{}, fmt.Errorf("invalid ulimit %q: values must be numbers, -1 or unlimited", spec)
	}
	if soft > hard {
		return Ulimit{}, fmt.Errorf("invalid ulimit %q: soft limit %d is above hard limit %d", spec, soft, hard)
	}
	return Ulimit{Name: name, Soft: soft, Hard: hard}, nil
}

func parseLimit(s string) (uint64, error) {
	if s == "-1" || s == "unlimited" {
		return ^uint64(0), nil
	}
	return strconv.ParseUint(s, 10, 64)
}

func rlimits(us []Ulimit) ([]nsinit.Rlimit, error) {
	var out []nsinit.Rlimit
	for _, u := range us {
		n, ok := rlimitNames[u.Name]
		if !ok {
			return nil, errorf("unknown ulimit %q", u.Name)
		}
		out = append(out, nsinit.Rlimit{Resource: n, Soft: u.Soft, Hard: u.Hard})
	}
	return out, nil
}

// ParseTmpfs reads --tmpfs PATH[:OPTIONS] (options as for mount -t
// tmpfs: size=64m,mode=1777).
func ParseTmpfs(spec string) (Mount, error) {
	target, opts, _ := strings.Cut(spec, ":")
	if !strings.HasPrefix(target, "/") {
		return Mount{}, fmt.Errorf("invalid --tmpfs %q: the container path must be absolute", spec)
	}
	return Mount{Target: target, Source: opts, Tmpfs: true}, nil
}

// ParseMount reads docker's --mount type=bind|volume|tmpfs,source=...,
// target=...[,readonly][,tmpfs-size=BYTES][,tmpfs-mode=OCTAL].
func ParseMount(spec string) (Mount, error) {
	bad := func(why string) (Mount, error) {
		return Mount{}, fmt.Errorf("invalid --mount %q: %s (want type=bind|volume|tmpfs,source=...,target=...)", spec, why)
	}
	typ := "volume"
	var m Mount
	var tmpfsOpts []string
	for _, kv := range strings.Split(spec, ",") {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "type":
			typ = v
		case "source", "src":
			m.Source = v
		case "target", "destination", "dst":
			m.Target = v
		case "readonly", "ro":
			m.ReadOnly = v == "" || v == "true" || v == "1"
		case "tmpfs-size":
			tmpfsOpts = append(tmpfsOpts, "size="+v)
		case "tmpfs-mode":
			tmpfsOpts = append(tmpfsOpts, "mode="+v)
		default:
			return bad("unknown option " + k)
		}
	}
	if !strings.HasPrefix(m.Target, "/") {
		return bad("target must be an absolute path in the container")
	}
	switch typ {
	case "bind":
		if !strings.HasPrefix(m.Source, "/") {
			return bad("a bind mount's source must be an absolute host path")
		}
	case "volume":
		if m.Source == "" || strings.Contains(m.Source, "/") {
			return bad("a volume mount's source must be a volume name")
		}
		m.Named = true
	case "tmpfs":
		if m.Source != "" {
			return bad("a tmpfs has no source")
		}
		m.Tmpfs, m.Source = true, strings.Join(tmpfsOpts, ",")
	default:
		return bad("unknown type " + typ)
	}
	return m, nil
}

// LogMaxSize is what docker's json-file log options (--log-opt, compose's
// logging.options) say of a container's log: max-size bounds it in bytes
// (0: no bound); kist keeps one file, emptied at max-size, so max-file
// may only be 1. Errors name the option.
func LogMaxSize(opts map[string]string) (int, error) {
	n := 0
	for _, k := range slices.Sorted(maps.Keys(opts)) {
		v := opts[k]
		switch k {
		case "max-size":
			size, err := units.RAMInBytes(v)
			if err != nil || size <= 0 {
				return 0, fmt.Errorf("max-size=%s: want a size such as 10m or 512k", v)
			}
			n = int(size)
		case "max-file":
			if v != "1" {
				return 0, fmt.Errorf("max-file=%s: kist keeps one log file (max-file=1), emptied at max-size", v)
			}
		default:
			return 0, fmt.Errorf("%s=%s: kist knows max-size and max-file (docker's json-file options)", k, v)
		}
	}
	return n, nil
}
