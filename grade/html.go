package grade

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// HistColor is the colour of the score histogram's bars, and of nothing
// else on the page (a test finds the bars by it on a screenshot).
const HistColor = "#1f6fb4"

// htmlWords are the page's own words (the results' texts are in r.Lang
// already).
var htmlWords = map[string]map[string]string{
	"en": {
		"report": "Class report", "graded": "Graded", "kist": "kist",
		"submissions": "Submissions", "gradable": "Graded", "notGradable": "Not gradable",
		"mean": "Mean", "median": "Median", "full": "Full marks", "of": "of",
		"hist": "Scores", "histNote": "How many submissions scored how much: each bar is 10%% of the maximum score of %s points.",
		"histAxis": "score in % of the maximum (in points below)", "histEmpty": "No submission could be graded.",
		"tests":     "Tests: how many submissions passed each",
		"testsNote": "Of the %d graded submissions. Hidden tests count in the score, but the students' feedback does not show them.",
		"passed":    "passed", "failed": "failed", "notRun": "not run", "hidden": "hidden",
		"ngTitle":  "Not gradable",
		"ngNote":   "Grading could not run on these submissions (kist's own error, a registry out of reach): they are not zeros. Grade them again, or look at them yourself.",
		"students": "Students", "student": "Student", "id": "ID", "score": "Score", "testsCol": "Tests",
		"details": "Each student's details", "points": "points", "feedback": "Feedback",
		"found": "What the test found", "top": "back to the top", "reused": "reused from the last run",
		"took": "graded in %s", "none": "There are no submissions.",
		"legendPass": "✓ passed", "legendFail": "✗ failed", "legendNotrun": "– not run",
		"reason": "Reason", "subsUnit": "submissions", "contents": "On this page",
	},
	"nl": {
		"report": "Klasoverzicht", "graded": "Beoordeeld", "kist": "kist",
		"submissions": "Inzendingen", "gradable": "Beoordeeld", "notGradable": "Niet beoordeelbaar",
		"mean": "Gemiddelde", "median": "Mediaan", "full": "Alle punten", "of": "van",
		"hist": "Scores", "histNote": "Hoeveel inzendingen hoeveel scoorden: elke staaf is 10%% van de maximale score van %s punten.",
		"histAxis": "score in % van het maximum (in punten eronder)", "histEmpty": "Geen enkele inzending kon beoordeeld worden.",
		"tests":     "Tests: hoeveel inzendingen elke test haalden",
		"testsNote": "Van de %d beoordeelde inzendingen. Verborgen tests tellen mee in de score, maar de feedback van de studenten toont ze niet.",
		"passed":    "geslaagd", "failed": "niet geslaagd", "notRun": "niet uitgevoerd", "hidden": "verborgen",
		"ngTitle":  "Niet beoordeelbaar",
		"ngNote":   "Het beoordelen kon voor deze inzendingen niet draaien (een fout van kist zelf, een registry die niet bereikbaar was): het zijn geen nullen. Beoordeel ze opnieuw, of bekijk ze zelf.",
		"students": "Studenten", "student": "Student", "id": "Nummer", "score": "Score", "testsCol": "Tests",
		"details": "Details per student", "points": "punten", "feedback": "Feedback",
		"found": "Wat de test vond", "top": "terug naar boven", "reused": "overgenomen van de vorige keer",
		"took": "beoordeeld in %s", "none": "Er zijn geen inzendingen.",
		"legendPass": "✓ geslaagd", "legendFail": "✗ niet geslaagd", "legendNotrun": "– niet uitgevoerd",
		"reason": "Reden", "subsUnit": "inzendingen", "contents": "Op deze pagina",
	},
}

// The page's model: everything computed, the template only lays it out.
type htmlPage struct {
	Lang, Title, Date, Kist string
	W                       map[string]string
	HistNote, TestsNote     string

	N, Graded, NotGradable, FullMarks int
	Max, Mean, Median                 string // points
	MeanPct, MedianPct                int
	Buckets                           []htmlBucket
	Tests                             []htmlTestStat
	HasIDs                            bool
	Subs                              []*htmlSub
	NotGradableSubs                   []*htmlSub
}

type htmlBucket struct {
	Index, Count int
	Label        string // 0–10 (percent)
	Points       string // 0–1
	Height       int    // percent of the tallest bar
}

type htmlTestStat struct {
	Name, Title                   string
	Hidden                        bool
	Passed, Failed, NotRun, Total int
	PassPct, FailPct, NotRunPct   int // widths, adding up to 100
	PassRate                      int // rounded percent, for the label
}

type htmlSub struct {
	Anchor, Name, Student, ID string
	Gradable, Reused          bool
	Reason                    string
	Meta                      []string // student, ID, how long grading took
	Score, Max                string
	Pct                       int
	Passed, NTests            int
	Tests                     []htmlTest
}

type htmlTest struct {
	Name, Title, Feedback, Output  string
	Score, Max, Status, StatusText string
	Hidden                         bool
}

// WriteHTML writes r as one self-contained HTML page (inline CSS, no
// JavaScript, no external files or fonts, so it opens from disk and can
// be mailed): the class at a glance — title, date, number of
// submissions, mean and median score, a score histogram (buckets of 10%
// of the maximum score, bars in HistColor), how many submissions passed
// each test, the not gradable ones with their reasons, a table of the
// students linking to their details — and then a section per submission
// (with an anchor) with every test, its points, feedback and output,
// hidden tests marked as such: the page is the teacher's. The page's own
// words are in r.Lang; everything from the results is HTML-escaped.
func WriteHTML(w io.Writer, r *Results) error {
	var b bytes.Buffer // no half page on an error
	if err := htmlTemplate().Execute(&b, newHTMLPage(r)); err != nil {
		return err
	}
	_, err := w.Write(b.Bytes())
	return err
}

func newHTMLPage(r *Results) *htmlPage {
	lang := r.Lang
	if htmlWords[lang] == nil {
		lang = "en"
	}
	p := &htmlPage{Lang: lang, W: htmlWords[lang], Title: r.Assignment, Kist: r.Kist, N: len(r.Submissions)}
	if !r.Graded.IsZero() {
		p.Date = r.Graded.Format("2006-01-02 15:04 MST")
	}

	// The submissions, with anchors unique on the page.
	used := map[string]bool{}
	var scores, fracs []float64
	maxScore := 0.0
	for i := range r.Submissions {
		s := &r.Submissions[i]
		hs := &htmlSub{Anchor: anchor(s.Name, i, used), Name: s.Name, Student: s.Student, ID: s.ID,
			Gradable: s.Gradable, Reused: s.Reused, Reason: s.Reason,
			Score: Points(s.Score), Max: Points(s.MaxScore), NTests: len(s.Tests)}
		if s.ID != "" {
			p.HasIDs = true
		}
		if s.Student != "" {
			hs.Meta = append(hs.Meta, p.W["student"]+": "+s.Student)
		}
		if s.ID != "" {
			hs.Meta = append(hs.Meta, p.W["id"]+": "+s.ID)
		}
		if s.Duration > 0 {
			hs.Meta = append(hs.Meta, fmt.Sprintf(p.W["took"], roundDuration(s.Duration)))
		}
		for _, t := range s.Tests {
			if t.Status == Passed {
				hs.Passed++
			}
			hs.Tests = append(hs.Tests, htmlTest{Name: t.Name, Title: t.Title, Feedback: strings.TrimSpace(t.Feedback),
				Output: t.Output, Score: Points(t.Score), Max: Points(t.MaxScore), Status: statusClass(t.Status),
				StatusText: p.W[statusKey(t.Status)], Hidden: t.Hidden})
		}
		p.Subs = append(p.Subs, hs)
		if !s.Gradable {
			p.NotGradable++
			p.NotGradableSubs = append(p.NotGradableSubs, hs)
			continue
		}
		p.Graded++
		f := fraction(s)
		hs.Pct = int(math.Round(100 * f))
		scores = append(scores, s.Score)
		fracs = append(fracs, f)
		maxScore = math.Max(maxScore, s.MaxScore)
		if f >= 1 {
			p.FullMarks++
		}
	}
	p.Max = Points(maxScore)
	if len(scores) > 0 {
		p.Mean, p.Median = Points(mean(scores)), Points(median(scores))
		p.MeanPct, p.MedianPct = int(math.Round(100*mean(fracs))), int(math.Round(100*median(fracs)))
	}

	// The histogram: ten buckets of 10%, the last one with 100% in it.
	counts := make([]int, 10)
	for _, f := range fracs {
		counts[bucket(f)]++
	}
	tallest := 0
	for _, c := range counts {
		tallest = max(tallest, c)
	}
	for i, c := range counts {
		b := htmlBucket{Index: i, Count: c, Label: fmt.Sprintf("%d–%d", 10*i, 10*(i+1)),
			Points: Points(maxScore*float64(i)/10) + "–" + Points(maxScore*float64(i+1)/10)}
		if tallest > 0 {
			b.Height = int(math.Round(100 * float64(c) / float64(tallest)))
		}
		p.Buckets = append(p.Buckets, b)
	}
	p.HistNote = fmt.Sprintf(p.W["histNote"], Points(maxScore))

	// Per test, in the order the submissions have them.
	index := map[string]int{}
	for i := range r.Submissions {
		s := &r.Submissions[i]
		if !s.Gradable {
			continue
		}
		for _, t := range s.Tests {
			j, ok := index[t.Name]
			if !ok {
				j = len(p.Tests)
				index[t.Name] = j
				p.Tests = append(p.Tests, htmlTestStat{Name: t.Name, Title: t.Title, Hidden: t.Hidden})
			}
			ts := &p.Tests[j]
			ts.Total++
			switch t.Status {
			case Passed:
				ts.Passed++
			case Failed:
				ts.Failed++
			default:
				ts.NotRun++
			}
		}
	}
	for i := range p.Tests {
		ts := &p.Tests[i]
		if ts.Total == 0 {
			continue
		}
		ts.PassRate = int(math.Round(100 * float64(ts.Passed) / float64(ts.Total)))
		ts.PassPct = int(math.Floor(100 * float64(ts.Passed) / float64(ts.Total)))
		ts.FailPct = int(math.Floor(100 * float64(ts.Failed) / float64(ts.Total)))
		ts.NotRunPct = 100 - ts.PassPct - ts.FailPct
		if ts.NotRun == 0 { // what rounding left goes to the last bar that has any
			if ts.Failed > 0 {
				ts.FailPct += ts.NotRunPct
			} else {
				ts.PassPct += ts.NotRunPct
			}
			ts.NotRunPct = 0
		}
	}
	p.TestsNote = fmt.Sprintf(p.W["testsNote"], p.Graded)
	return p
}

// fraction is a gradable submission's score as a part of its maximum.
func fraction(s *Submission) float64 {
	if s.MaxScore <= 0 {
		for _, t := range s.Tests {
			if t.Status != Passed {
				return 0
			}
		}
		return 1
	}
	return math.Min(1, math.Max(0, s.Score/s.MaxScore))
}

// bucket is the histogram bucket of a fraction: 0 for [0, 0.1), ..., 9
// for [0.9, 1].
func bucket(f float64) int {
	b := int(math.Floor(f*10 + 1e-9))
	return min(9, max(0, b))
}

func mean(xs []float64) float64 {
	sum := 0.0
	for _, x := range xs {
		sum += x
	}
	return sum / float64(len(xs))
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// anchor makes an id for a submission's section from its name: letters
// and digits, the rest dashes, unique on the page.
func anchor(name string, i int, used map[string]bool) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if r < 0x80 && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		} else {
			dash = true
		}
	}
	id := "s-" + b.String()
	if b.Len() == 0 {
		id = "s-" + strconv.Itoa(i+1)
	}
	for n := 2; used[id]; n++ {
		id = fmt.Sprintf("s-%s-%d", b.String(), n)
	}
	used[id] = true
	return id
}

func statusClass(status string) string {
	switch status {
	case Passed:
		return "pass"
	case Failed:
		return "fail"
	}
	return "notrun"
}

func statusKey(status string) string {
	switch status {
	case Passed, Failed:
		return status
	}
	return "notRun"
}

func roundDuration(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(time.Second)
}

// htmlTemplate is the report page, parsed on first use.
var htmlTemplate = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("report.html").Parse(htmlSource))
})

const htmlSource = `<!DOCTYPE html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="kist grade{{with .Kist}} {{.}}{{end}}">
<title>{{.Title}} — {{.W.report}}</title>
<style>
:root {
	--ink: #1d232b; --muted: #5b6470; --line: #d9dee5; --panel: #ffffff; --page: #f3f5f8;
	--hist: ` + HistColor + `;   /* the histogram's bars, and nothing else */
	--pass: #56b4e9; --pass-ink: #0b4f86;  /* blue: passed */
	--fail: #e69f00; --fail-ink: #9a4a00;  /* orange: failed */
	--notrun: #b8bec6; --notrun-ink: #5b6470;
}
* { box-sizing: border-box; }
html { background: var(--page); }
body { margin: 0; color: var(--ink); font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", "DejaVu Sans", Arial, sans-serif; }
.wrap { max-width: 1180px; margin: 0 auto; padding: 24px 28px 48px; }
header { border-bottom: 3px solid var(--ink); padding-bottom: 12px; margin-bottom: 20px; }
header .kind { margin: 0; color: var(--muted); font-size: 13px; text-transform: uppercase; letter-spacing: .08em; }
h1 { margin: 2px 0 4px; font-size: 28px; line-height: 1.2; }
header .meta { margin: 0; color: var(--muted); }
h2 { font-size: 19px; margin: 0 0 4px; }
h3 { font-size: 17px; margin: 0; }
a { color: #0b5394; }
.note { color: var(--muted); margin: 0 0 14px; font-size: 13.5px; }
.cards { display: grid; grid-template-columns: repeat(6, 1fr); gap: 12px; margin-bottom: 20px; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
.card .label { color: var(--muted); font-size: 13px; }
.card .value { font-size: 24px; font-weight: 650; line-height: 1.25; }
.card .sub { color: var(--muted); font-size: 13px; }
.card.warn { border: 2px dashed var(--fail); }
.grid { display: grid; grid-template-columns: minmax(0, 6fr) minmax(0, 5fr); gap: 16px; margin-bottom: 20px; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 16px 18px; margin-bottom: 20px; }
.grid .panel { margin-bottom: 0; }
/* the histogram: bars as high as their counts, each count above its bar */
.hist { display: flex; align-items: stretch; gap: 6px; height: 200px; margin-top: 26px; border-bottom: 2px solid var(--ink); }
.bucket { flex: 1; display: flex; flex-direction: column; justify-content: flex-end; min-width: 0; }
.bucket .bar { position: relative; background: var(--hist); border-radius: 3px 3px 0 0; }
.bucket .count { position: absolute; bottom: 100%; left: 0; right: 0; padding-bottom: 2px; text-align: center; font-weight: 650; font-size: 14px; line-height: 1.2; }
.bucket .count.zero { color: var(--notrun-ink); font-weight: 400; }
.axis { display: flex; gap: 6px; margin-top: 4px; }
.axis div { flex: 1; text-align: center; font-size: 12px; line-height: 1.3; min-width: 0; white-space: nowrap; }
.axis .pts { color: var(--muted); font-size: 11px; }
.axis-title { text-align: center; color: var(--muted); font-size: 12px; margin: 4px 0 0; }
/* pass rates */
.rates { list-style: none; margin: 0; padding: 0; }
.rates li { margin: 0 0 10px; }
.rates .head { display: flex; justify-content: space-between; gap: 12px; font-size: 14px; }
.rates .head .t { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.rates .head .n { white-space: nowrap; font-variant-numeric: tabular-nums; }
.stack { display: flex; height: 14px; border-radius: 3px; overflow: hidden; background: #eef1f4; margin-top: 3px; }
.stack .p { background: var(--pass); }
.stack .f { background: var(--fail); }
.stack .r { background: repeating-linear-gradient(45deg, var(--notrun) 0 4px, #e3e6ea 4px 8px); }
.legend { display: flex; gap: 16px; flex-wrap: wrap; font-size: 13px; color: var(--muted); margin: 0 0 12px; }
.sw { display: inline-block; width: 12px; height: 12px; border-radius: 2px; vertical-align: -1px; margin-right: 5px; }
.sw.p { background: var(--pass); } .sw.f { background: var(--fail); }
.sw.r { background: repeating-linear-gradient(45deg, var(--notrun) 0 3px, #e3e6ea 3px 6px); }
code { font-family: "DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, monospace; font-size: 12.5px; color: var(--muted); }
.badge { display: inline-block; font-size: 11.5px; font-weight: 600; padding: 0 7px; border-radius: 10px; border: 1px solid; vertical-align: 1px; white-space: nowrap; }
.badge.hidden { color: #4b3a8c; border-color: #9b8fd0; background: #f1eefb; }
.badge.ng { color: var(--fail-ink); border-color: var(--fail); background: #fff4e0; }
.badge.reused { color: var(--muted); border-color: var(--line); background: #f6f7f9; font-weight: 500; }
/* the students' table */
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: middle; }
th { font-size: 13px; color: var(--muted); font-weight: 600; border-bottom: 2px solid var(--line); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody tr:nth-child(even) { background: #f8f9fb; }
.minibar { display: inline-block; width: 90px; height: 9px; background: #e6eaef; border-radius: 2px; vertical-align: middle; overflow: hidden; }
.minibar span { display: block; height: 100%; background: var(--pass); }
.marks { letter-spacing: 1px; }
.mark.pass { color: var(--pass-ink); } .mark.fail { color: var(--fail-ink); font-weight: 700; } .mark.notrun { color: var(--notrun-ink); }
.ngrow td { color: var(--fail-ink); }
/* not gradable */
.ng-list { margin: 0; padding-left: 20px; }
.ng-list li { margin-bottom: 6px; }
.reason { display: block; color: var(--ink); font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 13px; white-space: pre-wrap; overflow-wrap: anywhere; }
/* each student */
.student { background: var(--panel); border: 1px solid var(--line); border-left: 6px solid var(--pass); border-radius: 8px; padding: 14px 18px; margin-bottom: 16px; }
.student.low { border-left-color: var(--fail); }
.student.ng { border-left-color: var(--notrun); }
.student .top { display: flex; justify-content: space-between; align-items: baseline; gap: 16px; flex-wrap: wrap; }
.student .big { font-size: 22px; font-weight: 650; font-variant-numeric: tabular-nums; }
.student .meta { color: var(--muted); font-size: 13px; }
.tests { list-style: none; margin: 10px 0 0; padding: 0; }
.test { border-top: 1px solid var(--line); padding: 6px 6px; }
.test .row { display: grid; grid-template-columns: 24px minmax(0, 1fr) auto 130px; gap: 10px; align-items: baseline; }
.test .mark { font-size: 17px; text-align: center; }
.test .pts { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.test .st { font-size: 13px; white-space: nowrap; }
.test .st.pass { color: var(--pass-ink); } .test .st.fail { color: var(--fail-ink); font-weight: 600; } .test .st.notrun { color: var(--notrun-ink); }
.test .more { margin: 4px 0 4px 34px; }
.test .fb { margin: 0 0 4px; white-space: pre-line; }
.test[data-status="fail"] { background: #fffaf0; }
.lbl { font-size: 12.5px; color: var(--muted); margin: 4px 0 2px; }
pre { margin: 0; padding: 8px 10px; background: #f4f6f8; border: 1px solid var(--line); border-radius: 4px; font: 12.5px/1.45 "DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, monospace; white-space: pre-wrap; overflow-wrap: anywhere; max-height: 24em; overflow: auto; }
.totop { font-size: 13px; }
nav.toc { font-size: 14px; margin: -8px 0 18px; color: var(--muted); }
nav.toc a { margin-right: 14px; }
footer { color: var(--muted); font-size: 12.5px; margin-top: 28px; }
@media (max-width: 900px) {
	.cards { grid-template-columns: repeat(3, 1fr); }
	.grid { grid-template-columns: minmax(0, 1fr); }
	.test .row { grid-template-columns: 24px minmax(0, 1fr) auto; }
	.test .st { grid-column: 2 / 4; }
}
@media print {
	html { background: #fff; }
	.panel, .student, .card { break-inside: avoid; }
	pre { max-height: none; }
	.bucket .bar, .stack span, .minibar span, .sw { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
}
</style>
</head>
<body>
<div class="wrap" id="top">
<header>
<p class="kind">{{.W.report}}</p>
<h1>{{.Title}}</h1>
<p class="meta">{{with .Date}}{{$.W.graded}} {{.}} · {{end}}{{.N}} {{.W.subsUnit}}{{with .Kist}} · {{$.W.kist}} {{.}}{{end}}</p>
</header>
<nav class="toc">{{.W.contents}}: <a href="#scores">{{.W.hist}}</a><a href="#tests">{{.W.testsCol}}</a>{{if .NotGradableSubs}}<a href="#not-gradable">{{.W.ngTitle}}</a>{{end}}<a href="#students">{{.W.students}}</a><a href="#details">{{.W.details}}</a></nav>

<section class="cards" aria-label="summary">
<div class="card" data-stat="submissions"><div class="label">{{.W.submissions}}</div><div class="value">{{.N}}</div></div>
<div class="card" data-stat="graded"><div class="label">{{.W.gradable}}</div><div class="value">{{.Graded}}</div></div>
<div class="card{{if .NotGradable}} warn{{end}}" data-stat="not-gradable"><div class="label">{{.W.notGradable}}</div><div class="value">{{.NotGradable}}</div></div>
<div class="card" data-stat="mean"><div class="label">{{.W.mean}}</div>{{if .Mean}}<div class="value">{{.Mean}} <span class="sub">/ {{.Max}}</span></div><div class="sub">{{.MeanPct}}%</div>{{else}}<div class="value">—</div>{{end}}</div>
<div class="card" data-stat="median"><div class="label">{{.W.median}}</div>{{if .Median}}<div class="value">{{.Median}} <span class="sub">/ {{.Max}}</span></div><div class="sub">{{.MedianPct}}%</div>{{else}}<div class="value">—</div>{{end}}</div>
<div class="card" data-stat="full-marks"><div class="label">{{.W.full}}</div><div class="value">{{.FullMarks}}</div>{{if .Graded}}<div class="sub">{{.W.of}} {{.Graded}}</div>{{end}}</div>
</section>

<div class="grid">
<section class="panel" id="scores">
<h2>{{.W.hist}}</h2>
<p class="note">{{.HistNote}}</p>
{{if .Graded}}<div class="hist">
{{range .Buckets}}<div class="bucket" data-bucket="{{.Index}}" data-count="{{.Count}}" title="{{.Label}}% ({{.Points}} {{$.W.points}}): {{.Count}} {{$.W.subsUnit}}"><div class="bar" style="height: {{.Height}}%"><div class="count{{if not .Count}} zero{{end}}">{{.Count}}</div></div></div>
{{end}}</div>
<div class="axis">{{range .Buckets}}<div>{{.Label}}<br><span class="pts">{{.Points}}</span></div>{{end}}</div>
<p class="axis-title">{{.W.histAxis}}</p>
{{else}}<p>{{.W.histEmpty}}</p>{{end}}
</section>

<section class="panel" id="tests">
<h2>{{.W.tests}}</h2>
<p class="note">{{.TestsNote}}</p>
<p class="legend"><span><span class="sw p"></span>{{.W.passed}}</span><span><span class="sw f"></span>{{.W.failed}}</span><span><span class="sw r"></span>{{.W.notRun}}</span></p>
<ul class="rates">
{{range .Tests}}<li data-test="{{.Name}}" data-passed="{{.Passed}}" data-failed="{{.Failed}}" data-not-run="{{.NotRun}}" data-total="{{.Total}}">
<div class="head"><span class="t">{{.Title}} <code>{{.Name}}</code>{{if .Hidden}} <span class="badge hidden">{{$.W.hidden}}</span>{{end}}</span><span class="n"><b>{{.Passed}}</b> / {{.Total}} {{$.W.passed}} ({{.PassRate}}%)</span></div>
<div class="stack" title="{{.Passed}} {{$.W.passed}}, {{.Failed}} {{$.W.failed}}, {{.NotRun}} {{$.W.notRun}}">{{if .PassPct}}<span class="p" style="width: {{.PassPct}}%"></span>{{end}}{{if .FailPct}}<span class="f" style="width: {{.FailPct}}%"></span>{{end}}{{if .NotRunPct}}<span class="r" style="width: {{.NotRunPct}}%"></span>{{end}}</div>
</li>
{{end}}</ul>
</section>
</div>

{{if .NotGradableSubs}}<section class="panel" id="not-gradable">
<h2>{{.W.ngTitle}} ({{len .NotGradableSubs}})</h2>
<p class="note">{{.W.ngNote}}</p>
<ul class="ng-list">
{{range .NotGradableSubs}}<li data-submission="{{.Name}}"><a href="#{{.Anchor}}">{{.Name}}</a><span class="reason">{{.Reason}}</span></li>
{{end}}</ul>
</section>
{{end}}
<section class="panel" id="students">
<h2>{{.W.students}}</h2>
{{if .Subs}}<table>
<thead><tr><th>{{.W.student}}</th>{{if .HasIDs}}<th>{{.W.id}}</th>{{end}}<th class="num">{{.W.score}}</th><th class="num">%</th><th></th><th>{{.W.testsCol}}</th></tr></thead>
<tbody>
{{range .Subs}}<tr{{if not .Gradable}} class="ngrow"{{end}} data-submission="{{.Name}}">
<td><a href="#{{.Anchor}}">{{if .Student}}{{.Student}}{{else}}{{.Name}}{{end}}</a></td>{{if $.HasIDs}}<td>{{.ID}}</td>{{end}}
{{if .Gradable}}<td class="num"><b>{{.Score}}</b> / {{.Max}}</td><td class="num">{{.Pct}}%</td><td><span class="minibar"><span style="width: {{.Pct}}%"></span></span></td>
<td class="marks">{{range .Tests}}<span class="mark {{.Status}}" title="{{.Title}}: {{.StatusText}}">{{if eq .Status "pass"}}✓{{else if eq .Status "fail"}}✗{{else}}–{{end}}</span>{{end}} <small>{{.Passed}}/{{.NTests}}</small></td>
{{else}}<td class="num">—</td><td class="num">—</td><td colspan="2"><span class="badge ng">{{$.W.notGradable}}</span></td>{{end}}
</tr>
{{end}}</tbody>
</table>
<p class="legend" style="margin-top: 8px">{{.W.legendPass}} · {{.W.legendFail}} · {{.W.legendNotrun}}</p>
{{else}}<p>{{.W.none}}</p>{{end}}
</section>

<h2 id="details" style="margin: 28px 0 12px">{{.W.details}}</h2>
{{range .Subs}}<section class="student{{if not .Gradable}} ng{{else if lt .Pct 50}} low{{end}}" id="{{.Anchor}}" data-submission="{{.Name}}">
<div class="top">
<div><h3>{{.Name}}</h3><div class="meta">{{range $i, $m := .Meta}}{{if $i}} · {{end}}{{$m}}{{end}}{{if .Reused}} <span class="badge reused">{{$.W.reused}}</span>{{end}}</div></div>
{{if .Gradable}}<div class="big">{{.Score}} / {{.Max}} <span class="meta">{{$.W.points}} · {{.Pct}}% · {{.Passed}}/{{.NTests}} {{$.W.passed}}</span></div>
{{else}}<div><span class="badge ng">{{$.W.notGradable}}</span></div>{{end}}
</div>
{{if not .Gradable}}<p class="lbl">{{$.W.reason}}:</p><pre class="reason-pre">{{.Reason}}</pre>{{end}}
{{if .Tests}}<ul class="tests">
{{range .Tests}}<li class="test" data-test="{{.Name}}" data-status="{{.Status}}">
<div class="row"><span class="mark {{.Status}}" aria-hidden="true">{{if eq .Status "pass"}}✓{{else}}✗{{end}}</span><span>{{.Title}} <code>{{.Name}}</code>{{if .Hidden}} <span class="badge hidden">{{$.W.hidden}}</span>{{end}}</span><span class="pts">{{.Score}} / {{.Max}} {{$.W.points}}</span><span class="st {{.Status}}">{{if eq .Status "pass"}}✓{{else}}✗{{end}} {{.StatusText}}</span></div>
{{if or .Feedback .Output}}<div class="more">{{with .Feedback}}<p class="lbl">{{$.W.feedback}}</p><p class="fb">{{.}}</p>{{end}}{{with .Output}}<p class="lbl">{{$.W.found}}</p><pre>{{.}}</pre>{{end}}</div>{{end}}
</li>
{{end}}</ul>{{end}}
<p class="totop"><a href="#top">↑ {{$.W.top}}</a></p>
</section>
{{end}}
<footer>{{.W.report}} · {{.Title}}{{with .Date}} · {{.}}{{end}}{{with .Kist}} · kist {{.}}{{end}}</footer>
</div>
</body>
</html>
`
