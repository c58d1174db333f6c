package nsinit

// sysSetns is setns(2)'s number.
const sysSetns = 268

// sysRenameat2 is renameat2(2)'s number.
const sysRenameat2 = 276
