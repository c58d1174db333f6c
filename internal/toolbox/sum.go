package toolbox

import (
	"bufio"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"strings"
)

func runMd5sum(p *proc, args []string) int    { return p.checksum(args, md5.New) }
func runSha1sum(p *proc, args []string) int   { return p.checksum(args, sha1.New) }
func runSha256sum(p *proc, args []string) int { return p.checksum(args, sha256.New) }
func runSha512sum(p *proc, args []string) int { return p.checksum(args, sha512.New) }

// checksum is md5sum, sha1sum, sha256sum and sha512sum: print
// "HASH  FILE" lines, or check them with -c.
func (p *proc) checksum(args []string, newHash func() hash.Hash) int {
	fl, files, err := getopt(args, "cbtwsz", map[string]byte{"check": 'c', "status": 's', "quiet": 'q'})
	if err != nil {
		return p.usage(err, "[-c] [FILE]...")
	}
	if fl.has('c') {
		return p.eachInput(files, func(_ string, r io.Reader) error {
			return p.checkSums(r, newHash, fl.has('s'))
		})
	}
	return p.eachInput(files, func(name string, r io.Reader) error {
		sum, err := hashOf(r, newHash)
		if err == nil {
			p.printf("%s  %s\n", sum, name)
		}
		return err
	})
}

func hashOf(r io.Reader, newHash func() hash.Hash) (string, error) {
	h := newHash()
	if _, err := io.Copy(h, r); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// errChecksum reports how many checks failed.
type errChecksum int

func (e errChecksum) Error() string {
	return fmt.Sprintf("WARNING: %d computed checksum did NOT match", int(e))
}

// checkSums verifies the "HASH  FILE" lines of r.
func (p *proc) checkSums(r io.Reader, newHash func() hash.Hash, silent bool) error {
	failed := 0
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		want, name, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		name = strings.TrimPrefix(strings.TrimPrefix(name, " "), "*")
		f, err := p.open(name)
		got := ""
		if err == nil {
			got, err = hashOf(f, newHash)
			f.Close()
		}
		result := "OK"
		if err != nil || !strings.EqualFold(got, want) {
			result, failed = "FAILED", failed+1
		}
		if !silent {
			p.printf("%s: %s\n", name, result)
		}
	}
	if failed > 0 {
		return errChecksum(failed)
	}
	return sc.Err()
}
