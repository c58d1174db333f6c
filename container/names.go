package container

import (
	"math/rand/v2"
	"strconv"
)

// A container run without --name gets a name as docker gives one: an
// adjective and a scientist or engineer, "eager_lovelace", so that
// kist ps, kist logs NAME and kist rm NAME work without copying ids.
// (docker's own list is longer; this one has the course's Dutch
// computing pioneers too.)
var (
	nameAdjectives = []string{
		"admiring", "bold", "brave", "busy", "calm", "clever", "curious", "dazzling", "eager", "elastic",
		"epic", "fervent", "focused", "friendly", "gallant", "gentle", "happy", "hopeful", "jolly", "keen",
		"kind", "lucid", "modest", "nifty", "patient", "quirky", "relaxed", "serene", "sharp", "silly",
		"stoic", "sweet", "tender", "trusting", "upbeat", "vibrant", "wizardly", "youthful", "zealous", "zen",
	}
	nameScientists = []string{
		"babbage", "backus", "bohr", "curie", "dijkstra", "einstein", "euler", "feynman", "franklin", "gauss",
		"goldberg", "hamilton", "hertz", "hopper", "huygens", "johnson", "kapitsa", "knuth", "lamarr", "lamport",
		"leeuwenhoek", "liskov", "lorentz", "lovelace", "mccarthy", "meitner", "noether", "pascal", "ritchie", "shannon",
		"stallman", "tanenbaum", "thompson", "torvalds", "turing", "vanrossum", "wirth", "wozniak", "zernike", "zuse",
	}
)

// newName returns a docker-like name that no container in taken has.
func newName(taken map[string]bool) string {
	for range 20 {
		n := nameAdjectives[rand.IntN(len(nameAdjectives))] + "_" + nameScientists[rand.IntN(len(nameScientists))]
		if !taken[n] {
			return n
		}
	}
	// docker appends a digit when it keeps meeting names in use
	for i := 2; ; i++ {
		n := nameAdjectives[rand.IntN(len(nameAdjectives))] + "_" + nameScientists[rand.IntN(len(nameScientists))] + strconv.Itoa(i)
		if !taken[n] {
			return n
		}
	}
}
