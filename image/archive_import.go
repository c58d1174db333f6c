package image

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// ImportOptions is what kist import makes an image of.
type ImportOptions struct {
	Source string    // a root filesystem tarball, plain or gzip; "-" reads Stdin
	Stdin  io.Reader // the tarball when Source is "-"
	Name   string    // the image's name; empty for none
	// Changes are Dockerfile instructions applied to the config: CMD,
	// ENTRYPOINT, ENV, WORKDIR and USER, e.g. `CMD ["sh"]`.
	Changes []string
	Message string // the history comment; default "Imported from SOURCE"
}

// Import makes a one-layer image of a root filesystem tarball, as docker
// import does: the config has this machine's OS and architecture and
// nothing else but what Changes set (no Cmd unless given). It returns
// the image id.
func (s *Store) Import(o ImportOptions) (string, error) {
	var cfg v1.Config
	for _, c := range o.Changes {
		if err := applyChange(&cfg, c); err != nil {
			return "", err
		}
	}
	var names []string
	if o.Name != "" {
		n, err := storeName(o.Name)
		if err != nil {
			return "", err
		}
		names = []string{n}
	}
	label := o.Source
	var f *os.File
	if o.Source == "-" {
		label = "stdin"
		r := o.Stdin
		if r == nil {
			r = os.Stdin
		}
		tmp, err := os.CreateTemp("", "kist-import-")
		if err != nil {
			return "", err
		}
		defer os.Remove(tmp.Name())
		if _, err := io.Copy(tmp, r); err != nil {
			tmp.Close()
			return "", fmt.Errorf("reading the tarball from stdin: %w", err)
		}
		f = tmp
	} else {
		var err error
		if f, err = os.Open(o.Source); err != nil {
			return "", err
		}
	}
	defer f.Close()
	layer, err := tarballLayer(f)
	if err != nil {
		return "", fmt.Errorf("%s: %w", label, err)
	}
	now := time.Now().UTC()
	msg := o.Message
	if msg == "" {
		msg = "Imported from " + o.Source
	}
	cf := v1.ConfigFile{
		Architecture: goarch(),
		OS:           "linux",
		Created:      v1.Time{Time: now},
		Config:       cfg,
		RootFS:       v1.RootFS{Type: "layers", DiffIDs: []v1.Hash{layer.diffID}},
		History:      []v1.History{{Created: v1.Time{Time: now}, Comment: msg}},
	}
	rawCfg, err := json.Marshal(cf)
	if err != nil {
		return "", err
	}
	img, err := newBlobImage(rawCfg, []*blobLayer{layer})
	if err != nil {
		return "", err
	}
	li := &loadImage{img: img, id: sha256Hash(rawCfg).Hex, names: names}
	if _, err := s.putImages([]*loadImage{li}, nil); err != nil {
		return "", err
	}
	return li.id, nil
}

// tarballLayer reads a root filesystem tarball once, checking that it is
// a whole tar and computing its digests, and returns it as a layer.
func tarballLayer(f *os.File) (*blobLayer, error) {
	var magic [6]byte
	n, _ := f.ReadAt(magic[:], 0)
	head := magic[:n]
	if n == 0 {
		return nil, errors.New("the file is empty: want a tar of a root filesystem")
	}
	if bytes.HasPrefix(head, magicZstd) || bytes.HasPrefix(head, magicBzip2) || bytes.HasPrefix(head, magicXz) {
		return nil, errors.New("compressed with zstd, bzip2 or xz: decompress it first (kist import reads plain and gzip-compressed tarballs)")
	}
	raw := sha256.New()
	cr := &countingReader{r: io.TeeReader(io.NewSectionReader(f, 0, 1<<62), raw)}
	br := bufio.NewReaderSize(cr, 64<<10)
	var r io.Reader = br
	mt := types.OCIUncompressedLayer
	if bytes.HasPrefix(head, magicGzip) {
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("not valid gzip data: %v", err)
		}
		r, mt = zr, types.OCILayer
	}
	un := sha256.New()
	ucr := &countingReader{r: io.TeeReader(r, un)}
	tr := tar.NewReader(ucr)
	entries := 0
	var lastEnd int64
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			if entries > 0 && ucr.n < lastEnd+512 { // see archiveFile.scan
				return nil, errors.New("the tarball is truncated")
			}
			break
		}
		if errors.Is(err, io.ErrUnexpectedEOF) && entries == 0 {
			return nil, errors.New("not a tar archive, or one truncated inside its first header: want a tar of a root filesystem")
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, errors.New("the tarball is truncated")
		}
		if err != nil {
			if entries == 0 {
				return nil, fmt.Errorf("not a tar archive (%v): want a tar of a root filesystem", err)
			}
			return nil, fmt.Errorf("the tarball is corrupt: %v", err)
		}
		entries++
		lastEnd = ucr.n
		if isRegular(hdr.Typeflag) {
			lastEnd += (hdr.Size + 511) / 512 * 512
		}
	}
	if entries == 0 {
		return nil, errors.New("the tarball has no files")
	}
	// The rest (tar's end blocks and padding) is part of the layer too.
	if _, err := io.Copy(io.Discard, io.TeeReader(r, un)); err != nil {
		return nil, fmt.Errorf("the tarball is truncated or corrupt: %v", err)
	}
	if _, err := io.Copy(io.Discard, br); err != nil {
		return nil, err
	}
	size := cr.n
	diffID := hashOf(un)
	digest := hashOf(raw)
	if mt == types.OCIUncompressedLayer {
		digest = diffID
	}
	open := func() (io.ReadCloser, error) {
		return io.NopCloser(io.NewSectionReader(f, 0, size)), nil
	}
	return &blobLayer{digest: digest, diffID: diffID, size: size, mediaType: mt, open: open}, nil
}

// applyChange applies one --change instruction to an image config:
// CMD and ENTRYPOINT in JSON form (["sh", "-c", "..."]) or shell form
// (run with /bin/sh -c), ENV KEY=VALUE... (or ENV KEY VALUE), WORKDIR
// and USER.
func applyChange(c *v1.Config, change string) error {
	change = strings.TrimSpace(change)
	kw, rest := change, ""
	if i := strings.IndexAny(change, " \t"); i >= 0 {
		kw, rest = change[:i], change[i+1:]
	}
	rest = strings.TrimSpace(rest)
	bad := func(format string, a ...any) error {
		return fmt.Errorf("--change %q: "+format, append([]any{change}, a...)...)
	}
	if rest == "" && kw != "" {
		return bad("%s needs an argument", strings.ToUpper(kw))
	}
	switch strings.ToUpper(kw) {
	case "CMD":
		c.Cmd = commandArgs(rest)
	case "ENTRYPOINT":
		c.Entrypoint = commandArgs(rest)
	case "ENV":
		env, err := parseEnv(rest)
		if err != nil {
			return bad("%v", err)
		}
		for _, kv := range env {
			c.Env = setEnv(c.Env, kv)
		}
	case "WORKDIR":
		if path.IsAbs(rest) {
			c.WorkingDir = path.Clean(rest)
		} else {
			c.WorkingDir = path.Join("/", c.WorkingDir, rest)
		}
	case "USER":
		c.User = rest
	default:
		return bad("only CMD, ENTRYPOINT, ENV, WORKDIR and USER can be changed")
	}
	return nil
}

// commandArgs is a CMD or ENTRYPOINT: a JSON array of strings, else a
// command for /bin/sh -c, as in a Dockerfile.
func commandArgs(s string) []string {
	if strings.HasPrefix(s, "[") {
		var args []string
		if err := json.Unmarshal([]byte(s), &args); err == nil {
			return args
		}
	}
	return []string{"/bin/sh", "-c", s}
}

// parseEnv reads ENV's arguments: KEY=VALUE pairs (values may be
// quoted), or the old form KEY VALUE (the rest of the line).
func parseEnv(s string) ([]string, error) {
	first, rest, _ := strings.Cut(s, " ")
	if !strings.Contains(first, "=") {
		if strings.TrimSpace(rest) == "" {
			return nil, errors.New("ENV needs KEY=VALUE or KEY VALUE")
		}
		return []string{first + "=" + strings.TrimSpace(rest)}, nil
	}
	words, err := splitWords(s)
	if err != nil {
		return nil, err
	}
	for _, w := range words {
		if k, _, ok := strings.Cut(w, "="); !ok || k == "" {
			return nil, fmt.Errorf("ENV %q: want KEY=VALUE", w)
		}
	}
	return words, nil
}

// splitWords splits at blanks outside quotes; quotes and backslashes
// are removed as a shell would.
func splitWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	escaped := false
	for _, r := range s {
		switch {
		case escaped:
			cur.WriteRune(r)
			escaped = false
		case r == '\\' && quote != '\'':
			escaped, inWord = true, true
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '"' || r == '\'':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated %c quote", quote)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// setEnv sets KEY=VALUE in env, replacing an earlier KEY.
func setEnv(env []string, kv string) []string {
	k, _, _ := strings.Cut(kv, "=")
	for i, e := range env {
		if strings.HasPrefix(e, k+"=") {
			env[i] = kv
			return env
		}
	}
	return append(env, kv)
}
