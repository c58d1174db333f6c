package main

import (
	"fmt"
	"os"
	"time"

	"kist/bench/internal/benchutil"
	"kist/internal/testimages"
)

func main() {
	defer benchutil.Cleanup()
	work := benchutil.Start("kist-exp-")
	reg := benchutil.StartRegistry(work)
	if missing, err := testimages.Push(reg, work); err != nil || missing != "" {
		fmt.Println(err, missing)
		os.Exit(1)
	}
	fmt.Println(reg)
	os.WriteFile("/tmp/exp-reg", []byte(reg), 0o644)
	time.Sleep(2 * time.Hour)
}
