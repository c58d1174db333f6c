package doctor

import (
	"os"
	"path/filepath"
	"strings"
)

// appArmorBlocks reports a Fail when user namespaces can be created but
// Ubuntu's AppArmor restriction takes away their powers, because kist runs
// without an AppArmor profile of its own.
func appArmorBlocks() (Result, bool) {
	if v, err := readProcInt(appArmorNSFile); err != nil || v != 1 || getuid() == 0 {
		return Result{}, false
	}
	if label := appArmorLabel(); label == "" || !strings.HasPrefix(label, "unconfined") {
		return Result{}, false // kist runs under a profile, which decides
	}
	return Result{Status: Fail,
		Detail: "created but powerless: kernel.apparmor_restrict_unprivileged_userns = 1 and kist has no AppArmor profile",
		Fix:    appArmorFix()}, true
}

// appArmorLabel returns the AppArmor confinement of this process, e.g.
// "unconfined" or "kist (unconfined)", or "" if unknown.
func appArmorLabel() string {
	for _, rel := range []string{"self/attr/apparmor/current", "self/attr/current"} {
		if b, err := os.ReadFile(procFile(rel)); err == nil {
			return strings.TrimSpace(strings.TrimRight(string(b), "\x00"))
		}
	}
	return ""
}

// appArmorFix returns the commands that install an AppArmor profile
// allowing this kist binary to use user namespaces, and the less safe
// alternative of lifting the restriction for every program.
func appArmorFix() string {
	path := "/path/to/kist"
	if p, err := executable(); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		path = p
	}
	if strings.ContainsAny(path, " \t") {
		path = `"` + path + `"`
	}
	lines := []string{
		"abi <abi/4.0>,",
		"include <tunables/global>",
		"profile kist " + path + " flags=(unconfined) {",
		"  userns,",
		"  include if exists <local/kist>",
		"}",
	}
	for i, l := range lines {
		lines[i] = shellQuote(l)
	}
	return "printf '%s\\n' " + strings.Join(lines, " ") +
		" | sudo tee /etc/apparmor.d/kist && sudo apparmor_parser -r /etc/apparmor.d/kist" +
		"; or, less safe (for every program): " + sysctlFix(sysctlName(appArmorNSFile), 0)
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
