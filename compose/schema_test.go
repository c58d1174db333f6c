package compose

import (
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/schema"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// TestComposeSchemaIsValid compiles compose-go's schema with the
// meta-schema check that kist's compose commands skip
// (jsonschema.TrustAddedResources), so an invalid schema in a new
// compose-go fails here rather than nowhere; and checks that skipping
// it gives the same verdicts on compose files.
func TestComposeSchemaIsValid(t *testing.T) {
	compile := func(trust bool) *jsonschema.Schema {
		t.Helper()
		old := jsonschema.TrustAddedResources
		jsonschema.TrustAddedResources = trust
		defer func() { jsonschema.TrustAddedResources = old }()
		doc, err := jsonschema.UnmarshalJSON(strings.NewReader(schema.Schema))
		if err != nil {
			t.Fatal(err)
		}
		c := jsonschema.NewCompiler()
		if err := c.AddResource("compose-spec.json", doc); err != nil {
			t.Fatal(err)
		}
		c.RegisterFormat(&jsonschema.Format{Name: "duration", Validate: func(any) error { return nil }})
		s, err := c.Compile("compose-spec.json")
		if err != nil {
			t.Fatalf("compose-go's schema (trusted %v): %v", trust, err)
		}
		return s
	}
	checked, trusted := compile(false), compile(true)
	for _, tc := range []struct {
		doc string
		ok  bool
	}{
		{`{"services": {"web": {"image": "nginx", "ports": ["8080:80"]}}}`, true},
		{`{"services": {"web": {"image": "nginx", "restart": 3}}}`, false},
		{`{"services": {"web": {"imag": "nginx"}}}`, false},
		{`{"services": {"db": {"image": "postgres:13", "volumes": ["data:/var/lib/postgresql/data"]}}, "volumes": {"data": {}}}`, true},
	} {
		v, err := jsonschema.UnmarshalJSON(strings.NewReader(tc.doc))
		if err != nil {
			t.Fatal(err)
		}
		e1, e2 := checked.Validate(v), trusted.Validate(v)
		if (e1 == nil) != tc.ok || (e2 == nil) != tc.ok {
			t.Errorf("%s: checked schema says %v, trusted one %v; want valid=%v", tc.doc, e1, e2, tc.ok)
		}
	}
}

// The trust skips exactly the meta-schema check: a schema that breaks
// JSON Schema's rules is refused with it off and compiles with it on.
func TestTrustOnlySkipsTheMetaSchemaCheck(t *testing.T) {
	old := jsonschema.TrustAddedResources
	defer func() { jsonschema.TrustAddedResources = old }()
	for _, trust := range []bool{false, true} {
		jsonschema.TrustAddedResources = trust
		doc, _ := jsonschema.UnmarshalJSON(strings.NewReader(`{"$schema": "http://json-schema.org/draft-07/schema#", "minLength": "twelve"}`))
		c := jsonschema.NewCompiler()
		c.AddResource("bad.json", doc)
		_, err := c.Compile("bad.json")
		if (err == nil) != trust {
			t.Errorf(`"minLength": "twelve" with trust %v: %v`, trust, err)
		}
	}
}
