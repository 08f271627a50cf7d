package handler

import (
	"bytes"
	"io"
	"path"
	"sort"
	"strings"
)

// memFS is a filesystem for tests: files by absolute path; folders are implied. Paths under an
// "opaque" prefix are Unknown, as behind a layer that could not be read.
type memFS struct {
	files  map[string]string
	opaque string
}

func newFS(files ...string) *memFS {
	m := &memFS{files: map[string]string{}}
	for _, f := range files {
		name, content, _ := strings.Cut(f, "=")
		m.files[name] = content
	}
	return m
}

func (m *memFS) Stat(name string) (Kind, error) {
	name = path.Clean(name)
	if _, ok := m.files[name]; ok {
		return File, nil
	}
	for f := range m.files {
		if strings.HasPrefix(f, name+"/") || name == "/" {
			return Dir, nil
		}
	}
	if m.opaque != "" && strings.HasPrefix(name, m.opaque) {
		return Unknown, nil
	}
	return Missing, nil
}

func (m *memFS) ReadFile(name string, limit int64) ([]byte, error) {
	b := m.files[path.Clean(name)]
	if int64(len(b)) > limit {
		b = b[:limit]
	}
	return []byte(b), nil
}

func (m *memFS) ReadDir(name string) ([]string, bool, error) {
	name = path.Clean(name)
	seen := map[string]bool{}
	for f := range m.files {
		if rest, ok := strings.CutPrefix(f, name+"/"); ok {
			first, _, _ := strings.Cut(rest, "/")
			seen[first] = true
		}
	}
	var out []string
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out, m.opaque == "" || !strings.HasPrefix(name, m.opaque), nil
}

func (m *memFS) Open(name string) (io.ReaderAt, int64, func(), error) {
	b := m.files[path.Clean(name)]
	return bytes.NewReader([]byte(b)), int64(len(b)), func() {}, nil
}
