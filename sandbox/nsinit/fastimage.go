package nsinit

import "syscall"

// The fast path for an image: `kist run --rm [the flags fastrun.go
// takes] IMAGE [COMMAND...]`, when the image's card (imagecard.go) is
// current. It does what package container does for such a run (Run with
// an ephemeral layer: reserve, prepareOnHost, configure, runRemoved),
// in the same order and with the same files:
//
//   - the container's id (32 random bytes in hex) and a docker-like
//     name no recorded container has (NewName);
//   - its run lock (runDir/containers/ID.lock, exclusive), the image's
//     in-use lock (runDir/images-in-use/IMAGEID.lock, shared; kist rmi
//     and prune take it exclusively) and a check that the image's top
//     layer is still there;
//   - its layer in Local()/ephemeral/ID (a spare one renamed, else
//     made), the upper directory given the mode of the image's root;
//   - the spec (the image's config under the command line's, docker's
//     rules: applyImageConfig), "create" and "start" in the event
//     journal;
//   - after the command: "die", the emptied layer kept as a spare (or
//     removed), the locks let go, "destroy".
//
// A command still running after fastWait is handed over with all of
// it (FastImage): package container's Run waits for it and undoes what
// this made, as for its own runs. So is a run whose layer is not empty
// after the command (the container's init could not empty it): only the
// ordinary path can remove files that belong to the container's ids.
// Anything unexpected before the container starts (a lock taken, the
// image gone meanwhile, a directory that cannot be made) undoes what was
// made and leaves the run to the ordinary path, which says what is
// wrong.

// FastImage is the image part of a run the fast path handed over.
type FastImage struct {
	Ref     string // the image as named
	ImageID string
	ID      string // the container's
	Name    string
	Layer   string // its layer's directory (Local()/ephemeral/ID)
	RunLock int    // its run lock's fd
	InUse   int    // the image's in-use lock's fd
}

// imageRun is an image run on its way: what it made so far.
type imageRun struct {
	card    *ImageCard
	runDir  string
	id      string
	name    string
	layer   string
	events  string
	runLock int
	inUse   int
	socket  string // the exec socket's path ("": none)
}

// imageSpec reads ref's card and builds the run's spec: nothing is
// made yet. false: the ordinary path runs it.
func imageSpec(a fastArgs, m Mapping, runDir string) (*imageRun, *Spec, bool) {
	if !a.remove || runDir == "" {
		return nil, nil, false
	}
	data := dataDir()
	path := CardPath(runDir, a.image)
	if data == "" || path == "" {
		return nil, nil, false
	}
	text, err := readFile(path)
	if err != nil {
		return nil, nil, false
	}
	card, ok := DecodeImageCard(text)
	if !ok || card.Ref != a.image || !card.current(data) {
		return nil, nil, false
	}
	id, ok := randomHex(32)
	if !ok {
		return nil, nil, false
	}
	r := &imageRun{card: card, runDir: runDir, id: id, layer: card.Local + "/ephemeral/" + id,
		events: card.Local + "/events", runLock: -1, inUse: -1}
	r.name = NewName(containerNames(card.Local+"/containers"), randomInt)
	// applyImageConfig: a command given replaces CMD; the image's
	// environment first, the command line's wins
	args := append(append([]string{}, card.Entrypoint...), card.Cmd...)
	if len(a.args) > 0 {
		args = append(append([]string{}, card.Entrypoint...), a.args...)
	}
	cwd, user := a.workdir, a.user
	if cwd == "" {
		cwd = card.WorkDir
	}
	if user == "" {
		user = card.User
	}
	if len(args) == 0 || cwd != "" && cwd[0] != '/' {
		return nil, nil, false // the ordinary path's errors say what is wrong
	}
	s := &Spec{
		Rootfs: r.layer + "/root", Args: args, Env: MergeEnv(append(append([]string{}, card.Env...), a.env...)),
		Cwd: cwd, User: user, Hostname: a.hostname, ReadOnly: a.readOnly, NetNS: true, NoStdin: !a.interactive,
		MaxUID: MaxID(m.UIDs), MaxGID: MaxID(m.GIDs), MapNotice: DefaultMapNotice,
		Overlay: Overlay{Lower: card.Lower, Upper: r.layer + "/upper", Work: r.layer + "/work", Volatile: true, Discard: true},
	}
	s.HostRoot = len(m.UIDs) > 0 && m.UIDs[0].HostID == 0
	if s.Hostname == "" {
		s.Hostname = id[:12] // docker's default
	}
	if sock := runDir + "/x/" + id[:12]; len(sock) <= 107 {
		s.ExecSocket = sock
	}
	s.Hosts, s.Resolv = PrivateHosts(s.Hostname), PrivateResolv()
	return r, s, true
}

// names are the container's names on a network, as package sandbox's
// containerNetworks gives them: its name, host name and short id, each
// once (whatever their case).
func (r *imageRun) names(s *Spec) []string {
	var out []string
	for _, n := range []string{r.name, s.Hostname, r.id[:12]} {
		dup := n == ""
		for _, o := range out {
			dup = dup || equalFold(o, n)
		}
		if !dup {
			out = append(out, n)
		}
	}
	return out
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// reserve takes the container's run lock and the image's in-use lock,
// and makes its layer; false (with nothing left) when any of it fails.
func (r *imageRun) reserve(s *Spec) bool {
	var err error
	if r.runLock, err = lockFile(r.runDir+"/containers", r.id+".lock", syscall.LOCK_EX); err != nil {
		return false
	}
	if r.inUse, err = lockFile(r.runDir+"/images-in-use", r.card.ID+".lock", syscall.LOCK_SH); err != nil {
		r.release()
		return false
	}
	// the image may have been removed between the card's check and the
	// lock (deletions hold it): its top layer must still be there, the
	// user's (the upper directory takes its attributes)
	var top syscall.Stat_t
	if syscall.Stat(r.card.Lower[0], &top) != nil || int(top.Uid) != syscall.Getuid() || int(top.Gid) != syscall.Getgid() {
		r.release()
		return false
	}
	if !r.makeLayer() {
		r.release()
		return false
	}
	if syscall.Chmod(s.Overlay.Upper, top.Mode&07777) != nil {
		r.removeLayer()
		r.release()
		return false
	}
	if s.ExecSocket != "" {
		if mkdirPrivate(r.runDir+"/x") != nil {
			r.removeLayer()
			r.release()
			return false
		}
		r.socket = s.ExecSocket
	}
	return true
}

// lockFile takes an flock (how, without waiting) on dir/name, made
// with its directory when missing, as package dirs' TryLock does.
func lockFile(dir, name string, how int) (int, error) {
	if err := mkdirPrivate(dir); err != nil {
		return -1, err
	}
	fd, err := syscall.Open(dir+"/"+name, syscall.O_CREAT|syscall.O_RDWR|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		return -1, err
	}
	for {
		err = syscall.Flock(fd, how|syscall.LOCK_NB)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		syscall.Close(fd)
		return -1, err
	}
	return fd, nil
}

// mkdirPrivate makes directory p (mode 0700) unless it exists; its
// parent must.
func mkdirPrivate(p string) error {
	if err := syscall.Mkdir(p, 0o700); err != nil && err != syscall.EEXIST {
		return err
	}
	return nil
}

// makeLayer takes a spare layer, or makes the layer's directories.
func (r *imageRun) makeLayer() bool {
	if ClaimSpare(r.card.Local+"/ephemeral", r.layer) {
		return true
	}
	if mkdirPrivate(r.card.Local+"/ephemeral") != nil {
		return false
	}
	if syscall.Mkdir(r.layer, 0o700) != nil {
		return false
	}
	for _, d := range []string{"/upper", "/work", "/root"} {
		if syscall.Mkdir(r.layer+d, 0o700) != nil {
			r.removeLayer()
			return false
		}
	}
	return true
}

// removeLayer removes the layer's directories, which must be empty.
func (r *imageRun) removeLayer() bool { return RemoveEmptyLayer(r.layer) }

// discardable reports whether the layer is as the container's init
// leaves it when it could empty it (Keepable). Otherwise package
// container's discardLayer must see to it.
func (r *imageRun) discardable() bool { return Keepable(r.layer) }

// discard keeps the emptied layer as a spare, or removes it (package
// container's discardLayer, short of its step in the user namespace);
// false when it is not discardable.
func (r *imageRun) discard() bool {
	return r.discardable() && (KeepSpare(r.card.Local+"/ephemeral", r.layer) || r.removeLayer())
}

// dirNames are the names in directory dir, but "." and "..": at most
// max of them (-1: all).
func dirNames(dir string, max int) ([]string, error) {
	fd, err := syscall.Open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer syscall.Close(fd)
	var names []string
	var buf [4096]byte
	for max < 0 || len(names) < max {
		n, err := syscall.ReadDirent(fd, buf[:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if n == 0 {
			break
		}
		_, _, names = syscall.ParseDirent(buf[:n], max-len(names), names)
	}
	return names, nil
}

// release lets go of the run lock (removing its file) and the in-use
// lock, as package container's release and undo.
func (r *imageRun) release() {
	if r.runLock >= 0 {
		syscall.Unlink(r.runDir + "/containers/" + r.id + ".lock")
		syscall.Close(r.runLock)
		r.runLock = -1
	}
	if r.inUse >= 0 {
		syscall.Close(r.inUse)
		r.inUse = -1
	}
}

// emit appends one of the container's events to the journal, with the
// attributes package container gives them (image, name, then attrs).
func (r *imageRun) emit(action string, attrs ...[2]string) {
	e := Event{Type: "container", Action: action, ID: r.id,
		Attrs: append([][2]string{{"image", r.card.Ref}, {"name", r.name}}, attrs...)}
	EmitEvent(r.events, e)
}

// finish ends a run whose command ended with code, in package
// container's order (sandbox.Run's end, runRemoved, undo): the exec
// socket, "die", the layer (discardable already), the locks, "destroy".
// fastFail ends one whose command never started the same way.
func (r *imageRun) finish(code int) {
	if r.socket != "" {
		syscall.Unlink(r.socket)
	}
	r.emit("die", [2]string{"exitCode", itoa(code)})
	r.discard() // what it cannot remove, kist container prune does
	r.release()
	r.emit("destroy")
}

// handover is what package container needs to go on with the run.
func (r *imageRun) handover() *FastImage {
	return &FastImage{Ref: r.card.Ref, ImageID: r.card.ID, ID: r.id, Name: r.name, Layer: r.layer,
		RunLock: r.runLock, InUse: r.inUse}
}

// containerNames are the names of the containers recorded in dir
// (package container's records, DIR/ID/config.json, "name" written by
// encoding/json).
func containerNames(dir string) map[string]bool {
	taken := map[string]bool{}
	ids, _ := dirNames(dir, -1)
	for _, id := range ids {
		if data, err := readFile(dir + "/" + id + "/config.json"); err == nil {
			if name := jsonString(data, "name"); name != "" {
				taken[name] = true
			}
		}
	}
	return taken
}

// jsonString is the value of the first "key" in a JSON text written by
// encoding/json whose value is a string without escapes; "" otherwise.
func jsonString(data, key string) string {
	k := `"` + key + `":`
	for i := 0; i+len(k) <= len(data); i++ {
		if data[i:i+len(k)] != k {
			continue
		}
		rest := trimSpace(data[i+len(k):])
		if len(rest) == 0 || rest[0] != '"' {
			return ""
		}
		end := indexByte(rest[1:], '"')
		if end < 0 {
			return ""
		}
		v := rest[1 : 1+end]
		if indexByte(v, '\\') >= 0 {
			return ""
		}
		return v
	}
	return ""
}

// randomInt is a random int in [0, n), from the kernel's generator.
func randomInt(n int) int {
	var b [8]byte
	randomBytes(b[:])
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return int(v % uint64(n))
}
