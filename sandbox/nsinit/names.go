package nsinit

// A container run without --name gets a name as docker gives one: an
// adjective and a scientist or engineer, "eager_lovelace", so that
// kist ps, kist logs NAME and kist rm NAME work without copying ids.
// (docker's own list is longer; this one has the course's Dutch
// computing pioneers too.) Package container and kist run's fast path
// both name containers with NewName.
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

// NewName returns a docker-like name that no container in taken has;
// intn(n) is a random number in [0, n).
func NewName(taken map[string]bool, intn func(int) int) string {
	pick := func() string {
		return nameAdjectives[intn(len(nameAdjectives))] + "_" + nameScientists[intn(len(nameScientists))]
	}
	for range 20 {
		if n := pick(); !taken[n] {
			return n
		}
	}
	// docker appends a digit when it keeps meeting names in use
	for i := 2; ; i++ {
		if n := pick() + itoa(i); !taken[n] {
			return n
		}
	}
}
