package compose

import (
	"reflect"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
)

func TestServiceNetworksOrder(t *testing.T) {
	for name, tc := range map[string]struct {
		nets map[string]*types.ServiceNetworkConfig
		want []string
	}{
		"none named":   {nil, []string{"default"}},
		"by name":      {map[string]*types.ServiceNetworkConfig{"front": nil, "back": nil}, []string{"back", "front"}},
		"priority":     {map[string]*types.ServiceNetworkConfig{"a": {Priority: 1}, "b": {Priority: 5}}, []string{"b", "a"}},
		"gw_priority":  {map[string]*types.ServiceNetworkConfig{"a": {Priority: 9}, "z": {GatewayPriority: 1}}, []string{"z", "a"}},
		"gw then name": {map[string]*types.ServiceNetworkConfig{"b": {GatewayPriority: 2}, "a": {GatewayPriority: 2}, "c": nil}, []string{"a", "b", "c"}},
	} {
		s := &types.ServiceConfig{Name: "web"}
		s.Networks = tc.nets
		if got := serviceNetworks(s); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %v, want %v", name, got, tc.want)
		}
	}
	host := &types.ServiceConfig{}
	host.NetworkMode = "host"
	if got := serviceNetworks(host); got != nil {
		t.Errorf("network_mode host: got %v, want none", got)
	}
}

func TestFileLabel(t *testing.T) {
	p := &types.Project{WorkingDir: "/w/proj", ComposeFiles: []string{"/w/proj/compose.yaml", "/w/other/extra.yaml"}}
	if got, want := fileLabel(p), "compose.yaml + /w/other/extra.yaml"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
