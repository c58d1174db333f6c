package build

import (
	"fmt"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/patternmatcher"
)

// copyFlags are what COPY and ADD share.
type copyFlags struct {
	srcs     instructions.SourcesAndDest
	chown    string
	chmod    string
	exclude  []string
	keepOwns bool // keep the sources' owners (COPY --from without --chown)
}

// owner is the uid:gid new files get; nil keeps the source's.
type owner struct{ uid, gid int }

// copy runs COPY: from the context, another stage or an image.
func (b *builder) copy(i int, s *state, c *instructions.CopyCommand, text string, loc []parser.Range) error {
	if c.Parents {
		return b.errAt(loc, "COPY --parents is not supported by kist build yet")
	}
	f := copyFlags{srcs: c.SourcesAndDest, chown: c.Chown, chmod: c.Chmod, exclude: c.ExcludePatterns}
	if c.From == "" {
		return b.copyFromContext(s, f, "COPY", text, loc, false)
	}
	from, err := b.stageOrImage(i, c.From, loc)
	if err != nil {
		return err
	}
	f.keepOwns = c.Chown == ""
	history := "COPY --from=" + c.From + " " + strings.Join(append(slices.Clone(c.SourcePaths), c.DestPath), " ")
	parts := []string{"COPY --from", from.key, jsonString(f.srcs), f.chown, f.chmod, jsonString(f.exclude), s.cfg.Config.WorkingDir}
	return b.fsStep(s, text, history, parts, func(root string) (bool, error) {
		return false, b.copyFromLayer(root, s, f, from, c.From, loc)
	})
}

// stageOrImage is what COPY --from=NAME reads: stage NAME (an earlier
// one), built if need be, else image NAME, pulled if missing.
func (b *builder) stageOrImage(i int, name string, loc []parser.Range) (*state, error) {
	if j, ok := b.stageIndex(name, i); ok {
		return b.stageState(j)
	}
	img, err := b.image(name, loc)
	if err != nil {
		return nil, err
	}
	return &state{key: "image:" + img.ID, top: img.TopLayer}, nil
}

// copyFromLayer copies f's sources from the files of from (mounted on a
// work layer of their own, given up afterwards) into root.
func (b *builder) copyFromLayer(root string, s *state, f copyFlags, from *state, name string, loc []parser.Range) error {
	work, err := b.layers.WorkLayer(from.top)
	if err != nil {
		return err
	}
	defer b.layers.DeleteLayer(work.ID)
	unmount, err := work.MountScratch()
	if err != nil {
		return err
	}
	defer unmount()
	ss := &sourceSet{root: work.Rootfs, what: "stage " + name}
	if ss.exclude, err = excludeMatcher(f.exclude); err != nil {
		return b.errAt(loc, err.Error())
	}
	srcs, err := ss.resolve(f.srcs.SourcePaths)
	if err != nil {
		return b.errAt(loc, "COPY --from="+name+": "+err.Error())
	}
	return b.copyInto(root, s, f, srcs, nil, loc)
}

// excludeMatcher is the matcher of COPY --exclude's patterns (nil for
// none).
func excludeMatcher(patterns []string) (*patternmatcher.PatternMatcher, error) {
	if len(patterns) == 0 {
		return nil, nil
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return nil, fmt.Errorf("--exclude: %v", err)
	}
	return pm, nil
}

// copyFromContext runs COPY or ADD of context files (and ADD's URLs);
// ADD unpacks local archives. The key covers what the files hold (the
// sources' digest), the URLs' contents and the heredocs.
func (b *builder) copyFromContext(s *state, f copyFlags, instr, text string, loc []parser.Range, add bool) error {
	exclude, err := excludeMatcher(f.exclude)
	if err != nil {
		return b.errAt(loc, err.Error())
	}
	local, urls, err := b.splitSources(f, add, loc)
	defer removeDownloads(urls)
	if err != nil {
		return err
	}
	ss := &sourceSet{root: b.bctx.dir, ctx: b.bctx, exclude: exclude, what: "the build context"}
	srcs, err := ss.resolve(local)
	if err != nil {
		return b.errAt(loc, instr+" "+err.Error())
	}
	sum, err := digestSources(srcs)
	if err != nil {
		return b.errAt(loc, err.Error())
	}
	var urlSums []string
	for _, d := range urls {
		srcs = append(srcs, d.source())
		urlSums = append(urlSums, d.url+"="+d.sum)
	}
	history := instr + " " + strings.Join(append(slices.Clone(f.srcs.SourcePaths), f.srcs.DestPath), " ")
	parts := []string{instr, jsonString(f.srcs.SourcePaths), f.srcs.DestPath, f.chown, f.chmod, jsonString(f.exclude),
		s.cfg.Config.WorkingDir, sum, strings.Join(urlSums, "\x00"), heredocKey(f.srcs.SourceContents)}
	return b.fsStep(s, text, history, parts, func(root string) (bool, error) {
		return false, b.copyOrUnpack(root, s, f, srcs, add, loc)
	})
}

// splitSources parts the sources into context paths and, for ADD, URLs,
// which it downloads (the caller removes them, also after an error).
func (b *builder) splitSources(f copyFlags, add bool, loc []parser.Range) ([]string, []*download, error) {
	var local []string
	var urls []*download
	for _, p := range f.srcs.SourcePaths {
		switch {
		case add && isURL(p):
			d, err := b.fetch(p, f.chmod)
			if err != nil {
				return nil, urls, b.errAt(loc, fmt.Sprintf("ADD %s: %v", p, err))
			}
			urls = append(urls, d)
		case add && isGitURL(p):
			return nil, urls, b.errAt(loc, "ADD of a git repository is not supported by kist build: clone it into the context and COPY it")
		default:
			local = append(local, p)
		}
	}
	return local, urls, nil
}

// heredocKey is the part of the cache key for COPY's heredoc files.
func heredocKey(contents []instructions.SourceContent) string {
	var heredocs []string
	for _, sc := range contents {
		heredocs = append(heredocs, sc.Path+"\x00"+sc.Data)
	}
	return strings.Join(heredocs, "\x00")
}

// copyOrUnpack writes the sources into root; ADD unpacks local archives
// instead of copying them.
func (b *builder) copyOrUnpack(root string, s *state, f copyFlags, srcs []*source, add bool, loc []parser.Range) error {
	var unpack []*source
	if add {
		srcs, unpack = splitArchives(srcs)
	}
	if len(srcs) > 0 || len(f.srcs.SourceContents) > 0 || len(unpack) == 0 {
		if err := b.copyInto(root, s, f, srcs, &owner{}, loc); err != nil {
			return err
		}
	}
	for _, src := range unpack {
		if err := b.unpack(root, s, f, src, loc); err != nil {
			return err
		}
	}
	return nil
}

// add runs ADD: COPY plus URLs and unpacking local archives.
func (b *builder) add(s *state, c *instructions.AddCommand, text string, loc []parser.Range) error {
	f := copyFlags{srcs: c.SourcesAndDest, chown: c.Chown, chmod: c.Chmod, exclude: c.ExcludePatterns}
	if c.Checksum != "" {
		if len(c.SourcePaths) != 1 || !isURL(c.SourcePaths[0]) {
			return b.errAt(loc, "ADD --checksum works with one URL source only")
		}
		b.checksum = c.Checksum
		defer func() { b.checksum = "" }()
	}
	return b.copyFromContext(s, f, "ADD", text, loc, true)
}

// destination works out where sources go: an absolute path, and whether
// it is a directory (a trailing slash, an existing directory, or several
// sources).
func destination(root string, s *state, dest string, n int) (string, bool, error) {
	dir := strings.HasSuffix(dest, "/") || dest == "." || strings.HasSuffix(dest, "/.")
	if !path.IsAbs(dest) {
		dest = path.Join("/", s.cfg.Config.WorkingDir, dest)
	}
	dest = path.Clean(dest)
	if !dir {
		if host, err := resolveIn(root, dest); err == nil {
			if st, err := os.Stat(host); err == nil && st.IsDir() {
				dir = true
			}
		}
	}
	if n > 1 && !dir {
		return "", false, fmt.Errorf("with more than one source file the destination must be a directory and end with a / (%s)", dest)
	}
	return dest, dir, nil
}

// copyInto writes the sources (and heredoc files) into root at the
// destination, owned by --chown's user, else own (nil: the sources'
// owners, for COPY --from).
func (b *builder) copyInto(root string, s *state, f copyFlags, srcs []*source, own *owner, loc []parser.Range) error {
	fail := func(err error) error { return b.errAt(loc, err.Error()) }
	dest, destDir, err := destination(root, s, f.srcs.DestPath, len(srcs)+len(f.srcs.SourceContents))
	if err != nil {
		return fail(err)
	}
	w, err := newWriter(root, f, own)
	if err != nil {
		return fail(err)
	}
	for _, src := range srcs {
		if err := w.copySource(src, dest, destDir); err != nil {
			return fail(err)
		}
	}
	for _, sc := range f.srcs.SourceContents {
		if err := b.writeHeredoc(w, s, sc, dest, destDir); err != nil {
			return fail(err)
		}
	}
	return nil
}

// writeHeredoc writes a COPY heredoc's file, its variables expanded with
// the stage's unless the delimiter was quoted (<<"EOF").
func (b *builder) writeHeredoc(w *writer, s *state, sc instructions.SourceContent, dest string, destDir bool) error {
	data := sc.Data
	if sc.Expand {
		lex := *b.lex
		lex.RawQuotes = true
		var err error
		if data, _, err = lex.ProcessWord(data, envGetter(s.stepEnv())); err != nil {
			return err
		}
	}
	target := dest
	if destDir {
		target = path.Join(dest, sc.Path)
	}
	if err := w.mkParents(path.Dir(target)); err != nil {
		return err
	}
	return w.writeData(target, []byte(data), 0o644)
}

// base is the name a source gets in a destination directory.
func (s *source) base() string {
	if s.fetched {
		return s.name
	}
	return path.Base(s.name)
}
