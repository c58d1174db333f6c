package compose

import (
	"bytes"
	"path/filepath"
	"reflect"
	"testing"

	"kist/build"
	"kist/network"
	"kist/volume"
)

func TestUsedNetworks(t *testing.T) {
	p := loadProject(t, `
services:
  web: {image: web, networks: [front, back]}
  db: {image: db, networks: [back]}
  tool: {image: tool}
  host: {image: host, network_mode: host}
networks:
  front: {}
  back: {}
  unused: {}
`)
	if got, want := usedNetworks(p), []string{"back", "default", "front"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v (by key, each once, unused ones left out)", got, want)
	}
}

func TestEnsureNetworks(t *testing.T) {
	useFake(t)
	p := loadProject(t, `
services:
  web: {image: web, networks: [front, lab]}
networks:
  front: {internal: true, ipam: {config: [{subnet: 10.201.0.0/24}]}}
  lab: {external: true}
`)
	var out bytes.Buffer
	want := "network lab is declared external but does not exist: kist network create lab"
	if err := ensureNetworks(p, &out); err == nil || err.Error() != want {
		t.Fatalf("got %v, want %s", err, want)
	}
	if _, err := network.Create("lab", network.Options{}); err != nil {
		t.Fatal(err)
	}
	for range 2 { // what exists stays
		if err := ensureNetworks(p, &out); err != nil {
			t.Fatal(err)
		}
	}
	if out.String() != " Network demo_front  Created\n" {
		t.Errorf("said %q", out.String())
	}
	n, err := network.Get("demo_front")
	if err != nil || !n.Internal || n.Subnet != "10.201.0.0/24" || n.Labels[LabelProject] != "demo" || n.Labels["com.docker.compose.network"] != "front" {
		t.Errorf("demo_front = %+v, %v", n, err)
	}
}

func TestEnsureVolumes(t *testing.T) {
	useFake(t)
	p := loadProject(t, `
services:
  web: {image: web, volumes: [data:/data]}
volumes:
  data: {}
`)
	var out bytes.Buffer
	if err := ensureVolumes(p, &out); err != nil {
		t.Fatal(err)
	}
	v, err := volume.Get("demo_data")
	if err != nil || v.Labels[LabelProject] != "demo" || v.Labels["com.docker.compose.volume"] != "data" {
		t.Errorf("demo_data = %+v, %v", v, err)
	}
	if out.String() != " Volume demo_data  Created\n" {
		t.Errorf("said %q", out.String())
	}
	p = loadProject(t, "services:\n  web: {image: web}\nvolumes:\n  lab: {external: true}\n")
	want := "volume lab is declared external but does not exist: kist volume create lab"
	if err := ensureVolumes(p, &out); err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

func TestBuildOptions(t *testing.T) {
	p := loadProject(t, `
services:
  app:
    build:
      context: .
      dockerfile: docker/Dockerfile.dev
      target: dev
      args: {VERSION: "1.2", EMPTY: ""}
  pinned:
    image: reg.example/pinned:2
    build: {context: ., dockerfile: /abs/Dockerfile}
`)
	dir := p.WorkingDir
	for _, tc := range []struct {
		service string
		want    *build.Options
	}{
		{"app", &build.Options{
			ContextDir: dir, Dockerfile: filepath.Join(dir, "docker/Dockerfile.dev"), Tags: []string{"demo-app"},
			Target: "dev", BuildArgs: map[string]string{"VERSION": "1.2", "EMPTY": ""},
		}},
		{"pinned", &build.Options{ContextDir: dir, Dockerfile: "/abs/Dockerfile", Tags: []string{"reg.example/pinned:2"}, BuildArgs: map[string]string{}}},
	} {
		s := p.Services[tc.service]
		if got := buildOptions(p, &s); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got\n%+v\nwant\n%+v", tc.service, got, tc.want)
		}
	}
}
