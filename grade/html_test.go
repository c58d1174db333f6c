package grade

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"html/template"
	"image"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kist/internal/browsertest"
)

// htmlSample is a class of 12: 11 graded with varied scores and one not
// gradable, with a student's name and a test's output that are HTML.
// Its histogram (buckets of 10% of 10 points) is wantBuckets.
func htmlSample(lang string) *Results {
	specs := []struct {
		name, title string
		points      float64
		hidden      bool
	}{
		{"builds", "The Dockerfile builds", 2, false},
		{"runs", "The container runs", 3, false},
		{"prints", "It prints Hello World", 3, false},
		{"secret", "The image is small", 2, true},
	}
	// Per submission: which tests passed (b r p s), "-" for not run.
	subs := []struct{ name, student, id, passed string }{
		{"10001 - Ann de Vries", "Ann de Vries", "10001", "brps"},                                   // 10
		{"10002 - Bram Bakker", "Bram Bakker", "10002", "brps"},                                     // 10
		{"10003 - Chris Smit", "Chris Smit", "10003", "brp"},                                        // 8
		{"10004 - Dana Visser", "Dana Visser", "10004", "brs"},                                      // 7
		{"10005 - Eva Mulder", "Eva Mulder", "10005", "bps"},                                        // 7
		{"10006 - Fenna de Boer", "Fenna de Boer", "10006", "br"},                                   // 5
		{"10007 - Gijs Meijer", "Gijs Meijer", "10007", "bp"},                                       // 5
		{"10008 - Hugo de Groot", "Hugo de Groot", "10008", "r"},                                    // 3
		{"10009 - Iris Bos", "Iris Bos", "10009", "b"},                                              // 2
		{"10010 - Jan Vos", "Jan Vos", "10010", "---"},                                              // 0, only builds ran
		{"12345 - <script>alert(1)</script> Evil", "<script>alert(1)</script> Evil", "12345", "bs"}, // 4
		{"10012 - Lot Dekker", "Lot Dekker", "10012", ""},                                           // not gradable
	}
	r := &Results{Version: ResultsVersion, Assignment: "Exercise a: a <Hello> World container", Kist: "v0.9.0",
		Lang: lang, Graded: time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC)}
	for i, sub := range subs {
		s := Submission{Name: sub.name, Student: sub.student, ID: sub.id, Hash: fmt.Sprint(i), MaxScore: 10,
			Gradable: true, Duration: time.Duration(i+3) * time.Second, Reused: i == 1}
		if sub.name == "10012 - Lot Dekker" {
			s.Gradable, s.Reason, s.Tests = false, "kist: pulling python:3.12-slim: registry unreachable <timeout>", nil
			r.Submissions = append(r.Submissions, s)
			continue
		}
		for j, sp := range specs {
			t := Test{Name: sp.name, Title: sp.title, MaxScore: sp.points, Hidden: sp.hidden, Status: Failed}
			switch {
			case strings.ContainsRune(sub.passed, rune(sp.name[0])):
				t.Status, t.Score = Passed, sp.points
			case sub.passed == "---" && j > 0:
				t.Status = NotRun
			default:
				t.Output = "kist build: step 3/5: RUN apt-get install: exit status 100\n<b>bold</b><img src=x onerror=alert(1)>"
				t.Feedback = "Check the FROM line & the RUN step."
			}
			s.Score += t.Score
			s.Tests = append(s.Tests, t)
		}
		r.Submissions = append(r.Submissions, s)
	}
	return r
}

// wantBuckets is htmlSample's histogram: scores 10 10 8 7 7 5 5 3 2 0 4.
var wantBuckets = [10]int{0: 1, 2: 1, 3: 1, 4: 1, 5: 2, 7: 2, 8: 1, 9: 2}

// htmlElem is an element of a page, as encoding/xml's lenient mode
// reads HTML.
type htmlElem struct {
	name  string
	attrs map[string]string
	text  string // the text directly in it and in its children
}

// parseHTML reads page's elements, failing on what is not well formed.
func parseHTML(t *testing.T, page []byte) []*htmlElem {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(page))
	d.Strict = false
	d.AutoClose = xml.HTMLAutoClose
	d.Entity = xml.HTMLEntity
	var all, open []*htmlElem
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the page is not well formed: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			for _, o := range open { // a space between elements' texts
				o.text += " "
			}
			e := &htmlElem{name: strings.ToLower(tok.Name.Local), attrs: map[string]string{}}
			for _, a := range tok.Attr {
				name := a.Name.Local
				if a.Name.Space != "" {
					name = a.Name.Space + ":" + name
				}
				e.attrs[strings.ToLower(name)] = a.Value
			}
			all = append(all, e)
			open = append(open, e)
		case xml.EndElement:
			if len(open) > 0 {
				open = open[:len(open)-1]
			}
			for _, o := range open {
				o.text += " "
			}
		case xml.CharData:
			for _, e := range open {
				e.text += string(tok)
			}
		}
	}
	if len(open) != 0 {
		t.Fatalf("the page leaves %d elements open, the first <%s>", len(open), open[0].name)
	}
	return all
}

func TestWriteHTML(t *testing.T) {
	if _, err := template.New("x").Parse(htmlSource); err != nil {
		t.Fatalf("the page's template: %v", err)
	}
	r := htmlSample("en")
	var buf bytes.Buffer
	if err := WriteHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	page := buf.Bytes()
	s := string(page)

	// Escaped: the student's HTML is text, never markup.
	low := strings.ToLower(s)
	for _, bad := range []string{"<script", "<img", "<b>bold", "<hello>", "zgotmplz", "%!"} {
		if strings.Contains(low, bad) {
			t.Errorf("the page has %q unescaped", bad)
		}
	}
	for _, want := range []string{"&lt;script&gt;alert(1)&lt;/script&gt; Evil", "&lt;b&gt;bold&lt;/b&gt;&lt;img src=x onerror=alert(1)&gt;",
		"a &lt;Hello&gt; World container", "registry unreachable &lt;timeout&gt;", "Check the FROM line &amp; the RUN step."} {
		if !strings.Contains(s, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	// Self-contained: no external files (and no scripts, below).
	for _, bad := range []string{"@import", "url("} {
		if strings.Contains(low, bad) {
			t.Errorf("the page is not self-contained: its CSS has %q", bad)
		}
	}

	elems := parseHTML(t, page)
	byName := map[string][]*htmlElem{}
	ids := map[string]*htmlElem{}
	for _, e := range elems {
		byName[e.name] = append(byName[e.name], e)
		if id, ok := e.attrs["id"]; ok {
			if ids[id] != nil {
				t.Errorf("id %q twice", id)
			}
			ids[id] = e
		}
		for a, v := range e.attrs {
			if strings.HasPrefix(a, "on") || a == "src" || a == "href" && !strings.HasPrefix(v, "#") {
				t.Errorf("<%s %s=%q>: an event handler or another file", e.name, a, v)
			}
		}
	}
	if n := len(byName["script"]) + len(byName["img"]) + len(byName["link"]); n != 0 {
		t.Errorf("the page has %d <script>, <img> or <link> elements", n)
	}
	if ts := byName["title"]; len(ts) != 1 || ts[0].text != "Exercise a: a <Hello> World container — Class report" {
		t.Errorf("title: %v", ts)
	}
	if h := byName["h1"]; len(h) != 1 || h[0].text != r.Assignment {
		t.Errorf("h1: %v", h)
	}
	for _, want := range []string{"Graded 2025-03-14 09:30 UTC", "12 submissions", "kist v0.9.0"} {
		if !strings.Contains(byName["header"][0].text, want) {
			t.Errorf("header lacks %q: %q", want, byName["header"][0].text)
		}
	}

	// The numbers at a glance.
	stats := map[string]string{}
	for _, e := range elems {
		if st, ok := e.attrs["data-stat"]; ok {
			stats[st] = strings.Join(strings.Fields(e.text), " ")
		}
	}
	// Mean of 10 10 8 7 7 5 5 3 2 0 4 = 61/11 = 5.55, median 5.
	for st, want := range map[string]string{"submissions": "Submissions 12", "graded": "Graded 11", "not-gradable": "Not gradable 1",
		"mean": "Mean 5.55 / 10 55%", "median": "Median 5 / 10 50%", "full-marks": "Full marks 2 of 11"} {
		if stats[st] != want {
			t.Errorf("%s: %q, want %q", st, stats[st], want)
		}
	}

	// The histogram's counts, as data and as text.
	var got [10]int
	n := 0
	for _, e := range elems {
		b, ok := e.attrs["data-bucket"]
		if !ok {
			continue
		}
		n++
		var i, c int
		if _, err := fmt.Sscan(b, &i); err != nil || i < 0 || i > 9 {
			t.Fatalf("data-bucket %q", b)
		}
		fmt.Sscan(e.attrs["data-count"], &c)
		got[i] = c
		if strings.TrimSpace(e.text) != fmt.Sprint(c) {
			t.Errorf("bucket %d shows %q, its data-count is %d", i, e.text, c)
		}
	}
	if n != 10 || got != wantBuckets {
		t.Errorf("histogram: %d buckets %v, want 10 %v", n, got, wantBuckets)
	}
	for _, want := range []string{`style="height: 100%"`, `style="height: 50%"`, "90–100<br>", `0–10<br><span class="pts">0–1</span>`} {
		if !strings.Contains(s, want) {
			t.Errorf("the histogram lacks %q", want)
		}
	}

	// The pass rate per test, of the graded submissions.
	rates := map[string]string{}
	for _, e := range elems {
		if e.name == "li" && e.attrs["data-total"] != "" {
			a := e.attrs
			rates[a["data-test"]] = a["data-passed"] + " " + a["data-failed"] + " " + a["data-not-run"] + " " + a["data-total"]
			if a["data-test"] == "secret" && !strings.Contains(e.text, "hidden") {
				t.Errorf("the hidden test is not marked hidden: %q", e.text)
			}
		}
	}
	want := map[string]string{"builds": "9 2 0 11", "runs": "6 4 1 11", "prints": "5 5 1 11", "secret": "5 5 1 11"}
	if fmt.Sprint(rates) != fmt.Sprint(want) {
		t.Errorf("pass rates (passed failed not-run total): %v, want %v", rates, want)
	}
	if !strings.Contains(s, "<b>9</b> / 11 passed (82%)") {
		t.Errorf("the pass rate of builds is not in words")
	}

	// Every submission: a row linking to its section, which has its tests.
	links := map[string]bool{}
	for _, a := range byName["a"] {
		links[a.attrs["href"]] = true
	}
	sections := 0
	for _, sub := range r.Submissions {
		var sec *htmlElem
		for _, e := range byName["section"] {
			if e.attrs["data-submission"] == sub.Name {
				sec = e
			}
		}
		if sec == nil || sec.attrs["id"] == "" {
			t.Errorf("%s: no section with an anchor", sub.Name)
			continue
		}
		sections++
		if !links["#"+sec.attrs["id"]] {
			t.Errorf("%s: nothing links to #%s", sub.Name, sec.attrs["id"])
		}
		if !sub.Gradable {
			if !strings.Contains(sec.text, "Not gradable") || !strings.Contains(sec.text, sub.Reason) {
				t.Errorf("%s: the section does not say it is not gradable and why: %q", sub.Name, sec.text)
			}
			continue
		}
		if !strings.Contains(sec.text, Points(sub.Score)+" / 10") {
			t.Errorf("%s: the section lacks the score %s / 10", sub.Name, Points(sub.Score))
		}
		for _, tt := range sub.Tests {
			mark := "✓ passed"
			if tt.Status == Failed {
				mark = "✗ failed"
			} else if tt.Status == NotRun {
				mark = "✗ not run"
			}
			if !strings.Contains(sec.text, tt.Title) || !strings.Contains(sec.text, mark) {
				t.Errorf("%s: test %s is not shown as %q", sub.Name, tt.Name, mark)
			}
		}
	}
	if sections != 12 {
		t.Errorf("%d sections, want 12", sections)
	}
	if ids["s-10001-ann-de-vries"] == nil || ids["s-12345-script-alert-1-script-evil"] == nil {
		t.Errorf("anchors are not made of the names: %v", keys(ids))
	}
	var outputs int
	for _, e := range byName["pre"] {
		if strings.Contains(e.text, "<b>bold</b><img src=x onerror=alert(1)>") {
			outputs++
		}
	}
	if outputs != 16 { // the failed tests of the graded submissions
		t.Errorf("%d outputs in a <pre>, want 16", outputs)
	}
	// The not gradable one with its reason, above the students.
	ng := ids["not-gradable"]
	if ng == nil || !strings.Contains(ng.text, "10012 - Lot Dekker") || !strings.Contains(ng.text, "registry unreachable <timeout>") {
		t.Errorf("the not gradable list: %v", ng)
	}
	if i, j := strings.Index(s, `id="not-gradable"`), strings.Index(s, `id="students"`); i < 0 || i > j {
		t.Errorf("the not gradable list is not before the students")
	}
}

func keys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

func TestWriteHTMLDutchAndEdges(t *testing.T) {
	for k := range htmlWords["en"] {
		if htmlWords["nl"][k] == "" {
			t.Errorf("htmlWords: %q has no Dutch", k)
		}
	}
	if len(htmlWords["en"]) != len(htmlWords["nl"]) {
		t.Errorf("htmlWords: %d English words, %d Dutch", len(htmlWords["en"]), len(htmlWords["nl"]))
	}
	var buf bytes.Buffer
	if err := WriteHTML(&buf, htmlSample("nl")); err != nil {
		t.Fatal(err)
	}
	s := buf.String()
	for _, want := range []string{`<html lang="nl">`, "Klasoverzicht", "Beoordeeld 2025-03-14", "Niet beoordeelbaar", "Gemiddelde",
		"✗ niet geslaagd", "✓ geslaagd", "verborgen", "Wat de test vond"} {
		if !strings.Contains(s, want) {
			t.Errorf("nl: the page lacks %q", want)
		}
	}
	if strings.Contains(s, "Class report") || strings.Contains(s, "Not gradable") {
		t.Errorf("nl: the page has English words")
	}

	// No submissions, only not gradable ones, an unknown language, a
	// maximum of 0: a page all the same.
	for name, r := range map[string]*Results{
		"empty":   {Assignment: "A", Lang: "fr"},
		"none":    {Assignment: "A", Submissions: []Submission{{Name: "x", Reason: "broken"}, {Name: "x"}}},
		"nopoint": {Assignment: "A", Submissions: []Submission{{Name: "!!", Gradable: true, Tests: []Test{{Name: "t", Status: Passed}}}}},
	} {
		buf.Reset()
		if err := WriteHTML(&buf, r); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		elems := parseHTML(t, buf.Bytes())
		ids := map[string]bool{}
		for _, e := range elems {
			if id := e.attrs["id"]; id != "" {
				if ids[id] {
					t.Errorf("%s: id %q twice", name, id)
				}
				ids[id] = true
			}
		}
		p := buf.String()
		switch name {
		case "empty":
			if !strings.Contains(p, "There are no submissions.") || !strings.Contains(p, `<html lang="en">`) {
				t.Errorf("empty: %s", p)
			}
		case "none":
			if !strings.Contains(p, "No submission could be graded.") || !ids["s-x"] || !ids["s-x-2"] {
				t.Errorf("none: ids %v", ids)
			}
		case "nopoint":
			if !strings.Contains(p, `data-bucket="9" data-count="1"`) || !ids["s-1"] {
				t.Errorf("nopoint: the one that passed everything is not at 100%%, or has no anchor: %v", ids)
			}
		}
	}
}

// TestHTMLInChromium opens the page in headless Chromium (Debian's
// chromium package) and checks the screenshot and the rendered DOM.
// Set KIST_HTML_SCREENSHOT=FILE.png to keep the screenshot.
func TestHTMLInChromium(t *testing.T) {
	bin := browsertest.Find(t)
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	f, err := os.Create(page)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(f, htmlSample("en")); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	url := "file://" + page

	// The rendered DOM: what the browser made of the page.
	dom := browsertest.DOM(t, bin, dir, url)
	for _, want := range []string{"<title>Exercise a: a &lt;Hello&gt; World container — Class report</title>",
		"Ann de Vries", "Lot Dekker", "&lt;script&gt;alert(1)&lt;/script&gt; Evil", `data-bucket="9" data-count="2"`} {
		if !strings.Contains(dom, want) {
			t.Errorf("the rendered DOM lacks %q", want)
		}
	}
	if strings.Contains(strings.ToLower(dom), "<script") || strings.Contains(dom, "<img") {
		t.Errorf("the browser made an element of a student's text")
	}

	// The screenshot: the top of the page as a teacher sees it first.
	img := browsertest.Screenshot(t, bin, dir, url, "KIST_HTML_SCREENSHOT")
	checkScreenshot(t, img)
}

func checkScreenshot(t *testing.T, img image.Image) {
	t.Helper()
	b := img.Bounds()
	var hr, hg, hb uint32
	fmt.Sscanf(HistColor, "#%02x%02x%02x", &hr, &hg, &hb)
	colours := map[uint32]bool{}
	histPixels := 0
	// Per column, how many pixels have the bars' colour.
	cols := make([]int, b.Dx())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			r, g, bl = r>>8, g>>8, bl>>8
			colours[r<<16|g<<8|bl] = true
			if r == hr && g == hg && bl == hb {
				histPixels++
				cols[x-b.Min.X]++
			}
		}
	}
	t.Logf("screenshot: %d colours, %d pixels of the histogram's %s", len(colours), histPixels, HistColor)
	if len(colours) < 100 {
		t.Errorf("the screenshot has %d colours: blank?", len(colours))
	}
	// 8 bars some 50 px wide, 100 to 200 px high: some 50,000 pixels.
	if histPixels < 10000 || histPixels > 150000 {
		t.Errorf("%d pixels of the histogram's colour %s, want some 50,000", histPixels, HistColor)
	}

	// The bars as the browser drew them: one run of columns per
	// non-empty bucket, left to right, as high as their counts say.
	var heights []int
	in := false
	for _, c := range cols {
		if c > 0 && !in {
			heights = append(heights, 0)
		}
		in = c > 0
		if in && c > heights[len(heights)-1] {
			heights[len(heights)-1] = c
		}
	}
	var counts []int
	tallest, highest := 0, 0
	for _, c := range wantBuckets {
		if c > 0 {
			counts = append(counts, c)
			tallest = max(tallest, c)
		}
	}
	for _, h := range heights {
		highest = max(highest, h)
	}
	t.Logf("bars on the screenshot: %d px high", heights)
	if len(heights) != len(counts) {
		t.Fatalf("%d bars on the screenshot, want %d (the non-empty buckets)", len(heights), len(counts))
	}
	for i, h := range heights {
		want := float64(highest) * float64(counts[i]) / float64(tallest)
		if d := float64(h) - want; d < -4 || d > 4 {
			t.Errorf("bar %d is %d px high, want %.0f (count %d of %d)", i+1, h, want, counts[i], tallest)
		}
	}
}
