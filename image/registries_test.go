package image

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestLoadRegistries(t *testing.T) {
	dir := t.TempDir()
	sys := filepath.Join(dir, "system.json")
	user := filepath.Join(dir, "user.json")
	oldSys, oldUser := SystemConfigFile, UserConfigFile
	defer func() { SystemConfigFile, UserConfigFile = oldSys, oldUser }()
	SystemConfigFile, UserConfigFile = sys, func() string { return user }
	os.WriteFile(sys, []byte(`{"registry-mirrors": {"index.docker.io": ["http://mirror.lab:5000"]}, "insecure-registries": ["mirror.lab:5000"]}`), 0o644)
	os.WriteFile(user, []byte(`{"registry-mirrors": {"quay.io": ["https://q.cache"]}}`), 0o644)
	t.Setenv("KIST_REGISTRY_MIRRORS", "docker.io=http://127.0.0.1:5000|http://other:1")
	t.Setenv("KIST_INSECURE_REGISTRIES", "other:1")
	r, err := LoadRegistries()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{"docker.io": {"http://127.0.0.1:5000", "http://other:1"}, "quay.io": {"https://q.cache"}}
	if !reflect.DeepEqual(r.Mirrors, want) {
		t.Errorf("Mirrors = %v, want %v", r.Mirrors, want)
	}
	if !reflect.DeepEqual(r.Insecure, []string{"mirror.lab:5000", "other:1"}) {
		t.Errorf("Insecure = %v", r.Insecure)
	}
}

func TestLoadRegistriesErrors(t *testing.T) {
	dir := t.TempDir()
	oldSys, oldUser := SystemConfigFile, UserConfigFile
	defer func() { SystemConfigFile, UserConfigFile = oldSys, oldUser }()
	UserConfigFile = func() string { return filepath.Join(dir, "none.json") }
	tests := []struct{ name, content, env, want string }{
		{"syntax", "{\n  \"registry-mirrors\": {\n    \"docker.io\": [\"http://x\",]\n  }\n}", "", "bad.json:3:30: invalid character ']' looking for beginning of value"},
		{"unknown key", `{"mirrors": {}}`, "", `bad.json: unknown field "mirrors" (known: registry-mirrors, insecure-registries)`},
		{"bad url", `{"registry-mirrors": {"docker.io": ["mirror.lab"]}}`, "", `bad.json: registry-mirrors "docker.io": mirror "mirror.lab": want http://HOST[:PORT] or https://HOST[:PORT]`},
		{"bad env", `{}`, "docker.io", `KIST_REGISTRY_MIRRORS: want REGISTRY=URL[|URL],..., e.g. docker.io=http://127.0.0.1:5000, got "docker.io"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			SystemConfigFile = filepath.Join(dir, "bad.json")
			os.WriteFile(SystemConfigFile, []byte(tt.content), 0o644)
			t.Setenv("KIST_REGISTRY_MIRRORS", tt.env)
			_, err := LoadRegistries()
			if err == nil || err.Error() != dir+"/"+tt.want && err.Error() != tt.want {
				t.Fatalf("err = %v\nwant %s", err, tt.want)
			}
		})
	}
}

func TestIsInsecure(t *testing.T) {
	r := &Registries{Insecure: []string{"lab:5000", "cache"}}
	for host, want := range map[string]bool{
		"localhost:5000": true, "127.0.0.1:5000": true, "[::1]:5000": true, "127.1.2.3": true,
		"lab:5000": true, "lab:5001": false, "cache:443": true, "docker.io": false, "10.0.0.1:5000": false,
	} {
		if got := r.IsInsecure(host); got != want {
			t.Errorf("IsInsecure(%q) = %v, want %v", host, got, want)
		}
	}
}
