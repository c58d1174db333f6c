package cli

import (
	"strings"
	"testing"
)

func TestSplitJSONPathFor(t *testing.T) {
	for _, c := range []struct{ in, expr, value string }{
		{"{.status.phase}=Running", "{.status.phase}", "Running"},
		{`{.status.conditions[?(@.type=="Ready")].status}=True`, `{.status.conditions[?(@.type=="Ready")].status}`, "True"},
		{"{.status.loadBalancer.ingress}", "{.status.loadBalancer.ingress}", ""},
		{".status.readyReplicas=3", ".status.readyReplicas", "3"},
	} {
		expr, value, _ := splitJSONPathFor(c.in)
		if expr != c.expr || value != c.value {
			t.Errorf("%s: %q %q", c.in, expr, value)
		}
	}
}

func TestParseWaitFor(t *testing.T) {
	w, err := parseWaitFor("condition=Ready=false")
	if err != nil || w.condition != "Ready" || w.status != "false" {
		t.Errorf("condition=Ready=false: %+v %v", w, err)
	}
	w, err = parseWaitFor("Delete")
	if err != nil || w.what != "delete" {
		t.Errorf("Delete: %+v %v", w, err)
	}
	if _, err := parseWaitFor("jsonpath={.a}="); err == nil || !strings.Contains(err.Error(), "after equal sign") {
		t.Errorf("jsonpath without a value: %v", err)
	}
	if _, err := parseWaitFor("ready"); err == nil || err.Error() != `error: unrecognized condition: "ready"` {
		t.Errorf("ready: %v", err)
	}
}

func TestTemplatePrinterFormats(t *testing.T) {
	for _, c := range []struct {
		output, template, err string
		isNil                 bool
	}{
		{"", "", "", true},
		{"wide", "", "", true},
		{"jsonpath={.a}", "", "", false},
		{"jsonpath", "{.a}", "", false},
		{"", "{{.a}}", "", false}, // --template alone: go-template
		{"go-template", "", "template format specified but no template given", false},
		{"custom-columns=A:.a,B:b", "", "", false},
		{"custom-columns=A", "", "expected <header>:<json-path-expr>", false},
		{"go-template={{.a", "", "error parsing template {{.a,", false},
		{"yaml=x", "", "unable to match a printer", false},
	} {
		p, err := templatePrinter(c.output, templateFlags{template: c.template, allowMissing: true})
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("-o %q --template %q: error %v, want %q", c.output, c.template, err, c.err)
			}
			continue
		}
		if err != nil || (p == nil) != c.isNil {
			t.Errorf("-o %q --template %q: %v %v", c.output, c.template, p, err)
		}
	}
}
