package registry

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// apiError is an error in the distribution API's terms: an HTTP status and
// one of its error codes.
type apiError struct {
	Status  int
	Code    string
	Message string
	Detail  any
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func newError(status int, code, format string, a ...any) *apiError {
	return &apiError{Status: status, Code: code, Message: fmt.Sprintf(format, a...)}
}

func errNameInvalid(name string) *apiError {
	e := newError(http.StatusBadRequest, "NAME_INVALID", "invalid repository name %q: want lowercase components such as course/demo1, separated by /", name)
	e.Detail = map[string]string{"name": name}
	return e
}

func errNameUnknown(name string) *apiError {
	e := newError(http.StatusNotFound, "NAME_UNKNOWN", "repository %s is not known to this registry", name)
	e.Detail = map[string]string{"name": name}
	return e
}

func errManifestUnknown(name, ref string) *apiError {
	e := newError(http.StatusNotFound, "MANIFEST_UNKNOWN", "manifest %s:%s is not known to this registry", name, ref)
	e.Detail = map[string]string{"name": name, "reference": ref}
	return e
}

func errBlobUnknown(d string) *apiError {
	e := newError(http.StatusNotFound, "BLOB_UNKNOWN", "blob %s is not known to this registry", d)
	e.Detail = map[string]string{"digest": d}
	return e
}

func errDigestInvalid(d string) *apiError {
	e := newError(http.StatusBadRequest, "DIGEST_INVALID", "invalid digest %q: want sha256: and 64 lowercase hex digits", d)
	e.Detail = map[string]string{"digest": d}
	return e
}

func errUploadUnknown(id string) *apiError {
	return newError(http.StatusNotFound, "BLOB_UPLOAD_UNKNOWN", "upload %q is not known to this registry (finished, cancelled or never started)", id)
}

func errUnsupported(format string, a ...any) *apiError {
	return newError(http.StatusMethodNotAllowed, "UNSUPPORTED", format, a...)
}

// writeError answers the request with err: an *apiError as the
// distribution's JSON, anything else as an internal error.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	e, ok := err.(*apiError)
	if !ok {
		e = newError(http.StatusInternalServerError, "UNKNOWN", "%v", err)
	}
	body, _ := json.Marshal(struct {
		Errors []*apiError `json:"errors"`
	}{[]*apiError{e}})
	h := w.Header()
	h.Del("Content-Length")
	h.Del("Docker-Content-Digest")
	h.Del("Etag")
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", fmt.Sprint(len(body)+1))
	w.WriteHeader(e.Status)
	if r.Method != http.MethodHead {
		w.Write(append(body, '\n'))
	}
}

// MarshalJSON writes e as one entry of the distribution's "errors" list.
func (e *apiError) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Detail  any    `json:"detail,omitempty"`
	}{e.Code, e.Message, e.Detail})
}
