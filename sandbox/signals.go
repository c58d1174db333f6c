package sandbox

import (
	"os"
	"os/signal"
	"syscall"
)

// forwardedSignals are passed on to the container's command, like
// docker run's --sig-proxy.
var forwardedSignals = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2}

// forwardSignals calls to for each forwarded signal until the returned
// stop function is called.
func forwardSignals(to func(syscall.Signal)) (stop func()) {
	ch := make(chan os.Signal, 8)
	signal.Notify(ch, forwardedSignals...)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-ch:
				to(s.(syscall.Signal))
			case <-done:
				return
			}
		}
	}()
	return func() { signal.Stop(ch); close(done) }
}
