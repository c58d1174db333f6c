package grade

import "time"

// Results are a class's grades for one assignment: what results.json in
// the report directory holds (ResultsVersion says which schema).
type Results struct {
	Version        int       `json:"version"`
	Assignment     string    `json:"assignment"`      // its title (in the feedback's language)
	AssignmentHash string    `json:"assignment_hash"` // sha256 of its files
	Kist           string    `json:"kist"`            // kist's version that graded
	Lang           string    `json:"lang"`            // the feedback's language: en or nl
	Graded         time.Time `json:"graded"`
	// Submissions are in the order of their names.
	Submissions []Submission `json:"submissions"`
}

// ResultsVersion is the schema of results.json this kist writes.
const ResultsVersion = 1

// Submission is one student's result.
type Submission struct {
	// Name is the submission's name as the platform wrote it (the
	// folder's or zip's name without .zip): "12345 - Jan Jansen".
	Name string `json:"name"`
	// Student and ID are what Name says of the student, when it says
	// it: "Jan Jansen" and "12345" (the LMS exports match on them).
	Student string `json:"student,omitempty"`
	ID      string `json:"id,omitempty"`
	// Hash is sha256 of the submission's files (names, modes and
	// contents): a regrade reuses a result whose Hash, the assignment's
	// hash and kist's version are unchanged.
	Hash     string  `json:"hash"`
	Score    float64 `json:"score"`
	MaxScore float64 `json:"max_score"`
	// Gradable is false when grading itself could not run (kist's own
	// error, a registry out of reach): Reason says why, and Score
	// means nothing. A failing submission is gradable, with a low
	// score.
	Gradable bool          `json:"gradable"`
	Reason   string        `json:"reason,omitempty"`
	Tests    []Test        `json:"tests"`
	Duration time.Duration `json:"duration_ns"`
	// Cleanup is how much of Duration removing what the tests created
	// (containers, images, networks, volumes) took.
	Cleanup time.Duration `json:"cleanup_ns"`
	Reused  bool          `json:"reused,omitempty"` // taken from the last results.json
}

// Test is one test of the assignment on one submission.
type Test struct {
	Name     string  `json:"name"`
	Title    string  `json:"title"` // what it checks, in the feedback's language
	Score    float64 `json:"score"`
	MaxScore float64 `json:"max_score"`
	// Status is passed, failed or not run (the script stopped before
	// it, or the submission's time ran out).
	Status string `json:"status"`
	// Output is what the test found wrong (its message and the
	// commands' output, capped): empty when it passed.
	Output string `json:"output,omitempty"`
	// Feedback is the assignment's text for a failed test, in the
	// feedback's language.
	Feedback string `json:"feedback,omitempty"`
	// Hidden tests count, but a student's feedback does not show them.
	Hidden bool `json:"hidden,omitempty"`
	// Duration is how long the test ran.
	Duration time.Duration `json:"duration_ns"`
}

// Test statuses.
const (
	Passed = "passed"
	Failed = "failed"
	NotRun = "not run"
)
