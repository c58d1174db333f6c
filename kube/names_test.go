package kube

import (
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/validate/content"
	"k8s.io/apimachinery/pkg/util/validation"
)

var nameCases = []string{
	"", "a", "web", "web-1", "Web", "web_1", "-web", "web-", "1web", "web.example.com", "web..com", ".web", "a.b-c.d",
	strings.Repeat("a", 63), strings.Repeat("a", 64), strings.Repeat("a.", 126) + "a", strings.Repeat("a.", 127) + "a",
	"http", "http-alt", "h--p", "8080", "a-", "ünicode", "my name", "MyName", "my.name", "123-abc", "example.com/MyName",
	"example.com/", "/name", "a/b/c", "Example.com/name", "kist.example/owner", "_x", "x_", "x_y", "x.y_z-1",
	"key.name", "KEY_NAME", "key-name", ".", "..", "..x", ".x", "a=b", "PATH", "1ABC", "a b",
}

// TestNamesLikeKubernetes compares kist's copies of the name rules with
// k8s.io/apimachinery's.
func TestNamesLikeKubernetes(t *testing.T) {
	rules := []struct {
		name      string
		kist, k8s func(string) []string
	}{
		{"DNS-1123 label", dns1123LabelErrors, validation.IsDNS1123Label},
		{"DNS-1123 subdomain", dns1123SubdomainErrors, validation.IsDNS1123Subdomain},
		{"DNS-1035 label", dns1035LabelErrors, validation.IsDNS1035Label},
		{"label key", labelKeyErrors, content.IsLabelKey},
		{"label value", labelValueErrors, content.IsLabelValue},
		{"port name", portNameErrors, validation.IsValidPortName},
		{"env var name", envVarNameErrors, validation.IsRelaxedEnvVarName},
		{"config key", configMapKeyErrors, validation.IsConfigMapKey},
	}
	for _, r := range rules {
		for _, c := range nameCases {
			if got, want := r.kist(c), r.k8s(c); !slices.Equal(got, want) {
				t.Errorf("%s %q: kist says %q, Kubernetes %q", r.name, c, got, want)
			}
		}
	}
}
