package role

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// reset empties the registry for one test and restores it after.
func reset(t *testing.T) {
	t.Helper()
	env, name, m := byEnv, byName, matchers
	byEnv, byName, matchers = map[string]Main{}, map[string]Main{}, nil
	t.Cleanup(func() { byEnv, byName, matchers = env, name, m })
}

func code(m Main, ok bool) int {
	if !ok {
		return -1
	}
	return m(nil)
}

func TestFindInOrder(t *testing.T) {
	reset(t)
	Register("step", func([]string) int { return 1 })
	RegisterName("sh", func([]string) int { return 2 })
	RegisterMatch("helpers", func(n string) bool { return strings.HasPrefix(n, "storage-") }, func([]string) int { return 3 })
	for _, c := range []struct {
		name string
		env  string // _KIST_ROLE, "" for unset
		argv []string
		want int
	}{
		{"the entry point by _KIST_ROLE wins over argv[0]", "step", []string{"sh"}, 1},
		{"an unknown entry point says so", "nope", []string{"kist"}, 125},
		{"a program name", "", []string{"/bin/sh", "-c", "x"}, 2},
		{"a family of names", "", []string{"storage-untar"}, 3},
		{"kist itself is the command line", "", []string{"/usr/bin/kist", "run"}, -1},
		{"an unknown name is the command line", "", []string{"kist.test"}, -1},
		{"no argv", "", nil, -1},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.env != "" {
				t.Setenv(EnvRole, c.env)
			} else {
				os.Unsetenv(EnvRole)
			}
			if got := code(Find(c.argv)); got != c.want {
				t.Errorf("Find(%q) with %s=%q ran %d, want %d", c.argv, EnvRole, c.env, got, c.want)
			}
			if _, set := os.LookupEnv(EnvRole); set {
				t.Errorf("Find left %s in the environment: children would inherit it", EnvRole)
			}
		})
	}
}

func TestRegisterTwicePanics(t *testing.T) {
	reset(t)
	for name, register := range map[string]func(){
		"entry point":  func() { Register("a", nil) },
		"program name": func() { RegisterName("b", nil) },
		"kist":         func() { RegisterName("kist", nil) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("registering %s twice did not panic", name)
				}
			}()
			register()
			if name != "kist" {
				register()
			}
		})
	}
}

func TestTwoMatchersForOneNamePanic(t *testing.T) {
	reset(t)
	RegisterMatch("one", func(string) bool { return true }, nil)
	RegisterMatch("other", func(string) bool { return true }, nil)
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "one and other") {
			t.Errorf("recover() = %v, want a panic naming both", r)
		}
	}()
	Find([]string{"x"})
}

func TestCommandEnvironment(t *testing.T) {
	t.Setenv("_KIST_SUPERVISE_DIR", "/x")
	t.Setenv("KIST_STORAGE_DRIVER", "vfs")
	cmd := Command("network-keeper", "bridge")
	if cmd.Args[0] != "kist-network-keeper" || cmd.Args[1] != "bridge" || cmd.Path != "/proc/self/exe" {
		t.Errorf("Command = %q %q", cmd.Path, cmd.Args)
	}
	env := strings.Join(cmd.Env, "\n")
	for _, want := range []string{"_KIST_ROLE=network-keeper", "KIST_STORAGE_DRIVER=vfs"} {
		if !strings.Contains(env, want) {
			t.Errorf("environment lacks %s", want)
		}
	}
	if strings.Contains(env, "_KIST_SUPERVISE_DIR") {
		t.Errorf("environment keeps this process's private variable _KIST_SUPERVISE_DIR")
	}
}

// TestEntryPointProcess starts this test binary as an entry point, as
// kist starts its own: TestMain dispatches.
func TestEntryPointProcess(t *testing.T) {
	cmd := Command("role-test-echo", "a", "b")
	out, err := cmd.CombinedOutput()
	if err != nil || string(out) != "a b\n" {
		t.Fatalf("kist-role-test-echo a b: %q, %v", out, err)
	}
	var ee *exec.ExitError
	if _, err := Command("role-test-none").CombinedOutput(); err == nil {
		t.Fatal("an unknown entry point exited 0")
	} else if !errors.As(err, &ee) || ee.ExitCode() != 125 {
		t.Fatalf("unknown entry point: %v, want exit status 125", err)
	}
}

func TestMain(m *testing.M) {
	Register("role-test-echo", func(args []string) int {
		os.Stdout.WriteString(strings.Join(args, " ") + "\n")
		return 0
	})
	if main, ok := Find(os.Args); ok {
		os.Exit(main(os.Args[1:]))
	}
	os.Exit(m.Run())
}
