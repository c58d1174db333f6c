// Package grade is kist grade: a class's Dockerfiles and compose files
// marked by an assignment's tests, in parallel, with points and feedback.
//
// # An assignment is a folder
//
//	assignment.yaml    title, time limit, and per test: points, title,
//	                   feedback (en, nl), hidden
//	tests/*.txtar      check scripts (package check, the language the
//	                   lessons use); every check is a test
//	tests/*.yaml       container-structure-test files (CSTScript): each
//	                   of their tests is a test, a point each unless
//	                   assignment.yaml says otherwise; FILE-builds (no
//	                   points unless given) builds the image they test
//	README.md          for teachers
//
// assignment.yaml:
//
//	title: {en: "Exercise a: a Hello World container", nl: "..."}
//	timeout: 3m              # per submission (default 5m)
//	network: false           # containers and builds get none (default)
//	tests:
//	  builds:                # the check "# builds: ..." of a script
//	    points: 2
//	    title: {en: The Dockerfile builds, nl: De Dockerfile bouwt}
//	    feedback: {en: "...", nl: "..."}
//	    hidden: false        # counts, but the student's feedback omits it
//	    timeout: 30s         # its own time limit (default: the submission's)
//	lint:
//	  rules:                 # package lint's rules as tests: lint:ID
//	    latest-tag: 1        # its points
//	    apt-lists: {points: 2, hidden: true}   # or a test's keys
//
// A lint test passes when its rule finds nothing in the submission's
// Dockerfile or compose file (and fails when the file is missing); its
// title and feedback are the rule's own (kist lint --rules) unless given.
// Unknown keys, a check without points, points for a check no script has
// and an unknown lint rule are errors naming the file and key
// (LoadAssignment). Each script
// runs with package check's Options.All: every check runs, so a failed
// build costs the build's points, and the tests after it fail on their
// own. A check is all or nothing: partial credit is several checks.
//
// # Grading
//
// Collect finds the submissions (folders, zips, a folder of them, the
// learning platform's big zip; zips unpacked safely). Grade runs the
// scripts on a copy of each submission (the student's files are never
// written), Jobs at a time, within the assignment's time limit; what the
// scripts create is named $CHECK... and removed after each (package
// check). A submission grading could not run on is "not gradable", with
// the reason: not a zero. That is so when a check failed because a
// registry could not be reached (package image's "cannot reach"): grade
// again when it can.
//
// # Safety
//
// The scripts' kist commands run under package check's Limits: no
// network unless the assignment gives one (network: true), rlimits on
// every container (DefaultUlimits), logs and output bounded, no
// privileged flags or bind mounts outside the submission. A kist compose
// command gets a compose file of the grader's after the student's, with
// the same ulimits and log bound for every service, builds without a
// network and internal project networks (the services reach each other
// and their published ports are reached, nothing else). A compose file is
// judged as kist compose loads it (interpolated, extended, included) and
// refused, with the reason as the test's output, when it asks for
// privileged, the host's network, pids or ipc, capabilities, devices,
// security options, or host paths outside the submission (bind mounts,
// build contexts, env files, secrets, volume devices). Write writes results.json (Results: the schema,
// ResultsVersion; each test's time and each submission's clean-up time
// too) and feedback/NAME.md per student, and the reports and gradebook
// files (WriteHTML, WriteJUnit, WriteCanvasCSV, ...). Grading again with
// the last Results as Options.Previous reuses every result whose
// submission, assignment and kist are unchanged.
package grade
