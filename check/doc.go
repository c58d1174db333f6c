// Package check runs check scripts: the language kist's lessons (kist learn)
// and grading (kist grade) use to look at what a student made.
//
// A check script is a testscript script (github.com/rogpeppe/go-internal/
// testscript; `go doc testscript` has the language), run from kist itself
// with testscript.RunT and a T of this package's own. The script starts in
// the student's folder (Options.Dir), with the student's own environment
// (HOME, XDG_*, KIST_*, proxies), so `kist` in a script sees the student's
// images, containers and volumes. A script is divided into checks by its
// comment lines: a line "# NAME: what it checks" starts check NAME, and the
// check that fails is the one whose hint a lesson shows. For example:
//
//	# dockerfile: there is a Dockerfile
//	exists Dockerfile
//
//	# builds: it builds
//	kist build -q -t $CHECK .
//
//	# workdir: its working directory is /app
//	image $CHECK
//	stdout '^workdir: /app$'
//
// Commands besides testscript's own (exec, exists, grep, stdout, ...):
//
//	kist ARGS...             the real kist, as the student runs it
//	http [-status N] [-timeout D] URL
//	                         GET URL until it answers with status N (default
//	                         200) or D (default 10s) has passed; the body is
//	                         the command's stdout. {NAME:PORT} in URL is
//	                         the host address where container NAME
//	                         publishes its PORT (http http://{web:80}/), so
//	                         a student may choose any free host port
//	image NAME               fails unless the image exists; stdout has one
//	                         "key: value" line per fact of its config:
//	                         id, workdir, cmd, entrypoint, user, env (one line
//	                         per variable), expose (one per port), label (one
//	                         per label), volume, layers (a count)
//	container [-state S] [-timeout D] NAME
//	                         fails unless container NAME exists (at once)
//	                         and, with -state, reaches state S (running,
//	                         exited, ...) within D (default 10s); stdout:
//	                         state, exitcode,
//	                         image, port (one per published port), mount
//	                         (one per volume or bind), network
//	logs [-match RE] [-timeout D] NAME
//	                         container NAME's log (output and errors) as
//	                         stdout; with -match, waits up to D (default
//	                         10s) until the log matches the regular
//	                         expression RE (multi-line: ^ and $ are lines)
//	volume NAME              fails unless the named volume exists; stdout:
//	                         name, mountpoint
//	file IMAGE PATH          fails unless PATH exists in image IMAGE's
//	                         filesystem (without running it: its layers
//	                         applied, links on the way followed inside
//	                         the image, the last one not, as lstat; a
//	                         relative PATH is from /); stdout: type (file,
//	                         dir, symlink, other), mode (as ls -l:
//	                         -rwxr-xr-x, drwxrwxrwt, -rwsr-xr-x), uid,
//	                         gid, size, and target for a link. With !,
//	                         passes when PATH is not there (the image
//	                         must be)
//	filecontent IMAGE PATH   PATH's content as stdout (a final link
//	                         followed), its first FileCap (1 MiB): a cut
//	                         is said on stderr; fails when PATH is not
//	                         there or not a regular file
//	lint [-f FILE] [-disable ID,...] [ID...]
//	                         package lint's rules on the folder's
//	                         Dockerfile and compose file (or FILE): fails
//	                         when a rule (of the IDs given, or all but
//	                         -disable's) finds something; stdout has one
//	                         FILE:LINE: finding (RULE) a line
//
// Conditions: [image:NAME] holds when the student's store has image NAME
// (so a step that needs python:3.8-slim can say what to do without it);
// [subuid] when kist maps a range of subordinate ids for the user (or
// runs as root), or emulates other ids where it maps only the user's
// own (sandbox.IDEmulation): an image whose programs run as other users
// (PostgreSQL) needs one or the other; [vm] when kist vm run can boot a VM here (QEMU and a
// readable kernel: vm.Usable). A script that cannot check on this machine skips, naming the
// check that says why: "[!subuid] skip subuid" (kist learn shows that
// check's text and hints; verify reports the step as skipped).
//
// Variables: $LESSON is the folder the script started in, $CHECK a name
// prefix unique to this run (check-1a2b3c4d): whatever a script creates
// (containers, images, volumes, networks, compose projects) it names
// $CHECK or $CHECK-something, and Run removes all of it afterwards, through
// kist's Go packages. A script never touches the student's own things: they
// carry other names. (Every kist run and create of a script is labelled
// io.kist.check=$CHECK too, so an unnamed container is removed as well, and
// an image named $CHECK... is never pulled: --pull never.) $WORK is testscript's scratch directory, removed
// afterwards too.
//
// A grader's scripts run work not to be trusted: Options.Limits confines
// their kist commands (no network unless allowed, rlimits on every
// container, no bind mounts outside the submission's folder, no
// privileged flags, a hook to refuse more) and every kist command's
// output is capped (OutputCap; the rest counted and dropped). kist runs
// in its own process group, ended when the script's time is up.
//
// Lint finds what would break a script before a student meets it: an
// unknown command, a missing quote, a condition that does not exist, a
// check without a name. Run reports a broken script as a *ScriptError
// (file:line: what is wrong), apart from a failed check. RunScript runs a
// script given as text (one generated, such as grade's CSTScript makes).
package check
