package events

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"
)

// Events written at once by many writers come back whole, each once,
// with their attributes (an empty value left out).
func TestEmitWatch(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	start := time.Now()
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 10 {
				Emit("container", "start", fmt.Sprintf("c%d-%d", i, j), "name", "w\"eird\nname", "image", "")
			}
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	err := Watch(context.Background(), start, time.Time{}, false, func(e Event) {
		if seen[e.ID] || e.Type != "container" || e.Action != "start" || e.Attrs["name"] != "w\"eird\nname" || len(e.Attrs) != 1 || e.Time.Before(start) {
			t.Errorf("event %+v (seen before: %v)", e, seen[e.ID])
		}
		seen[e.ID] = true
	})
	if err != nil || len(seen) != 200 {
		t.Fatalf("Watch: %v, %d events, want 200", err, len(seen))
	}
}

// --since and --until select; a damaged line is skipped; following sees
// what is written later, also across the journal's start anew.
func TestWatchRangeFollow(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	Emit("image", "pull", "old")
	mid := time.Now()
	time.Sleep(time.Millisecond)
	Emit("image", "pull", "new")
	f, err := os.OpenFile(Path(), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("{not json\n")
	f.Close()
	var got []string
	Watch(context.Background(), mid, time.Time{}, false, func(e Event) { got = append(got, e.ID) })
	if fmt.Sprint(got) != "[new]" {
		t.Errorf("since mid: %v", got)
	}
	got = nil
	Watch(context.Background(), time.Time{}, mid, false, func(e Event) { got = append(got, e.ID) })
	if fmt.Sprint(got) != "[old]" {
		t.Errorf("until mid: %v", got)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ids := make(chan string, 10)
	go Watch(ctx, time.Now(), time.Time{}, true, func(e Event) { ids <- e.ID })
	time.Sleep(150 * time.Millisecond)
	Emit("container", "die", "later")
	if err := os.Rename(Path(), Path()+".1"); err != nil { // as Emit does past MaxSize
		t.Fatal(err)
	}
	Emit("container", "die", "after-rotation")
	for _, want := range []string{"later", "after-rotation"} {
		select {
		case id := <-ids:
			if id != want {
				t.Errorf("followed %q, want %q", id, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no event %q while following", want)
		}
	}
}
