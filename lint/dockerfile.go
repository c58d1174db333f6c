package lint

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	"github.com/moby/buildkit/frontend/dockerfile/dfgitutil"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	"github.com/moby/buildkit/util/suggest"
	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// Dockerfile lints the Dockerfile at file (path relative to dir, or
// absolute); dir is the build context (for .dockerignore). A Dockerfile
// that cannot be parsed is an error "Dockerfile:LINE: what is wrong" (not
// a finding).
func Dockerfile(dir, file string, o Options) ([]Finding, error) {
	p, name := locate(dir, file)
	dt, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, &fileError{File: name, Msg: o.say("no such file", "dat bestand bestaat niet")}
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	d := &dockerfile{o: o, file: name, dir: dir, path: p}
	if err := d.lint(dt); err != nil {
		return nil, err
	}
	return sortFindings(d.findings), nil
}

// dockerfile is one Dockerfile being linted.
type dockerfile struct {
	o        Options
	file     string // as findings name it
	dir      string // the build context
	path     string // where the Dockerfile is
	findings []Finding

	linter *linter.Linter
	lex    *shell.Lex
	stages []instructions.Stage
	infos  []stageInfo
	args   *envList            // the global ARGs with their defaults, and the platform ARGs
	argKey map[string]struct{} // every global ARG's name, with a default or not
}

// stageInfo is what the checks need to know of a stage.
type stageInfo struct {
	base    int    // the earlier stage this one builds on, -1: an image
	image   string // the base image, its variables expanded ("": unresolved)
	shell   bool   // a SHELL instruction ran (here or in the base stage)
	workdir bool   // a WORKDIR ran (here or in the base stage)
}

// add records a finding at line.
func (d *dockerfile) add(rule string, line int, msg string) {
	d.findings = append(d.findings, Finding{Rule: rule, File: d.file, Line: line, Message: msg})
}

// warn is the linter's Warn callback: buildkit's rules, by its names.
func (d *dockerfile) warn(rule, _, _, msg string, loc []parser.Range) {
	if known(rule) {
		d.add(rule, lineOf(loc), msg)
	}
}

// lineOf is the first line of loc (0: none).
func lineOf(loc []parser.Range) int {
	if len(loc) > 0 {
		return loc[0].Start.Line
	}
	return 0
}

// lint parses Dockerfile dt as kist's build does and runs every check.
func (d *dockerfile) lint(dt []byte) error {
	res, err := parser.Parse(bytes.NewReader(dt))
	if err != nil {
		return d.parseError(dt, err)
	}
	d.linter = linter.New(&linter.Config{Warn: d.warn})
	for _, w := range res.Warnings {
		if w.URL == linter.RuleNoEmptyContinuation.URL && w.Location != nil {
			d.linter.Run(&linter.RuleNoEmptyContinuation, []parser.Range{*w.Location}, linter.RuleNoEmptyContinuation.Format())
		}
	}
	stages, metaArgs, err := instructions.Parse(res.AST, d.linter)
	if err != nil {
		return d.parseError(dt, err)
	}
	if len(stages) == 0 {
		return &fileError{File: d.file, Msg: d.o.say(
			"the Dockerfile has no FROM instruction: start it with FROM IMAGE (e.g. FROM debian:bookworm)",
			"de Dockerfile heeft geen FROM-instructie: begin met FROM IMAGE (bijvoorbeeld FROM debian:bookworm)")}
	}
	d.stages = stages
	d.lex = shell.NewLex(res.EscapeToken)
	d.globalArgs(metaArgs)
	d.resolveStages()

	// buildkit's checks that only its LLB conversion runs.
	d.stageNames()
	d.commandCasing()
	d.fromLines()
	d.dispatchChecks()

	// kist's teaching rules.
	d.latestTag()
	d.addNotCopy()
	d.aptLists()
	d.runsAsRoot()
	d.noDockerignore()
	return nil
}

var parseErrorRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^dockerfile parse error on line (\d+): (.*)$`) })

// parseError turns the parser's error into "Dockerfile:LINE: what is
// wrong".
func (d *dockerfile) parseError(dt []byte, err error) error {
	msg := err.Error()
	line := 0
	if m := parseErrorRE().FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	} else {
		var le *parser.LocationError
		if errors.As(err, &le) && len(le.Locations) > 0 && len(le.Locations[0]) > 0 {
			line = le.Locations[0][0].Start.Line
			if inner := errors.Unwrap(le); inner != nil {
				msg = inner.Error()
			}
		}
	}
	switch msg {
	case "file with no instructions":
		line = 0
		msg = d.o.say("the Dockerfile has no instructions: start it with FROM IMAGE (e.g. FROM debian:bookworm)",
			"de Dockerfile heeft geen instructies: begin met FROM IMAGE (bijvoorbeeld FROM debian:bookworm)")
	case "no build stage in current context":
		instr := "this instruction"
		if lines := strings.Split(string(dt), "\n"); line > 0 && line <= len(lines) {
			if f := strings.Fields(lines[line-1]); len(f) > 0 {
				instr = strings.ToUpper(f[0])
			}
		}
		msg = d.o.say(fmt.Sprintf("%s comes before the first FROM: only ARG may; start the Dockerfile with FROM IMAGE", instr),
			fmt.Sprintf("%s staat vóór de eerste FROM: alleen ARG mag dat; begin de Dockerfile met FROM IMAGE", instr))
	}
	return &fileError{File: d.file, Line: line, Msg: msg}
}

// envList is a list of variables for buildkit's shell lexer.
type envList struct {
	keys []string
	vals map[string]string
}

func (e *envList) Get(k string) (string, bool) { v, ok := e.vals[k]; return v, ok }
func (e *envList) Keys() []string              { return e.keys }

func (e *envList) set(k, v string) {
	if e.vals == nil {
		e.vals = map[string]string{}
	}
	if _, ok := e.vals[k]; !ok {
		e.keys = append(e.keys, k)
	}
	e.vals[k] = v
}

// globalArgs sets d.args as buildkit does for its checks: the platform
// ARGs, then the ARGs before the first FROM with their defaults and no
// build arguments given.
func (d *dockerfile) globalArgs(metaArgs []instructions.ArgCommand) {
	d.args = &envList{}
	plat := "linux/" + runtime.GOARCH
	target := d.stages[len(d.stages)-1].Name
	if target == "" {
		target = "default"
	}
	for _, kv := range [][2]string{
		{"BUILDPLATFORM", plat}, {"BUILDOS", "linux"}, {"BUILDOSVERSION", ""}, {"BUILDARCH", runtime.GOARCH}, {"BUILDVARIANT", ""},
		{"TARGETPLATFORM", plat}, {"TARGETOS", "linux"}, {"TARGETOSVERSION", ""}, {"TARGETARCH", runtime.GOARCH}, {"TARGETVARIANT", ""},
		{"TARGETSTAGE", target},
	} {
		d.args.set(kv[0], kv[1])
	}
	d.argKey = map[string]struct{}{}
	for _, cmd := range metaArgs {
		for _, kp := range cmd.Args {
			d.argKey[kp.Key] = struct{}{}
			if kp.Value == nil {
				continue
			}
			if r, err := d.lex.ProcessWordWithMatches(*kp.Value, d.args); err == nil {
				d.args.set(kp.Key, r.Result)
			}
		}
	}
	for _, k := range d.args.Keys() {
		d.argKey[k] = struct{}{}
	}
}

// resolveStages expands each stage's base name and finds the earlier
// stage it builds on.
func (d *dockerfile) resolveStages() {
	d.infos = make([]stageInfo, len(d.stages))
	for i, st := range d.stages {
		d.infos[i].base = -1
		m, err := d.lex.ProcessWordWithMatches(st.BaseName, d.args)
		if err != nil || len(m.Unmatched) > 0 || m.Result == "" {
			continue
		}
		d.infos[i].image = m.Result
		for j := i - 1; j >= 0; j-- {
			if d.stages[j].Name != "" && strings.EqualFold(d.stages[j].Name, m.Result) {
				d.infos[i].base = j
				d.infos[i].image = ""
				break
			}
		}
	}
}

// stageNames is buildkit's validateStageNames: ReservedStageName and
// DuplicateStageName.
func (d *dockerfile) stageNames() {
	seen := map[string]bool{}
	for _, st := range d.stages {
		if st.Name == "" {
			continue
		}
		if st.Name == "context" || st.Name == "scratch" {
			d.linter.Run(&linter.RuleReservedStageName, st.Location, linter.RuleReservedStageName.Format(st.Name))
		}
		if seen[st.Name] {
			d.linter.Run(&linter.RuleDuplicateStageName, st.Location, linter.RuleDuplicateStageName.Format(st.Name))
		}
		seen[st.Name] = true
	}
}

// commandCasing is buildkit's validateCommandCasing:
// ConsistentInstructionCasing against the majority's case.
func (d *dockerfile) commandCasing() {
	consistent := func(s string) bool { return s == strings.ToLower(s) || s == strings.ToUpper(s) }
	var lower, upper int
	count := func(name string) {
		if consistent(name) {
			if strings.ToLower(name) == name {
				lower++
			} else {
				upper++
			}
		}
	}
	for _, st := range d.stages {
		count(st.OrigCmd)
		for _, c := range st.Commands {
			count(c.Name())
		}
	}
	majorityLower := lower > upper
	check := func(name string, loc []parser.Range) {
		want := ""
		if majorityLower && strings.ToLower(name) != name {
			want = "lowercase"
		} else if !majorityLower && strings.ToUpper(name) != name {
			want = "uppercase"
		}
		if want != "" {
			d.linter.Run(&linter.RuleConsistentInstructionCasing, loc, linter.RuleConsistentInstructionCasing.Format(name, want))
		}
	}
	for _, st := range d.stages {
		check(st.OrigCmd, st.Location)
		for _, c := range st.Commands {
			check(c.Name(), c.Location())
		}
	}
}

// fromLines checks each FROM as buildkit does: InvalidDefaultArgInFrom,
// UndefinedArgInFrom, RedundantTargetPlatform and
// FromPlatformFlagConstDisallowed.
func (d *dockerfile) fromLines() {
	keys := make([]string, 0, len(d.argKey))
	for k := range d.argKey {
		keys = append(keys, k)
	}
	undefined := func(unmatched map[string]struct{}, loc []parser.Range) {
		for arg := range unmatched {
			if _, ok := d.argKey[arg]; ok {
				continue
			}
			s, _ := suggest.Search(arg, keys, true)
			d.linter.Run(&linter.RuleUndefinedArgInFrom, loc, linter.RuleUndefinedArgInFrom.Format(arg, s))
		}
	}
	for _, st := range d.stages {
		m, err := d.lex.ProcessWordWithMatches(st.BaseName, d.args)
		if err != nil {
			continue
		}
		if _, err := reference.ParseNormalizedNamed(m.Result); err != nil {
			d.linter.Run(&linter.RuleInvalidDefaultArgInFrom, st.Location, linter.RuleInvalidDefaultArgInFrom.Format(st.BaseName))
		}
		undefined(m.Unmatched, st.Location)
		if st.Platform == "" {
			continue
		}
		pm, err := d.lex.ProcessWordWithMatches(st.Platform, d.args)
		if err != nil {
			continue
		}
		undefined(pm.Unmatched, st.Location)
		if len(pm.Matched) == 1 && len(pm.Unmatched) == 0 {
			if _, ok := pm.Matched["TARGETPLATFORM"]; ok {
				if v, _ := d.args.Get("TARGETPLATFORM"); pm.Result == v {
					d.linter.Run(&linter.RuleRedundantTargetPlatform, st.Location, linter.RuleRedundantTargetPlatform.Format(st.Platform))
				}
			}
		}
		if len(pm.Matched) == 0 && len(pm.Unmatched) == 0 {
			if p, err := platforms.Parse(pm.Result); err == nil &&
				!strings.Contains(st.Name, p.OS) && !strings.Contains(st.Name, p.Architecture) {
				d.linter.Run(&linter.RuleFromPlatformFlagConstDisallowed, st.Location, linter.RuleFromPlatformFlagConstDisallowed.Format(pm.Result))
			}
		}
	}
}

// dispatchChecks walks every stage's instructions in order, as
// buildkit's dispatch does, for the rules it checks there:
// JSONArgsRecommended, MultipleInstructionsDisallowed,
// WorkdirRelativePath, LegacyKeyValueFormat, SecretsUsedInArgOrEnv,
// ExposeProtoCasing, ExposeInvalidFormat and CopyIgnoredFile. Unlike
// buildkit, it checks every stage, not only those the target needs.
func (d *dockerfile) dispatchChecks() {
	ignore := d.ignoreMatcher()
	for i, st := range d.stages {
		inf := &d.infos[i]
		if inf.base >= 0 {
			inf.shell = d.infos[inf.base].shell
			inf.workdir = d.infos[inf.base].workdir
		}
		var cmdAt, entrypointAt, healthcheckAt []parser.Range
		usedOnce := func(c instructions.Command, at *[]parser.Range) {
			if *at != nil {
				// buildkit reports the earlier one: it is the one ignored
				d.linter.Run(&linter.RuleMultipleInstructionsDisallowed, *at, linter.RuleMultipleInstructionsDisallowed.Format(c.Name()))
			}
			*at = c.Location()
		}
		jsonArgs := func(c instructions.Command, prependShell bool) {
			if prependShell && !inf.shell {
				d.linter.Run(&linter.RuleJSONArgsRecommended, c.Location(), linter.RuleJSONArgsRecommended.Format(c.Name()))
			}
		}
		for _, cmd := range st.Commands {
			switch c := cmd.(type) {
			case *instructions.CmdCommand:
				usedOnce(c, &cmdAt)
				jsonArgs(c, c.PrependShell)
			case *instructions.EntrypointCommand:
				usedOnce(c, &entrypointAt)
				jsonArgs(c, c.PrependShell)
			case *instructions.HealthCheckCommand:
				usedOnce(c, &healthcheckAt)
			case *instructions.ShellCommand:
				inf.shell = true
			case *instructions.WorkdirCommand:
				if !inf.workdir && !strings.HasPrefix(c.Path, "/") && !strings.HasPrefix(c.Path, "$") {
					d.linter.Run(&linter.RuleWorkdirRelativePath, c.Location(), linter.RuleWorkdirRelativePath.Format(c.Path))
				}
				inf.workdir = true
			case *instructions.EnvCommand:
				for _, e := range c.Env {
					if e.NoDelim {
						d.linter.Run(&linter.RuleLegacyKeyValueFormat, c.Location(), linter.RuleLegacyKeyValueFormat.Format(c.Name()))
					}
					d.secretKey("ENV", e.Key, c.Location())
				}
			case *instructions.LabelCommand:
				for _, l := range c.Labels {
					if l.NoDelim {
						d.linter.Run(&linter.RuleLegacyKeyValueFormat, c.Location(), linter.RuleLegacyKeyValueFormat.Format(c.Name()))
					}
				}
			case *instructions.ArgCommand:
				for _, a := range c.Args {
					d.secretKey("ARG", a.Key, c.Location())
				}
			case *instructions.ExposeCommand:
				for _, p := range c.Ports {
					d.exposePort(p, c.Location())
				}
			case *instructions.CopyCommand:
				if c.From == "" {
					d.copyIgnored(ignore, "Copy", c.SourcePaths, c.Location())
				}
			case *instructions.AddCommand:
				var local []string
				for _, src := range c.SourcePaths {
					if !isRemote(src) {
						local = append(local, src)
					}
				}
				d.copyIgnored(ignore, "Add", local, c.Location())
			}
		}
	}
}

var (
	secretRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i)(?:_|^)(?:apikey|auth|credential|credentials|key|password|pword|passwd|secret|token)(?:_|$)`)
	})
	secretAllowRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)(?:_|^)(?:public|file|version)(?:_|$)`) })
)

// secretKey is buildkit's validateNoSecretKey: SecretsUsedInArgOrEnv.
func (d *dockerfile) secretKey(instruction, key string, loc []parser.Range) {
	if secretRE().MatchString(key) && !secretAllowRE().MatchString(key) {
		d.linter.Run(&linter.RuleSecretsUsedInArgOrEnv, loc, linter.RuleSecretsUsedInArgOrEnv.Format(instruction, key))
	}
}

// exposePort is buildkit's port parsing for EXPOSE, for its two rules.
// A port with a variable is skipped: its value is not known here.
func (d *dockerfile) exposePort(raw string, loc []parser.Range) {
	if strings.Contains(raw, "$") {
		return
	}
	parts := strings.Split(raw, ":")
	var ip, hostPort string
	containerPort := parts[len(parts)-1]
	switch n := len(parts); {
	case n == 2:
		hostPort = parts[0]
	case n >= 3:
		ip, hostPort = strings.Join(parts[:n-2], ":"), parts[n-2]
	}
	port, proto, _ := strings.Cut(containerPort, "/")
	if port == "" {
		return
	}
	switch strings.ToLower(proto) {
	case "", "tcp", "udp", "sctp":
	default:
		return
	}
	if proto != strings.ToLower(proto) {
		d.linter.Run(&linter.RuleExposeProtoCasing, loc, linter.RuleExposeProtoCasing.Format(raw))
	}
	if ip != "" || hostPort != "" {
		d.linter.Run(&linter.RuleExposeInvalidFormat, loc, linter.RuleExposeInvalidFormat.Format(raw))
	}
}

// ignoreMatcher reads the ignore file buildkit would use: DOCKERFILE.dockerignore
// next to the Dockerfile, else .dockerignore in the context. nil: none,
// or one that cannot be read.
func (d *dockerfile) ignoreMatcher() *patternmatcher.PatternMatcher {
	for _, f := range d.ignoreFiles() {
		r, err := os.Open(f)
		if err != nil {
			continue
		}
		patterns, err := ignorefile.ReadAll(r)
		r.Close()
		if err != nil {
			return nil
		}
		pm, err := patternmatcher.New(patterns)
		if err != nil {
			return nil
		}
		return pm
	}
	return nil
}

// ignoreFiles are where the ignore file may be, in docker's order.
func (d *dockerfile) ignoreFiles() []string {
	return []string{d.path + ".dockerignore", filepath.Join(d.dir, ".dockerignore")}
}

// copyIgnored is buildkit's validateCopySourcePath: CopyIgnoredFile.
func (d *dockerfile) copyIgnored(pm *patternmatcher.PatternMatcher, cmd string, srcs []string, loc []parser.Range) {
	if pm == nil || pm.Exclusions() {
		return
	}
	for _, src := range srcs {
		if strings.Contains(src, "$") {
			continue
		}
		src = filepath.ToSlash(filepath.Clean(src))
		if src == "." || src == "/" {
			root := false
			for _, p := range pm.Patterns() {
				if !p.Exclusion() && (p.String() == "*" || p.String() == "**" || p.String() == "**/*") {
					root = true
				}
			}
			if !root {
				continue
			}
		}
		if ok, err := pm.MatchesOrParentMatches(src); err == nil && ok {
			d.linter.Run(&linter.RuleCopyIgnoredFile, loc, linter.RuleCopyIgnoredFile.Format(cmd, src))
		}
	}
}

// isRemote reports whether an ADD source is a URL or a git address.
func isRemote(src string) bool {
	if strings.Contains(src, "://") || strings.HasPrefix(src, "git@") {
		return true
	}
	ref, isGit, _ := dfgitutil.ParseGitRef(src)
	return ref != nil && isGit
}

// archiveExts are the names of the archives ADD unpacks.
var archiveExts = []string{".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tbz", ".tar.xz", ".txz", ".tar.zst", ".tzst"}

func isArchive(name string) bool {
	name = strings.ToLower(name)
	for _, ext := range archiveExts {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}

// latestTag is kist's latest-tag: a FROM image without a tag, or with
// the tag latest.
func (d *dockerfile) latestTag() {
	for i, st := range d.stages {
		inf := d.infos[i]
		if inf.base >= 0 || inf.image == "" || strings.EqualFold(inf.image, "scratch") {
			continue
		}
		ref, err := reference.ParseNormalizedNamed(inf.image)
		if err != nil {
			continue
		}
		if _, ok := ref.(reference.Digested); ok {
			continue
		}
		repo := reference.FamiliarName(ref)
		line := lineOf(st.Location)
		if t, ok := ref.(reference.Tagged); !ok {
			d.add(ruleLatestTag, line, d.o.say(
				fmt.Sprintf("FROM %s has no tag: it gets whatever %s:latest is on the day of the build; name a version (FROM %s:VERSION)", st.BaseName, repo, repo),
				fmt.Sprintf("FROM %s heeft geen tag: je krijgt wat %s:latest is op de dag dat je bouwt; noem een versie (FROM %s:VERSIE)", st.BaseName, repo, repo)))
		} else if t.Tag() == "latest" {
			d.add(ruleLatestTag, line, d.o.say(
				fmt.Sprintf("FROM %s uses the tag latest, which changes over time; name a version (FROM %s:VERSION)", st.BaseName, repo),
				fmt.Sprintf("FROM %s gebruikt de tag latest, die in de loop van de tijd verandert; noem een versie (FROM %s:VERSIE)", st.BaseName, repo)))
		}
	}
}

// addNotCopy is kist's add-not-copy: ADD of local files that COPY copies
// the same way.
func (d *dockerfile) addNotCopy() {
	for _, st := range d.stages {
		for _, cmd := range st.Commands {
			c, ok := cmd.(*instructions.AddCommand)
			if !ok || c.KeepGitDir != nil || c.Checksum != "" || c.Unpack != nil {
				continue
			}
			plain := len(c.SourcePaths) > 0 || len(c.SourceContents) > 0
			for _, src := range c.SourcePaths {
				if strings.Contains(src, "$") || isRemote(src) || isArchive(src) || d.globHasArchive(src) {
					plain = false
				}
			}
			if plain {
				d.add(ruleAddNotCopy, lineOf(c.Location()), d.o.say(
					"ADD copies local files here, which COPY does the same way: write COPY instead of ADD",
					"ADD kopieert hier lokale bestanden, wat COPY op dezelfde manier doet: schrijf COPY in plaats van ADD"))
			}
		}
	}
}

// globHasArchive reports whether src is a pattern that matches an
// archive in the build context (ADD would unpack it).
func (d *dockerfile) globHasArchive(src string) bool {
	if !strings.ContainsAny(src, "*?[") {
		return false
	}
	matches, err := filepath.Glob(filepath.Join(d.dir, filepath.FromSlash(src)))
	if err != nil {
		return true // a pattern buildkit may read otherwise: do not judge
	}
	for _, m := range matches {
		if isArchive(m) {
			return true
		}
	}
	return false
}

var (
	aptInstallRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?m)(?:^|[\s;&|(/])(apt-get|apt)[ \t]+(?:[^;&|\n]*[ \t])?install(?:[ \t]|$)`)
	})
	aptListsRmRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?m)(?:^|[\s;&|(/])rm[ \t][^;&|\n]*/var/lib/apt/lists`)
	})
)

// aptLists is kist's apt-lists: a RUN that installs with apt-get or apt
// but leaves /var/lib/apt/lists in the layer.
func (d *dockerfile) aptLists() {
	for _, st := range d.stages {
		for _, cmd := range st.Commands {
			c, ok := cmd.(*instructions.RunCommand)
			if !ok {
				continue
			}
			text := strings.Join(c.CmdLine, " ")
			for _, f := range c.Files {
				text += "\n" + f.Data
			}
			text = strings.ReplaceAll(text, "\\\n", " ")
			m := aptInstallRE().FindStringSubmatch(text)
			if m == nil || aptListsRmRE().MatchString(text) || aptCacheMounted(c) {
				continue
			}
			d.add(ruleAptLists, lineOf(c.Location()), d.o.say(
				fmt.Sprintf("this RUN installs with %s install but does not remove /var/lib/apt/lists: end it with && rm -rf /var/lib/apt/lists/*", m[1]),
				fmt.Sprintf("deze RUN installeert met %s install maar verwijdert /var/lib/apt/lists niet: eindig hem met && rm -rf /var/lib/apt/lists/*", m[1])))
		}
	}
}

// aptCacheMounted reports whether the RUN mounts something on apt's
// lists (RUN --mount=type=cache,target=/var/lib/apt): they stay out of
// the layer.
func aptCacheMounted(c *instructions.RunCommand) bool {
	// The parser leaves the mounts' values for the build to expand; as
	// written is enough here.
	if err := c.Expand(func(w string) (string, error) { return w, nil }); err != nil {
		return false
	}
	for _, m := range instructions.GetMounts(c) {
		if t := path.Clean(m.Target); t == "/var/lib/apt" || t == "/var/lib/apt/lists" {
			return true
		}
	}
	return false
}

// runsAsRoot is kist's runs-as-root: the final stage (the one kist build
// builds by default) never switches to a user other than root. A stage
// built on an earlier stage inherits its USER.
func (d *dockerfile) runsAsRoot() {
	final := len(d.stages) - 1
	i := final
	for d.infos[i].base >= 0 {
		i = d.infos[i].base
	}
	if strings.EqualFold(d.infos[i].image, "scratch") {
		return // no users at all
	}
	for i = final; i >= 0; i = d.infos[i].base {
		var last *instructions.UserCommand
		for _, cmd := range d.stages[i].Commands {
			if u, ok := cmd.(*instructions.UserCommand); ok {
				last = u
			}
		}
		if last == nil {
			continue
		}
		user, _, _ := strings.Cut(last.User, ":")
		if user != "root" && user != "0" {
			return
		}
		d.add(ruleRunsAsRoot, lineOf(last.Location()), d.o.say(
			fmt.Sprintf("the final stage's last USER is %s, so the container runs as root: end with a USER that is not root (e.g. USER 1000)", last.User),
			fmt.Sprintf("de laatste USER van de laatste stage is %s, dus de container draait als root: eindig met een USER die geen root is (bijvoorbeeld USER 1000)", last.User)))
		return
	}
	d.add(ruleRunsAsRoot, lineOf(d.stages[final].Location), d.o.say(
		"the final stage has no USER, so the container runs as root: add a USER that is not root (e.g. USER 1000)",
		"de laatste stage heeft geen USER, dus de container draait als root: voeg een USER toe die geen root is (bijvoorbeeld USER 1000)"))
}

// noDockerignore is kist's no-dockerignore: COPY . (the whole context)
// without an ignore file.
func (d *dockerfile) noDockerignore() {
	for _, f := range d.ignoreFiles() {
		if _, err := os.Stat(f); err == nil {
			return
		}
	}
	for _, st := range d.stages {
		for _, cmd := range st.Commands {
			var srcs []string
			switch c := cmd.(type) {
			case *instructions.CopyCommand:
				if c.From == "" {
					srcs = c.SourcePaths
				}
			case *instructions.AddCommand:
				srcs = c.SourcePaths
			}
			for _, src := range srcs {
				if filepath.Clean(src) != "." {
					continue
				}
				name := strings.ToUpper(cmd.Name())
				d.add(ruleNoDockerignore, lineOf(cmd.Location()), d.o.say(
					fmt.Sprintf("%s %s copies the whole folder, and there is no .dockerignore: add one that leaves out .git, secrets and build output", name, src),
					fmt.Sprintf("%s %s kopieert de hele map, en er is geen .dockerignore: voeg er een toe die .git, geheimen en build-uitvoer weglaat", name, src)))
				break
			}
		}
	}
}
