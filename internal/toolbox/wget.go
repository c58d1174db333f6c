package toolbox

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"time"
)

const wgetSynopsis = "[-q] [-O FILE|-] [-T SECONDS] [-U AGENT] [--header 'NAME: VALUE'] URL"

// runWget is wget [-q] [-O FILE|-] URL: download URL to FILE (by default
// the last element of the URL's path, or index.html).
func runWget(p *proc, args []string) int {
	fl, operands, err := getopt(args, "qO:T:U:H:c", map[string]byte{
		"quiet": 'q', "output-document": 'O', "timeout": 'T', "user-agent": 'U', "header": 'H'})
	if err == nil && len(operands) != 1 {
		err = errors.New("exactly one URL is needed")
	}
	if err != nil {
		return p.usage(err, wgetSynopsis)
	}
	out := fl.val('O', "")
	if out == "" {
		out = defaultOutput(operands[0])
	}
	return p.download(operands[0], out, fl)
}

// runHTTPGet is http-get URL: print the body of URL.
func runHTTPGet(p *proc, args []string) int {
	fl, operands, err := getopt(args, "T:U:H:", map[string]byte{"timeout": 'T', "header": 'H'})
	if err == nil && len(operands) != 1 {
		err = errors.New("exactly one URL is needed")
	}
	if err != nil {
		return p.usage(err, "[-T SECONDS] [-H 'NAME: VALUE'] URL")
	}
	return p.download(operands[0], "-", append(fl, option{c: 'q'}))
}

// defaultOutput is wget's output file for rawURL.
func defaultOutput(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "index.html"
	}
	base := path.Base(u.Path)
	if base == "/" || base == "." || base == "" || u.Path == "" || u.Path[len(u.Path)-1] == '/' {
		return "index.html"
	}
	return base
}

// download gets rawURL into out ("-" is standard output).
func (p *proc) download(rawURL, out string, fl flags) int {
	quiet := fl.has('q')
	resp, err := p.httpGet(rawURL, fl)
	if err != nil {
		return p.fail(1, "%v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return p.fail(1, "server returned error: %s %s", resp.Proto, resp.Status)
	}
	if out == "-" {
		if _, err := io.Copy(p.stdout, resp.Body); err != nil {
			return p.fail(1, "%s", describe(err))
		}
		return 0
	}
	if !quiet {
		fmt.Fprintf(p.stderr, "saving to '%s'\n", out)
	}
	n, err := saveFile(p.path(out), resp.Body)
	if err != nil {
		return p.fail(1, "%s: %s", out, describe(err))
	}
	if !quiet {
		fmt.Fprintf(p.stderr, "'%s' saved (%d bytes)\n", out, n)
	}
	return 0
}

// httpGet sends the GET request, with the proxy of p's environment.
func (p *proc) httpGet(rawURL string, fl flags) (*http.Response, error) {
	req, err := http.NewRequestWithContext(p.ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", fl.val('U', "kist-wget"))
	for _, h := range fl.all('H') {
		if name, value, ok := cutHeader(h); ok {
			req.Header.Add(name, value)
		}
	}
	// One request, one connection: the shell runs wget in its own
	// process, so a connection kept for reuse would stay open, unused,
	// for as long as the shell runs (a loop of wgets would pile up
	// thousands, on both ends).
	client := &http.Client{Transport: &http.Transport{
		Proxy:               p.proxy,
		TLSHandshakeTimeout: 30 * time.Second,
		DisableKeepAlives:   true,
	}}
	if t := fl.val('T', ""); t != "" {
		secs, err := strconv.ParseFloat(t, 64)
		if err != nil {
			return nil, fmt.Errorf("invalid timeout '%s'", t)
		}
		client.Timeout = time.Duration(secs * float64(time.Second))
	}
	return client.Do(req)
}

// saveFile writes r to a temporary file next to path, renamed to path once
// complete, so that a failed download leaves nothing behind. A path that
// is no regular file (/dev/null, a pipe) is written to directly.
func saveFile(path string, r io.Reader) (int64, error) {
	if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() && !st.IsDir() {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return 0, err
		}
		n, err := io.Copy(f, r)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return n, err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".part*")
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o666&^fileMode(currentUmask()))
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return n, err
}
