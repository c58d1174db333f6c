// Command server is what bench/lifecycle runs in its containers and on
// the host: a small HTTP server, and the image's /bin/true and /bin/sleep
// (it acts on its argv[0]), so that the image needs nothing else. It is
// kept apart from the benchmark program, whose registry client would make
// every start of true slower.
//
//	server ADDR        GET / answers a short text; GET /bulk?bytes=N, N zero bytes
//	true               exits 0
//	sleep SECONDS      sleeps, or exits at SIGTERM (pid 1 has no default action for it)
//	fetch URL          GETs URL, discards the body and prints "MB/s N" (10^6 bytes)
package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

func main() {
	switch filepath.Base(os.Args[0]) {
	case "true":
		os.Exit(0)
	case "sleep":
		if len(os.Args) != 2 {
			fail("usage: sleep SECONDS")
		}
		s, err := strconv.ParseFloat(os.Args[1], 64)
		if err != nil {
			fail("sleep: %v", err)
		}
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
		select {
		case <-sig:
		case <-time.After(time.Duration(s * float64(time.Second))):
		}
		os.Exit(0)
	case "fetch":
		if len(os.Args) != 2 {
			fail("usage: fetch URL")
		}
		start := time.Now()
		resp, err := http.Get(os.Args[1])
		if err != nil {
			fail("fetch: %v", err)
		}
		n, err := io.Copy(io.Discard, resp.Body)
		if err != nil || resp.StatusCode != 200 {
			fail("fetch: %v %s", err, resp.Status)
		}
		fmt.Printf("MB/s %.1f\n", float64(n)/1e6/time.Since(start).Seconds())
		os.Exit(0)
	}
	if len(os.Args) != 2 {
		fail("usage: server ADDR")
	}
	small := []byte("hello from the bench server\n")
	zeros := make([]byte, 1<<20)
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Length", strconv.Itoa(len(small)))
		w.Write(small)
	})
	mux.HandleFunc("/bulk", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.ParseInt(r.URL.Query().Get("bytes"), 10, 64)
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
		for n > 0 {
			m := min(n, int64(len(zeros)))
			if _, err := w.Write(zeros[:m]); err != nil {
				return
			}
			n -= m
		}
	})
	fail("%v", http.ListenAndServe(os.Args[1], mux))
}

func fail(format string, a ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", a...)
	os.Exit(1)
}
