// Command aptproxy is a small caching HTTP proxy for bench/idemu.sh:
// apt-get in a RUN step (http_proxy=http://127.0.0.1:PORT) gets each
// file from the mirror once, then from the cache, so builds that are
// timed against each other download nothing.
//
//	aptproxy -listen 127.0.0.1:3142 -dir CACHE
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"io"
	"log"
	"net/http"
	"os"
	"path/filepath"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:3142", "address to listen on")
	dir := flag.String("dir", "aptcache", "cache directory")
	flag.Parse()
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		log.Fatal(err)
	}
	h := func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || !r.URL.IsAbs() {
			http.Error(w, "GET of an absolute URL only", http.StatusBadRequest)
			return
		}
		sum := sha256.Sum256([]byte(r.URL.String()))
		p := filepath.Join(*dir, hex.EncodeToString(sum[:]))
		if f, err := os.Open(p); err == nil {
			defer f.Close()
			io.Copy(w, f)
			return
		}
		resp, err := http.Get(r.URL.String())
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			w.WriteHeader(resp.StatusCode)
			io.Copy(w, resp.Body)
			return
		}
		tmp, err := os.CreateTemp(*dir, "part-")
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		if _, err := io.Copy(io.MultiWriter(tmp, w), resp.Body); err == nil && tmp.Close() == nil {
			os.Rename(tmp.Name(), p)
		} else {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}
	log.Fatal(http.ListenAndServe(*listen, http.HandlerFunc(h)))
}
