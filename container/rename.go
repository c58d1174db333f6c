package container

import (
	"context"
	"fmt"
	"regexp"
	"sync"

	"kist/image"
	"kist/internal/userns"
)

// validName is docker's rule for container names.
var validName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]+$`) })

// Rename gives the container ref the name name (kist rename), in its
// record and in the image store, which keeps names unique. A running
// container keeps answering to its old name on its networks' DNS until
// it starts again (docker renames it there at once).
func Rename(ctx context.Context, ref, name string) error {
	if !validName().MatchString(name) {
		return fmt.Errorf("invalid container name %q: a name is two or more of a-z A-Z 0-9 _ . - and starts with a letter or digit", name)
	}
	r, err := Find(ref)
	if err != nil {
		return err
	}
	if r.Name == name {
		return fmt.Errorf("container %s is called %s already", r.Short(), name)
	}
	recs, err := List()
	if err != nil {
		return err
	}
	for _, o := range recs {
		if o.Name == name && o.ID != r.ID {
			return fmt.Errorf("the container name %q is already in use by container %s: choose another name, or remove that container with kist rm %s", name, o.Short(), name)
		}
	}
	if _, err := renameStep.Call(ctx, renameRequest{ID: r.ID, Name: name}, userns.Stdio{}); err != nil {
		return err
	}
	old := r.Name
	r.Name = name
	if err := Save(r); err != nil {
		return err
	}
	r.emit("rename", "oldName", old)
	return nil
}

// renameRequest asks the store to rename container ID.
type renameRequest struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// renameStep renames the container's layer in the store; a container
// the store does not have (its layer is elsewhere) needs nothing there.
var renameStep = userns.Register("container-rename", func(ctx context.Context, r renameRequest, s userns.Stdio) (struct{}, error) {
	st, err := image.Open(s.Err)
	if err != nil {
		return struct{}{}, err
	}
	defer st.Close()
	if !st.HasContainer(r.ID) {
		return struct{}{}, nil
	}
	return struct{}{}, st.RenameContainer(r.ID, r.Name)
})
