package build

import (
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestApplyChanges(t *testing.T) {
	cfg := &v1.ConfigFile{Config: v1.Config{Cmd: []string{"old"}, WorkingDir: "/app", Env: []string{"A=1"}}}
	h, err := ApplyChanges(cfg, []string{`CMD ["python", "app.py"]`, "ENV B=$A-2", "WORKDIR src", "EXPOSE 8080", "USER 1000", "LABEL k=v", "entrypoint /run.sh"})
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Config
	// an ENTRYPOINT drops an inherited CMD, not one of the changes
	if strings.Join(c.Cmd, " ") != "python app.py" || strings.Join(c.Entrypoint, " ") != "/bin/sh -c /run.sh" {
		t.Errorf("Cmd %q Entrypoint %q", c.Cmd, c.Entrypoint)
	}
	if c.WorkingDir != "/app/src" || c.User != "1000" || c.Labels["k"] != "v" || strings.Join(c.Env, " ") != "A=1 B=1-2" {
		t.Errorf("config %+v", c)
	}
	if _, ok := c.ExposedPorts["8080/tcp"]; !ok {
		t.Errorf("ExposedPorts %v", c.ExposedPorts)
	}
	if len(h) != 7 || h[2] != "WORKDIR /app/src" {
		t.Errorf("history %q", h)
	}
	for _, bad := range []struct{ change, err string }{
		{"RUN rm -rf /", "RUN cannot be changed this way"},
		{"ENV", "ENV"},
		{"NOPE x", "NOPE cannot be changed this way"},
		{"CMD a\nCMD b", "want one Dockerfile instruction"},
	} {
		if _, err := ApplyChanges(&v1.ConfigFile{}, []string{bad.change}); err == nil || !strings.Contains(err.Error(), bad.err) {
			t.Errorf("ApplyChanges(%q) = %v, want an error with %q", bad.change, err, bad.err)
		}
	}
}
