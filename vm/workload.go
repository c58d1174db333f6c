package vm

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// workload is what the guest runs, sent on the kernel command line: the
// cached initramfs holds only the image and kist.
type workload struct {
	Args     []string `json:"a"`
	Env      []string `json:"e,omitempty"`
	Dir      string   `json:"d,omitempty"`
	User     string   `json:"u,omitempty"`
	Hostname string   `json:"h,omitempty"`
	// Stderr says the workload's standard error has a serial port of
	// its own, the second (/dev/ttyS1); else it shares the console.
	Stderr bool `json:"s,omitempty"`
	// Net are kernel modules to load (paths in the initramfs, in
	// order) for eth0, which then gets slirp's address (-p).
	Net []string `json:"n,omitempty"`
}

// cmdlineKey is the kernel parameter that carries the workload. The dot
// makes the kernel take it for a module's parameter: it neither passes
// it to init as an argument or variable nor complains.
const cmdlineKey = "kist.vm"

// maxCmdline is the most a kernel command line can hold on x86
// (COMMAND_LINE_SIZE, 2048 with its final NUL).
const maxCmdline = 2047

// param is the kernel parameter that carries w.
func (w *workload) param() (string, error) {
	data, err := json.Marshal(w)
	if err != nil {
		return "", err
	}
	return cmdlineKey + "=" + base64.RawURLEncoding.EncodeToString(data), nil
}

// checkCmdline says when a kernel command line is too long for x86.
func checkCmdline(line string) error {
	if len(line) > maxCmdline {
		return fmt.Errorf("the command, its environment and the rest of the workload take %d bytes on the kernel command line, "+
			"which holds %d on x86: shorten them (fewer or shorter -e variables and arguments; a script in the image can hold a long command)",
			len(line), maxCmdline)
	}
	return nil
}

// parseCmdline finds the workload in a kernel command line
// (/proc/cmdline).
func parseCmdline(line string) (*workload, error) {
	for _, f := range strings.Fields(line) {
		v, ok := strings.CutPrefix(f, cmdlineKey+"=")
		if !ok {
			continue
		}
		data, err := base64.RawURLEncoding.DecodeString(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", cmdlineKey, err)
		}
		var w workload
		if err := json.Unmarshal(data, &w); err != nil {
			return nil, fmt.Errorf("%s: %w", cmdlineKey, err)
		}
		if len(w.Args) == 0 {
			return nil, errors.New(cmdlineKey + ": no command")
		}
		return &w, nil
	}
	return nil, errors.New("the kernel command line has no " + cmdlineKey + "= (this init is for kist vm run's guests)")
}
