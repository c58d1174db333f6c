// Package image finds, fetches and stores container images: references
// normalised the way docker does (python:3.8-slim is
// docker.io/library/python:3.8-slim), registries reached with
// go-containerregistry, lab mirrors tried before the origin, and plain
// HTTP allowed for registries on loopback (docker's rule) or listed as
// insecure.
//
// Registry settings come from, in order (later ones win):
//
//	/etc/kist/config.json              the lab's (set by its admin)
//	$XDG_CONFIG_HOME/kist/config.json  the user's (~/.config/kist/config.json)
//	KIST_REGISTRY_MIRRORS, KIST_INSECURE_REGISTRIES
//
// A config file looks like docker's daemon.json, with mirrors per
// registry as in containers' registries.conf:
//
//	{
//	  "registry-mirrors": {"docker.io": ["http://mirror.lab:5000"]},
//	  "insecure-registries": ["mirror.lab:5000"]
//	}
//
// and the variables hold the same, e.g.
//
//	KIST_REGISTRY_MIRRORS="docker.io=http://127.0.0.1:5000,quay.io=http://cache:5001"
//	KIST_INSECURE_REGISTRIES="cache:5001,10.0.0.2:5000"
package image
