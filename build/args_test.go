package build

import (
	"runtime"
	"slices"
	"testing"
)

// Global ARGs: defaults expand earlier ones, --build-arg overrides,
// platform ARGs have values, an ARG with none stays unset.
func TestGlobalArgs(t *testing.T) {
	o := testOptions(t, map[string]string{"Dockerfile": "ARG A=1\nARG B=${A}2\nARG C=default\nARG TARGETARCH\nARG NONE\nFROM scratch\n"})
	o.BuildArgs = map[string]string{"C": "given"}
	b := loaded(t, o)
	want := []string{"A=1", "B=12", "C=given", "TARGETARCH=" + runtime.GOARCH}
	if !slices.Equal(b.meta, want) {
		t.Errorf("global ARGs %q, want %q", b.meta, want)
	}
	if !b.usedArgs["C"] || len(b.usedArgs) != 1 {
		t.Errorf("used build args %v, want C", b.usedArgs)
	}
}

// A stage sees a global ARG only when it declares it again; its own
// ARGs take --build-arg, then their default, then the global value;
// ENV wins over an ARG of the same name.
func TestStageArgs(t *testing.T) {
	const df = `ARG G=global
ARG H=hidden
FROM scratch
ARG G
ARG D=default
ARG O=default
ARG NONE
ARG BUILDOS
ARG E=from-arg
ENV E=from-env
ENV OUT="G=$G H=$H D=$D O=$O NONE=$NONE BUILDOS=$BUILDOS E=$E"
`
	o := testOptions(t, map[string]string{"Dockerfile": df})
	o.BuildArgs = map[string]string{"O": "given"}
	s := built(t, loaded(t, o))
	out, _ := lookupEnv(s.cfg.Config.Env, "OUT")
	if want := "G=global H= D=default O=given NONE= BUILDOS=linux E=from-env"; out != want {
		t.Errorf("expanded %q, want %q", out, want)
	}
	wantArgs := []string{"G=global", "D=default", "O=given", "BUILDOS=linux", "E=from-arg"}
	if !slices.Equal(s.args, wantArgs) {
		t.Errorf("ARGs in scope %q, want %q", s.args, wantArgs)
	}
	if env := s.stepEnv(); !slices.Contains(env, "E=from-env") || slices.Contains(env, "E=from-arg") {
		t.Errorf("step environment %q: ENV E does not win over ARG E", env)
	}
}

// An ARG's value is in no image: only ENV is.
func TestArgsStayOutOfTheImage(t *testing.T) {
	s := built(t, loadDockerfile(t, "FROM scratch\nARG SECRET=s\n"))
	if _, ok := lookupEnv(s.cfg.Config.Env, "SECRET"); ok || len(s.cfg.History) != 0 {
		t.Errorf("ARG left env %q, history %v", s.cfg.Config.Env, s.cfg.History)
	}
}

// Build arguments that need no ARG: the proxy variables (either case) and
// the platform ARGs.
func TestPredefinedArg(t *testing.T) {
	for k, want := range map[string]bool{
		"HTTP_PROXY": true, "https_proxy": true, "No_Proxy": true, "ALL_PROXY": true, "FTP_PROXY": true,
		"TARGETARCH": true, "BUILDPLATFORM": true, "TARGETVARIANT": true,
		"targetarch": false, "PROXY": false, "VERSION": false,
	} {
		if got := predefinedArg(k); got != want {
			t.Errorf("predefinedArg(%s) = %v", k, got)
		}
	}
}

// RUN gets the proxy variables from --build-arg first, then kist's
// environment, in both cases, sorted; no others.
func TestProxyEnv(t *testing.T) {
	b := newBuilder(t.Context(), &Options{
		BuildArgs: map[string]string{"http_proxy": "http://given", "NO_PROXY": "given"},
		Environ:   []string{"http_proxy=http://env", "HTTPS_PROXY=https://env", "NO_PROXY=env", "PATH=/bin", "no_proxy=lower"},
	})
	want := []string{"HTTPS_PROXY=https://env", "NO_PROXY=given", "http_proxy=http://given", "no_proxy=lower"}
	if got := b.proxyEnv(); !slices.Equal(got, want) {
		t.Errorf("proxyEnv %q, want %q", got, want)
	}
}

// setEnv replaces a key in place and never changes the slice it is given.
func TestSetEnv(t *testing.T) {
	env := []string{"A=1", "B=2"}
	got := setEnv(env, "A=3")
	if !slices.Equal(got, []string{"A=3", "B=2"}) || env[0] != "A=1" {
		t.Errorf("setEnv replace: %q (given %q)", got, env)
	}
	got = setEnv(env[:1], "C=4")
	if !slices.Equal(got, []string{"A=1", "C=4"}) || env[1] != "B=2" {
		t.Errorf("setEnv add: %q (given %q)", got, env)
	}
	if v, ok := lookupEnv([]string{"A=1", "AB=2", "A=3"}, "A"); !ok || v != "3" {
		t.Errorf("lookupEnv A = %q, %v", v, ok)
	}
	if _, ok := lookupEnv([]string{"AB=2"}, "A"); ok {
		t.Errorf("lookupEnv found A in AB")
	}
}
