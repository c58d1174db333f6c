package nsinit

import "syscall"

// Image cards. kist run's fast path (fastimage.go) cannot read the
// image store: that is JSON under containers/storage's locks, and this
// package has neither. So the ordinary path, each time it has looked an
// image up on the host for a --rm container (package container's
// prepareOnHost), writes what it found on a card in the runtime
// directory (CardPath): the image's id, its layer directories and the
// parts of its config a run uses, with what the answer depended on:
// the stamps (device, inode, size, times) of the store's images.json
// and layers.json as it read them under the store's read locks, the
// kist binary's stamp, KIST_STORAGE_ROOT, the data directory and its
// storage-location record. containers/storage replaces those files
// (a new inode) on every change, so a card whose stamps all match is
// the answer the store's files give now; any other card is ignored and
// the ordinary path runs (and writes a new one). The runtime directory
// is the login's own (a tmpfs); the cards go with it.

// ImageCard is what the fast path needs of an image, and what that
// answer depends on (see above).
type ImageCard struct {
	Ref        string // the image as the command line named it
	ID         string // the image's id (hex)
	Binary     string // the kist binary's stamp (BinaryStamp)
	StorageEnv string // KIST_STORAGE_ROOT's value ("" unset)
	Data       string // the data directory (package dirs' Data)
	Location   FileStamp
	Local      string // package dirs' Local(): storage/, ephemeral/, containers/, events
	Images     FileStamp
	Layers     FileStamp
	Lower      []string // the image's layer directories, top first
	Entrypoint []string
	Cmd        []string
	Env        []string
	WorkDir    string
	User       string
}

// FileStamp identifies one version of a file; the zero FileStamp is a
// file that does not exist.
type FileStamp struct {
	Dev, Ino, Size, Mtime, Ctime int64 // times in nanoseconds
}

// StampOf is path's FileStamp (zero when it does not exist, or cannot
// be looked at).
func StampOf(path string) FileStamp {
	var st syscall.Stat_t
	if syscall.Stat(path, &st) != nil {
		return FileStamp{}
	}
	return FileStamp{int64(st.Dev), int64(st.Ino), st.Size, st.Mtim.Nano(), st.Ctim.Nano()}
}

func (f FileStamp) String() string {
	return join([]string{itoa(int(f.Dev)), itoa(int(f.Ino)), itoa(int(f.Size)), itoa(int(f.Mtime)), itoa(int(f.Ctime))}, ':')
}

func parseStamp(s string) (FileStamp, bool) {
	p := split(s, ':', 0)
	if len(p) != 5 {
		return FileStamp{}, false
	}
	var n [5]int64
	for i, v := range p {
		x, err := atoi(v)
		if err != nil {
			return FileStamp{}, false
		}
		n[i] = int64(x)
	}
	return FileStamp{n[0], n[1], n[2], n[3], n[4]}, true
}

// BinaryStamp is the running kist binary's size and modification time,
// "SIZE-MTIMENANOS" (package internal/role's BinaryStamp, which labels
// the toolbox image with it).
func BinaryStamp() string {
	var st syscall.Stat_t
	if syscall.Stat("/proc/self/exe", &st) != nil {
		return ""
	}
	return itoa(int(st.Size)) + "-" + itoa(int(st.Mtim.Nano()))
}

// CardPath is the card of image ref in runDir (package dirs' Runtime);
// "" when ref cannot name a file (too long).
func CardPath(runDir, ref string) string {
	const safe = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"
	const hex = "0123456789ABCDEF"
	name := make([]byte, 0, len(ref)+8)
	for i := 0; i < len(ref); i++ {
		c := ref[i]
		if indexByte(safe, c) >= 0 && !(i == 0 && c == '.') {
			name = append(name, c)
		} else {
			name = append(name, '%', hex[c>>4], hex[c&15])
		}
	}
	if len(name) == 0 || len(name) > 200 {
		return ""
	}
	return runDir + "/image-cards/" + string(name)
}

const cardMagic = "kist-image-card 1"

// Encode is the card's file: NUL-terminated KEY=VALUE fields after a
// magic line (values never hold a NUL: they are paths, arguments and
// environment entries).
func (c *ImageCard) Encode() []byte {
	var b []byte
	add := func(k, v string) { b = appendField(b, k, v) }
	b = append(b, cardMagic+"\x00"...)
	add("ref", c.Ref)
	add("id", c.ID)
	add("binary", c.Binary)
	add("storage-env", c.StorageEnv)
	add("data", c.Data)
	add("location", c.Location.String())
	add("local", c.Local)
	add("images", c.Images.String())
	add("layers", c.Layers.String())
	for _, l := range c.Lower {
		add("lower", l)
	}
	add("entrypoint", itoa(len(c.Entrypoint)))
	for _, a := range c.Entrypoint {
		add("arg", a)
	}
	add("cmd", itoa(len(c.Cmd)))
	for _, a := range c.Cmd {
		add("arg", a)
	}
	for _, e := range c.Env {
		add("env", e)
	}
	add("workdir", c.WorkDir)
	add("user", c.User)
	return append(b, "end\x00"...)
}

// DecodeImageCard reads a card Encode wrote; false for anything else
// (another version, a card cut short).
func DecodeImageCard(data string) (*ImageCard, bool) {
	f := split(data, 0, 0)
	if len(f) < 2 || f[0] != cardMagic || f[len(f)-1] != "" || f[len(f)-2] != "end" {
		return nil, false
	}
	c := &ImageCard{}
	var list *[]string // where "arg" fields go
	want := 0
	ok := true
	for _, field := range f[1 : len(f)-2] {
		k, v, found := cut(field, '=')
		if !found {
			return nil, false
		}
		if k == "arg" {
			if list == nil || want == 0 {
				return nil, false
			}
			*list = append(*list, v)
			want--
			continue
		}
		if want != 0 {
			return nil, false
		}
		switch k {
		case "ref":
			c.Ref = v
		case "id":
			c.ID = v
		case "binary":
			c.Binary = v
		case "storage-env":
			c.StorageEnv = v
		case "data":
			c.Data = v
		case "location":
			c.Location, ok = parseStamp(v)
		case "local":
			c.Local = v
		case "images":
			c.Images, ok = parseStamp(v)
		case "layers":
			c.Layers, ok = parseStamp(v)
		case "lower":
			c.Lower = append(c.Lower, v)
		case "entrypoint", "cmd":
			n, err := atoi(v)
			if err != nil || n < 0 {
				return nil, false
			}
			list, want = &c.Entrypoint, n
			if k == "cmd" {
				list = &c.Cmd
			}
		case "env":
			c.Env = append(c.Env, v)
		case "workdir":
			c.WorkDir = v
		case "user":
			c.User = v
		default:
			return nil, false
		}
		if !ok {
			return nil, false
		}
	}
	if want != 0 || c.ID == "" || c.Local == "" || c.Local[0] != '/' || len(c.Lower) == 0 {
		return nil, false
	}
	return c, true
}

// StorePaths are the store's files a card's Images and Layers stamp,
// under local (package dirs' Local()): the overlay driver's images.json
// and layers.json.
func StorePaths(local string) (images, layers string) {
	return local + "/storage/overlay-images/images.json", local + "/storage/overlay-layers/layers.json"
}

// LocationPath is the data directory's record of where the store is
// (package dirs' locationFile).
func LocationPath(data string) string { return data + "/storage-location" }

// current reports whether the card still answers for its image now:
// the same binary, KIST_STORAGE_ROOT, data directory and record of the
// store's place, and the store's files unchanged.
func (c *ImageCard) current(data string) bool {
	env, _ := syscall.Getenv("KIST_STORAGE_ROOT")
	if env != c.StorageEnv || data != c.Data || c.Binary == "" || BinaryStamp() != c.Binary {
		return false
	}
	images, layers := StorePaths(c.Local)
	return StampOf(LocationPath(c.Data)) == c.Location && c.Images != (FileStamp{}) &&
		StampOf(images) == c.Images && StampOf(layers) == c.Layers
}
