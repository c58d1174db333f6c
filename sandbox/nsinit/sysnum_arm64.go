package nsinit

// sysSetns is setns(2)'s number.
const sysSetns = 268
