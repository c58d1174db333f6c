package check

// messages are what this package's commands say when a check fails, in
// each language a lesson can be in (TestMessages keeps them complete).
var messages = map[string]map[string]string{
	"en": {
		"no-dir":             "there is no such folder",
		"kist-failed":        "kist failed",
		"refused":            "refused",
		"kist-succeeded":     "kist should have failed but succeeded",
		"http-answered":      "answered, but should not have",
		"status":             "status",
		"http-expected":      "expected %s to answer with status %d within %s; found: %s",
		"no-image":           "expected an image named %s; found: none (kist images lists yours)",
		"image-exists":       "expected no image named %s; found: one",
		"container-exists":   "expected no container named %s; found: one (%s)",
		"exit-code":          "exit code",
		"none":               "none (kist ps -a lists yours)",
		"in-state":           " that is %s",
		"container-expected": "expected a container named %s%s; found: %s",
		"no-volume":          "expected a volume named %s; found: none (kist volume ls lists yours)",
		"volume-exists":      "expected no volume named %s; found: one",
		"log-expected":       "expected the log of %s to match %s within %s; found: %s",
		"log-unexpected":     "expected the log of %s not to match %s; found: it does",
		"empty":              "nothing (an empty log)",
		"not-published":      "expected container %s to publish its port %d (kist run -p HOSTPORT:%[2]d); found: it does not",
		"lint-more":          " (and %d more: kist lint lists them)",
		"lint-clean":         "expected kist lint to find something; found: nothing",
		"check-time":         "this test's time, %s, was up",
		"no-file":            "expected %s in image %s; found: none",
		"file-exists":        "expected no %s in image %s; found: one (%s)",
		"not-file":           "expected %s in image %s to be a file; found: a %s",
		"file-cut":           "(only the first %d of its %d bytes: %s is cut)",
	},
	"nl": {
		"no-dir":             "die map bestaat niet",
		"kist-failed":        "kist faalde",
		"refused":            "geweigerd",
		"kist-succeeded":     "kist had moeten falen, maar slaagde",
		"http-answered":      "antwoordde, maar had dat niet moeten doen",
		"status":             "status",
		"http-expected":      "verwacht: %s antwoordt met status %d binnen %s; gevonden: %s",
		"no-image":           "verwacht: een image met de naam %s; gevonden: geen (kist images toont de jouwe)",
		"image-exists":       "verwacht: geen image met de naam %s; gevonden: wel een",
		"container-exists":   "verwacht: geen container met de naam %s; gevonden: wel een (%s)",
		"exit-code":          "exitcode",
		"none":               "geen (kist ps -a toont de jouwe)",
		"in-state":           " die %s is",
		"container-expected": "verwacht: een container met de naam %s%s; gevonden: %s",
		"no-volume":          "verwacht: een volume met de naam %s; gevonden: geen (kist volume ls toont de jouwe)",
		"volume-exists":      "verwacht: geen volume met de naam %s; gevonden: wel een",
		"log-expected":       "verwacht: de log van %s past bij %s binnen %s; gevonden: %s",
		"log-unexpected":     "verwacht: de log van %s past niet bij %s; gevonden: dat doet hij wel",
		"empty":              "niets (een lege log)",
		"not-published":      "verwacht: container %s publiceert zijn poort %d (kist run -p HOSTPOORT:%[2]d); gevonden: dat doet hij niet",
		"lint-more":          " (en nog %d: kist lint toont ze allemaal)",
		"lint-clean":         "verwacht: kist lint vindt iets; gevonden: niets",
		"check-time":         "de tijd van deze test, %s, was om",
		"no-file":            "verwacht: %s in image %s; gevonden: niets",
		"file-exists":        "verwacht: geen %s in image %s; gevonden: wel een (%s)",
		"not-file":           "verwacht: %s in image %s is een bestand; gevonden: een %s",
		"file-cut":           "(alleen de eerste %d van de %d bytes: %s is afgekapt)",
	},
}

// FoundSep separates what a message of this package expected from what
// it found, per language: "expected X; found: Y".
var FoundSep = map[string]string{"en": "; found: ", "nl": "; gevonden: "}

// Langs are the languages the messages exist in.
var Langs = []string{"en", "nl"}

// msg returns message key in lang (English if lang is unknown).
func msg(lang, key string) string {
	if m, ok := messages[lang][key]; ok {
		return m
	}
	return messages["en"][key]
}
