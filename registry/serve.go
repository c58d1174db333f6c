package registry

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// shutdownGrace is how long Serve waits for requests in progress when ctx
// is cancelled.
const shutdownGrace = 5 * time.Second

// Serve runs a registry (see New) on addr (host:port; port 0 picks a free
// one) until ctx is cancelled, then stops it, letting requests in progress
// finish for a few seconds. ready, when not nil, is called with the
// address listened on once connections are taken. An address in use is
// an error that errors.Is syscall.EADDRINUSE.
func Serve(ctx context.Context, addr string, o Options, ready func(addr string)) error {
	h, err := New(o)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: time.Minute}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	if ready != nil {
		ready(ln.Addr().String())
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
