// Package registry is an OCI registry that keeps its images in a directory:
// what "kist registry serve" runs. A class can push and pull through it on a
// lab server, the registry lesson uses it offline on one machine, and with
// Options.MirrorOf it is a pull-through cache of another registry (Docker
// Hub, say), so that a lab behind one IP address asks Docker Hub for each
// image once.
//
// # What it serves
//
// The distribution API (OCI distribution spec 1.1) that docker, podman and
// kist use, without authentication:
//
//	GET    /v2/                                  200, Docker-Distribution-API-Version: registry/2.0
//	HEAD   /v2/NAME/blobs/DIGEST                 a blob's size and digest
//	GET    /v2/NAME/blobs/DIGEST                 a blob (Range requests too)
//	POST   /v2/NAME/blobs/uploads/               start an upload (202, Location)
//	POST   /v2/NAME/blobs/uploads/?digest=D      a whole blob in one request (201)
//	POST   /v2/NAME/blobs/uploads/?mount=D&from=N  201 when blob D is here, else an upload
//	PATCH  /v2/NAME/blobs/uploads/ID             a chunk (Content-Range optional)
//	PUT    /v2/NAME/blobs/uploads/ID?digest=D    the last chunk; checks the sha256 digest
//	GET    /v2/NAME/blobs/uploads/ID             an upload's progress (204, Range)
//	DELETE /v2/NAME/blobs/uploads/ID             cancel an upload
//	HEAD   /v2/NAME/manifests/TAG-OR-DIGEST
//	GET    /v2/NAME/manifests/TAG-OR-DIGEST      with the media type it was pushed with
//	PUT    /v2/NAME/manifests/TAG-OR-DIGEST      its blobs (or, for an index, its manifests) must be here
//	DELETE /v2/NAME/manifests/TAG-OR-DIGEST      a digest: the manifest and its tags; a tag: the tag
//	GET    /v2/NAME/tags/list[?n=N&last=T]       the repository's tags, sorted
//	GET    /v2/_catalog[?n=N&last=R]             the repositories, sorted
//
// Any manifest media type is kept as given (OCI image manifests and
// indexes, Docker v2 manifests and manifest lists, artifacts). Errors are the
// distribution's JSON, {"errors":[{"code":"MANIFEST_UNKNOWN","message":...}]},
// with its codes: NAME_INVALID, NAME_UNKNOWN, MANIFEST_UNKNOWN,
// MANIFEST_INVALID, MANIFEST_BLOB_UNKNOWN, BLOB_UNKNOWN, BLOB_UPLOAD_UNKNOWN,
// BLOB_UPLOAD_INVALID, DIGEST_INVALID, TAG_INVALID, RANGE_INVALID,
// UNSUPPORTED, ... Repository names follow the distribution grammar
// (lowercase components such as library/python or course/demo1, at most 255
// characters); only sha256 digests are taken. Blobs are shared by all
// repositories: a blob pushed to one can be read, and mounted, from any
// other. Blobs are never deleted (there is no garbage collection); DELETE of
// a blob answers UNSUPPORTED.
//
// # On disk
//
//	DIR/blobs/sha256/ab/abcd...                 content: layers, configs and manifests, by digest
//	DIR/repositories/NAME/_manifests/sha256/HEX  the manifest HEX is in NAME; holds its media type
//	DIR/repositories/NAME/_tags/TAG             the digest TAG names ("sha256:...")
//	DIR/uploads/ID                              uploads in progress
//	DIR/tmp/                                    files being written
//
// The _tags and _manifests directories cannot clash with a repository named
// NAME/tags: a name's components never start with "_". Every file is written
// in DIR/tmp (or DIR/uploads), synced and renamed into place, so a crash or
// two clients pushing the same image at once never leave a half-written blob,
// manifest or tag visible; a blob's digest is checked before it is renamed
// into blobs/. Paths are made only from validated names, tags, digests and
// upload ids, so no request reads or writes outside DIR. New removes
// leftovers of a crash (files in tmp/ older than a day, uploads older than a
// week).
//
// # Mirror
//
// With Options.MirrorOf (e.g. https://registry-1.docker.io, or
// http://127.0.0.1:5000) the registry takes no pushes (UNSUPPORTED, HTTP
// 405) and fetches what it lacks from that registry, under the same
// repository name: a client that uses it as its docker.io mirror asks for
// library/python, which is what Docker Hub calls python. Manifests by digest
// and blobs are fetched once and then served from DIR (a blob streams to the
// first client while it is stored). A tag is looked up upstream on every
// request (a HEAD, which Docker Hub does not count as a pull, then a GET only
// when the digest is new), so tags stay fresh; when the upstream cannot be
// reached or refuses (HTTP 429, 5xx, ...) the cached tag is served. An
// upstream's 404 is believed. Credentials for the upstream come from
// ~/.docker/config.json (kist login, docker login), as for kist pull.
package registry
