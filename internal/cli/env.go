package cli

import (
	"bufio"
	"fmt"
	"os"
	"strings"
)

// buildEnv joins --env-file files and -e flags, in docker's order (files
// first, then flags). A bare KEY copies the variable from kist's own
// environment and is left out when it is not set there.
func buildEnv(flags, files []string) ([]string, error) {
	var env []string
	for _, name := range files {
		vars, err := readEnvFile(name)
		if err != nil {
			return nil, err
		}
		env = append(env, vars...)
	}
	for _, e := range flags {
		if kv, ok := expandEnv(e); ok {
			env = append(env, kv)
		}
	}
	return env, nil
}

func expandEnv(e string) (string, bool) {
	if strings.Contains(e, "=") {
		return e, true
	}
	v, ok := os.LookupEnv(e)
	return e + "=" + v, ok
}

// readEnvFile reads KEY=VALUE lines; blank lines and # comments are
// skipped, values are taken literally (no quotes removed), like docker.
func readEnvFile(name string) ([]string, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("env file: %w", err)
	}
	defer f.Close()
	var env []string
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimLeft(sc.Text(), " \t")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, _, _ := strings.Cut(line, "=")
		if key == "" || strings.ContainsAny(key, " \t") {
			return nil, fmt.Errorf("%s:%d: want KEY=VALUE, got %q", name, n, line)
		}
		if kv, ok := expandEnv(line); ok {
			env = append(env, kv)
		}
	}
	return env, sc.Err()
}
