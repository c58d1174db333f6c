package main

import (
	"bytes"
	"flag"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/rogpeppe/go-internal/testscript"

	"kist/image"
)

// testRegistry is an in-memory registry on loopback shared by the
// scripts ($REGISTRY); scripts put images there with pushimage. Scripts
// run in parallel, so each uses repository names of its own.
var testRegistry = sync.OnceValue(func() string {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	return strings.TrimPrefix(srv.URL, "http://")
})

// cmdPushImage is the script command
//
//	pushimage [-cmd 'ARGS'] [-entrypoint 'ARGS'] [-env K=V]... [-workdir DIR] [-user U] NAME DIR
//
// which makes a one-layer image from the tree at DIR (owners as uid 0,
// modes and symlinks kept) and pushes it to $REGISTRY/NAME.
func cmdPushImage(ts *testscript.TestScript, neg bool, args []string) {
	fl := flag.NewFlagSet("pushimage", flag.ContinueOnError)
	cmd := fl.String("cmd", "", "Cmd, space-separated")
	ep := fl.String("entrypoint", "", "Entrypoint, space-separated")
	workdir := fl.String("workdir", "", "WorkingDir")
	user := fl.String("user", "", "User")
	var env multiFlag
	fl.Var(&env, "env", "Env entry")
	if err := fl.Parse(args); err != nil || fl.NArg() != 2 {
		ts.Fatalf("usage: pushimage [-cmd ARGS] [-entrypoint ARGS] [-env K=V] [-workdir DIR] [-user U] NAME DIR")
	}
	layer, err := dirLayer(ts.MkAbs(fl.Arg(1)))
	ts.Check(err)
	img, err := mutate.AppendLayers(empty.Image, layer)
	ts.Check(err)
	cfg, err := img.ConfigFile()
	ts.Check(err)
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", "amd64"
	cfg.Config = v1.Config{Env: env, WorkingDir: *workdir, User: *user}
	if *cmd != "" {
		cfg.Config.Cmd = strings.Fields(*cmd)
	}
	if *ep != "" {
		cfg.Config.Entrypoint = strings.Fields(*ep)
	}
	img, err = mutate.ConfigFile(img, cfg)
	ts.Check(err)
	ref, err := name.ParseReference(testRegistry()+"/"+fl.Arg(0), name.Insecure)
	ts.Check(err)
	err = remote.Write(ref, img)
	if neg != (err != nil) {
		ts.Fatalf("pushimage: %v", err)
	}
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// dirLayer tars dir into an uncompressed layer.
func dirLayer(dir string) (v1.Layer, error) {
	var buf bytes.Buffer
	if err := image.TarDir(&buf, dir); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
}
