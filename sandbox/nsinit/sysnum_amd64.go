package nsinit

// sysSetns is setns(2)'s number; package syscall lacks it on amd64.
const sysSetns = 308

// sysRenameat2 is renameat2(2)'s number; package syscall lacks it on amd64.
const sysRenameat2 = 316
