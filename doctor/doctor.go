package doctor

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Result is the outcome of one check.
type Result struct {
	// Name names the check, e.g. "user namespaces".
	Name string `json:"name"`
	// Status is the verdict.
	Status Status `json:"status"`
	// Detail says in one line what was found.
	Detail string `json:"detail"`
	// Fix is the exact command or file line that fixes the problem;
	// empty when Status is OK.
	Fix string `json:"fix,omitempty"`
}

// Check is one probe of the machine. Run returns a Result with Name set.
type Check struct {
	Name string
	Run  func(ctx context.Context) Result
}

// checkTimeout bounds each check in Run.
var checkTimeout = 20 * time.Second

// Checks returns all checks, in display order.
func Checks() []Check {
	return []Check{
		named("user namespaces", checkUserNS),
		named("user namespace limit", checkUserNSLimit),
		named("newuidmap/newgidmap", checkIDHelpers),
		named("subordinate ids", checkSubIDs),
		named("id emulation", checkIDEmulation),
		named("rootless overlay", checkOverlay),
		named("image store location", checkStoreLocation),
		named("cgroup v2 delegation", checkCgroup),
		named("XDG_RUNTIME_DIR", checkRuntimeDir),
		named("/dev/kvm", checkKVM),
		named("qemu", checkQEMU),
		named("vm kernel", checkVMKernel),
		named("unprivileged ports", checkPorts),
		named("/dev/net/tun", checkTun),
	}
}

func named(name string, run func(context.Context) Result) Check {
	return Check{Name: name, Run: func(ctx context.Context) Result {
		r := run(ctx)
		r.Name = name
		return r
	}}
}

// Run runs all checks at once, each with a timeout, and returns their
// results in the order of Checks.
func Run(ctx context.Context) []Result {
	checks := Checks()
	results := make([]Result, len(checks))
	var wg sync.WaitGroup
	for i, c := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = runOne(ctx, c)
		}()
	}
	wg.Wait()
	return results
}

// runOne runs c, turning a panic or a timeout into a Warn result.
func runOne(ctx context.Context, c Check) Result {
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	done := make(chan Result, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- Result{Status: Warn, Detail: fmt.Sprintf("the check crashed: %v", p),
					Fix: "this is a bug in kist doctor; please report it"}
			}
		}()
		done <- c.Run(ctx)
	}()
	var r Result
	select {
	case r = <-done:
	case <-ctx.Done():
		r = Result{Status: Warn, Detail: fmt.Sprintf("did not finish within %v", checkTimeout),
			Fix: "run kist doctor again; if this check hangs again, report it"}
	}
	r.Name = c.Name
	return r
}
