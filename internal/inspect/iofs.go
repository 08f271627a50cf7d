package inspect

import (
	"errors"
	"io"
	"io/fs"
	"path"
	"slices"
	"time"

	"github.com/bootstrap-guard/bootstrap-guard/internal/handler"
)

// FS is the filesystem Lambda assembles for fn — its package at var/task, its layers merged at
// opt, later layers winning — as an io/fs view, the one the rules read: paths are unrooted
// ("var/task/index.js"), symbolic links are followed as the kernel follows them, and a file's
// bytes are read on demand from its source (a zip entry by ranges, a file of a directory). A
// package or layer not available here (a layer ARN, an S3 object not read) is an empty folder;
// a source that cannot be read, or a zip that is not one, is an error. The sources stay the
// caller's to close.
func FS(fn Function) (fs.FS, error) {
	v := &fsView{}
	task, err := openTree(fn.Code, taskRoot)
	if err != nil {
		return nil, err
	}
	v.task = task
	for _, l := range fn.Layers {
		lt, err := openTree(l, optRoot)
		if err != nil {
			return nil, err
		}
		v.layers = append(v.layers, lt)
	}
	return ioFS{viewFS{v}}, nil
}

// ioFS adapts viewFS, the view internal/handler reads, to io/fs.
type ioFS struct{ v viewFS }

// abs is the Lambda path of an io/fs name.
func abs(name string) string {
	if name == "." {
		return "/"
	}
	return "/" + name
}

func (f ioFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	p := abs(name)
	info, n, err := f.stat(p)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	if info.IsDir() {
		entries, err := f.entries(p)
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
		return &dirFile{info: info, entries: entries}, nil
	}
	r, size, done, err := n.t.open(n)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	info.size = size
	return &file{SectionReader: io.NewSectionReader(r, 0, size), done: done, info: info}, nil
}

// stat describes the folder or regular file at a Lambda path, links followed; the node is set for
// a file. Anything else (missing, a link that does not resolve, a device, a layer's unknown
// content) does not exist.
func (f ioFS) stat(p string) (fileInfo, *node, error) {
	info := fileInfo{name: path.Base(p)}
	if p == "/" {
		info.name = "."
	}
	kind, err := f.v.Stat(p)
	if err != nil {
		return info, nil, err
	}
	switch kind {
	case handler.Dir:
		info.mode = fs.ModeDir | 0o555
		return info, nil, nil
	case handler.File:
		_, n, err := f.v.v.resolvePath(p, nil)
		if err != nil {
			return info, nil, err
		}
		info.size, info.mode = n.size, 0o444
		if n.hasMode {
			info.mode = n.mode.Perm()
		}
		return info, n, nil
	}
	return info, nil, fs.ErrNotExist
}

// entries lists a folder: every name whose target exists (a link that does not resolve is left
// out, as it cannot be opened), sorted.
func (f ioFS) entries(p string) ([]fs.DirEntry, error) {
	var names []string
	switch p {
	case "/":
		names = []string{"opt", "var"}
	case "/var":
		names = []string{"task"}
	default:
		var err error
		if names, _, err = f.v.ReadDir(p); err != nil {
			return nil, err
		}
	}
	slices.Sort(names)
	out := make([]fs.DirEntry, 0, len(names))
	for _, name := range names {
		if !fs.ValidPath(name) || name == "." || name == ".." {
			continue
		}
		info, _, err := f.stat(path.Join(p, name))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue
		case err != nil:
			return nil, err
		}
		out = append(out, fs.FileInfoToDirEntry(info))
	}
	return out, nil
}

type fileInfo struct {
	name string
	size int64
	mode fs.FileMode
}

func (i fileInfo) Name() string       { return i.name }
func (i fileInfo) Size() int64        { return i.size }
func (i fileInfo) Mode() fs.FileMode  { return i.mode }
func (i fileInfo) ModTime() time.Time { return time.Time{} }
func (i fileInfo) IsDir() bool        { return i.mode.IsDir() }
func (i fileInfo) Sys() any           { return nil }

// file is an open regular file.
type file struct {
	*io.SectionReader
	done func()
	info fileInfo
}

func (f *file) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *file) Close() error {
	if f.done != nil {
		f.done()
		f.done = nil
	}
	return nil
}

// dirFile is an open folder.
type dirFile struct {
	info    fileInfo
	entries []fs.DirEntry
	off     int
}

func (d *dirFile) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *dirFile) Close() error               { return nil }
func (d *dirFile) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.info.name, Err: errors.New("is a directory")}
}

// ReadDir implements fs.ReadDirFile.
func (d *dirFile) ReadDir(n int) ([]fs.DirEntry, error) {
	rest := d.entries[d.off:]
	if n <= 0 {
		d.off = len(d.entries)
		return rest, nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	rest = rest[:min(n, len(rest))]
	d.off += len(rest)
	return rest, nil
}
