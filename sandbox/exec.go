package sandbox

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"

	"kist/sandbox/nsinit"
)

// ExecConfig is a command to run in a running container (kist exec).
type ExecConfig struct {
	Args    []string
	Env     []string // on top of the container's
	WorkDir string   // default: the container's
	User    string   // default: the container's
	Stdin   *os.File // nil: /dev/null
	Stdout  *os.File
	Stderr  *os.File
}

// ExecSocketPath is where a container's init listens for kist exec:
// short, since a unix socket path has at most 107 bytes.
func ExecSocketPath(runDir, id string) string {
	return runDir + "/x/" + id[:min(12, len(id))]
}

// Exec runs c in the running container whose init listens on socket (see
// nsinit's exec.go) and returns the command's exit status. Cancelling
// ctx stops waiting (the process goes on in the container).
func Exec(ctx context.Context, socket string, c *ExecConfig) (int, error) {
	conn, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: socket, Net: "unix"})
	if err != nil {
		if errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNREFUSED) {
			return 125, errorf("the container is not running (or was started by an older kist without exec)")
		}
		return 125, errorf("reaching the container: %v", err)
	}
	defer conn.Close()
	stdin := c.Stdin
	if stdin == nil {
		null, err := os.Open(os.DevNull)
		if err != nil {
			return 125, err
		}
		defer null.Close()
		stdin = null
	}
	// Rootfs is required by the encoding; init uses its own root.
	req := &nsinit.Spec{Rootfs: "/", Args: c.Args, Env: c.Env, Cwd: c.WorkDir, User: c.User}
	rights := syscall.UnixRights(int(stdin.Fd()), int(c.Stdout.Fd()), int(c.Stderr.Fd()))
	if _, _, err := conn.WriteMsgUnix(req.Encode(), rights, nil); err != nil {
		return 125, errorf("sending the command to the container: %v", err)
	}
	go func() {
		<-ctx.Done()
		conn.Close()
	}()
	r := bufio.NewReader(conn)
	if _, err := readStatus(r); err != nil {
		return 125, err
	}
	line, err := r.ReadString('\n')
	if err != nil && err != io.EOF {
		return 125, errorf("waiting for the command: %v", err)
	}
	code, ok := strings.CutPrefix(strings.TrimSpace(line), "exit ")
	n, cerr := strconv.Atoi(code)
	if !ok || cerr != nil {
		if ctx.Err() != nil {
			return 130, nil
		}
		return 125, errorf("the container stopped while the command ran")
	}
	return n, nil
}
