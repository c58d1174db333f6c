package image

import (
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// PullProgress shows a pull: on a terminal one live line per layer with
// a download bar, redrawn in place; otherwise one plain line per step.
// Give its Step to PutImage and its Download to Store.OnDownload.
type PullProgress struct {
	mu     sync.Mutex
	out    io.Writer
	tty    bool
	order  []string          // layer short ids, in the order first seen
	state  map[string]string // layer -> what it is doing
	unpack map[string]bool   // layers being unpacked (while they download)
	drawn  int               // lines drawn last time
	redraw time.Time
}

// NewPullProgress shows a pull on out.
func NewPullProgress(out io.Writer) *PullProgress {
	f, ok := out.(*os.File)
	return &PullProgress{out: out, tty: ok && term.IsTerminal(int(f.Fd())), state: map[string]string{}, unpack: map[string]bool{}}
}

var layerLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^layer \d+/\d+ ([0-9a-f]{12}): (.*)$`) })

// Step is a Progress.
func (p *PullProgress) Step(format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	p.mu.Lock()
	defer p.mu.Unlock()
	m := layerLine().FindStringSubmatch(msg)
	if !p.tty || m == nil {
		p.clear()
		fmt.Fprintln(p.out, msg)
		p.draw()
		return
	}
	p.unpack[m[1]] = m[2] == "unpacking"
	p.set(m[1], m[2])
	p.draw()
}

// Download is a Store's OnDownload.
func (p *PullProgress) Download(layer string, done, total int64) {
	if !p.tty {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	state := "downloading " + bar(done, total) + " " + SizeString(done) + "/" + SizeString(total)
	if p.unpack[layer] {
		// A layer is unpacked as it arrives.
		state += ", unpacking"
		if done == total {
			state = "unpacking"
		}
	}
	p.set(layer, state)
	if time.Since(p.redraw) > 100*time.Millisecond || done == total {
		p.draw()
	}
}

func (p *PullProgress) set(layer, state string) {
	if _, ok := p.state[layer]; !ok {
		p.order = append(p.order, layer)
	}
	p.state[layer] = state
}

// clear moves back over the drawn lines so plain text can go above.
func (p *PullProgress) clear() {
	if p.tty && p.drawn > 0 {
		fmt.Fprintf(p.out, "\x1b[%dA\x1b[J", p.drawn)
		p.drawn = 0
	}
}

func (p *PullProgress) draw() {
	if !p.tty {
		return
	}
	p.clear()
	for _, l := range p.order {
		fmt.Fprintf(p.out, "%s: %s\x1b[K\n", l, p.state[l])
	}
	p.drawn = len(p.order)
	p.redraw = time.Now()
}

func bar(done, total int64) string {
	const width = 30
	if total <= 0 {
		return "[" + strings.Repeat(" ", width) + "]"
	}
	n := int(done * width / total)
	if n >= width {
		return "[" + strings.Repeat("=", width) + "]"
	}
	return "[" + strings.Repeat("=", n) + ">" + strings.Repeat(" ", width-n-1) + "]"
}
