package inspect

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/bootstrap-guard/bootstrap-guard/internal/safeio"
	"github.com/bootstrap-guard/bootstrap-guard/internal/zipread"
)

// Where Lambda puts things: the function's package at /var/task, layers merged into /opt.
const (
	taskRoot = "/var/task"
	optRoot  = "/opt"
)

// maxDirFiles bounds a directory source, as zipread.MaxEntries bounds a zip.
var maxDirFiles = zipread.MaxEntries // a variable so that tests can lower it

// node is one file of a source as Lambda will see it.
type node struct {
	name    string // path inside the source, slash-separated, as extracted (see extractedName)
	raw     string // the name as stored in the zip, for messages about the name itself
	size    int64
	mode    fs.FileMode // type and permission bits, when hasMode
	hasMode bool
	// foreignHost: the mode came from an entry whose creator is not Unix (NTFS, VFAT, OS X); some
	// extractors apply it and Info-ZIP unzip does not, so what Lambda applies is unknown.
	foreignHost bool
	dir         bool
	zf          *zipread.File
	osPath      string
	t           *tree
}

// lambdaPath is where Lambda will put the node.
func (n *node) lambdaPath() string {
	return n.t.root + "/" + n.name
}

// symlink reports whether the node is a symbolic link.
func (n *node) symlink() bool { return n.hasMode && n.mode&fs.ModeSymlink != 0 }

// tree is one source unpacked in the mind: its files by name.
type tree struct {
	src      Source
	root     string // taskRoot or optRoot
	zr       *zipread.Reader
	nodes    []*node
	byName   map[string]*node
	dirs     map[string]bool // every directory implied by a path
	unzipped int64
	inline   bool
	opaque   bool // contents unknown (a layer named but not readable here)
	dupes    map[string]int
	links    map[*node]string // symlink targets already read
	// overflow counts the files of a directory source past maxDirFiles: they are not indexed,
	// only their sizes added to unzipped, and the package is not checked file by file.
	overflow int
}

// extractedName is the path an entry is extracted to: Info-ZIP unzip (unix/unix.c mapname) drops
// "." components, so bsdtar's "./bootstrap" (tar -a -cf pkg.zip .) lands at the root, and empty
// components collapse. Names unzip would rewrite further (absolute, ".." or NUL: path-unsafe) are
// kept as stored, since where Lambda's extractor puts them is unknown. ok is false for a name that
// is the extraction folder itself ("./").
func extractedName(stored string) (name string, ok bool) {
	if unsafeName(stored) {
		return strings.TrimSuffix(stored, "/"), true
	}
	parts := strings.Split(stored, "/")
	out := parts[:0]
	for _, p := range parts {
		if p != "" && p != "." {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return "", false
	}
	return strings.Join(out, "/"), true
}

// sourceReader marks the source's own read errors, so that a failed read (cannot decide) is never
// mistaken for bad bytes (a package-unreadable finding).
type sourceReader struct {
	r    io.ReaderAt
	name string
}

func (s sourceReader) ReadAt(p []byte, off int64) (int, error) {
	n, err := s.r.ReadAt(p, off)
	if err != nil && !errors.Is(err, io.EOF) {
		err = &SourceError{Source: s.name, Err: err}
	}
	return n, err
}

// openTree indexes a source. A *SourceError means the source could not be read; an error
// matching zipread.ErrFormat means it was read and is not a usable zip.
func openTree(src Source, root string) (*tree, error) {
	t := &tree{src: src, root: root, byName: map[string]*node{}, dirs: map[string]bool{}, dupes: map[string]int{}}
	switch {
	case src.Inline:
		t.inline = true
	case src.ReaderAt != nil:
		zr, err := zipread.NewReader(sourceReader{src.ReaderAt, src.Name}, src.Size)
		if err != nil {
			return nil, err
		}
		t.zr = zr
		t.byName = make(map[string]*node, len(zr.File))
		t.nodes = make([]*node, 0, len(zr.File))
		for i := range zr.File {
			f := &zr.File[i]
			name, ok := extractedName(f.Name)
			if !ok {
				// "./" and the like: the extraction folder itself, which Lambda creates.
				t.unzipped = min(t.unzipped+int64(min(f.UncompressedSize, 1<<62)), 1<<62)
				continue
			}
			n := &node{name: name, raw: f.Name, size: int64(min(f.UncompressedSize, 1<<62)), zf: f, t: t, dir: f.IsDir()}
			n.mode, n.hasMode = f.UnixMode()
			n.foreignHost = n.hasMode && f.CreatorOS != zipread.CreatorUnix
			if n.hasMode && n.mode.IsDir() {
				n.dir = true
			}
			t.add(n)
		}
	case src.Dir != "":
		if err := t.walkDir(src.Dir); err != nil {
			return nil, err
		}
	default:
		t.opaque = true
	}
	return t, nil
}

func (t *tree) add(n *node) {
	t.nodes = append(t.nodes, n)
	if !n.dir {
		// Lambda's limit counts bytes; a size near 2^64 must not wrap the sum.
		t.unzipped = min(t.unzipped+n.size, 1<<62)
	}
	if _, dup := t.byName[n.name]; dup {
		t.dupes[n.name]++
	}
	t.byName[n.name] = n // the later entry wins, as when unzip overwrites
	for d := path.Dir(n.name); d != "." && d != "/" && !t.dirs[d]; d = path.Dir(d) {
		t.dirs[d] = true
	}
	if n.dir {
		t.dirs[n.name] = true
	}
}

func (t *tree) walkDir(dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return &SourceError{Source: p, Err: err}
		}
		if p == dir {
			return nil
		}
		if len(t.nodes) >= maxDirFiles {
			// Past the bound, only count and add up sizes (for Lambda's size limit), up to a
			// walk of four times the bound.
			if t.overflow++; t.overflow >= 3*maxDirFiles {
				return fs.SkipAll
			}
			if info, err := d.Info(); err == nil && info.Mode().IsRegular() {
				t.unzipped = min(t.unzipped+info.Size(), 1<<62)
			}
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return &SourceError{Source: p, Err: err}
		}
		info, err := d.Info()
		if err != nil {
			return &SourceError{Source: p, Err: err}
		}
		n := &node{name: filepath.ToSlash(rel), raw: filepath.ToSlash(rel), mode: info.Mode(), hasMode: true, dir: d.IsDir(), osPath: p, t: t}
		if info.Mode().IsRegular() {
			n.size = info.Size()
		}
		t.add(n)
		return nil
	})
}

// open returns the content of a node.
func (t *tree) open(n *node) (io.ReaderAt, int64, func(), error) {
	if n.zf != nil {
		e, err := t.zr.Open(n.zf)
		if err != nil {
			return nil, 0, nil, err
		}
		return e, e.Size(), func() {}, nil
	}
	f, st, err := safeio.Open(n.osPath)
	if err != nil {
		return nil, 0, nil, &SourceError{Source: n.osPath, Err: err}
	}
	return sourceReader{f, n.osPath}, st.Size(), func() { f.Close() }, nil
}

// maxLinkTarget bounds a symlink's stored target (Linux PATH_MAX).
const maxLinkTarget = 4096

// readlink returns a symlink node's target, reading each link once.
func (t *tree) readlink(n *node) (string, error) {
	if s, ok := t.links[n]; ok {
		return s, nil
	}
	s, err := t.readlinkUncached(n)
	if err == nil {
		if t.links == nil {
			t.links = map[*node]string{}
		}
		t.links[n] = s
	}
	return s, err
}

func (t *tree) readlinkUncached(n *node) (string, error) {
	if n.osPath != "" {
		s, err := os.Readlink(n.osPath)
		if err != nil {
			return "", &SourceError{Source: n.osPath, Err: err}
		}
		return s, nil
	}
	r, size, done, err := t.open(n)
	if err != nil {
		return "", err
	}
	defer done()
	if size > maxLinkTarget {
		return "", &zipread.FormatError{Offset: n.zf.HeaderOffset, Msg: fmt.Sprintf("symlink %q has a %d-byte target", n.name, size)}
	}
	b := make([]byte, size)
	if k, err := r.ReadAt(b, 0); k != len(b) {
		if err == nil || errors.Is(err, io.EOF) {
			err = &zipread.FormatError{Offset: n.zf.HeaderOffset, Msg: fmt.Sprintf("symlink %q truncated", n.name)}
		}
		return "", err
	}
	return string(b), nil
}

// fsView is the filesystem Lambda assembles: the function at /var/task, the layers over each other
// at /opt (later layers win).
type fsView struct {
	task   *tree
	layers []*tree
}

// lookup finds the node at an absolute Lambda path, without following symlinks in the last element.
// It returns the layer tree that provides it for /opt paths.
func (v *fsView) lookup(p string) *node {
	switch {
	case strings.HasPrefix(p, taskRoot+"/"):
		if v.task != nil {
			return v.task.byName[strings.TrimPrefix(p, taskRoot+"/")]
		}
	case strings.HasPrefix(p, optRoot+"/"):
		rel := strings.TrimPrefix(p, optRoot+"/")
		for i := len(v.layers) - 1; i >= 0; i-- {
			if n := v.layers[i].byName[rel]; n != nil {
				return n
			}
		}
	}
	return nil
}

// isDir reports whether an absolute Lambda path is a directory some source provides.
func (v *fsView) isDir(p string) bool {
	if p == taskRoot || p == optRoot {
		return true
	}
	if strings.HasPrefix(p, taskRoot+"/") {
		return v.task != nil && v.task.dirs[strings.TrimPrefix(p, taskRoot+"/")]
	}
	if strings.HasPrefix(p, optRoot+"/") {
		rel := strings.TrimPrefix(p, optRoot+"/")
		for _, l := range v.layers {
			if l.dirs[rel] {
				return true
			}
		}
	}
	return false
}

// maxSymlinks is Linux's limit on symlinks followed in one path resolution (ELOOP).
const maxSymlinks = 40

// errLinkLoop and errLinkOutside explain why a path does not resolve.
var (
	errLinkLoop    = errors.New("too many levels of symbolic links (a loop?)")
	errLinkOutside = errors.New("points outside /var/task and /opt, where the package and its layers live")
	errLinkMissing = errors.New("target is not in the package or its layers")
)

// resolve follows symlinks in every element of an absolute Lambda path, the way the kernel does,
// and returns the final node (or an error saying why there is none). chain records the hops.
func (v *fsView) resolve(p string, chain *[]string) (*node, error) {
	_, n, err := v.resolvePath(p, chain)
	return n, err
}

// resolvePath is resolve that also returns the path reached (the symlink-free path of the node, or
// where the walk stopped).
func (v *fsView) resolvePath(p string, chain *[]string) (string, *node, error) {
	hops := 0
	// Components still to walk, and the resolved prefix so far.
	rest := strings.Split(strings.TrimPrefix(path.Clean(p), "/"), "/")
	cur := ""
	for len(rest) > 0 {
		c := rest[0]
		rest = rest[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if cur = path.Dir(cur); cur == "." || cur == "/" {
				cur = ""
			}
			continue
		}
		next := cur + "/" + c
		n := v.lookup(next)
		if n == nil || !n.symlink() {
			if n == nil && len(rest) > 0 && !v.isDir(next) && !isSystemPrefix(next) {
				if !underRoots(next) {
					return next, nil, fmt.Errorf("%s: %w", next, errLinkOutside)
				}
				return next, nil, fmt.Errorf("%s: %w", next, errLinkMissing)
			}
			cur = next
			continue
		}
		if hops++; hops > maxSymlinks {
			return next, nil, errLinkLoop
		}
		target, err := n.t.readlink(n)
		if err != nil {
			return next, nil, err
		}
		if chain != nil {
			*chain = append(*chain, next+" -> "+target)
		}
		if strings.HasPrefix(target, "/") {
			cur = ""
		}
		rest = append(strings.Split(target, "/"), rest...)
	}
	if !underRoots(cur) {
		return cur, nil, fmt.Errorf("%s: %w", cur, errLinkOutside)
	}
	n := v.lookup(cur)
	if n == nil {
		return cur, nil, fmt.Errorf("%s: %w", cur, errLinkMissing)
	}
	return cur, n, nil
}

// isSystemPrefix reports paths above the package roots ("/var", "/opt" itself) that always exist.
func isSystemPrefix(p string) bool {
	return p == "/var" || p == taskRoot || p == optRoot
}

// underRoots reports whether an absolute path lies inside /var/task or /opt.
func underRoots(p string) bool {
	return strings.HasPrefix(p, taskRoot+"/") || strings.HasPrefix(p, optRoot+"/")
}
