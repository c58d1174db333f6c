package grade

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"math"
	"strings"
	"testing"
	"time"
)

// exportResults is a class of three: full marks, partial (a failed test,
// a not-run one and a failed hidden one), and not gradable.
func exportResults() *Results {
	return &Results{
		Version:    ResultsVersion,
		Assignment: "Exercise a: Hello, World",
		Lang:       "en",
		Graded:     time.Date(2026, 12, 4, 11, 15, 0, 0, time.FixedZone("CET", 3600)),
		Submissions: []Submission{
			{
				Name: "12345 - Jan Jansen", Student: "Jan Jansen", ID: "12345",
				Score: 7.5, MaxScore: 7.5, Gradable: true, Duration: 12500 * time.Millisecond,
				Tests: []Test{
					{Name: "builds", Title: "The Dockerfile builds", Score: 4.5, MaxScore: 4.5, Status: Passed},
					{Name: "prints", Title: "It prints hello", Score: 2, MaxScore: 2, Status: Passed},
					{Name: "script", Title: "The script runs", Score: 0.5, MaxScore: 0.5, Status: Passed},
					{Name: "secret", Title: "A hidden check", Score: 0.5, MaxScore: 0.5, Status: Passed, Hidden: true},
				},
			},
			{
				Name: "23456 - Anna Bakker", Student: "Anna Bakker", ID: "23456",
				Score: 4.5000001, MaxScore: 7.5, Gradable: true, Duration: 3 * time.Second,
				Tests: []Test{
					{Name: "builds", Title: "The Dockerfile builds", Score: 4.5, MaxScore: 4.5, Status: Passed},
					{Name: "prints", Title: "It prints hello", MaxScore: 2, Status: Failed,
						Output: "expected \"hello\" <stdout>\n\x1b[31mgot \"\"\x1b[0m", Feedback: "Use CMD."},
					{Name: "script", Title: "The script runs", MaxScore: 0.5, Status: NotRun},
					{Name: "secret", Title: "A hidden check", MaxScore: 0.5, Status: Failed, Hidden: true, Output: "no"},
				},
			},
			{
				Name: "34567 - Piet Puk", Student: "Piet Puk", ID: "34567",
				MaxScore: 7.5, Gradable: false, Reason: "registry out of reach: dial tcp: i/o timeout",
				Duration: 250 * time.Millisecond,
				Tests:    []Test{{Name: "builds", MaxScore: 4.5, Status: NotRun}},
			},
		},
	}
}

// crlf joins CSV records as the exports write them.
func crlf(lines ...string) string { return strings.Join(lines, "\r\n") + "\r\n" }

func exportString(t *testing.T, write func(*bytes.Buffer) error) string {
	t.Helper()
	var b bytes.Buffer
	if err := write(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestWriteJUnit(t *testing.T) {
	got := exportString(t, func(b *bytes.Buffer) error { return WriteJUnit(b, exportResults()) })
	const cls = `classname="Exercise a: Hello, World"`
	want := strings.NewReplacer("{CLS}", cls, "{FFFD}", "\uFFFD").Replace(`<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="Exercise a: Hello, World" tests="9" failures="2" errors="1" skipped="1" time="15.750">
  <testsuite name="12345 - Jan Jansen" tests="4" failures="0" errors="0" skipped="0" time="12.500" timestamp="2026-12-04T10:15:00">
    <properties>
      <property name="student" value="Jan Jansen"></property>
      <property name="id" value="12345"></property>
      <property name="score" value="7.5"></property>
      <property name="max_score" value="7.5"></property>
    </properties>
    <testcase name="builds" {CLS}></testcase>
    <testcase name="prints" {CLS}></testcase>
    <testcase name="script" {CLS}></testcase>
    <testcase name="secret" {CLS}></testcase>
  </testsuite>
  <testsuite name="23456 - Anna Bakker" tests="4" failures="2" errors="0" skipped="1" time="3.000" timestamp="2026-12-04T10:15:00">
    <properties>
      <property name="student" value="Anna Bakker"></property>
      <property name="id" value="23456"></property>
      <property name="score" value="4.5"></property>
      <property name="max_score" value="7.5"></property>
    </properties>
    <testcase name="builds" {CLS}></testcase>
    <testcase name="prints" {CLS}>
      <failure message="expected &#34;hello&#34; &lt;stdout&gt;">expected &#34;hello&#34; &lt;stdout&gt;&#xA;{FFFD}[31mgot &#34;&#34;{FFFD}[0m</failure>
    </testcase>
    <testcase name="script" {CLS}>
      <skipped message="not run"></skipped>
    </testcase>
    <testcase name="secret" {CLS}>
      <failure message="no">no</failure>
    </testcase>
  </testsuite>
  <testsuite name="34567 - Piet Puk" tests="1" failures="0" errors="1" skipped="0" time="0.250" timestamp="2026-12-04T10:15:00">
    <properties>
      <property name="student" value="Piet Puk"></property>
      <property name="id" value="34567"></property>
      <property name="max_score" value="7.5"></property>
    </properties>
    <testcase name="grading" {CLS}>
      <error message="registry out of reach: dial tcp: i/o timeout" type="not gradable">registry out of reach: dial tcp: i/o timeout</error>
    </testcase>
  </testsuite>
</testsuites>
`)
	if got != want {
		t.Errorf("JUnit XML:\n%s\nwant:\n%s", got, want)
	}

	// What a JUnit reader sees.
	type problem struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Text    string `xml:",chardata"`
	}
	type testcase struct {
		Name      string    `xml:"name,attr"`
		Classname string    `xml:"classname,attr"`
		Failure   *problem  `xml:"failure"`
		Error     *problem  `xml:"error"`
		Skipped   *struct{} `xml:"skipped"`
	}
	type suite struct {
		Name     string     `xml:"name,attr"`
		Tests    int        `xml:"tests,attr"`
		Failures int        `xml:"failures,attr"`
		Errors   int        `xml:"errors,attr"`
		Skipped  int        `xml:"skipped,attr"`
		Cases    []testcase `xml:"testcase"`
	}
	var doc struct {
		XMLName  xml.Name `xml:"testsuites"`
		Tests    int      `xml:"tests,attr"`
		Failures int      `xml:"failures,attr"`
		Errors   int      `xml:"errors,attr"`
		Skipped  int      `xml:"skipped,attr"`
		Suites   []suite  `xml:"testsuite"`
	}
	if err := xml.Unmarshal([]byte(got), &doc); err != nil {
		t.Fatalf("parsing the JUnit XML: %v", err)
	}
	if doc.Tests != 9 || doc.Failures != 2 || doc.Errors != 1 || doc.Skipped != 1 || len(doc.Suites) != 3 {
		t.Fatalf("totals: %+v", doc)
	}
	for i, w := range []struct {
		name                             string
		tests, failures, errors, skipped int
	}{
		{"12345 - Jan Jansen", 4, 0, 0, 0},
		{"23456 - Anna Bakker", 4, 2, 0, 1},
		{"34567 - Piet Puk", 1, 0, 1, 0},
	} {
		s := doc.Suites[i]
		var failures, errs, skipped int
		for _, c := range s.Cases {
			if c.Classname != "Exercise a: Hello, World" {
				t.Errorf("%s/%s: classname %q", s.Name, c.Name, c.Classname)
			}
			if c.Failure != nil {
				failures++
			}
			if c.Error != nil {
				errs++
			}
			if c.Skipped != nil {
				skipped++
			}
		}
		if s.Name != w.name || s.Tests != w.tests || len(s.Cases) != w.tests ||
			s.Failures != w.failures || failures != w.failures ||
			s.Errors != w.errors || errs != w.errors || s.Skipped != w.skipped || skipped != w.skipped {
			t.Errorf("suite %d: %+v, want %+v", i, s, w)
		}
	}
	if f := doc.Suites[1].Cases[1].Failure; f.Text != "expected \"hello\" <stdout>\n\uFFFD[31mgot \"\"\uFFFD[0m" {
		t.Errorf("failure output %q", f.Text)
	}
	if e := doc.Suites[2].Cases[0].Error; e.Message != "registry out of reach: dial tcp: i/o timeout" || e.Type != "not gradable" {
		t.Errorf("error %+v", e)
	}
}

// readCSV parses an export back as a platform would.
func readCSV(t *testing.T, s string) [][]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(s)).ReadAll()
	if err != nil {
		t.Fatalf("parsing the CSV: %v", err)
	}
	return rows
}

func checkRows(t *testing.T, name string, rows [][]string, want [][]string) {
	t.Helper()
	if len(rows) != len(want) {
		t.Fatalf("%s: %d rows %q, want %d", name, len(rows), rows, len(want))
	}
	for i := range want {
		if strings.Join(rows[i], "\x00") != strings.Join(want[i], "\x00") {
			t.Errorf("%s: row %d %q, want %q", name, i, rows[i], want[i])
		}
	}
	for _, row := range rows {
		for _, f := range row {
			if strings.Contains(f, "Piet") || strings.Contains(f, "34567") {
				t.Errorf("%s: the not-gradable submission is in row %q", name, row)
			}
		}
	}
}

func TestWriteCanvasCSV(t *testing.T) {
	got := exportString(t, func(b *bytes.Buffer) error { return WriteCanvasCSV(b, exportResults()) })
	want := crlf(
		`Student,ID,SIS User ID,SIS Login ID,Section,"Exercise a: Hello, World"`,
		`Points Possible,,,,,7.5`,
		`Jan Jansen,12345,,,,7.5`,
		`Anna Bakker,23456,,,,4.5`,
	)
	if got != want {
		t.Errorf("Canvas CSV:\n%q\nwant:\n%q", got, want)
	}
	checkRows(t, "Canvas", readCSV(t, got), [][]string{
		{"Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Exercise a: Hello, World"},
		{"Points Possible", "", "", "", "", "7.5"},
		{"Jan Jansen", "12345", "", "", "", "7.5"},
		{"Anna Bakker", "23456", "", "", "", "4.5"},
	})
}

func TestWriteBrightspaceCSV(t *testing.T) {
	got := exportString(t, func(b *bytes.Buffer) error { return WriteBrightspaceCSV(b, exportResults()) })
	want := crlf(
		`OrgDefinedId,"Exercise a: Hello, World Points Grade",End-of-Line Indicator`,
		`#12345,7.5,#`,
		`#23456,4.5,#`,
	)
	if got != want {
		t.Errorf("Brightspace CSV:\n%q\nwant:\n%q", got, want)
	}
	rows := readCSV(t, got)
	checkRows(t, "Brightspace", rows, [][]string{
		{"OrgDefinedId", "Exercise a: Hello, World Points Grade", "End-of-Line Indicator"},
		{"#12345", "7.5", "#"},
		{"#23456", "4.5", "#"},
	})
	for _, row := range rows[1:] {
		if row[len(row)-1] != "#" {
			t.Errorf("row %q does not end in the end-of-line indicator #", row)
		}
	}
}

func TestWriteMoodleCSV(t *testing.T) {
	got := exportString(t, func(b *bytes.Buffer) error { return WriteMoodleCSV(b, exportResults()) })
	want := crlf(
		`Identifier,Full name,Grade,Maximum grade,Last modified (grade),Feedback comments`,
		`Participant 12345,Jan Jansen,7.5,7.5,2026-12-04T10:15:00+00:00,7.5/7.5`,
		`Participant 23456,Anna Bakker,4.5,7.5,2026-12-04T10:15:00+00:00,4.5/7.5: failed: prints; not run: script`,
	)
	if got != want {
		t.Errorf("Moodle CSV:\n%q\nwant:\n%q", got, want)
	}
	checkRows(t, "Moodle", readCSV(t, got), [][]string{
		{"Identifier", "Full name", "Grade", "Maximum grade", "Last modified (grade)", "Feedback comments"},
		{"Participant 12345", "Jan Jansen", "7.5", "7.5", "2026-12-04T10:15:00+00:00", "7.5/7.5"},
		{"Participant 23456", "Anna Bakker", "4.5", "7.5", "2026-12-04T10:15:00+00:00", "4.5/7.5: failed: prints; not run: script"},
	})

	// In Dutch, a failure only, and names Moodle would read as HTML.
	r := exportResults()
	r.Lang = "nl"
	r.Submissions = r.Submissions[1:2]
	r.Submissions[0].Tests[1].Name = "a<b&c"
	r.Submissions[0].Tests[2].Status = Passed
	got = exportString(t, func(b *bytes.Buffer) error { return WriteMoodleCSV(b, r) })
	if rows := readCSV(t, got); rows[1][5] != "4.5/7.5: niet geslaagd: a&lt;b&amp;c" {
		t.Errorf("Dutch feedback %q", rows[1][5])
	}
}

// TestExportFallbacks: a submission whose name said no id, and numbers.
func TestExportFallbacks(t *testing.T) {
	r := &Results{
		Assignment: "Lab 1\nDocker",
		Lang:       "xx",
		Submissions: []Submission{
			{Name: "jjansen", Score: 1234.567, MaxScore: 2000, Gradable: true},
			{Name: "Anna Bakker_23456_assignsubmission_file_", Student: "Anna Bakker", ID: "23456", Score: 1.0 / 3, MaxScore: 2000, Gradable: true,
				Tests: []Test{{Name: "t", Status: "weird"}}},
			{Name: "zero", ID: "1", Score: -0.001, MaxScore: 2000, Gradable: true},
		},
	}
	canvas := exportString(t, func(b *bytes.Buffer) error { return WriteCanvasCSV(b, r) })
	if want := crlf(
		`Student,ID,SIS User ID,SIS Login ID,Section,Lab 1 Docker`,
		`Points Possible,,,,,2000`,
		`jjansen,,,,,1234.57`,
		`Anna Bakker,23456,,,,0.33`,
		`zero,1,,,,0`,
	); canvas != want {
		t.Errorf("Canvas:\n%q\nwant:\n%q", canvas, want)
	}
	bs := exportString(t, func(b *bytes.Buffer) error { return WriteBrightspaceCSV(b, r) })
	if want := crlf(
		`OrgDefinedId,Username,Lab 1 Docker Points Grade,End-of-Line Indicator`,
		`,#jjansen,1234.57,#`,
		`#23456,,0.33,#`,
		`#1,,0,#`,
	); bs != want {
		t.Errorf("Brightspace:\n%q\nwant:\n%q", bs, want)
	}
	moodle := exportString(t, func(b *bytes.Buffer) error { return WriteMoodleCSV(b, r) })
	if want := crlf(
		`Identifier,Full name,Grade,Maximum grade,Last modified (grade),Feedback comments`,
		`,jjansen,1234.57,2000,,1234.57/2000`,
		`Participant 23456,Anna Bakker,0.33,2000,,0.33/2000: failed: t`,
		`Participant 1,zero,0,2000,,0/2000`,
	); moodle != want {
		t.Errorf("Moodle:\n%q\nwant:\n%q", moodle, want)
	}

	// Nothing gradable: the header (and Canvas's points) only.
	none := exportResults()
	none.Submissions = none.Submissions[2:]
	if got := exportString(t, func(b *bytes.Buffer) error { return WriteCanvasCSV(b, none) }); got != crlf(
		`Student,ID,SIS User ID,SIS Login ID,Section,"Exercise a: Hello, World"`, `Points Possible,,,,,7.5`) {
		t.Errorf("Canvas without gradable submissions: %q", got)
	}
}

func TestExportErrors(t *testing.T) {
	writers := map[string]func(*bytes.Buffer, *Results) error{
		"junit":       func(b *bytes.Buffer, r *Results) error { return WriteJUnit(b, r) },
		"canvas":      func(b *bytes.Buffer, r *Results) error { return WriteCanvasCSV(b, r) },
		"brightspace": func(b *bytes.Buffer, r *Results) error { return WriteBrightspaceCSV(b, r) },
		"moodle":      func(b *bytes.Buffer, r *Results) error { return WriteMoodleCSV(b, r) },
	}
	for name, write := range writers {
		if err := write(new(bytes.Buffer), nil); err == nil {
			t.Errorf("%s: no error for nil results", name)
		}
		if name == "junit" {
			continue
		}
		r := exportResults()
		r.Submissions[1].Score = math.NaN()
		if err := write(new(bytes.Buffer), r); err == nil || !strings.Contains(err.Error(), "23456 - Anna Bakker") {
			t.Errorf("%s: a NaN score gave %v", name, err)
		}
	}
	r := exportResults()
	r.Assignment = " "
	for _, name := range []string{"canvas", "brightspace"} {
		if err := writers[name](new(bytes.Buffer), r); err == nil {
			t.Errorf("%s: no error without an assignment title", name)
		}
	}
}
