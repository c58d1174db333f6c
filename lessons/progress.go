package lessons

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"kist/internal/dirs"
)

// Progress is what a student has done, kept in kist's data directory
// (learn/progress.json) so that it survives upgrades of kist: lessons are
// known by name, steps by id, never by position.
type Progress struct {
	Version int                        `json:"version"`
	Lang    string                     `json:"lang,omitempty"`    // chosen with --lang
	Dirs    []string                   `json:"dirs,omitempty"`    // a teacher's lessons, chosen with --dir
	Current string                     `json:"current,omitempty"` // the lesson open now
	Lessons map[string]*LessonProgress `json:"lessons,omitempty"`

	path string
}

// LessonProgress is one lesson's progress.
type LessonProgress struct {
	Done    []string  `json:"done,omitempty"`    // step ids passed (or skipped)
	Skipped []string  `json:"skipped,omitempty"` // step ids skipped
	Failed  string    `json:"failed,omitempty"`  // "step/check" that failed last
	Hints   int       `json:"hints,omitempty"`   // hints shown for Failed
	Updated time.Time `json:"updated"`
}

const progressVersion = 1

// ProgressPath is where progress is kept.
func ProgressPath() string { return filepath.Join(dirs.Data(), "learn", "progress.json") }

// LoadProgress reads the student's progress. A file that cannot be read
// as progress is set aside (progress.json.damaged-TIME) and a fresh start
// made; notice then says so, for the student to read.
func LoadProgress() (p *Progress, notice string, err error) {
	path := ProgressPath()
	p = &Progress{Version: progressVersion, Lessons: map[string]*LessonProgress{}, path: path}
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return p, "", nil
	}
	if err != nil {
		return nil, "", err
	}
	var q Progress
	if err := json.Unmarshal(data, &q); err != nil || q.Version < 1 || q.Version > progressVersion {
		why := "it is not progress kist can read"
		if err != nil {
			why = err.Error()
		} else if q.Version > progressVersion {
			why = fmt.Sprintf("it was written by a newer kist (version %d)", q.Version)
		}
		aside := path + ".damaged-" + time.Now().Format("20060102-150405")
		if err := os.Rename(path, aside); err != nil {
			return nil, "", fmt.Errorf("%s is damaged (%s) and cannot be set aside: %w", path, why, err)
		}
		return p, fmt.Sprintf("%s (%s) -> %s", path, why, aside), nil
	}
	if q.Lessons == nil {
		q.Lessons = map[string]*LessonProgress{}
	}
	for k, v := range q.Lessons {
		if v == nil {
			delete(q.Lessons, k)
		}
	}
	q.path = path
	return &q, "", nil
}

// Save writes the progress atomically.
func (p *Progress) Save() error {
	p.Version = progressVersion
	data, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p.path), 0o700); err != nil {
		return err
	}
	tmp := p.path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, p.path)
}

// Of returns the progress of lesson name, made if new.
func (p *Progress) Of(name string) *LessonProgress {
	lp := p.Lessons[name]
	if lp == nil {
		lp = &LessonProgress{}
		p.Lessons[name] = lp
	}
	return lp
}

func (lp *LessonProgress) isDone(step string) bool {
	for _, s := range lp.Done {
		if s == step {
			return true
		}
	}
	return false
}

// Current returns the first step of l not done yet ("" when all are).
func (lp *LessonProgress) Current(l *Lesson) string {
	for _, s := range l.Steps {
		if !lp.isDone(s) {
			return s
		}
	}
	return ""
}

// Complete says whether every step of l is done.
func (lp *LessonProgress) Complete(l *Lesson) bool { return lp.Current(l) == "" }

// pass marks step done.
func (lp *LessonProgress) pass(step string, skipped bool) {
	if !lp.isDone(step) {
		lp.Done = append(lp.Done, step)
	}
	if skipped {
		lp.Skipped = append(lp.Skipped, step)
	}
	lp.Failed, lp.Hints = "", 0
	lp.Updated = time.Now()
}
