package build

import (
	"maps"
	"runtime"
	"slices"
	"sort"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// Variables, as docker scopes them: global ARGs (before the first FROM)
// are for FROM lines only, unless a stage declares them again with ARG
// NAME; a stage's ARGs and ENVs are its own (ENV wins over an ARG of the
// same name); --build-arg overrides an ARG's default; the platform ARGs
// (TARGETARCH, ...) have values once declared; the proxy variables reach
// RUN without any ARG.

// globalArgs sets the global ARGs (b.meta), in order, each default
// expanded with the ones before it.
func (b *builder) globalArgs(args []instructions.ArgCommand) error {
	for _, a := range args {
		for _, kv := range a.Args {
			v, ok, err := b.globalArg(kv)
			if err != nil {
				return b.errAt(a.Location(), err.Error())
			}
			if ok {
				b.meta = setEnv(b.meta, kv.Key+"="+v)
			}
		}
	}
	return nil
}

// globalArg is a global ARG's value: --build-arg's, else its default,
// else a platform ARG's. ok is false for a name with none of these: it
// stays unset, like docker.
func (b *builder) globalArg(kv instructions.KeyValuePairOptional) (v string, ok bool, err error) {
	if v, ok := b.o.BuildArgs[kv.Key]; ok {
		b.usedArgs[kv.Key] = true
		return v, true, nil
	}
	if kv.Value != nil {
		v, err := b.expand(*kv.Value, b.meta)
		return v, err == nil, err
	}
	v, ok = platformArg(kv.Key)
	return v, ok, nil
}

// declareArgs runs a stage's ARG instruction. Like docker, an ARG
// changes no cache key itself: RUN steps have the ARG values in their
// environment, which is part of their key, and other instructions the
// words they expand to.
func (b *builder) declareArgs(s *state, c *instructions.ArgCommand) {
	for _, kv := range c.Args {
		if v, ok := b.stageArg(kv); ok {
			s.args = setEnv(s.args, kv.Key+"="+v)
		}
	}
}

// stageArg is a stage ARG's value (its default already expanded):
// --build-arg's, else its default, else (ARG NAME alone) the global
// ARG's of that name, else a platform ARG's. ok is false for a name with
// none of these: it stays unset, like docker.
func (b *builder) stageArg(kv instructions.KeyValuePairOptional) (string, bool) {
	if v, ok := b.o.BuildArgs[kv.Key]; ok {
		b.usedArgs[kv.Key] = true
		return v, true
	}
	if kv.Value != nil {
		return *kv.Value, true
	}
	if v, ok := lookupEnv(b.meta, kv.Key); ok {
		return v, true
	}
	return platformArg(kv.Key)
}

// expand expands $VARS in word with env (KEY=VALUE).
func (b *builder) expand(word string, env []string) (string, error) {
	out, _, err := b.lex.ProcessWord(word, shell.EnvsFromSlice(env))
	return out, err
}

// setEnv sets KEY=VALUE in env, replacing an earlier KEY; env itself is
// left as it was.
func setEnv(env []string, kv string) []string {
	k, _, _ := strings.Cut(kv, "=")
	for i, e := range env {
		if ek, _, _ := strings.Cut(e, "="); ek == k {
			out := slices.Clone(env)
			out[i] = kv
			return out
		}
	}
	return append(slices.Clone(env), kv)
}

// lookupEnv is KEY's value in env (the last one, if several).
func lookupEnv(env []string, k string) (string, bool) {
	for i := len(env) - 1; i >= 0; i-- {
		if ek, v, _ := strings.Cut(env[i], "="); ek == k {
			return v, true
		}
	}
	return "", false
}

// stepEnv is the environment instructions are expanded with and RUN
// sees: the stage's ARGs, then its ENV (ENV wins over an ARG of the same
// name, as in docker).
func (s *state) stepEnv() []string {
	env := slices.Clone(s.args)
	for _, e := range s.cfg.Config.Env {
		env = setEnv(env, e)
	}
	return env
}

// proxyArgs are docker's predefined build arguments: passed to RUN from
// kist's environment (or --build-arg) without an ARG, and kept out of the
// image and the cache key.
var proxyArgs = []string{"HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY", "ALL_PROXY"}

// predefinedArg reports whether --build-arg k needs no ARG: a proxy
// variable (in either case) or a platform ARG.
func predefinedArg(k string) bool {
	if slices.Contains(proxyArgs, strings.ToUpper(k)) {
		return true
	}
	_, ok := platformArg(k)
	return ok
}

// platformArg is the value of docker's automatic platform ARGs
// (TARGETARCH and the like), available when a stage declares them.
func platformArg(k string) (string, bool) {
	arch := runtime.GOARCH
	switch k {
	case "TARGETPLATFORM", "BUILDPLATFORM":
		return "linux/" + arch, true
	case "TARGETOS", "BUILDOS":
		return "linux", true
	case "TARGETARCH", "BUILDARCH":
		return arch, true
	case "TARGETVARIANT", "BUILDVARIANT":
		return "", true
	}
	return "", false
}

// proxyEnv is the proxy variables for RUN: --build-arg first, then
// kist's environment.
func (b *builder) proxyEnv() []string {
	var env []string
	for _, k := range proxyArgs {
		for _, name := range []string{k, strings.ToLower(k)} {
			if v, ok := b.o.BuildArgs[name]; ok {
				env = append(env, name+"="+v)
				continue
			}
			for _, e := range b.o.Environ {
				if strings.HasPrefix(e, name+"=") {
					env = append(env, e)
				}
			}
		}
	}
	sort.Strings(env)
	return env
}

// sortedKeys is m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
