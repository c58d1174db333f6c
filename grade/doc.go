// Package grade is kist grade: a class's Dockerfiles and compose files
// marked by an assignment's tests, in parallel, with points and feedback.
//
// # An assignment is a folder
//
//	assignment.yaml    title, time limit, and per test: points, title,
//	                   feedback (en, nl), hidden
//	tests/*.txtar      check scripts (package check, the language the
//	                   lessons use); every check is a test
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
//
// Unknown keys, a check without points and points for a check no script
// has are errors naming the file and key (LoadAssignment). Each script
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
// the reason: not a zero. Write writes results.json (Results: the schema,
// ResultsVersion) and feedback/NAME.md per student. Grading again with
// the last Results as Options.Previous reuses every result whose
// submission, assignment and kist are unchanged.
package grade
