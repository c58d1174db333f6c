package grade

import (
	"encoding/csv"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// The exports: JUnit XML for CI and autograder tools, and the gradebook
// import file of each learning platform. The CSV files are UTF-8 without
// a byte order mark, comma separated, CRLF line ends (RFC 4180), one line
// per record. Scores are points with at most 2 decimals and a dot
// ("4.5", never "4,5" or "1.000"): a spreadsheet program in a Dutch
// locale may show or re-save them differently (4,5, or a date), so import
// the file as written rather than opening and saving it first; the
// platforms read the dot. Submissions that are not gradable have no row,
// so the platform keeps the grade it had (none, or an earlier one)
// instead of getting a zero.

// WriteJUnit writes r as JUnit XML (one <testsuite> per submission, named by the submission, one <testcase> per test with classname = the assignment; a failed test has <failure message="..."> with its output; a not-run test <skipped/>; a not-gradable submission an <error> testcase carrying the reason), the format CI tools and Gradescope-like tools read.
//
// The message of a failure is the first line of the test's output (its
// title when the output is empty); the element's text is the whole
// output. A not-gradable submission has one testcase, "grading", with
// <error type="not gradable"> and the reason. Each suite's properties
// are the student, id, score and max_score (no score when not gradable);
// its time is the submission's grading time and its timestamp r.Graded
// (UTC). Hidden tests are included: this is the teacher's view, not
// feedback for students. Characters XML cannot hold (the escape codes of
// colored output) become U+FFFD.
func WriteJUnit(w io.Writer, r *Results) error {
	if r == nil {
		return errors.New("no results to export")
	}
	root := junitSuites{Name: r.Assignment}
	var total float64
	for i := range r.Submissions {
		s := &r.Submissions[i]
		suite := junitSuite{Name: s.Name, Time: seconds(s.Duration.Seconds())}
		if !r.Graded.IsZero() {
			suite.Timestamp = r.Graded.UTC().Format("2006-01-02T15:04:05")
		}
		if s.Student != "" {
			suite.Properties = append(suite.Properties, junitProperty{"student", s.Student})
		}
		if s.ID != "" {
			suite.Properties = append(suite.Properties, junitProperty{"id", s.ID})
		}
		if s.Gradable {
			suite.Properties = append(suite.Properties, junitProperty{"score", Points(s.Score)})
		}
		suite.Properties = append(suite.Properties, junitProperty{"max_score", Points(s.MaxScore)})
		if !s.Gradable {
			suite.Tests, suite.Errors = 1, 1
			suite.Cases = []junitCase{{
				Name:      "grading",
				Classname: r.Assignment,
				Error:     &junitProblem{Message: s.Reason, Type: "not gradable", Text: s.Reason},
			}}
		} else {
			for _, t := range s.Tests {
				c := junitCase{Name: t.Name, Classname: r.Assignment}
				switch t.Status {
				case Passed:
				case NotRun:
					c.Skipped = &junitSkipped{Message: NotRun}
					suite.Skipped++
				default:
					c.Failure = &junitProblem{Message: failureMessage(t), Text: t.Output}
					suite.Failures++
				}
				suite.Cases = append(suite.Cases, c)
			}
			suite.Tests = len(s.Tests)
		}
		root.Tests += suite.Tests
		root.Failures += suite.Failures
		root.Errors += suite.Errors
		root.Skipped += suite.Skipped
		total += s.Duration.Seconds()
		root.Suites = append(root.Suites, suite)
	}
	root.Time = seconds(total)
	data, err := xml.MarshalIndent(root, "", "  ")
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	_, err = w.Write(append(data, '\n'))
	return err
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitProblem `xml:"failure"`
	Error     *junitProblem `xml:"error"`
	Skipped   *junitSkipped `xml:"skipped"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr,omitempty"`
}

// failureMessage is a failed test's one-line message: the first line of
// its output, or its title.
func failureMessage(t Test) string {
	line, _, _ := strings.Cut(strings.TrimSpace(t.Output), "\n")
	if line = strings.TrimSpace(line); line != "" {
		return line
	}
	if t.Title != "" {
		return t.Title
	}
	return t.Status
}

func seconds(s float64) string { return strconv.FormatFloat(s, 'f', 3, 64) }

// WriteCanvasCSV writes the Canvas gradebook import file. Columns:
//
//	Student,ID,SIS User ID,SIS Login ID,Section,<r.Assignment>
//
// then a "Points Possible" row with the maximum score, then a row per
// gradable submission: Student is Submission.Student (Name when empty),
// ID is Submission.ID, the SIS columns and Section are left empty, and
// the last column is the score in points.
//
// Canvas matches a row on ID, Canvas's own user id, which is the first
// number of the files in Canvas's "Download Submissions" zip
// (jansenjan_12345_67890_Dockerfile: 12345). When ID is empty or unknown it
// matches on the name, which must then be the student's name exactly as in
// Canvas (the download's "jansenjan" is not). The column header is the assignment: Canvas takes an existing
// assignment whose title is exactly r.Assignment, or one named as in its
// own exports ("Exercise a (4711)", the id in parentheses), so rename the
// header to that when the titles differ; any other header creates a new
// assignment, with the Points Possible row as its points.
//
// To import: in the course, Grades, then Import (under the Actions menu
// in the current Gradebook), choose the file and Upload Data; Canvas shows
// the students and the grades that change before Save Changes. No byte
// order mark: Canvas reads UTF-8.
func WriteCanvasCSV(w io.Writer, r *Results) error {
	if err := checkExport(r); err != nil {
		return err
	}
	rows := [][]string{{"Student", "ID", "SIS User ID", "SIS Login ID", "Section", oneLine(r.Assignment)}}
	if top, ok := maxPoints(r); ok {
		p, err := points(top)
		if err != nil {
			return fmt.Errorf("maximum score: %v", err)
		}
		rows = append(rows, []string{"Points Possible", "", "", "", "", p})
	}
	err := eachGraded(r, func(s *Submission, p string) error {
		rows = append(rows, []string{oneLine(studentName(s)), oneLine(s.ID), "", "", "", p})
		return nil
	})
	if err != nil {
		return err
	}
	return writeCSV(w, rows)
}

// WriteBrightspaceCSV writes the Brightspace (D2L) grades import file.
// Columns:
//
//	OrgDefinedId,<r.Assignment> Points Grade,End-of-Line Indicator
//
// with a row per gradable submission: "#" and Submission.ID, the score in
// points, and "#" (the end-of-record mark Brightspace's own exports
// have). The "#" before the id is Brightspace's own too: it is not part
// of the id, and keeps a spreadsheet from dropping leading zeros. When a
// submission has no ID, a Username column follows OrgDefinedId and holds
// "#" and Submission.Name: a folder named by the student's Brightspace
// username then matches.
//
// Check the ids before importing: the numbers that start the folder names
// of Brightspace's "Download" of an assignment's submissions
// ("104840-170649 - Jan Jansen - Nov 26, 2025 933 PM": kist takes 104840)
// are Brightspace's own numbers, in general not the OrgDefinedId (the
// institution's student number) this column must hold. Compare them with
// the Org Defined ID column of a grades export (Grades, Export), and
// where they differ, put the OrgDefinedIds in the file, or name the
// submission folders "ORGDEFINEDID - Name" and grade again.
//
// To import: Grades, Enter Grades, Import; choose the file; tick "Create
// new grade item when an unrecognized item is referenced" if no grade item
// is named r.Assignment yet (or rename the column to "<item> Points Grade"
// for the existing item); Continue, check the preview, Import. A score
// above the item's maximum points is capped unless the item Can Exceed.
// No byte order mark: only the item name can hold non-ASCII letters, and
// Brightspace reads UTF-8.
func WriteBrightspaceCSV(w io.Writer, r *Results) error {
	if err := checkExport(r); err != nil {
		return err
	}
	username := false
	for i := range r.Submissions {
		if s := &r.Submissions[i]; s.Gradable && s.ID == "" {
			username = true
		}
	}
	header := []string{"OrgDefinedId"}
	if username {
		header = append(header, "Username")
	}
	rows := [][]string{append(header, oneLine(r.Assignment)+" Points Grade", "End-of-Line Indicator")}
	err := eachGraded(r, func(s *Submission, p string) error {
		row := []string{hashed(s.ID)}
		if username {
			user := ""
			if s.ID == "" {
				user = hashed(s.Name)
			}
			row = append(row, user)
		}
		rows = append(rows, append(row, p, "#"))
		return nil
	})
	if err != nil {
		return err
	}
	return writeCSV(w, rows)
}

// WriteMoodleCSV writes a Moodle assignment's offline grading worksheet,
// grades and feedback together. Columns:
//
//	Identifier,Full name,Grade,Maximum grade,Last modified (grade),Feedback comments
//
// with a row per gradable submission: "Participant " and Submission.ID,
// Submission.Student (Name when empty), the score in points, the maximum
// score, r.Graded (ISO 8601, UTC) and a one-line plain-text summary in
// r.Lang ("4.5/7.5: failed: prints; not run: script"; hidden tests count
// in the score but are not named).
//
// The number in the folder names of Moodle's "Download all submissions"
// ("Jan Jansen_12345_assignsubmission_file_": 12345) is the participant
// id, a number of that assignment's own: not the user's id, email or ID
// number that Moodle's gradebook import (Grades, Import, CSV file) matches
// on, which is why this is the worksheet (the Identifier column holds
// exactly that participant id) and not a gradebook import. Check that the
// download and the upload are of the same assignment. A row without an
// ID has an empty Identifier, and Moodle skips it.
//
// To import: in the assignment's settings, Feedback types, tick "Offline
// grading worksheet" (and "Feedback comments" for the feedback); then on
// the assignment's submissions page (View all submissions), Grading action
// (Actions in newer Moodle): Upload grading worksheet, choose the file,
// and confirm the changes Moodle lists. Moodle finds the columns by their
// names in the language of the teacher uploading, so upload with Moodle
// set to English. It skips a grade changed in Moodle after kist graded
// (Last modified (grade)) unless "Allow updating records that have been
// modified more recently in Moodle than in the spreadsheet" is ticked,
// and a grade above the assignment's Maximum grade. No byte order mark:
// Moodle reads the file as UTF-8.
func WriteMoodleCSV(w io.Writer, r *Results) error {
	if r == nil {
		return errors.New("no results to export")
	}
	modified := ""
	if !r.Graded.IsZero() {
		modified = r.Graded.UTC().Format("2006-01-02T15:04:05-07:00")
	}
	rows := [][]string{{"Identifier", "Full name", "Grade", "Maximum grade", "Last modified (grade)", "Feedback comments"}}
	err := eachGraded(r, func(s *Submission, p string) error {
		outOf, err := points(s.MaxScore)
		if err != nil {
			return fmt.Errorf("%s: maximum score: %v", s.Name, err)
		}
		id := ""
		if s.ID != "" {
			id = "Participant " + oneLine(s.ID)
		}
		rows = append(rows, []string{id, oneLine(studentName(s)), p, outOf, modified, moodleSummary(r, s, p, outOf)})
		return nil
	})
	if err != nil {
		return err
	}
	return writeCSV(w, rows)
}

// moodleSummary is a submission's one-line feedback: "5/7: failed: a, b;
// not run: c", the visible tests by name. Moodle stores it as HTML, so
// <, > and & are escaped.
func moodleSummary(r *Results, s *Submission, score, outOf string) string {
	w, ok := words[r.Lang] // the feedback's words (report.go)
	if !ok {
		w = words["en"]
	}
	var failed, notRun []string
	for _, t := range s.Tests {
		switch {
		case t.Hidden || t.Status == Passed:
		case t.Status == NotRun:
			notRun = append(notRun, t.Name)
		default:
			failed = append(failed, t.Name)
		}
	}
	b := score + "/" + outOf
	sep := ": "
	if len(failed) > 0 {
		b += sep + w[Failed] + ": " + strings.Join(failed, ", ")
		sep = "; "
	}
	if len(notRun) > 0 {
		b += sep + w[NotRun] + ": " + strings.Join(notRun, ", ")
	}
	return htmlEscaper.Replace(oneLine(b))
}

var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// checkExport checks what every gradebook column needs.
func checkExport(r *Results) error {
	if r == nil {
		return errors.New("no results to export")
	}
	if strings.TrimSpace(r.Assignment) == "" {
		return errors.New("the results have no assignment title to name the gradebook column")
	}
	return nil
}

// maxPoints is the assignment's maximum score: the largest of the
// gradable submissions' (they are all the same), else of any.
func maxPoints(r *Results) (float64, bool) {
	top, found := 0.0, false
	for _, gradable := range []bool{true, false} {
		for i := range r.Submissions {
			if s := &r.Submissions[i]; s.Gradable == gradable && (!found || s.MaxScore > top) {
				top, found = s.MaxScore, true
			}
		}
		if found {
			break
		}
	}
	return top, found && top > 0
}

// eachGraded calls f with each gradable submission and its score as a
// gradebook takes it; the ones grading could not run on are left out of
// an import, so the platform keeps what it has rather than a zero.
func eachGraded(r *Results, f func(s *Submission, score string) error) error {
	for i := range r.Submissions {
		s := &r.Submissions[i]
		if !s.Gradable {
			continue
		}
		p, err := points(s.Score)
		if err != nil {
			return fmt.Errorf("%s: %v", s.Name, err)
		}
		if err := f(s, p); err != nil {
			return err
		}
	}
	return nil
}

// points formats a score for a gradebook: at most 2 decimals, a dot, no
// thousands separators: 7, 4.5, 3.33.
func points(f float64) (string, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "", fmt.Errorf("score %v is not a number", f)
	}
	f = math.Round(f*100) / 100
	if f == 0 {
		f = 0 // not -0
	}
	return strconv.FormatFloat(f, 'f', -1, 64), nil
}

// Points prints points as reports show them and gradebooks take them:
// at most 2 decimals, none needless (7, 2.5, 3.33); a non-number as Go
// prints it.
func Points(f float64) string {
	if p, err := points(f); err == nil {
		return p
	}
	return fmt.Sprint(f)
}

func studentName(s *Submission) string {
	if s.Student != "" {
		return s.Student
	}
	return s.Name
}

// hashed is an id as Brightspace writes it: "#" before it, "" for none.
func hashed(id string) string {
	if id == "" {
		return ""
	}
	return "#" + oneLine(id)
}

var lineBreaks = strings.NewReplacer("\r\n", " ", "\r", " ", "\n", " ", "\t", " ")

// oneLine keeps a CSV field on one line: the platforms read a record per
// line.
func oneLine(s string) string { return lineBreaks.Replace(s) }

// writeCSV writes rows as RFC 4180 CSV: commas, quotes where needed, CRLF.
func writeCSV(w io.Writer, rows [][]string) error {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.WriteAll(rows); err != nil {
		return err
	}
	return cw.Error()
}
