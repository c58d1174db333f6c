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

	"golang.org/x/term"

	"kist/sandbox/nsinit"
)

// ExecConfig is a command to run in a running container (kist exec).
type ExecConfig struct {
	Args    []string
	Env     []string // on top of the container's
	WorkDir string   // default: the container's
	User    string   // default: the container's
	TTY     bool     // a pseudo-terminal of the container's (kist exec -t)
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
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	// Rootfs is required by the encoding; init uses its own root.
	req := &nsinit.Spec{Rootfs: "/", Args: c.Args, Env: c.Env, Cwd: c.WorkDir, User: c.User, TTY: c.TTY}
	if c.TTY {
		return execTTY(ctx, conn, req, c)
	}
	stdin := c.Stdin
	if stdin == nil {
		null, err := os.Open(os.DevNull)
		if err != nil {
			return 125, err
		}
		defer null.Close()
		stdin = null
	}
	rights := syscall.UnixRights(int(stdin.Fd()), int(c.Stdout.Fd()), int(c.Stderr.Fd()))
	if _, _, err := conn.WriteMsgUnix(req.Encode(), rights, nil); err != nil {
		return 125, errorf("sending the command to the container: %v", err)
	}
	r := bufio.NewReader(conn)
	if _, err := readStatus(r); err != nil {
		return 125, err
	}
	return readExit(ctx, r)
}

// readExit reads the "exit CODE" line the container's init sends when
// the command ends.
func readExit(ctx context.Context, r *bufio.Reader) (int, error) {
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

// execTTY runs an exec request with a pty: init sends the master back
// with its "ok" line, and the caller's terminal is relayed to it in raw
// mode (window size changes included), as kist run -t does.
func execTTY(ctx context.Context, conn *net.UnixConn, req *nsinit.Spec, c *ExecConfig) (int, error) {
	if c.Stdout != nil {
		if w, h, err := term.GetSize(int(c.Stdout.Fd())); err == nil {
			req.Rows, req.Cols = h, w
		}
	}
	if _, err := conn.Write(req.Encode()); err != nil {
		return 125, errorf("sending the command to the container: %v", err)
	}
	buf := make([]byte, 512)
	oob := make([]byte, syscall.CmsgSpace(4))
	n, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
	if err != nil {
		return 125, errorf("reaching the container: %v", err)
	}
	if _, err := readStatus(strings.NewReader(string(buf[:n]))); err != nil {
		return 125, err
	}
	msgs, err := syscall.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) == 0 {
		return 125, errorf("the container sent no terminal")
	}
	fds, err := syscall.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) == 0 {
		return 125, errorf("the container sent no terminal")
	}
	var in io.Reader
	if c.Stdin != nil {
		in = c.Stdin
	}
	relay := startRelay(os.NewFile(uintptr(fds[0]), "pty-master"), in, c.Stdout)
	code, err := readExit(ctx, bufio.NewReader(conn))
	relay.finish() // the last output, until the pty's other end is closed
	relay.restore()
	return code, err
}
