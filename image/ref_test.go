package image

import "testing"

func TestParseReference(t *testing.T) {
	tests := []struct {
		in, want, wantErr string
	}{
		{"python:3.8-slim", "docker.io/library/python:3.8-slim", ""},
		{"debian", "docker.io/library/debian:latest", ""},
		{"docker.io/library/debian:12", "docker.io/library/debian:12", ""},
		{"student/app", "docker.io/student/app:latest", ""},
		{"127.0.0.1:5000/demo1:v2", "127.0.0.1:5000/demo1:v2", ""},
		{"localhost:5000/a/b/c:Tag_1", "localhost:5000/a/b/c:Tag_1", ""},
		{"quay.io/x/y@sha256:" + hex64, "quay.io/x/y@sha256:" + hex64, ""},
		{"", "", "empty image name"},
		{"Python:3", "", `invalid image name "Python:3": repository names must be lowercase`},
		{"a b", "", `invalid image name "a b": want NAME[:TAG] or NAME@sha256:DIGEST`},
		{"debian@sha256:abc", "", `invalid image name "debian@sha256:abc": want NAME[:TAG]`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			ref, err := ParseReference(tt.in)
			if tt.wantErr != "" {
				if err == nil || !hasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want prefix %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := FamiliarName(ref); got != tt.want {
				t.Fatalf("FamiliarName = %q, want %q", got, tt.want)
			}
		})
	}
}

const hex64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }
