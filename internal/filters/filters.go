// Package filters reads docker's --filter KEY=VALUE arguments for kist's
// list commands (kist ps, images, volume ls, network ls) and holds the
// matching rules they share. Which keys a command takes, and what each
// means, is the business of the package that lists (container.ParseFilters,
// image.ParseFilters, volume.ParseFilters, network.ParseFilters); the
// prune commands have their own (package internal/prune).
//
// The rules are docker's:
//
//   - filters with different keys must all hold;
//   - filters with one key hold when any of them does (status=running
//     -f status=exited lists both), except label, where each must hold;
//   - name and id filters match when they equal the value or find it as
//     a regular expression (name=web matches web and webapp, name=^web$
//     only web);
//   - label=KEY holds when the label is set, label=KEY=VALUE when it has
//     that value.
package filters

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Args are parsed filters: the values given, by key, in order.
type Args map[string][]string

// Parse reads KEY=VALUE filters whose key must be one of keys; what
// names the command in errors ("kist ps").
func Parse(what string, args []string, keys ...string) (Args, error) {
	out := Args{}
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			return nil, fmt.Errorf("invalid filter %q: want KEY=VALUE, where %s takes the keys %s", a, what, strings.Join(keys, ", "))
		}
		k = strings.ToLower(strings.TrimSpace(k))
		if !slices.Contains(keys, k) {
			return nil, fmt.Errorf("invalid filter %q: %s takes the keys %s", a, what, strings.Join(keys, ", "))
		}
		out[k] = append(out[k], v)
	}
	return out, nil
}

// Invalid is the error for a filter whose value does not fit its key:
// why says what the key wants.
func Invalid(key, value, why string) error {
	return fmt.Errorf("invalid filter %q: %s", key+"="+value, why)
}

// Has reports whether a filter with key was given.
func (a Args) Has(key string) bool { return len(a[key]) > 0 }

// Patterns compiles key's values as regular expressions (name and id).
func (a Args) Patterns(key string) ([]Pattern, error) {
	var out []Pattern
	for _, v := range a[key] {
		re, err := regexp.Compile(v)
		if err != nil {
			return nil, Invalid(key, v, "not a regular expression ("+strings.TrimPrefix(err.Error(), "error parsing regexp: ")+")")
		}
		out = append(out, Pattern{v, re})
	}
	return out, nil
}

// Pattern is one name or id filter.
type Pattern struct {
	Value string
	re    *regexp.Regexp
}

// MatchAny reports whether any of ps matches one of ss (docker's rule:
// equal, or found as a regular expression); no patterns match anything.
func MatchAny(ps []Pattern, ss ...string) bool {
	if len(ps) == 0 {
		return true
	}
	for _, p := range ps {
		for _, s := range ss {
			if s == p.Value || p.re.MatchString(s) {
				return true
			}
		}
	}
	return false
}

// Labels checks key's values as label filters (KEY or KEY=VALUE).
func (a Args) Labels(key string) ([]string, error) {
	for _, v := range a[key] {
		if k, _, _ := strings.Cut(v, "="); k == "" {
			return nil, Invalid(key, v, "name the label, as in "+key+"=KEY or "+key+"=KEY=VALUE")
		}
	}
	return a[key], nil
}

// MatchLabels reports whether labels satisfy every label filter of want.
func MatchLabels(want []string, labels map[string]string) bool {
	for _, w := range want {
		k, v, hasValue := strings.Cut(w, "=")
		got, ok := labels[k]
		if !ok || hasValue && got != v {
			return false
		}
	}
	return true
}

// Bool reads key's value as true or false (1 and 0 too, as docker); set
// is false when the filter was not given.
func (a Args) Bool(key string) (value, set bool, err error) {
	vals := a[key]
	for i, v := range vals {
		var b bool
		switch strings.ToLower(v) {
		case "true", "1":
			b = true
		case "false", "0":
		default:
			return false, false, Invalid(key, v, key+" is true or false")
		}
		if i > 0 && b != value {
			return false, false, Invalid(key, v, "give "+key+" once, true or false")
		}
		value = b
	}
	return value, len(vals) > 0, nil
}

// OneOf checks that each of key's values is one of allowed.
func (a Args) OneOf(key string, allowed ...string) ([]string, error) {
	for _, v := range a[key] {
		if !slices.Contains(allowed, v) {
			return nil, Invalid(key, v, key+" is one of "+strings.Join(allowed, ", "))
		}
	}
	return a[key], nil
}
