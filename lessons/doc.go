// Package lessons is kist learn: the course as guided exercises that check
// the student's own work, offline, in Dutch and English.
//
// A student opens a lesson (kist learn N), reads a step, does it in their
// own terminal with real kist commands and their own files, and runs
// kist learn check: the step's check script (package check) looks at the
// student's folder and at what they built and ran. A pass takes them to
// the next step; a failure says what the check expected, what it found,
// and the hint for the check that failed. Progress is a JSON file in
// kist's data directory (Progress), keyed by lesson name and step id so
// that it survives upgrades; a damaged one is set aside, never a crash.
//
// # A lesson is a folder
//
// The built-in lessons are in content/ and embedded in kist; a teacher's
// are in a directory given with kist learn --dir, in the same format, and
// replace a built-in lesson of the same name. A lesson folder is named
// NN-name (05-dockerfile): NN places it in the course, name opens it
// (kist learn dockerfile), and the student's folder is
// ~/kist-lessons/NN-name.
//
//	en.md, nl.md          the text, one file per language (Langs)
//	starter/              files the student's folder starts with
//	checks/STEP.txtar     the check of step STEP (none: a step to read)
//	solution/STEP.txtar   its solution: files written into the folder and
//	                      commands run there (a check script too)
//
// A text is Markdown in this shape; every language has the same steps in
// the same order, and a "### check" line for every check of the step's
// script (kist learn verify and TestBuiltinLessons hold authors to it):
//
//	# Title of the lesson
//
//	What the lesson is about.
//
//	## Title of a step {#step-id}
//
//	What to do, with commands in ``` blocks.
//
//	### check NAME: what check NAME of checks/step-id.txtar looks at
//	### hint NAME
//	A hint shown when check NAME failed; several are shown one at a time.
//	### hint
//	A hint for any failure of the step, after the named ones.
//	### solution
//	What the solution does (kist learn solution shows it with the
//	solution script's files and kist commands).
//
// A step's text is what comes before its first ### section.
//
// Checks never touch the student's own things; what a check creates it
// names $CHECK... (package check removes it). kist learn verify replays
// every lesson in a fresh folder and a kist data directory of its own: for
// each step, the check must fail on what the steps before left, the
// solution must run, and the check must then pass.
package lessons
