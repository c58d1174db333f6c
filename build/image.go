package build

import (
	"context"
	"fmt"
	"io"

	"kist/image"
	"kist/internal/userns"
)

// Image builds what o says from anywhere: inside the user namespace it
// is Build with the user's store; outside, the same in a kist process
// inside it (a step, see internal/userns). o.Out gets the step lines
// (nil: discarded), progress gets the pulls of base images and warnings
// (nil: kist's standard error), and -f - reads o.Stdin (nil: kist's).
// o's Store, Remote, PullProgress and Run are set here.
func Image(ctx context.Context, o *Options, progress io.Writer) (*Result, error) {
	out := o.Out
	if out == nil {
		out = io.Discard
	}
	return buildStep.Call(ctx, *o, userns.Stdio{In: o.Stdin, Out: out, Err: progress})
}

var buildStep = userns.Register("build", func(ctx context.Context, o Options, s userns.Stdio) (*Result, error) {
	st, err := image.Open(s.Err)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	regs, err := image.LoadRegistries()
	if err != nil {
		return nil, err
	}
	o.Store, o.Remote, o.Out, o.Stdin = st, &image.Remote{Registries: regs, NoTLSVerify: o.NoTLSVerify}, s.Out, s.In
	if !o.Quiet {
		bars := image.NewPullProgress(s.Err)
		st.Downloads, st.OnDownload = 3, bars.Download
		o.PullProgress = bars.Step
	}
	return Build(ctx, &o)
})

// Report writes what kist build says when it is done: the image id
// alone when quiet, else how long it took and each name it got.
func (r *Result) Report(w io.Writer, quiet bool) {
	if quiet {
		fmt.Fprintf(w, "sha256:%s\n", r.ID)
		return
	}
	steps := "steps"
	if r.Steps == 1 {
		steps = "step"
	}
	fmt.Fprintf(w, "Successfully built %s in %.2fs (%d %s, %d cached)\n", r.ID[:12], r.Duration.Seconds(), r.Steps, steps, r.Cached)
	for _, n := range r.Names {
		fmt.Fprintf(w, "Successfully tagged %s\n", image.ShortName(n))
	}
}

// ReportWarnings writes the linter's and the builder's warnings.
func (r *Result) ReportWarnings(w io.Writer) {
	for _, s := range r.Warnings {
		fmt.Fprintf(w, "WARNING: %s\n", s)
	}
}
