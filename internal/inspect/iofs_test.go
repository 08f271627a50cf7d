package inspect

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/bootstrap-guard/bootstrap-guard/internal/zipread"
)

// TestFS: the assembled task+layers filesystem as an io/fs view passes testing/fstest (every
// file reachable, consistent ReadDir, Stat, Read, ReadAt and Seek), follows symlinks as the
// kernel does, lets a later layer win, and shows a layer not available here as nothing.
func TestFS(t *testing.T) {
	task := mkzip(t,
		entry{name: "index.js", data: []byte("exports.handler = 1\n"), mode: 0o644},
		entry{name: "lib/util.js", data: []byte("module.exports = {}\n"), mode: 0o644},
		entry{name: "current", data: []byte("lib"), mode: fs.ModeSymlink | 0o777},
		entry{name: "dangling", data: []byte("nowhere"), mode: fs.ModeSymlink | 0o777},
		entry{name: "bootstrap", data: []byte("#!/bin/sh\n"), mode: 0o755},
	)
	first := mkzip(t, entry{name: "nodejs/node_modules/dep/index.js", data: []byte("old\n"), mode: 0o644})
	second := mkzip(t, entry{name: "nodejs/node_modules/dep/index.js", data: []byte("new\n"), mode: 0o644},
		entry{name: "extensions/agent", data: []byte("#!/bin/sh\n"), mode: 0o755})
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "python"), 0o755)
	os.WriteFile(filepath.Join(dir, "python", "mod.py"), []byte("x = 1\n"), 0o644)
	fsys, err := FS(Function{Code: zipSource("task.zip", task), Layers: []Source{
		zipSource("first.zip", first), {Name: "arn:aws:lambda:us-east-1:123456789012:layer:remote:1"},
		zipSource("second.zip", second), {Name: "dir layer", Dir: dir}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := fstest.TestFS(fsys, "var/task/index.js", "var/task/lib/util.js", "var/task/current/util.js",
		"var/task/bootstrap", "opt/nodejs/node_modules/dep/index.js", "opt/extensions/agent", "opt/python/mod.py"); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"var/task/current/util.js": "module.exports = {}\n", "opt/nodejs/node_modules/dep/index.js": "new\n"} {
		if b, err := fs.ReadFile(fsys, name); err != nil || string(b) != want {
			t.Errorf("%s = %q, %v; want %q", name, b, err, want)
		}
	}
	if st, err := fs.Stat(fsys, "var/task/bootstrap"); err != nil || st.Mode().Perm() != 0o755 {
		t.Errorf("bootstrap: %v, %v", st, err)
	}
	for _, name := range []string{"var/task/dangling", "var/task/missing.js", "etc/passwd"} {
		if _, err := fsys.Open(name); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("open %s: %v, want not found", name, err)
		}
	}
	if _, err := fsys.Open("/var/task/index.js"); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("rooted name: %v, want invalid", err)
	}
	// A package that is not a zip is an error, not an empty folder.
	if _, err := FS(Function{Code: zipSource("bad.zip", []byte("not a zip"))}); !errors.Is(err, zipread.ErrFormat) {
		t.Errorf("not a zip: %v", err)
	}
}
