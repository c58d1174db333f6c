package image_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"kist/image"
	"kist/internal/kisttest"
)

func TestMain(m *testing.M) { kisttest.Main(m) }

// TestRemoveNamesAtOnce removes eight names of one image at once, as a
// grading run's clean-ups do when identical Dockerfiles built one image:
// every name goes (the store drops each under its lock), and the image
// goes with its last name. Run as root, the removals share one process.
func TestRemoveNamesAtOnce(t *testing.T) {
	kist := kisttest.Kist(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM toolbox\nCMD [\"echo\", \"ok\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(kist, "build", "-q", "-t", "check-0", dir).CombinedOutput(); err != nil {
		t.Fatalf("kist build: %v\n%s", err, out)
	}
	names := []string{"check-0"}
	for i := 1; i < 8; i++ {
		n := fmt.Sprintf("check-%d", i)
		if out, err := exec.Command(kist, "tag", "check-0", n).CombinedOutput(); err != nil {
			t.Fatalf("kist tag check-0 %s: %v\n%s", n, err, out)
		}
		names = append(names, n)
	}
	var wg sync.WaitGroup
	for _, n := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := image.Remove(context.Background(), n); err != nil {
				t.Errorf("Remove(%s): %v", n, err)
			}
		}()
	}
	wg.Wait()
	imgs, err := image.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, im := range imgs {
		if im.Repository != "localhost/toolbox" {
			t.Errorf("left: %s:%s", im.Repository, im.Tag)
		}
	}
}
