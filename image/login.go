package image

import (
	"context"
	"fmt"
	"net/http"

	"github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/config/types"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// credentialKey is how docker's config.json names a registry: Docker Hub
// keeps its historical URL.
func credentialKey(reg name.Registry) string {
	if reg.RegistryStr() == name.DefaultRegistry {
		return "https://index.docker.io/v1/"
	}
	return reg.RegistryStr()
}

// parseRegistry turns what a person types after "kist login" into a
// registry (docker.io when empty), plain HTTP allowed where r allows it.
func (r *Remote) parseRegistry(s string) (name.Registry, error) {
	if s == "" || s == DockerHub {
		s = name.DefaultRegistry
	}
	var opts []name.Option
	if r.NoTLSVerify || r.Registries.IsInsecure(s) {
		opts = append(opts, name.Insecure)
	}
	reg, err := name.NewRegistry(s, opts...)
	if err != nil {
		return reg, fmt.Errorf("invalid registry %q: want HOST[:PORT]", s)
	}
	return reg, nil
}

// Login checks user and password against the registry and, when they
// work, stores them in docker's config file ($DOCKER_CONFIG or
// ~/.docker/config.json), where kist and docker both find them.
func (r *Remote) Login(ctx context.Context, registry, user, password string) error {
	reg, err := r.parseRegistry(registry)
	if err != nil {
		return err
	}
	auth := authn.FromConfig(authn.AuthConfig{Username: user, Password: password})
	rt, err := transport.NewWithContext(ctx, reg, auth, r.transportFor(reg.RegistryStr()), nil)
	if err != nil {
		return fmt.Errorf("logging in to %s: %v", RegistryName(reg), explainLogin(err))
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, reg.Scheme()+"://"+reg.RegistryStr()+"/v2/", nil)
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return fmt.Errorf("logging in to %s: %v", RegistryName(reg), err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		return fmt.Errorf("logging in to %s: wrong user name or password (HTTP %d)", RegistryName(reg), resp.StatusCode)
	}
	cf, err := config.Load(config.Dir())
	if err != nil {
		return err
	}
	key := credentialKey(reg)
	if err := cf.GetCredentialsStore(key).Store(types.AuthConfig{ServerAddress: key, Username: user, Password: password}); err != nil {
		return fmt.Errorf("saving the credentials in %s: %w", cf.Filename, err)
	}
	return nil
}

// Logout removes the stored credentials of a registry; it reports
// whether there were any.
func (r *Remote) Logout(registry string) (bool, error) {
	reg, err := r.parseRegistry(registry)
	if err != nil {
		return false, err
	}
	cf, err := config.Load(config.Dir())
	if err != nil {
		return false, err
	}
	key := credentialKey(reg)
	if _, ok := cf.AuthConfigs[key]; !ok {
		return false, nil
	}
	return true, cf.GetCredentialsStore(key).Erase(key)
}

func explainLogin(err error) string {
	if te, ok := err.(*transport.Error); ok && (te.StatusCode == http.StatusUnauthorized || te.StatusCode == http.StatusForbidden) {
		return "wrong user name or password"
	}
	return err.Error()
}
