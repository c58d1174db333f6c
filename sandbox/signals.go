package sandbox

import (
	"os"
	"os/signal"
	"syscall"

	"kist/sandbox/nsinit"
)

// forwardedSignals are passed on to the container's command, like
// docker run's --sig-proxy.
var forwardedSignals = func() []os.Signal {
	var out []os.Signal
	for _, s := range nsinit.ForwardedSignals {
		out = append(out, s)
	}
	return out
}()

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
