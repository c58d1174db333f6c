package kube

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"unicode"
)

// The name rules of k8s.io/apimachinery/pkg/util/validation, with its
// messages, so that kist rejects the names the API server rejects, in
// its words.

const (
	dns1123LabelFmt     = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
	dns1123SubdomainFmt = dns1123LabelFmt + "(\\." + dns1123LabelFmt + ")*"
	dns1035LabelFmt     = "[a-z]([-a-z0-9]*[a-z0-9])?"
	labelKeyFmt         = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
	labelValueFmt       = "(" + labelKeyFmt + ")?"
	configMapKeyFmt     = `[-._a-zA-Z0-9]+`
)

var (
	dns1123LabelRe     = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile("^" + dns1123LabelFmt + "$") })
	dns1123SubdomainRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile("^" + dns1123SubdomainFmt + "$") })
	dns1035LabelRe     = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile("^" + dns1035LabelFmt + "$") })
	labelKeyRe         = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile("^" + labelKeyFmt + "$") })
	labelValueRe       = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile("^" + labelValueFmt + "$") })
	configMapKeyRe     = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile("^" + configMapKeyFmt + "$") })
	portNameCharsRe    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile("^[-a-z0-9]+$") })
	portNameLetterRe   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile("[a-z]") })
)

func maxLenError(n int) string { return fmt.Sprintf("must be no more than %d characters", n) }

// maxBytesError is the newer wording, of labels' keys and values.
func maxBytesError(n int) string { return fmt.Sprintf("must be no more than %d bytes", n) }

func regexError(msg, format string, examples ...string) string {
	if len(examples) == 0 {
		return msg + " (regex used for validation is '" + format + "')"
	}
	msg += " (e.g. "
	for i, e := range examples {
		if i > 0 {
			msg += " or "
		}
		msg += "'" + e + "', "
	}
	return msg + "regex used for validation is '" + format + "')"
}

func dns1123LabelErrors(v string) []string {
	var errs []string
	if len(v) > 63 {
		errs = append(errs, maxLenError(63))
	}
	if !dns1123LabelRe().MatchString(v) {
		if dns1123SubdomainRe().MatchString(v) {
			errs = append(errs, "must not contain dots")
		} else {
			errs = append(errs, regexError("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character", dns1123LabelFmt, "my-name", "123-abc"))
		}
	}
	return errs
}

func dns1123SubdomainErrors(v string) []string {
	var errs []string
	if len(v) > 253 {
		errs = append(errs, maxLenError(253))
	}
	if !dns1123SubdomainRe().MatchString(v) {
		errs = append(errs, regexError("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character", dns1123SubdomainFmt, "example.com"))
	}
	return errs
}

func dns1035LabelErrors(v string) []string {
	var errs []string
	if len(v) > 63 {
		errs = append(errs, maxLenError(63))
	}
	if !dns1035LabelRe().MatchString(v) {
		errs = append(errs, regexError("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character", dns1035LabelFmt, "my-name", "abc-123"))
	}
	return errs
}

// nameRule is how a kind's names are checked; prefix is for
// generateName, which the API server checks with a trailing '-'
// replaced by a letter.
type nameRule func(name string, prefix bool) []string

func maskTrailingDash(name string, prefix bool) string {
	if prefix && len(name) > 1 && strings.HasSuffix(name, "-") {
		return name[:len(name)-2] + "a"
	}
	return name
}

func nameIsDNSSubdomain(name string, prefix bool) []string {
	return dns1123SubdomainErrors(maskTrailingDash(name, prefix))
}

func nameIsDNSLabel(name string, prefix bool) []string {
	return dns1123LabelErrors(maskTrailingDash(name, prefix))
}

func nameIsDNS1035Label(name string, prefix bool) []string {
	return dns1035LabelErrors(maskTrailingDash(name, prefix))
}

const labelKeyErrMsg = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"

// labelKeyErrors checks a label or annotation key: a name with an
// optional DNS subdomain prefix and '/'.
func labelKeyErrors(v string) []string {
	var errs []string
	parts := strings.Split(v, "/")
	var name string
	switch len(parts) {
	case 1:
		name = parts[0]
	case 2:
		var prefix string
		prefix, name = parts[0], parts[1]
		if prefix == "" {
			errs = append(errs, "prefix part must be non-empty")
		} else {
			for _, e := range dns1123SubdomainErrors(prefix) {
				errs = append(errs, "prefix part "+e)
			}
		}
	default:
		return []string{"a valid label key " + regexError(labelKeyErrMsg, labelKeyFmt, "MyName", "my.name", "123-abc") +
			" with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"}
	}
	if name == "" {
		errs = append(errs, "name part must be non-empty")
	} else if len(name) > 63 {
		errs = append(errs, "name part "+maxBytesError(63))
	}
	if !labelKeyRe().MatchString(name) {
		errs = append(errs, "name part "+regexError(labelKeyErrMsg, labelKeyFmt, "MyName", "my.name", "123-abc"))
	}
	return errs
}

func labelValueErrors(v string) []string {
	var errs []string
	if len(v) > 63 {
		errs = append(errs, maxBytesError(63))
	}
	if !labelValueRe().MatchString(v) {
		errs = append(errs, regexError("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character", labelValueFmt, "MyValue", "my_value", "12345"))
	}
	return errs
}

// portNameErrors checks an IANA service name: a container port's or a
// Service port's name, or a port given by name.
func portNameErrors(v string) []string {
	var errs []string
	if len(v) > 15 {
		errs = append(errs, maxLenError(15))
	}
	if !portNameCharsRe().MatchString(v) {
		errs = append(errs, "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
	}
	if !portNameLetterRe().MatchString(v) {
		errs = append(errs, "must contain at least one letter (a-z)")
	}
	if strings.Contains(v, "--") {
		errs = append(errs, "must not contain consecutive hyphens")
	}
	if v != "" && (v[0] == '-' || v[len(v)-1] == '-') {
		errs = append(errs, "must not begin or end with a hyphen")
	}
	return errs
}

func envVarNameErrors(v string) []string {
	if v == "" {
		return []string{"environment variable name must be non-empty"}
	}
	for _, r := range v {
		if r > unicode.MaxASCII || !unicode.IsPrint(r) || r == '=' {
			return []string{"a valid environment variable name must consist only of printable ASCII characters other than '='"}
		}
	}
	return nil
}

func configMapKeyErrors(v string) []string {
	var errs []string
	if len(v) > 253 {
		errs = append(errs, maxLenError(253))
	}
	if !configMapKeyRe().MatchString(v) {
		errs = append(errs, regexError("a valid config key must consist of alphanumeric characters, '-', '_' or '.'", configMapKeyFmt, "key.name", "KEY_NAME", "key-name"))
	}
	switch {
	case v == ".":
		errs = append(errs, "must not be '.'")
	case v == "..":
		errs = append(errs, "must not be '..'")
	case strings.HasPrefix(v, ".."):
		errs = append(errs, "must not start with '..'")
	}
	return errs
}

// ValidateNamespaceName checks a namespace's name (kubectl -n), as the
// API server does: a DNS-1123 label.
func ValidateNamespaceName(ns string) error {
	if errs := dns1123LabelErrors(ns); len(errs) > 0 {
		return fmt.Errorf("invalid namespace %q: %s", ns, strings.Join(errs, "; "))
	}
	return nil
}
