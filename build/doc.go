// Package build builds images from Dockerfiles, rootless, with a layer
// cache: what kist build does, callable by other packages (lessons,
// grading, compose's build:) without the command line.
//
// The Dockerfile is read with buildkit's own parser, instruction types,
// shell lexer and linter (github.com/moby/buildkit/frontend/dockerfile),
// so the grammar, variable expansion, heredocs and the build checks'
// warnings are docker's. The builder itself is kist's: it runs the
// instructions in order, one state per stage (top layer, image config,
// cache key), and builds only the stages the target needs.
//
// # Phases
//
// Build reads as the list of its phases, each a function of its own:
//
//	checkOptions   --network and the tags (normaliseTags)
//	newBuilder     where steps, layers and the cache go
//	load           read, parse and lint the Dockerfile; global ARGs; .dockerignore
//	target         --target's stage (a name or a number), else the last
//	LockBuild      a build in progress keeps the cache's layers from pruning
//	buildTarget    count the steps, then build the target and the stages it needs
//	finalWarnings  owners that could not be set, build arguments no ARG used
//	CommitImage    the image, from finalConfig, tagged
//
// A stage (buildStage) is FROM (baseName, fromState), the base image's
// ONBUILD triggers, then its instructions; dispatch runs one: RUN, COPY,
// ADD and WORKDIR change files (fsStep: from the cache, or on a work
// layer), ARG declares variables (declareArgs), the others change only
// the config (configure). The store is reached through two small
// interfaces, layerStore and imageStore, which the unit tests fake with
// plain directories: they build Dockerfiles without a user namespace.
//
// # Steps and layers
//
// Build runs inside kist's user namespace with the image store open (see
// package image). A step that changes files (RUN, COPY, ADD, a WORKDIR
// that creates its directory) gets a writable work layer on the current
// top layer (image.Store.WorkLayer), mounted in kist's own mount
// namespace (overlay with userxattr, as the store uses). COPY, ADD and
// WORKDIR write into it directly, resolving every path inside the root
// (a symlink in the image such as /sbin -> bin is followed the way the
// container sees it; one pointing at /etc stays inside). RUN starts a
// sandbox on the mounted root (sandbox.Run nests a user namespace in
// kist's own), with the image's Env, WorkingDir, User and Shell, the
// stage's ARG values and the proxy variables from kist's environment;
// the mountpoints the sandbox had to create are removed afterwards so
// they do not end up in the layer. The work layer is then committed
// (image.Store.CommitLayer: its changes as a tar, stored as a layer).
// Other instructions only change the config and add a history entry
// with empty_layer set, as docker does.
//
// RUN uses the host's network by default (docker's default bridge gives
// RUN steps internet access; kist has no user-mode NAT yet), or none with
// --network none or RUN --network=none.
//
// # The cache
//
// Every step has a key: the key of the step before it (for FROM: the base
// image id, or the stage it builds on) and what the step does, after
// variable expansion. For COPY and ADD that includes the names, modes,
// link targets and contents of the files they copy (not their times, like
// buildkit); for RUN the command, its environment (so a changed ARG
// value re-runs the RUNs after it, like docker), user, working directory
// and network. The cache (DataDir()/build-cache) maps a key to the layer
// the step made. A record is used only if its layer is still in the store
// and sits on the current top layer, so a removed image only costs a
// cache miss. History times come from the records, so a rebuild that
// changes nothing gives the same image id.
//
// # Errors
//
// Errors about the Dockerfile are *Error, "Dockerfile:LINE: what went
// wrong", with exit status 1. A failed step deletes its work layer; the
// image is tagged only when every step succeeded.
package build
