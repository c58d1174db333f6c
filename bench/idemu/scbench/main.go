// Command scbench times one system call in a loop (run inside a
// container by bench/idemu.sh): scbench getpid|getuid|stat|fstat N [PATH].
package main

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"
)

func main() {
	n, _ := strconv.Atoi(os.Args[2])
	var st syscall.Stat_t
	t := time.Now()
	switch os.Args[1] {
	case "getuid":
		for i := 0; i < n; i++ {
			syscall.RawSyscall(syscall.SYS_GETUID, 0, 0, 0)
		}
	case "getpid":
		for i := 0; i < n; i++ {
			syscall.RawSyscall(syscall.SYS_GETPID, 0, 0, 0)
		}
	case "stat":
		for i := 0; i < n; i++ {
			syscall.Stat(os.Args[3], &st)
		}
	case "fstat":
		fd, _ := syscall.Open(os.Args[3], syscall.O_RDONLY, 0)
		for i := 0; i < n; i++ {
			syscall.Fstat(fd, &st)
		}
	}
	d := time.Since(t)
	fmt.Printf("%s x%d: %v total, %.0f ns/op (uid %d)\n", os.Args[1], n, d, float64(d.Nanoseconds())/float64(n), st.Uid)
}
